// Container runtime metadata for the containers collector: the names a cgroup path does not
// carry (Kubernetes container, pod, namespace and image from the CRI; Docker's container name and
// image), fetched by one background thread and cached by container id, so that a scrape only
// ever reads the cache. docs/containers.md describes the flags and the refresh rules.
#pragma once

#include <prometheus/collectable.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace vitals::cgroup {

// What the runtime says about one container (or, keyed "pod/<uid>", one pod). Empty fields are
// unknown.
struct RuntimeInfo {
  std::string container;  // CRI ContainerMetadata.name (cAdvisor's `container`)
  std::string pod;        // the sandbox's PodSandboxMetadata.name
  std::string ns;         // the sandbox's PodSandboxMetadata.namespace
  std::string image;      // CRI ImageSpec.image (else image_ref); Docker's Image
  std::string name;       // Docker's container name (Names[0] without the "/")
  bool operator==(const RuntimeInfo&) const = default;
};

// One container or sandbox a runtime listed.
struct RuntimeEntry {
  std::string id;  // container id, or "pod/<uid>" for a pod
  RuntimeInfo info;
  std::string sandbox_id;  // CRI containers: their pod's sandbox
};

enum class RuntimeResult { kOk, kError, kTimeout };

// A runtime's list call (CRI: ListContainers + ListPodSandbox; Docker: GET /containers/json).
// Implementations: cri_client.cpp (gRPC), docker_client.cpp (libcurl).
class RuntimeSource {
 public:
  virtual ~RuntimeSource() = default;
  virtual std::string_view runtime() const = 0;  // "cri" or "docker"
  // The socket to ask now, or empty when none of the defaulted candidates exists (then the
  // source is skipped without counting a failure).
  virtual std::string socket() const = 0;
  // Lists every container. On failure *err says what.
  virtual RuntimeResult list(const std::string& socket, std::chrono::milliseconds timeout,
                             std::vector<RuntimeEntry>* out, std::string* err) = 0;
};

std::unique_ptr<RuntimeSource> make_cri_source(std::vector<std::string> candidates,
                                               bool explicitly);
std::unique_ptr<RuntimeSource> make_docker_source(std::string socket, bool explicitly);

// Decoders of the runtimes' answers (cri_wire.cpp, docker_client.cpp), for the unit tests and the
// fuzzer. They append to *out; false (with *err) on malformed input.
bool decode_list_containers(std::string_view pb, std::vector<RuntimeEntry>* out, std::string* err);
// Appends "pod/<uid>" entries and returns sandbox id -> (pod, namespace) in *sandboxes.
bool decode_list_pod_sandbox(std::string_view pb, std::vector<RuntimeEntry>* out,
                             std::map<std::string, RuntimeInfo>* sandboxes, std::string* err);
bool decode_docker_containers(std::string_view json, std::vector<RuntimeEntry>* out,
                              std::string* err);

struct RuntimeOptions {
  std::chrono::milliseconds timeout{2000};        // per call
  std::chrono::milliseconds min_interval{1000};   // between two refreshes
  std::chrono::milliseconds miss_retry{10000};    // an id still unknown after a refresh
  std::chrono::milliseconds removed_ttl{300000};  // keep a container the runtime no longer lists
  size_t max_entries = 10000;
};

// The cache and its refresher thread (started on the first lookup of an unknown id).
class RuntimeMetadata {
 public:
  RuntimeMetadata(RuntimeOptions o, std::vector<std::unique_ptr<RuntimeSource>> sources);
  ~RuntimeMetadata();
  RuntimeMetadata(const RuntimeMetadata&) = delete;
  RuntimeMetadata& operator=(const RuntimeMetadata&) = delete;

  // The cached metadata of `id` (a container id or "pod/<uid>"). Never blocks on a runtime:
  // an unknown id asks the refresher for a refresh (at most one per min_interval; an id still
  // unknown after one is asked for again after miss_retry) and returns false.
  bool lookup(std::string_view id, RuntimeInfo* out);

  size_t size() const;
  // Runs one refresh on the calling thread (tests).
  void refresh_now();

 private:
  struct Cached {
    std::vector<RuntimeInfo> by_source;  // what each source said (sources_ order)
    uint32_t listed = 0;                 // the sources that listed it in their last answer
    // When the last source listing it stopped doing so (listed became 0).
    std::chrono::steady_clock::time_point gone{};
  };
  void run();
  void refresh();
  void start_locked();
  bool evict_gone();

  const RuntimeOptions opt_;
  std::vector<std::unique_ptr<RuntimeSource>> sources_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Cached, std::less<>> cache_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> misses_;
  bool wanted_ = false;
  bool stop_ = false;
  bool warned_full_ = false;
  std::chrono::steady_clock::time_point last_refresh_{};
  std::vector<int> last_result_;  // per source: RuntimeResult of its last call, -1 before
  std::thread thread_;
};

// vitals_container_runtime_requests_total{runtime,result}, vitals_container_runtime_up{runtime},
// vitals_container_runtime_cache_entries and _max, read when scraped (core/self_metrics.h);
// empty until a runtime was asked.
std::shared_ptr<prometheus::Collectable> container_runtime_metrics();

}  // namespace vitals::cgroup
