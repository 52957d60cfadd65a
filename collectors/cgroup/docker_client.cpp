// The Docker source: GET /containers/json?all=1 of the Docker Engine API on its UNIX socket,
// with libcurl; the answer parsed with simdjson.
#include <curl/curl.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <cstring>

#include "collectors/cgroup/runtime.h"

namespace vitals::cgroup {

bool decode_docker_containers(std::string_view json, std::vector<RuntimeEntry>* out,
                              std::string* err) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(json.data(), json.size()).get(doc)) {
    *err = std::string("invalid JSON from /containers/json: ") + simdjson::error_message(e);
    return false;
  }
  simdjson::dom::array items;
  if (doc.get_array().get(items)) {
    *err = "/containers/json: expected an array of containers";
    return false;
  }
  for (simdjson::dom::element item : items) {
    simdjson::dom::object obj;
    if (item.get_object().get(obj)) continue;  // the one item is skipped, the rest kept
    RuntimeEntry e;
    std::string_view v;
    if (!obj["Id"].get_string().get(v)) e.id = std::string(v);
    if (e.id.empty()) continue;
    simdjson::dom::array names;
    if (!obj["Names"].get_array().get(names)) {
      for (simdjson::dom::element n : names) {
        if (!n.get_string().get(v)) {
          if (!v.empty() && v.front() == '/') v.remove_prefix(1);
          e.info.name = std::string(v);
          break;
        }
      }
    }
    if (!obj["Image"].get_string().get(v)) e.info.image = std::string(v);
    // Kubernetes pods run by Docker (dockershim, cri-dockerd) carry the kubelet's labels.
    simdjson::dom::object labels;
    if (!obj["Labels"].get_object().get(labels)) {
      if (!labels["io.kubernetes.container.name"].get_string().get(v)) {
        e.info.container = std::string(v);
      }
      if (!labels["io.kubernetes.pod.name"].get_string().get(v)) e.info.pod = std::string(v);
      if (!labels["io.kubernetes.pod.namespace"].get_string().get(v)) e.info.ns = std::string(v);
    }
    out->push_back(std::move(e));
  }
  return true;
}

namespace {

constexpr size_t kMaxAnswer = 16 << 20;

size_t on_data(char* p, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxAnswer) return 0;  // aborts the transfer
  body->append(p, size * n);
  return size * n;
}

class DockerSource final : public RuntimeSource {
 public:
  DockerSource(std::string socket, bool explicitly)
      : socket_(std::move(socket)), explicitly_(explicitly) {
    curl_global_init(CURL_GLOBAL_DEFAULT);  // reference counted, thread-safe since 7.84
  }
  ~DockerSource() override {
    if (curl_) curl_easy_cleanup(curl_);
    curl_global_cleanup();
  }

  std::string_view runtime() const override { return "docker"; }

  std::string socket() const override {
    if (socket_.empty()) return {};
    struct stat st;
    if (explicitly_ || (::stat(socket_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))) return socket_;
    return {};
  }

  RuntimeResult list(const std::string& socket, std::chrono::milliseconds timeout,
                     std::vector<RuntimeEntry>* out, std::string* err) override {
    if (!curl_ && !(curl_ = curl_easy_init())) {
      *err = "curl_easy_init failed";
      return RuntimeResult::kError;
    }
    curl_easy_reset(curl_);
    std::string body;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl_, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
    curl_easy_setopt(curl_, CURLOPT_URL, "http://localhost/containers/json?all=1");
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(curl_);
    if (rc != CURLE_OK) {
      long os_errno = 0;
      curl_easy_getinfo(curl_, CURLINFO_OS_ERRNO, &os_errno);
      // curl words a UNIX socket failure as one to "localhost port 80": say the socket's error.
      *err = rc == CURLE_COULDNT_CONNECT && os_errno
                 ? socket + ": cannot connect: " + std::strerror(static_cast<int>(os_errno))
                 : socket + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc));
      return rc == CURLE_OPERATION_TIMEDOUT ? RuntimeResult::kTimeout : RuntimeResult::kError;
    }
    long code = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) {
      *err = socket + ": /containers/json answered HTTP " + std::to_string(code);
      return RuntimeResult::kError;
    }
    return decode_docker_containers(body, out, err) ? RuntimeResult::kOk : RuntimeResult::kError;
  }

 private:
  const std::string socket_;
  const bool explicitly_;
  CURL* curl_ = nullptr;
};

}  // namespace

std::unique_ptr<RuntimeSource> make_docker_source(std::string socket, bool explicitly) {
  return std::make_unique<DockerSource>(std::move(socket), explicitly);
}

}  // namespace vitals::cgroup
