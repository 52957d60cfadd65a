// The only translation unit that includes gRPC (compile time: its headers are heavy).
//
// The service is registered by hand as a raw callback unary method (as a generated service's
// WithRawCallbackMethod_ variant registers it, on grpc::ByteBuffers): gRPC reads, size-checks and
// inflates (grpc-encoding: gzip) the message, and the bytes go to the hand-written OTLP decoder
// like an OTLP/HTTP body, with no libprotobuf parse in between.
//
// The callback API takes no thread per call: Export runs on gRPC's callback threads (a fixed
// few, see max_threads) and waits for nothing. It takes an ingestion slot without waiting; with
// none free it answers at once RESOURCE_EXHAUSTED with RetryInfo, else it decodes, aggregates
// and answers. So every overload refusal is the receiver's own, with RetryInfo. (The synchronous
// server took a thread per call from a ResourceQuota and, with none left, answered its own
// RESOURCE_EXHAUSTED without RetryInfo before the call reached the receiver.)
#include "apm/grpc_receiver.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/server_callback.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include "apm/receiver.h"
#include "core/log.h"
#include "http/basic_auth.h"
#include "http/web_config.h"

namespace vitals::apm {
namespace {

constexpr char kExportMethod[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

using ExportFn = std::function<grpc::ServerUnaryReactor*(
    grpc::CallbackServerContext*, const grpc::ByteBuffer*, grpc::ByteBuffer*)>;

class TraceService final : public grpc::Service {
 public:
  explicit TraceService(ExportFn fn) : fn_(std::move(fn)) {
    AddMethod(new grpc::internal::RpcServiceMethod(kExportMethod,
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodRawCallback(
        0, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
               [this](grpc::CallbackServerContext* c, const grpc::ByteBuffer* req,
                      grpc::ByteBuffer* resp) { return fn_(c, req, resp); }));
  }

 private:
  ExportFn fn_;
};

bool read_file(const std::string& path, const char* key, std::string* out, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  if (f) ss << f.rdbuf();
  if (!f || f.bad()) {
    *error = std::string("tls_server_config.") + key + ": cannot read \"" + path + "\"";
    return false;
  }
  *out = ss.str();
  return true;
}

grpc_ssl_client_certificate_request_type client_request(ClientAuth a) {
  switch (a) {
    case ClientAuth::kNoClientCert:
      return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    case ClientAuth::kRequestClientCert:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY;
    case ClientAuth::kRequireAnyClientCert:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY;
    case ClientAuth::kVerifyClientCertIfGiven:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    case ClientAuth::kRequireAndVerifyClientCert:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
}

// gRPC's form of our listen addresses: ":port" (both families) is "[::]:port", which gRPC binds
// dual-stack (IPv4 only without IPv6 in the kernel).
std::string grpc_address(const std::string& a) {
  if (!a.empty() && a.front() == ':') return "[::]" + a;
  return a;
}

}  // namespace

struct GrpcReceiver::Impl {
  Receiver& receiver;
  GrpcReceiverOptions opts;
  std::unique_ptr<TraceService> service;
  std::unique_ptr<grpc::Server> server;
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::shared_ptr<const WebConfig> web;  // guarded by mu
  std::shared_ptr<BasicAuth> auth;       // guarded by mu; null: no users

  Impl(Receiver& r, GrpcReceiverOptions o) : receiver(r), opts(std::move(o)) {}

  void set_web(std::shared_ptr<const WebConfig> w) {
    std::shared_ptr<BasicAuth> a;
    if (w && !w->basic_auth_users.empty()) a = std::make_shared<BasicAuth>(w->basic_auth_users);
    std::lock_guard lk(mu);
    web = std::move(w);
    auth = std::move(a);
  }

  // UNAUTHENTICATED when the web config's basic auth or client_allowed_sans refuse the call.
  std::optional<grpc::Status> check_access(grpc::CallbackServerContext* ctx) {
    std::shared_ptr<const WebConfig> w;
    std::shared_ptr<BasicAuth> a;
    {
      std::lock_guard lk(mu);
      w = web;
      a = auth;
    }
    if (!w) return std::nullopt;
    if (!w->tls.client_allowed_sans.empty()) {
      bool allowed = false;
      auto ac = ctx->auth_context();
      for (const char* prop :
           {GRPC_X509_SAN_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME, GRPC_PEER_URI_PROPERTY_NAME,
            GRPC_PEER_EMAIL_PROPERTY_NAME, GRPC_PEER_IP_PROPERTY_NAME}) {
        if (!ac) break;
        for (const auto& v : ac->FindPropertyValues(prop)) {
          std::string_view san(v.data(), v.size());
          for (const auto& want : w->tls.client_allowed_sans) allowed = allowed || san == want;
        }
      }
      if (!allowed) {
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                            "client certificate has none of the allowed SANs");
      }
    }
    if (a && !a->open()) {
      std::optional<std::string_view> header;
      const auto& md = ctx->client_metadata();
      if (auto it = md.find("authorization"); it != md.end()) {
        header = std::string_view(it->second.data(), it->second.size());
      }
      if (!a->check_header(header)) {
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                            "basic auth: missing or wrong user/password in the authorization "
                            "metadata");
      }
    }
    return std::nullopt;
  }

  static grpc::Status status(const RpcAnswer& a) {
    return grpc::Status(static_cast<grpc::StatusCode>(a.code), a.message, a.details);
  }

  // On one of gRPC's callback threads, which it never blocks on anything but the CPU: a
  // refusal (draining, access, every ingestion slot busy) is answered at once.
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                   grpc::ByteBuffer* resp) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    if (draining.load(std::memory_order_relaxed)) {
      reactor->Finish(status(receiver.refuse_grpc(503, "vitals is shutting down; retry later")));
    } else if (auto denied = check_access(ctx)) {
      reactor->Finish(*denied);
    } else {
      reactor->Finish(decode(req, resp));
    }
    return reactor;
  }

