// HttpServer on civetweb 1.15, built from Debian's source package into the agent
// (http/CMakeLists.txt: IPv6, OpenSSL 3 linked directly). Kept to this file; the TLS context setup
// is http/tls.cpp.
#include <arpa/inet.h>
#include <civetweb.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "core/config.h"
#include "core/log.h"
#include "http/basic_auth.h"
#include "http/header_gate.h"
#include "http/server.h"
#include "http/tls.h"
#include "http/web_config.h"

namespace vitals {
namespace {

// The self metrics of every server in the process, labelled by listener.
struct HttpMetricsRegistry {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Gauge>& connections =
      prometheus::BuildGauge()
          .Name("vitals_web_connections")
          .Help(
              "Open connections of the HTTP listener: accepted and not yet closed, waiting or "
              "served (each one served holds a server thread).")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& max =
      prometheus::BuildGauge()
          .Name("vitals_web_connections_max")
          .Help(
              "Server threads of the HTTP listener, the most connections served at once "
              "(--web.max-connections, --apm.max-connections).")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& refused =
      prometheus::BuildCounter()
          .Name("vitals_web_connections_refused_total")
          .Help(
              "Connections the HTTP listener closed before serving them, by reason "
              "(per_source_limit: the client address already held "
              "--web.max-connections-per-source; parked_limit: the oldest of "
              "--web.max-parked-connections waiting for their request header, closed to make "
              "room for a new one; header_timeout: no complete request "
              "header within --web.read-header-timeout; header_too_large: no end of the "
              "header within --web.max-header-bytes, answered 431).")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& parked =
      prometheus::BuildGauge()
          .Name("vitals_web_connections_parked")
          .Help(
              "Connections of the HTTP listener waiting for their request header (TLS: their "
              "first bytes) without holding a server thread.")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& parked_max =
      prometheus::BuildGauge()
          .Name("vitals_web_connections_parked_max")
          .Help("Most connections the HTTP listener parks (--web.max-parked-connections).")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& accept_errors =
      prometheus::BuildCounter()
          .Name("vitals_web_accept_errors_total")
          .Help(
              "accept() failures of the HTTP listener (EMFILE: out of file descriptors, "
              "ENFILE, ENOBUFS, ENOMEM); after each the listener waits 5 ms, doubling up to "
              "200 ms while they repeat, and the connection waits in the kernel's backlog.")
          .Register(*registry);
};

HttpMetricsRegistry& http_metrics_registry() {
  static HttpMetricsRegistry* r = new HttpMetricsRegistry();  // never destroyed: servers may
  return *r;                                                  // outlive static destruction
}

struct ListenerMetrics {
  prometheus::Gauge* connections;
  prometheus::Counter* refused_per_source;
  prometheus::Counter* refused_parked_limit;
  prometheus::Counter* refused_header_timeout;
  prometheus::Counter* refused_header_too_large;
  prometheus::Gauge* parked;
  prometheus::Counter* accept_errors;
};

ListenerMetrics listener_metrics(const std::string& name, int threads, size_t max_parked) {
  auto& r = http_metrics_registry();
  r.max.Add({{"listener", name}}).Set(threads);
  r.parked_max.Add({{"listener", name}}).Set(static_cast<double>(max_parked));
  auto refused = [&](const char* reason) {
    return &r.refused.Add({{"listener", name}, {"reason", reason}});
  };
  return {&r.connections.Add({{"listener", name}}),
          refused("per_source_limit"),
          refused("parked_limit"),
          refused("header_timeout"),
          refused("header_too_large"),
          &r.parked.Add({{"listener", name}}),
          &r.accept_errors.Add({{"listener", name}})};
}

class CivetRequest final : public HttpRequest {
 public:
  explicit CivetRequest(mg_connection* c) : conn_(c), info_(mg_get_request_info(c)) {}
  std::string_view method() const override {
    return info_->request_method ? info_->request_method : "";
  }
  std::string_view path() const override { return info_->local_uri ? info_->local_uri : ""; }
  std::string_view query() const override { return info_->query_string ? info_->query_string : ""; }
  std::optional<std::string_view> header(std::string_view name) const override {
    for (int i = 0; i < info_->num_headers; ++i) {
      const auto& h = info_->http_headers[i];
      if (h.name && std::strlen(h.name) == name.size() &&
          strncasecmp(h.name, name.data(), name.size()) == 0) {
        return std::string_view(h.value ? h.value : "");
      }
    }
    return std::nullopt;
  }
  long read_body(char* buf, size_t len) override { return mg_read(conn_, buf, len); }

