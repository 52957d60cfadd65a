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

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>

#include "core/config.h"
#include "core/log.h"
#include "http/basic_auth.h"
#include "http/server.h"
#include "http/tls.h"
#include "http/web_config.h"

namespace vitals {
namespace {

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
  explicit CivetServer(HttpServerOptions o) : opts_(std::move(o)) {}
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
    std::string ports;
    for (const auto& a : opts_.listen_addresses) {
      ListenAddress la;
      std::string err;
      if (!parse_listen_address(a, &la, &err)) {
        *error = "invalid listen address \"" + a + "\": " + err;
        return false;
      }
      if (!ports.empty()) ports += ",";
      if (la.host.empty() || la.host == "0.0.0.0") {
        ports += std::to_string(la.port);
      } else if (la.ipv6) {
        ports += "[" + la.host + "]:" + std::to_string(la.port);
      } else {
        ports += la.host + ":" + std::to_string(la.port);
      }
      if (opts_.tls) ports += "s";  // civetweb's suffix for an HTTPS port
    }
    if (!init_library(opts_.tls != nullptr, error)) return false;
    std::string threads = std::to_string(opts_.threads);
    std::string req_timeout = std::to_string(opts_.request_timeout_ms);
    std::string ka_timeout = std::to_string(opts_.keep_alive_timeout_ms);
    const char* options[] = {"listening_ports",
                             ports.c_str(),
                             "num_threads",
                             threads.c_str(),
                             "request_timeout_ms",
                             req_timeout.c_str(),
                             "keep_alive_timeout_ms",
                             ka_timeout.c_str(),
                             "enable_keep_alive",
                             "yes",
                             "tcp_nodelay",
                             "1",
                             nullptr};
    mg_callbacks cb{};
    cb.log_message = [](const mg_connection*, const char* msg) {
      log::debug("http server", {{"msg", msg ? msg : ""}});
      return 1;
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
    mg_init_data init{};
    init.callbacks = &cb;
    init.user_data = this;
    init.configuration_options = options;
    ctx_ = mg_start2(&init, &ed);
    if (!ctx_ && !tls_error_.empty()) {
      *error = "cannot set up TLS for " + join(opts_.listen_addresses) + ": " + tls_error_;
      return false;
    }
    if (!ctx_) {
      // civetweb says only "Failed to setup server ports": find the address and the reason.
      for (const auto& a : opts_.listen_addresses) {
        std::string why = probe_bind(a);
        if (!why.empty()) {
          *error = "cannot listen on " + a + ": " + why;
          return false;
        }
      }
      *error = "cannot start HTTP server on " + join(opts_.listen_addresses) + ": " +
               (errtext[0] ? errtext : "unknown error");
      return false;
    }
    mg_set_request_handler(ctx_, "/", &CivetServer::dispatch, this);
    return true;
  }

  void stop() override {
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
    if (tls && (inited & MG_FEATURES_SSL) == 0) {
      *error = mg_check_feature(MG_FEATURES_SSL) ? "OpenSSL failed to initialize"
                                                 : "this build's civetweb has no TLS";
      return false;
    }
    return true;
  }

  // Binds a throwaway socket to `addr`; returns the error text, empty when it would bind.
  static std::string probe_bind(const std::string& addr) {
    ListenAddress la;
    std::string err;
    if (!parse_listen_address(addr, &la, &err)) return err;
    addrinfo hints{};
    hints.ai_family = la.ipv6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    std::string port = std::to_string(la.port);
    int gai = getaddrinfo(la.host.empty() ? nullptr : la.host.c_str(), port.c_str(), &hints, &res);
    if (gai != 0) return "cannot resolve \"" + la.host + "\": " + gai_strerror(gai);
    std::string why;
    int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      why = std::strerror(errno);
    } else {
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        why = errno == EADDRINUSE ? "address already in use" : std::strerror(errno);
      }
      ::close(fd);
    }
    freeaddrinfo(res);
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
    // Status line, headers and body in one write: civetweb's header API sends each header
    // line with its own send(2), which with TCP_NODELAY costs a packet apiece.
    thread_local std::string out;
    out.clear();
    bool head = req.method() == "HEAD";
    out.reserve(256 + (head ? 0 : resp.body.size()));
    out.append("HTTP/1.1 ").append(std::to_string(resp.status)).push_back(' ');
    const char* reason = mg_get_response_code_text(conn, resp.status);
    out.append(reason ? reason : "").append("\r\n");
    bool close = false;
    for (const auto& [k, v] : resp.headers) {
      out.append(k).append(": ").append(v).append("\r\n");
      if (strcasecmp(k.c_str(), "Connection") == 0 && v == "close") close = true;
    }
    out.append("Content-Length: ").append(std::to_string(resp.body.size())).append("\r\n\r\n");
    if (!head) out.append(resp.body);
    if (close) mg_disable_keep_alive(conn);
    mg_write(conn, out.data(), out.size());
    if (out.capacity() > (1u << 20)) std::string().swap(out);  // do not pin a huge body
    if (self->active_.fetch_sub(1) == 1 && self->draining_.load()) {
      std::lock_guard<std::mutex> lk(self->mu_);
      self->idle_.notify_all();
    }
    return resp.status;
  }

  HttpServerOptions opts_;
  std::string tls_error_;  // set by http_tls_init when it fails
  mutable std::mutex web_mu_;
  std::shared_ptr<const WebState> web_;  // null: no --web.config.file
  std::map<std::string, HttpHandler> routes_;
  mg_context* ctx_ = nullptr;
  std::atomic<int> active_{0};
  std::atomic<bool> draining_{false};
  std::mutex mu_;
  std::condition_variable idle_;
};

}  // namespace

std::unique_ptr<HttpServer> make_http_server(const HttpServerOptions& options) {
  return std::make_unique<CivetServer>(options);
}

}  // namespace vitals