  // Takes an ingestion slot without waiting (none free: RESOURCE_EXHAUSTED with RetryInfo),
  // decodes and aggregates.
  grpc::Status decode(const grpc::ByteBuffer* req, grpc::ByteBuffer* resp) {
    grpc::Slice single;
    RpcAnswer a = receiver.export_grpc([&](std::string& buffer) -> std::string_view {
      if (req->TrySingleSlice(&single).ok()) {
        return {reinterpret_cast<const char*>(single.begin()), single.size()};
      }
      std::vector<grpc::Slice> slices;
      buffer.clear();
      if (!req->Dump(&slices).ok()) return buffer;
      for (const auto& s : slices) {
        buffer.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      return buffer;
    });
    if (a.code != kGrpcOk) return status(a);
    grpc::Slice out(a.response);
    *resp = grpc::ByteBuffer(&out, 1);
    return grpc::Status::OK;
  }
};

GrpcReceiver::GrpcReceiver(Receiver& receiver, GrpcReceiverOptions options)
    : impl_(std::make_unique<Impl>(receiver, std::move(options))) {}

GrpcReceiver::~GrpcReceiver() {
  stop();
}

int GrpcReceiver::max_threads() const {
  // gRPC 1.51 runs a server's callbacks (without a background poller, as on Linux's epoll1) on
  // its CallbackAlternativeCQ: clamp(configured CPUs / 2, 2, 16) "nexting_thread"s, made once.
  long cpus = sysconf(_SC_NPROCESSORS_CONF);
  int callback_threads = static_cast<int>(std::clamp(cpus / 2, 2L, 16L));
  return callback_threads;
}

bool GrpcReceiver::start(std::string* error) {
  Impl& m = *impl_;
  m.set_web(m.opts.web);
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (m.opts.web && m.opts.web->tls.enabled) {
    const TlsServerConfig& t = m.opts.web->tls;
    grpc::SslServerCredentialsOptions so(client_request(t.client_auth));
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    if (!read_file(t.cert_file, "cert_file", &pair.cert_chain, error) ||
        !read_file(t.key_file, "key_file", &pair.private_key, error)) {
      return false;
    }
    if (!t.client_ca_file.empty() &&
        !read_file(t.client_ca_file, "client_ca_file", &so.pem_root_certs, error)) {
      return false;
    }
    so.pem_key_cert_pairs.push_back(std::move(pair));
    creds = grpc::SslServerCredentials(so);
  }
  m.service =
      std::make_unique<TraceService>([&m](grpc::CallbackServerContext* c, const grpc::ByteBuffer* q,
                                          grpc::ByteBuffer* r) { return m.Export(c, q, r); });
  grpc::ServerBuilder b;
  b.SetMaxReceiveMessageSize(static_cast<int>(m.opts.max_message_bytes));
  b.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, m.opts.max_concurrent_requests);
  b.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, m.opts.max_metadata_bytes);
  // Idle connections are closed after 5 minutes; a taken port fails the bind (gRPC would share
  // it with SO_REUSEPORT otherwise).
  b.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 5 * 60 * 1000);
  b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  b.AddListeningPort(grpc_address(m.opts.address), creds, &port);
  b.RegisterService(m.service.get());
  m.server = b.BuildAndStart();
  if (!m.server || port == 0) {
    m.server.reset();
    *error = "cannot listen on \"" + m.opts.address + "\" (address taken or not local)";
    return false;
  }
  return true;
}

bool GrpcReceiver::set_web_config(std::shared_ptr<const WebConfig> web, std::string* /*error*/) {
  Impl& m = *impl_;
  TlsServerConfig before = m.opts.web ? m.opts.web->tls : TlsServerConfig{};
  TlsServerConfig after = web ? web->tls : TlsServerConfig{};
  if (!(before == after)) {
    // The HTTP listeners took the new settings; this one keeps its credentials until a restart
    // (users and allowed SANs still apply).
    log::warn("OTLP/gRPC listener keeps its TLS settings until vitals restarts",
              {{"address", m.opts.address}});
  }
  m.set_web(std::move(web));
  return true;
}

void GrpcReceiver::drain() {
  impl_->draining.store(true);
}

void GrpcReceiver::stop() {
  if (!impl_->server) return;
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace vitals::apm