 private:
  mg_connection* conn_;
  const mg_request_info* info_;
};

class CivetServer final : public HttpServer {
 public:
  explicit CivetServer(HttpServerOptions o)
      : opts_(std::move(o)),
        metrics_(listener_metrics(opts_.name, opts_.threads, opts_.max_parked_connections)) {}
  ~CivetServer() override { stop(); }

  void route(std::string path, HttpHandler h) override { routes_[std::move(path)] = std::move(h); }

  bool start(std::string* error) override {
    if (opts_.web_config) {
      if (opts_.web_config->tls.enabled && !opts_.tls) {
        std::string err;
        opts_.tls = HttpTlsSettings::create(opts_.web_config->tls, &err);
        if (!opts_.tls) {
          *error = "web config " + opts_.web_config->path + ": " + err;
          return false;
        }
      }
      web_ = make_web_state(opts_.web_config, nullptr);
    }
    if (!init_library(opts_.tls != nullptr, error)) return false;
    for (const auto& a : opts_.listen_addresses) {
      if (!expand(a, &ports_, error)) return false;
    }
    std::string ports;
    for (const auto& p : ports_) {
      if (!ports.empty()) ports += ",";
      ports += p.spec;
      if (opts_.tls) ports += "s";  // civetweb's suffix for an HTTPS port
    }
    std::string threads = std::to_string(opts_.threads);
    std::string req_timeout = std::to_string(opts_.request_timeout_ms);
    std::string ka_timeout = std::to_string(opts_.keep_alive_timeout_ms);
    std::string header_bytes = std::to_string(opts_.max_header_bytes);
    // clang-format off
    const char* options[] = {
        "listening_ports", ports.c_str(),
        "num_threads", threads.c_str(),
        "request_timeout_ms", req_timeout.c_str(),  // header read; longest body/write stall
        "keep_alive_timeout_ms", ka_timeout.c_str(),
        "enable_keep_alive", "yes",
        "tcp_nodelay", "1",
        "max_request_size", header_bytes.c_str(),  // request line and headers
        // Connections waiting for accept() while every thread is busy (the kernel caps it at
        // net.core.somaxconn).
        "listen_backlog", "1024",
        nullptr};
    // clang-format on
    mg_callbacks cb{};
    cb.log_message = [](const mg_connection*, const char* msg) {
      log::debug("http server", {{"msg", msg ? msg : ""}});
      return 1;
    };
    // Every connection is counted (and limited per source) by the master thread before it
    // takes a server thread, and uncounted when civetweb has closed it.
    cb.accept_connection = [](int sock, const sockaddr* remote, unsigned listener, void* self_ptr) {
      return static_cast<CivetServer*>(self_ptr)->accept_connection(sock, remote, listener);
    };
    cb.connection_closed = [](const mg_connection* c) {
      // request_info is there after a failed TLS handshake too (our civetweb patch
      // tls-failure-request-info.patch); never dereference a null one.
      const mg_request_info* info = mg_get_request_info(c);
      auto* self = info ? static_cast<CivetServer*>(info->user_data) : nullptr;
      if (self) self->release(info->remote_addr);
    };
    // Every request goes to dispatch() from the start: a handler registered with
    // mg_set_request_handler after mg_start2 left a moment in which the listening server
    // answered 404 to everything.
    cb.begin_request = [](mg_connection* c) {
      return dispatch(c, mg_get_request_info(c)->user_data);
    };
    if (opts_.tls) {
      // civetweb creates the SSL_CTX; http/tls.cpp sets it up from the listener's settings.
      cb.init_ssl = [](void* ssl_ctx, void* self_ptr) {
        auto* self = static_cast<CivetServer*>(self_ptr);
        return http_tls_init(ssl_ctx, *self->opts_.tls, &self->tls_error_) ? 1 : -1;
      };
    }
    char errtext[256] = {0};
    mg_error_data ed{};
    ed.text = errtext;
    ed.text_buffer_size = sizeof errtext;
    if (opts_.max_parked_connections > 0) {
      HeaderGate::Options go;
      go.timeout_ms = opts_.request_timeout_ms;
      go.max_header_bytes = opts_.max_header_bytes;
      go.tls = opts_.tls != nullptr;
      go.max_parked = opts_.max_parked_connections;
      gate_ = std::make_unique<HeaderGate>(
          go,
          [this](int fd, unsigned listener, const std::string& key) { unpark(fd, listener, key); },
          [this](const std::string& key, HeaderGate::Drop why) { dropped(key, why); });
      std::string gate_error;
      if (!gate_->start(&gate_error)) {
        *error = gate_error;
        return false;
      }
    }
    mg_init_data init{};
    init.callbacks = &cb;
    init.user_data = this;
    init.configuration_options = options;
    ctx_ = mg_start2(&init, &ed);
    if (gate_) {
      if (ctx_) {
        gate_->begin();
      } else {
        gate_->stop();
      }
    }
    if (!ctx_ && !tls_error_.empty()) {
      *error = "cannot set up TLS for " + join(opts_.listen_addresses) + ": " + tls_error_;
      return false;
    }
    if (!ctx_) {
      // civetweb says only "Failed to setup server ports": find the address and the reason.
      for (const auto& p : ports_) {
        std::string why = probe_bind(p, &in_use_);
        if (!why.empty()) {
          *error = "cannot listen on " + p.shown + ": " + why;
          return false;
        }
      }
      *error = "cannot start HTTP server on " + join(opts_.listen_addresses) + ": " +
               (errtext[0] ? errtext : "unknown error");
      return false;
    }
    return true;
  }

