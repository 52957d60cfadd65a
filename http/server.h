// The HTTP server seam. Handlers see only these types; the civetweb implementation lives in
// http/civetweb_server.cpp and no civetweb type leaks out, so the server can be replaced (IPv6 and
// TLS need a different one) without touching handlers, serializers or collectors.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prometheus {
class Collectable;
}

namespace vitals {

class HttpRequest {
 public:
  virtual ~HttpRequest() = default;
  virtual std::string_view method() const = 0;
  virtual std::string_view path() const = 0;   // decoded path, without the query
  virtual std::string_view query() const = 0;  // raw query string, without '?'
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  // Reads up to `len` bytes of the body; 0 at its end, -1 on error.
  virtual long read_body(char* buf, size_t len) = 0;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  void set(int code, std::string content_type, std::string text) {
    status = code;
    headers.emplace_back("Content-Type", std::move(content_type));
    body = std::move(text);
  }
};

using HttpHandler = std::function<void(HttpRequest&, HttpResponse&)>;

// --web.config.file (http/web_config.h): TLS, basic auth users, response headers.
struct WebConfig;
// The TLS side of a listener, built from WebConfig's tls_server_config (http/tls.h).
class HttpTlsSettings;

struct HttpServerOptions {
  // "host:port", "[v6-host]:port", ":port" (both families, like node_exporter), "localhost:port"
  // (127.0.0.1 and ::1). Without IPv6 in the kernel, ":port" and "localhost" fall back to IPv4
  // with a warning; an explicit IPv6 address fails.
  std::vector<std::string> listen_addresses;
  std::string name = "metrics";  // the listener label of the vitals_web_* self metrics
  int threads = 16;              // server threads: the most connections served at once
  // Connections one client address (IPv4, or IPv6 /64) may hold; more are closed at accept,
  // before they take a thread. 0: no limit.
  int max_connections_per_source = 0;
  // Connections held without a server thread until their request header is complete (TLS:
  // until their first bytes arrive), closed after request_timeout_ms; when this many wait, the
  // oldest is closed to make room. 0: no gate, each connection takes a server thread at accept.
  size_t max_parked_connections = 4096;
  // Time a client has to send the request header; also the longest stall while reading a
  // body or writing a response.
  int request_timeout_ms = 10000;
  int keep_alive_timeout_ms = 5000;
  int max_header_bytes = 16384;  // request line and headers; larger requests get 413
  // Null: plain HTTP, no authentication. Otherwise its TLS settings (every listening address
  // serves HTTPS when tls_server_config is on), basic auth users and response headers apply.
  std::shared_ptr<const WebConfig> web_config;
  // Made by start() from web_config's tls_server_config; null: plain HTTP.
  std::shared_ptr<HttpTlsSettings> tls;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Exact-path routes; set before start(). Unknown paths get 404.
  virtual void route(std::string path, HttpHandler handler) = 0;
  // Binds every address. On failure returns false with a one-line reason.
  virtual bool start(std::string* error) = 0;
  // After a failed start(): true when an address was taken by another socket (EADDRINUSE).
  virtual bool address_in_use() const = 0;
  // Stops the server and releases its threads and sockets (may take a few seconds with
  // civetweb, whose threads poll for the stop flag).
  virtual void stop() = 0;
  // For a quick process exit: from now on new requests get 503 and "Connection: close";
  // waits up to `timeout` for in-flight requests to finish. True when none is left. The
  // listening sockets close when the process exits.
  virtual bool drain(std::chrono::milliseconds timeout) = 0;
  // Connections being served right now.
  virtual int active_connections() const = 0;
  // A re-read --web.config.file (SIGHUP): users, headers and TLS settings apply from the next
  // request or connection. TLS cannot be switched on or off without a restart. On failure the
  // running configuration stays and *error says why.
  virtual bool set_web_config(std::shared_ptr<const WebConfig> config, std::string* error) = 0;
};

std::unique_ptr<HttpServer> make_http_server(const HttpServerOptions& options);

// The HTTP servers' self metrics, by listener: vitals_web_connections,
// vitals_web_connections_max, vitals_web_connections_parked(_max) and
// vitals_web_connections_refused_total.
std::shared_ptr<prometheus::Collectable> http_server_metrics();

}  // namespace vitals
