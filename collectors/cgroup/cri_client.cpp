// The CRI source: runtime.v1.RuntimeService ListContainers and ListPodSandbox over gRPC on the
// runtime's UNIX socket. A generic stub sends and receives raw bytes (empty requests; answers
// decoded by cri_wire.cpp), so no generated code is compiled; this is the one file of the
// collectors that includes gRPC's headers.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include "collectors/cgroup/runtime.h"

namespace vitals::cgroup {
namespace {

bool is_socket(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

class CriSource final : public RuntimeSource {
 public:
  CriSource(std::vector<std::string> candidates, bool explicitly)
      : candidates_(std::move(candidates)), explicitly_(explicitly) {}

  std::string_view runtime() const override { return "cri"; }

  std::string socket() const override {
    for (const auto& c : candidates_) {
      if (is_socket(c)) return c;
    }
    // Given on the command line: asked (and its failure counted) even when it is not there.
    return explicitly_ && !candidates_.empty() ? candidates_.front() : std::string();
  }

  RuntimeResult list(const std::string& socket, std::chrono::milliseconds timeout,
                     std::vector<RuntimeEntry>* out, std::string* err) override {
    if (socket != socket_ || !channel_) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(kMaxAnswer);
      // A runtime restarted is retried at the next refresh, not after gRPC's back-off.
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
      channel_ =
          grpc::CreateCustomChannel("unix://" + socket, grpc::InsecureChannelCredentials(), args);
      socket_ = socket;
    }
    auto deadline = std::chrono::system_clock::now() + timeout;
    std::string sandboxes_pb, containers_pb;
    RuntimeResult r =
        call("/runtime.v1.RuntimeService/ListPodSandbox", deadline, &sandboxes_pb, err);
    if (r == RuntimeResult::kOk) {
      r = call("/runtime.v1.RuntimeService/ListContainers", deadline, &containers_pb, err);
    }
    if (r != RuntimeResult::kOk) {
      channel_.reset();  // a fresh connection next time
      return r;
    }
    std::map<std::string, RuntimeInfo> sandboxes;
    std::vector<RuntimeEntry> containers;
    if (!decode_list_pod_sandbox(sandboxes_pb, out, &sandboxes, err) ||
        !decode_list_containers(containers_pb, &containers, err)) {
      return RuntimeResult::kError;
    }
    for (RuntimeEntry& c : containers) {
      auto it = sandboxes.find(c.sandbox_id);
      if (it != sandboxes.end()) {
        c.info.pod = it->second.pod;
        c.info.ns = it->second.ns;
      }
      out->push_back(std::move(c));
    }
    return RuntimeResult::kOk;
  }

 private:
  static constexpr int kMaxAnswer = 16 << 20;

  RuntimeResult call(const std::string& method, std::chrono::system_clock::time_point deadline,
                     std::string* answer, std::string* err) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    grpc::CompletionQueue cq;
    grpc::ByteBuffer request;  // an empty request: no filter, every container
    grpc::Slice empty;
    request = grpc::ByteBuffer(&empty, 1);
    auto rpc = stub.PrepareUnaryCall(&ctx, method, request, &cq);
    rpc->StartCall();
    grpc::ByteBuffer response;
    grpc::Status status;
    rpc->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    cq.Next(&tag, &ok);  // returns when the call ends; the deadline bounds it
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    if (!status.ok()) {
      *err = method + ": " + std::to_string(status.error_code()) + " " + status.error_message();
      return status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? RuntimeResult::kTimeout
                                                                        : RuntimeResult::kError;
    }
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) {
      *err = method + ": unreadable answer";
      return RuntimeResult::kError;
    }
    answer->clear();
    for (const auto& s : slices) answer->append(reinterpret_cast<const char*>(s.begin()), s.size());
    return RuntimeResult::kOk;
  }

  const std::vector<std::string> candidates_;
  const bool explicitly_;
  std::string socket_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace

std::unique_ptr<RuntimeSource> make_cri_source(std::vector<std::string> candidates,
                                               bool explicitly) {
  return std::make_unique<CriSource>(std::move(candidates), explicitly);
}

}  // namespace vitals::cgroup