  void stop() override {
    // The gate first: it hands sockets to ctx_.
    if (gate_) gate_->stop();
    if (ctx_) {
      mg_stop(ctx_);
      ctx_ = nullptr;
    }
  }

  bool drain(std::chrono::milliseconds timeout) override {
    draining_.store(true);
    std::unique_lock<std::mutex> lk(mu_);
    return idle_.wait_for(lk, timeout, [&] { return active_.load() == 0; });
  }

  int active_connections() const override { return active_.load(); }
  bool address_in_use() const override { return in_use_; }

  bool set_web_config(std::shared_ptr<const WebConfig> config, std::string* error) override {
    bool tls_on = config && config->tls.enabled;
    if (tls_on != (opts_.tls != nullptr)) {
      *error = std::string("TLS cannot be switched ") + (tls_on ? "on" : "off") +
               " without a restart (tls_server_config)";
      return false;
    }
    std::string err;
    if (tls_on && !(opts_.tls->config() == config->tls) && !opts_.tls->update(config->tls, &err)) {
      *error = "web config " + config->path + ": " + err;
      return false;
    }
    auto next = config ? make_web_state(config, web()) : nullptr;
    std::lock_guard<std::mutex> lk(web_mu_);
    web_ = std::move(next);
    return true;
  }

 private:
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  }

  // civetweb's global state (and OpenSSL's), once per process; checks that this build of
  // civetweb has what the agent relies on.
  static bool init_library(bool tls, std::string* error) {
    static const unsigned inited = mg_init_library(MG_FEATURES_SSL | MG_FEATURES_IPV6);
    if (!mg_check_feature(MG_FEATURES_IPV6)) {
      *error = "this build's civetweb has no IPv6 (built without USE_IPV6)";
      return false;
    }
    if (!mg_check_feature(MG_FEATURES_SSL)) {
      *error = "this build's civetweb has no TLS (built with NO_SSL)";
      return false;
    }
    if (tls && (inited & MG_FEATURES_SSL) == 0) {
      *error = "OpenSSL failed to initialize";
      return false;
    }
    return true;
  }

