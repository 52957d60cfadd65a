// The container runtime metadata of the containers collector (collectors/cgroup/runtime.h): the
// CRI and Docker decoders, and the cache's refresh, expiry and size rules with a fake runtime.
#include <gtest/gtest.h>

#include <atomic>

#include "collectors/cgroup/runtime.h"

namespace vitals::cgroup {
namespace {

using namespace std::chrono_literals;

// Serialized by python3-protobuf from classes generated from proto/cri_api.proto:
// ListContainersResponse{containers: [{id: "c1", pod_sandbox_id: "s1", metadata{name: "web",
// attempt: 1}, image{image: "nginx:1.25"}, image_ref: "sha256:ab", created_at: 5,
// labels{"io.kubernetes.pod.name": "web-0"}}, {id: "c2", image_ref: "sha256:cd"}]}
const char kContainersPb[] =
    "\x0a\x4d\x0a\x02\x63\x31\x12\x02\x73\x31\x1a\x07\x0a\x03\x77\x65\x62\x10\x01\x22\x0c\x0a\x0a"
    "\x6e\x67\x69\x6e\x78\x3a\x31\x2e\x32\x35\x2a\x09\x73\x68\x61\x32\x35\x36\x3a\x61\x62\x38\x05"
    "\x42\x1f\x0a\x16\x69\x6f\x2e\x6b\x75\x62\x65\x72\x6e\x65\x74\x65\x73\x2e\x70\x6f\x64\x2e\x6e"
    "\x61\x6d\x65\x12\x05\x77\x65\x62\x2d\x30\x0a\x0f\x0a\x02\x63\x32\x2a\x09\x73\x68\x61\x32\x35"
    "\x36\x3a\x63\x64";
const std::string kContainers(kContainersPb, sizeof(kContainersPb) - 1);
// ListPodSandboxResponse{items: [{id: "s1", metadata{name: "web-0", uid: "u-1", namespace:
// "shop", attempt: 2}, created_at: 7, labels{"a": "b"}}]}
const char kSandboxesPb[] =
    "\x0a\x24\x0a\x02\x73\x31\x12\x14\x0a\x05\x77\x65\x62\x2d\x30\x12\x03\x75\x2d\x31\x1a\x04\x73"
    "\x68\x6f\x70\x20\x02\x20\x07\x2a\x06\x0a\x01\x61\x12\x01\x62";
const std::string kSandboxes(kSandboxesPb, sizeof(kSandboxesPb) - 1);

TEST(CriWire, ListContainers) {
  std::vector<RuntimeEntry> out;
  std::string err;
  ASSERT_TRUE(decode_list_containers(kContainers, &out, &err)) << err;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, "c1");
  EXPECT_EQ(out[0].sandbox_id, "s1");
  EXPECT_EQ(out[0].info, (RuntimeInfo{"web", "web-0", "", "nginx:1.25", ""}));
  // No image spec: the image reference.
  EXPECT_EQ(out[1].id, "c2");
  EXPECT_EQ(out[1].info, (RuntimeInfo{"", "", "", "sha256:cd", ""}));
}

TEST(CriWire, ListPodSandbox) {
  std::vector<RuntimeEntry> out;
  std::map<std::string, RuntimeInfo> sandboxes;
  std::string err;
  ASSERT_TRUE(decode_list_pod_sandbox(kSandboxes, &out, &sandboxes, &err)) << err;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, "pod/u-1");
  EXPECT_EQ(out[1].id, "s1");
  RuntimeInfo want{"", "web-0", "shop", "", ""};
  EXPECT_EQ(out[0].info, want);
  EXPECT_EQ(out[1].info, want);
  EXPECT_EQ(sandboxes.at("s1"), want);
}

TEST(CriWire, TruncatedAnswerIsAnError) {
  std::vector<RuntimeEntry> out;
  std::map<std::string, RuntimeInfo> sandboxes;
  std::string err;
  EXPECT_FALSE(decode_list_containers(kContainers.substr(0, 40), &out, &err));
  EXPECT_NE(err.find("malformed ListContainersResponse"), std::string::npos) << err;
  EXPECT_FALSE(decode_list_pod_sandbox(kSandboxes.substr(0, 20), &out, &sandboxes, &err));
  EXPECT_NE(err.find("malformed ListPodSandboxResponse"), std::string::npos) << err;
}

