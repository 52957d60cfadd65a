// TLS for the HTTP server: the OpenSSL side of --web.config.file's tls_server_config.
// civetweb creates one SSL_CTX per server and calls http_tls_init on it (its init_ssl callback);
// that context only hooks the ClientHello. Each new connection is then moved to the context
// built from the current settings (SSL_set_SSL_CTX plus the per-connection parameters), so a
// SIGHUP or a certificate renewed on disk takes effect on the next connection without a restart.
// civetweb_server.cpp only passes the context through.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "http/web_config.h"

namespace vitals {

class HttpTlsSettings {
 public:
  // Builds the first context (reads the certificate, key and client CA files); nullptr with a
  // one-line reason naming the key and the file when one is bad.
  static std::shared_ptr<HttpTlsSettings> create(const TlsServerConfig& config, std::string* error);
  ~HttpTlsSettings();
  HttpTlsSettings(const HttpTlsSettings&) = delete;
  HttpTlsSettings& operator=(const HttpTlsSettings&) = delete;

  // New settings (SIGHUP): built now and used from the next connection on; on failure the
  // running ones stay and *error says why.
  bool update(const TlsServerConfig& config, std::string* error);
  TlsServerConfig config() const;

  // Certificate files are checked for changes (mtime, size, inode) at most this often, on a new
  // connection; a change rebuilds the context (a half-written pair keeps the old one).
  static constexpr std::chrono::milliseconds kRecheck{1000};

  // Moves a new connection (an SSL*) to the current context; from the ClientHello callback.
  void attach(void* ssl);

 private:
  HttpTlsSettings() = default;
  struct Stamp {
    long long mtime_ns = 0, size = -1, ino = 0, dev = 0;
    bool operator==(const Stamp&) const = default;
  };
  struct Stamps {
    Stamp cert, key, ca;
    bool operator==(const Stamps&) const = default;
  };
  static Stamps stamps_of(const TlsServerConfig& c);

  mutable std::mutex mu_;
  TlsServerConfig config_;
  void* ctx_ = nullptr;  // SSL_CTX*, one reference held here
  Stamps stamps_;
  std::chrono::steady_clock::time_point checked_;
};

// Sets up `ssl_ctx` (the SSL_CTX* civetweb made) to hand each connection to `tls`. Returns true
// when the context is ready; false with a one-line reason in *error otherwise.
bool http_tls_init(void* ssl_ctx, HttpTlsSettings& tls, std::string* error);

}  // namespace vitals
