// --web.config.file: exporter-toolkit's web-config.yml (the format node_exporter 1.5.0 reads,
// exporter-toolkit 0.8), parsed with yaml-cpp into a plain struct. Strict like exporter-toolkit:
// an unknown key, a wrong type or a bad value refuses the whole file with one line naming the
// key and its file:line. Parsing does no I/O beyond reading the file; the certificate files are
// opened when the server builds its TLS context (http/tls.cpp).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitals {

enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

// TLS protocol versions as OpenSSL numbers them (TLS1_VERSION .. TLS1_3_VERSION).
enum TlsVersion : int {
  kTls10 = 0x0301,
  kTls11 = 0x0302,
  kTls12 = 0x0303,
  kTls13 = 0x0304,
};

struct TlsServerConfig {
  // On when any of cert_file, key_file, client_auth_type, client_ca_file is set; then
  // cert_file and key_file are required. Paths are made relative to the config file's folder.
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  std::string client_ca_file;
  int min_version = kTls12;
  int max_version = kTls13;
  // OpenSSL names of the TLS 1.2-and-below suites, in the file's order; empty = OpenSSL's
  // defaults. TLS 1.3 suites are accepted and ignored, as Go does.
  std::vector<std::string> cipher_suites;
  bool prefer_server_cipher_suites = true;
  // OpenSSL group names ("P-256", "X25519"), in preference order; empty = OpenSSL's defaults.
  std::vector<std::string> curve_preferences;
  // Exact matches against the client certificate's DNS, IP, email and URI SANs (exporter-toolkit
  // 0.10's key; needs client_auth_type RequireAndVerifyClientCert).
  std::vector<std::string> client_allowed_sans;
  bool operator==(const TlsServerConfig&) const = default;
};

struct WebConfig {
  std::string path;  // the file it came from ("" for an empty config: plain HTTP, no auth)
  TlsServerConfig tls;
  bool http2 = true;  // accepted and ignored: civetweb serves HTTP/1.1
  // Response headers, in the file's order; only exporter-toolkit's five names.
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

// Parses the text of a web config file. `path` names the file in messages and anchors relative
// certificate paths. On error returns false and sets `error` to one line, e.g.
// "web config /etc/vitals/web.yml:4: tls_server_config.min_version: unknown TLS version "TLS9"".
bool parse_web_config(std::string_view text, const std::string& path, WebConfig* out,
                      std::string* error);

// Reads and parses `path`.
bool load_web_config(const std::string& path, WebConfig* out, std::string* error);

// Go's name of a cipher suite to OpenSSL's; "" when unknown, "-" for a TLS 1.3 suite.
std::string_view openssl_cipher_name(std::string_view go_name);

}  // namespace vitals