TEST(DockerJson, Containers) {
  std::vector<RuntimeEntry> out;
  std::string err;
  ASSERT_TRUE(decode_docker_containers(
      R"([{"Id":"d1","Names":["/redis-cache","/alias"],"Image":"redis:7","Labels":{}},
          {"Id":"d2","Names":["/k8s_web_web-0_shop_u-1_0"],"Image":"nginx",
           "Labels":{"io.kubernetes.container.name":"web","io.kubernetes.pod.name":"web-0",
                     "io.kubernetes.pod.namespace":"shop"}},
          42, {"Names":["/no-id"]}, {"Id":"d3","Labels":null}])",
      &out, &err))
      << err;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, "d1");
  EXPECT_EQ(out[0].info, (RuntimeInfo{"", "", "", "redis:7", "redis-cache"}));
  EXPECT_EQ(out[1].info,
            (RuntimeInfo{"web", "web-0", "shop", "nginx", "k8s_web_web-0_shop_u-1_0"}));
  EXPECT_EQ(out[2].id, "d3");
  EXPECT_EQ(out[2].info, RuntimeInfo{});
  EXPECT_FALSE(decode_docker_containers("{\"message\":\"x\"}", &out, &err));
  EXPECT_NE(err.find("expected an array"), std::string::npos) << err;
  EXPECT_FALSE(decode_docker_containers("[{", &out, &err));
}

// A runtime whose answer the test sets.
struct FakeState {
  std::mutex mu;
  std::vector<RuntimeEntry> list;
  RuntimeResult result = RuntimeResult::kOk;
  std::atomic<int> calls{0};
};

class FakeSource final : public RuntimeSource {
 public:
  explicit FakeSource(std::shared_ptr<FakeState> s) : s_(std::move(s)) {}
  std::string_view runtime() const override { return "fake"; }
  std::string socket() const override { return "/fake.sock"; }
  RuntimeResult list(const std::string&, std::chrono::milliseconds, std::vector<RuntimeEntry>* out,
                     std::string* err) override {
    ++s_->calls;
    std::lock_guard<std::mutex> lk(s_->mu);
    *out = s_->list;
    if (s_->result != RuntimeResult::kOk) *err = "down";
    return s_->result;
  }

 private:
  std::shared_ptr<FakeState> s_;
};

std::unique_ptr<RuntimeMetadata> cache(std::shared_ptr<FakeState> s, RuntimeOptions o) {
  std::vector<std::unique_ptr<RuntimeSource>> v;
  v.push_back(std::make_unique<FakeSource>(std::move(s)));
  return std::make_unique<RuntimeMetadata>(o, std::move(v));
}

RuntimeEntry entry(std::string id, std::string container) {
  return {std::move(id), RuntimeInfo{std::move(container), "", "", "", ""}, ""};
}

TEST(RuntimeMetadata, UnknownIdRefreshesInTheBackground) {
  auto s = std::make_shared<FakeState>();
  s->list = {entry("a", "web")};
  RuntimeOptions o;
  o.min_interval = 0ms;
  auto m = cache(s, o);
  RuntimeInfo info;
  EXPECT_FALSE(m->lookup("a", &info));  // unknown: asks, does not wait
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!m->lookup("a", &info) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(info.container, "web");
  // An id the runtime does not list is asked for again only after miss_retry (10 s).
  EXPECT_FALSE(m->lookup("zz", &info));
  while (m->size() != 1 || s->calls < 2) std::this_thread::sleep_for(5ms);
  int calls = s->calls;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(m->lookup("zz", &info));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(s->calls, calls);
}

TEST(RuntimeMetadata, RemovedContainersExpireAndFailuresKeepTheCache) {
  auto s = std::make_shared<FakeState>();
  s->list = {entry("a", "web"), entry("b", "db")};
  RuntimeOptions o;
  o.removed_ttl = 0ms;
  auto m = cache(s, o);
  m->refresh_now();
  EXPECT_EQ(m->size(), 2u);
  // A failed call forgets nothing.
  s->result = RuntimeResult::kTimeout;
  m->refresh_now();
  EXPECT_EQ(m->size(), 2u);
  // A successful one without "b": gone, and with no TTL forgotten at once.
  s->result = RuntimeResult::kOk;
  s->list = {entry("a", "web")};
  m->refresh_now();
  EXPECT_EQ(m->size(), 1u);
  RuntimeInfo info;
  EXPECT_TRUE(m->lookup("a", &info));
}

TEST(RuntimeMetadata, BoundedBySizeGoneOnesMakeRoom) {
  auto s = std::make_shared<FakeState>();
  s->list = {entry("a", "1"), entry("b", "2"), entry("c", "3")};
  RuntimeOptions o;
  o.max_entries = 2;
  auto m = cache(s, o);
  m->refresh_now();
  EXPECT_EQ(m->size(), 2u);  // "c" did not fit
  // "a" left its runtime (kept for removed_ttl), "d" is new: "a" makes room.
  s->list = {entry("b", "2"), entry("d", "4")};
  m->refresh_now();
  EXPECT_EQ(m->size(), 2u);
  RuntimeInfo info;
  EXPECT_TRUE(m->lookup("d", &info));
  EXPECT_EQ(info.container, "4");
  EXPECT_TRUE(m->lookup("b", &info));
}

}  // namespace
}  // namespace vitals::cgroup