  // One entry of civetweb's listening_ports and the address it was made from.
  struct Port {
    std::string spec;   // civetweb's syntax: "1.2.3.4:80", "[::1]:80", "+80" (dual stack)
    std::string shown;  // for messages: "127.0.0.1:9100", "[::]:9100"
    int family = AF_INET;
    std::string host;  // numeric; "" for the wildcard
    int port = 0;
    bool dual = false;  // IPv6 socket that also accepts IPv4 (IPV6_V6ONLY off)
  };

  // True when IPv6 can be used: the kernel has it and ::1 is configured (IPv6 turned off by
  // ipv6.disable=1 or net.ipv6.conf.*.disable_ipv6=1 fails here).
  static bool ipv6_available() {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }

  // Turns one --*.listen-address into civetweb ports: ":PORT" and "[::]:PORT" listen on both
  // families (IPv4 only, with a warning, when IPv6 is off), "localhost:PORT" on 127.0.0.1 and
  // ::1, a host name on every address it resolves to; numeric addresses as they are.
  bool expand(const std::string& addr, std::vector<Port>* out, std::string* error) const {
    ListenAddress la;
    std::string err;
    if (!parse_listen_address(addr, &la, &err)) {
      *error = "invalid listen address \"" + addr + "\": " + err;
      return false;
    }
    const std::string port = std::to_string(la.port);
    auto v4 = [&](const std::string& host) {
      out->push_back({host + ":" + port, host + ":" + port, AF_INET, host, la.port, false});
    };
    auto v6 = [&](const std::string& host) {
      out->push_back(
          {"[" + host + "]:" + port, "[" + host + "]:" + port, AF_INET6, host, la.port, false});
    };
    auto ipv6_off = [&](const char* instead) {
      log::warn("IPv6 is off in this kernel: listening on IPv4 only",
                {{"listener", opts_.name}, {"address", addr}, {"instead", instead}});
    };
    if (la.host.empty() || (la.ipv6 && la.host == "::")) {
      if (ipv6_available()) {
        out->push_back({"+" + port, "[::]:" + port, AF_INET6, "", la.port, true});
      } else {
        ipv6_off(("0.0.0.0:" + port).c_str());
        v4("0.0.0.0");
      }
      return true;
    }
    if (la.ipv6) {
      v6(la.host);  // explicit: fails at bind when IPv6 is off
      return true;
    }
    in_addr a4{};
    if (inet_pton(AF_INET, la.host.c_str(), &a4) == 1) {
      v4(la.host);
      return true;
    }
    if (la.host == "localhost") {
      v4("127.0.0.1");
      if (ipv6_available()) {
        v6("::1");
      } else {
        ipv6_off(("127.0.0.1:" + port).c_str());
      }
      return true;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int gai = getaddrinfo(la.host.c_str(), nullptr, &hints, &res);
    if (gai != 0) {
      *error =
          "cannot resolve \"" + la.host + "\" of listen address " + addr + ": " + gai_strerror(gai);
      return false;
    }
    bool v6ok = ipv6_available();
    size_t before = out->size();
    for (addrinfo* r = res; r; r = r->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {0};
      if (r->ai_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(r->ai_addr)->sin_addr, buf, sizeof buf);
      } else if (r->ai_family == AF_INET6 && v6ok) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(r->ai_addr)->sin6_addr, buf,
                  sizeof buf);
      } else {
        continue;
      }
      bool seen = false;
      for (size_t i = before; i < out->size(); ++i) seen = seen || (*out)[i].host == buf;
      if (seen) continue;
      if (r->ai_family == AF_INET) {
        v4(buf);
      } else {
        v6(buf);
      }
    }
    freeaddrinfo(res);
    if (out->size() == before) {
      *error = "listen address " + addr + ": \"" + la.host + "\" has no usable address";
      return false;
    }
    return true;
  }

  // Binds a throwaway socket like civetweb would; returns the error text, empty when it binds.
  static std::string probe_bind(const Port& p, bool* in_use) {
    int fd = ::socket(p.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::strerror(errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    std::string why;
    int rc = -1;
    if (p.family == AF_INET6) {
      int v6only = p.dual ? 0 : 1;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(static_cast<uint16_t>(p.port));
      if (!p.host.empty() && inet_pton(AF_INET6, p.host.c_str(), &a.sin6_addr) != 1) {
        ::close(fd);
        return "invalid IPv6 address \"" + p.host + "\"";
      }
      rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(p.port));
      inet_pton(AF_INET, p.host.c_str(), &a.sin_addr);
      rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    }
    if (rc != 0) {
      if (errno == EADDRINUSE) *in_use = true;
      why = errno == EADDRINUSE ? "address already in use" : std::strerror(errno);
    }
    ::close(fd);
    return why;
  }

  // What the dispatcher needs of the web config: swapped whole on a reload.
  struct WebState {
    std::shared_ptr<const WebConfig> config;
    std::shared_ptr<BasicAuth> auth;  // null: no users, no authentication
  };

  // The users' cache survives a reload that leaves them unchanged.
  static std::shared_ptr<const WebState> make_web_state(std::shared_ptr<const WebConfig> c,
                                                        std::shared_ptr<const WebState> prev) {
    auto s = std::make_shared<WebState>();
    if (!c->basic_auth_users.empty()) {
      if (prev && prev->auth && prev->config->basic_auth_users == c->basic_auth_users) {
        s->auth = prev->auth;
      } else {
        s->auth = std::make_shared<BasicAuth>(c->basic_auth_users);
      }
    }
    s->config = std::move(c);
    return s;
  }

  std::shared_ptr<const WebState> web() const {
    std::lock_guard<std::mutex> lk(web_mu_);
    return web_;
  }

  // The per-source key: an IPv4 address (IPv4-mapped IPv6 included) or an IPv6 /64, the
  // smallest block a host usually gets.
  static std::string source_key(const sockaddr* sa) {
    if (sa->sa_family == AF_INET) {
      const auto* a = &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr;
      return std::string(reinterpret_cast<const char*>(a), 4);
    }
    if (sa->sa_family == AF_INET6) {
      const auto* a = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
      if (IN6_IS_ADDR_V4MAPPED(a)) return std::string(reinterpret_cast<const char*>(a) + 12, 4);
      return std::string(reinterpret_cast<const char*>(a), 8);
    }
    return {};
  }
  // The same key from civetweb's text form of the address (getnameinfo: a link-local IPv6
  // address carries "%interface", which inet_pton refuses).
  static std::string source_key(const char* remote_text) {
    std::string text(remote_text);
    if (size_t pct = text.find('%'); pct != std::string::npos) text.resize(pct);
    sockaddr_in a4{};
    sockaddr_in6 a6{};
    if (inet_pton(AF_INET, text.c_str(), &a4.sin_addr) == 1) {
      a4.sin_family = AF_INET;
      return source_key(reinterpret_cast<const sockaddr*>(&a4));
    }
    if (inet_pton(AF_INET6, text.c_str(), &a6.sin6_addr) == 1) {
      a6.sin6_family = AF_INET6;
      return source_key(reinterpret_cast<const sockaddr*>(&a6));
    }
    return {};
  }

  // Master thread, right after accept(): 0 closes the connection at once, 1 queues it for a
  // server thread, 2 when the header gate took it.
  // sock < 0: accept() failed with errno -sock (third_party/civetweb/patches/accept-errors.patch).
  int accept_connection(int sock, const sockaddr* remote, unsigned listener) {
    if (sock < 0) {
      accept_failed(-sock);
      return 0;
    }
    if (accept_errno_ != 0) {
      log::info("accept works again", {{"listener", opts_.name}});
      accept_errno_ = 0;
      accept_backoff_ms_ = 0;
    }
    std::string key = source_key(remote);
    if (!admit(key)) return 0;
    if (!gate_) {
      serving_.fetch_add(1);
      return 1;
    }
    metrics_.parked->Increment();
    if (!gate_->park(sock, listener, key)) {  // stopping
      metrics_.parked->Decrement();
      release_key(key);
      return 0;
    }
    return 2;
  }

  // Master thread: counts the failure, logs it when it differs from the last one, and sleeps
  // (5 ms, doubling to 200 ms while failures repeat): the pending connection keeps the
  // listening socket readable, so polling again at once would spin.
  void accept_failed(int err) {
    metrics_.accept_errors->Increment();
    if (err != accept_errno_) {
      log::error("accept failed; backing off until it works again",
                 {{"listener", opts_.name}, {"err", std::strerror(err)}});
      accept_errno_ = err;
    }
    accept_backoff_ms_ = accept_backoff_ms_ == 0 ? 5 : std::min(accept_backoff_ms_ * 2, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(accept_backoff_ms_));
  }

  // The gate thread: a parked connection has its request header (TLS: its first bytes).
  void unpark(int fd, unsigned listener, const std::string& key) {
    metrics_.parked->Decrement();
    serving_.fetch_add(1);
    if (mg_vitals_queue_socket(ctx_, fd, listener) != 0) {  // closed, never served
      serving_.fetch_sub(1);
      release_key(key);
    }
  }

  // The gate thread (or stop()): the gate closed a parked connection.
  void dropped(const std::string& key, HeaderGate::Drop why) {
    metrics_.parked->Decrement();
    if (why == HeaderGate::Drop::kTimeout) metrics_.refused_header_timeout->Increment();
    if (why == HeaderGate::Drop::kEvicted) metrics_.refused_parked_limit->Increment();
    if (why == HeaderGate::Drop::kTooLarge) metrics_.refused_header_too_large->Increment();
    release_key(key);
  }

  // Counts a connection in, false when its source holds its limit already.
  bool admit(const std::string& key) {
    if (opts_.max_connections_per_source > 0) {
      std::lock_guard<std::mutex> lk(sources_mu_);
      int& n = sources_[key];
      if (n >= opts_.max_connections_per_source) {
        metrics_.refused_per_source->Increment();
        return false;
      }
      ++n;
    }
    metrics_.connections->Increment();
    return true;
  }

  // A worker thread, after civetweb closed a connection admit() let in.
  void release(const char* remote_text) {
    serving_.fetch_sub(1);
    release_key(source_key(remote_text));
  }

  void release_key(const std::string& key) {
    metrics_.connections->Decrement();
    if (opts_.max_connections_per_source <= 0) return;
    std::lock_guard<std::mutex> lk(sources_mu_);
    auto it = sources_.find(key);
    if (it != sources_.end() && --it->second <= 0) sources_.erase(it);
  }

  static int dispatch(mg_connection* conn, void* self_ptr) {
    auto* self = static_cast<CivetServer*>(self_ptr);
    self->active_.fetch_add(1);
    CivetRequest req(conn);
    HttpResponse resp;
    auto it = self->routes_.find(std::string(req.path()));
    bool draining = self->draining_.load();
    auto web = self->web();
    try {
      if (draining) {
        resp.set(503, "text/plain; charset=utf-8", "shutting down\n");
        resp.headers.emplace_back("Connection", "close");
      } else if (web && web->auth && !web->auth->check_header(req.header("Authorization"))) {
        resp.set(401, "text/plain; charset=utf-8", "Unauthorized\n");
        resp.headers.emplace_back("WWW-Authenticate", "Basic");
      } else if (it == self->routes_.end()) {
        resp.set(404, "text/plain; charset=utf-8", "404 page not found\n");
      } else {
        it->second(req, resp);
      }
    } catch (const std::exception& e) {
      log::error("http handler failed", {{"path", req.path()}, {"err", e.what()}});
      resp = HttpResponse{};
      resp.set(500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n");
    }
    if (web) {
      for (const auto& h : web->config->headers) resp.headers.push_back(h);
    }
    // Status line, headers and a small body in one write: civetweb's header API sends each
    // header line with its own send(2), which with TCP_NODELAY costs a packet apiece. A body
    // over 64 KiB is written from where it is, after the headers: copying it would take as
    // much memory again, in fresh pages (for a 7.3 MB scrape of 2,000 APM histograms, ~30% of
    // the scrape's CPU).
    thread_local std::string out;
    out.clear();
    bool head = req.method() == "HEAD";
    bool body_apart = !head && resp.body.size() > (64u << 10);
    out.reserve(256 + (head || body_apart ? 0 : resp.body.size()));
    out.append("HTTP/1.1 ").append(std::to_string(resp.status)).push_back(' ');
    const char* reason = mg_get_response_code_text(conn, resp.status);
    out.append(reason ? reason : "").append("\r\n");
    bool close = false;
    for (const auto& [k, v] : resp.headers) {
      out.append(k).append(": ").append(v).append("\r\n");
      if (strcasecmp(k.c_str(), "Connection") == 0 && v == "close") close = true;
    }
    // Keep-alive only while most server threads are free: a client that idles on a kept-alive
    // connection holds its thread for up to keep_alive_timeout_ms, and a served connection
    // cannot go back to the header gate.
    if (!close && self->serving_.load() > self->opts_.threads / 2) {
      out.append("Connection: close\r\n");
      close = true;
    }
    out.append("Content-Length: ").append(std::to_string(resp.body.size())).append("\r\n\r\n");
    if (!head && !body_apart) out.append(resp.body);
    if (close) mg_disable_keep_alive(conn);
    if (mg_write(conn, out.data(), out.size()) > 0 && body_apart) {
      mg_write(conn, resp.body.data(), resp.body.size());
    }
    // Do not pin a body per server thread: a gzipped scrape of 535 KB kept by each of the
    // threads a scraper's new connections land on grew anonymous memory by ~19 MB
    // (bench/spike_spans.py). Small answers (span requests' 200s) keep their buffer.
    if (out.capacity() > (64u << 10)) std::string().swap(out);
    if (self->active_.fetch_sub(1) == 1 && self->draining_.load()) {
      std::lock_guard<std::mutex> lk(self->mu_);
      self->idle_.notify_all();
    }
    return resp.status;
  }

  HttpServerOptions opts_;
  ListenerMetrics metrics_;
  std::vector<Port> ports_;
  bool in_use_ = false;
  std::string tls_error_;  // set by http_tls_init when it fails
  mutable std::mutex web_mu_;
  std::shared_ptr<const WebState> web_;  // null: no --web.config.file
  std::mutex sources_mu_;
  std::unordered_map<std::string, int> sources_;  // open connections by source_key
  std::map<std::string, HttpHandler> routes_;
  std::unique_ptr<HeaderGate> gate_;  // null: --web.max-parked-connections=0
  std::atomic<int> serving_{0};       // connections queued for or held by a server thread
  mg_context* ctx_ = nullptr;
  std::atomic<int> active_{0};
  std::atomic<bool> draining_{false};
  int accept_errno_ = 0;       // master thread only: the last accept() failure, 0 after success
  int accept_backoff_ms_ = 0;  // master thread only
  std::mutex mu_;
  std::condition_variable idle_;
};

}  // namespace

std::unique_ptr<HttpServer> make_http_server(const HttpServerOptions& options) {
  return std::make_unique<CivetServer>(options);
}

std::shared_ptr<prometheus::Collectable> http_server_metrics() {
  return http_metrics_registry().registry;
}

}  // namespace vitals
