// The TLS contexts of --web.config.file's tls_server_config (http/tls.h).
#include "http/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/log.h"

namespace vitals {
namespace {

constexpr unsigned char kSessionContext[] = "vitals";

// What a connection needs from its context that SSL_set_SSL_CTX does not carry over: kept in
// the context's ex_data, freed with it.
struct CtxExtra {
  std::string cipher_list;
  std::string groups;
  std::vector<std::string> allowed_sans;
};

void free_extra(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<CtxExtra*>(ptr);
}

int extra_index() {
  static const int idx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_extra);
  return idx;
}

const CtxExtra* extra_of(const SSL_CTX* ctx) {
  return static_cast<const CtxExtra*>(SSL_CTX_get_ex_data(ctx, extra_index()));
}

// The last OpenSSL error, one line.
std::string ssl_error() {
  unsigned long e = ERR_get_error();
  std::string last;
  for (; e != 0; e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    last = buf;
  }
  return last.empty() ? std::string("unknown OpenSSL error") : last;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ":") + x;
  return s;
}

// The certificate's SANs (DNS, email, URI, IP as text) include one of `allowed`.
bool san_allowed(X509* cert, const std::vector<std::string>& allowed) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return false;
  bool ok = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !ok; ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    std::string text;
    if (n->type == GEN_DNS || n->type == GEN_EMAIL || n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->d.ia5;
      text.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                  static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = n->d.ip;
      char buf[INET6_ADDRSTRLEN] = {0};
      int len = ASN1_STRING_length(s);
      const unsigned char* d = ASN1_STRING_get0_data(s);
      if (len == 4) inet_ntop(AF_INET, d, buf, sizeof buf);
      if (len == 16) inet_ntop(AF_INET6, d, buf, sizeof buf);
      text = buf;
    }
    ok = !text.empty() && std::find(allowed.begin(), allowed.end(), text) != allowed.end();
  }
  GENERAL_NAMES_free(names);
  return ok;
}

// RequestClientCert and RequireAnyClientCert: any certificate will do, as in Go.
int accept_any(int, X509_STORE_CTX*) {
  return 1;
}

// The verifying modes: the chain must check out against client_ca_file, and the client's own
// certificate must carry an allowed SAN when client_allowed_sans is set.
int verify_chain(int preverify_ok, X509_STORE_CTX* st) {
  if (!preverify_ok) return 0;
  if (X509_STORE_CTX_get_error_depth(st) != 0) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(st, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const CtxExtra* extra = ssl ? extra_of(SSL_get_SSL_CTX(ssl)) : nullptr;
  if (!extra || extra->allowed_sans.empty()) return 1;
  if (san_allowed(X509_STORE_CTX_get_current_cert(st), extra->allowed_sans)) return 1;
  X509_STORE_CTX_set_error(st, X509_V_ERR_APPLICATION_VERIFICATION);
  log::debug("TLS client certificate refused: no SAN in client_allowed_sans");
  return 0;
}

// A complete context from the settings: certificate, key, versions, suites, client auth.
SSL_CTX* build(const TlsServerConfig& c, std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    *error = "cannot create a TLS context: " + ssl_error();
    return nullptr;
  }
  auto fail = [&](std::string why) {
    SSL_CTX_free(ctx);
    *error = std::move(why);
    return nullptr;
  };
  auto* extra = new CtxExtra;
  SSL_CTX_set_ex_data(ctx, extra_index(), extra);  // freed with ctx from here on
  // OpenSSL 3 allows TLS 1.0 and 1.1 only at security level 0.
  if (c.min_version < kTls12) SSL_CTX_set_security_level(ctx, 0);
  if (!SSL_CTX_set_min_proto_version(ctx, c.min_version) ||
      !SSL_CTX_set_max_proto_version(ctx, c.max_version)) {
    return fail("tls_server_config.min_version/max_version: " + ssl_error());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  if (c.prefer_server_cipher_suites) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // No session resumption: a resumed session would skip the client certificate check of
  // settings changed since.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (!c.cipher_suites.empty()) {
    extra->cipher_list = join(c.cipher_suites);
    if (!SSL_CTX_set_cipher_list(ctx, extra->cipher_list.c_str())) {
      return fail("tls_server_config.cipher_suites: OpenSSL takes none of " + extra->cipher_list);
    }
  }
  if (!c.curve_preferences.empty()) {
    extra->groups = join(c.curve_preferences);
    if (!SSL_CTX_set1_groups_list(ctx, extra->groups.c_str())) {
      return fail("tls_server_config.curve_preferences: " + ssl_error());
    }
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, c.cert_file.c_str()) != 1) {
    return fail("tls_server_config.cert_file " + c.cert_file + ": " + ssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return fail("tls_server_config.key_file " + c.key_file + " does not match cert_file " +
                  c.cert_file);
    }
    return fail("tls_server_config.key_file " + c.key_file + ": " + ssl_error());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail("tls_server_config.key_file " + c.key_file + " does not match cert_file " +
                c.cert_file);
  }
  if (!c.client_ca_file.empty()) {
    // Only this file: never the system's default verify paths (with them any certificate a
    // public CA signed would pass).
    if (SSL_CTX_load_verify_locations(ctx, c.client_ca_file.c_str(), nullptr) != 1) {
      return fail("tls_server_config.client_ca_file " + c.client_ca_file + ": " + ssl_error());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str());
    if (!names || sk_X509_NAME_num(names) == 0) {
      if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return fail("tls_server_config.client_ca_file " + c.client_ca_file +
                  ": no certificates in it");
    }
    SSL_CTX_set_client_CA_list(ctx, names);
  }
  extra->allowed_sans = c.client_allowed_sans;
  switch (c.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_chain);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_chain);
      break;
  }
  return ctx;
}

// civetweb's context: every handshake starts here and is moved to the current context.
int client_hello(SSL* ssl, int*, void* arg) {
  static_cast<HttpTlsSettings*>(arg)->attach(ssl);
  return SSL_CLIENT_HELLO_SUCCESS;
}

// civetweb's own SNI callback would move the connection back to its context: replaced.
int servername(SSL*, int*, void*) {
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

HttpTlsSettings::Stamps HttpTlsSettings::stamps_of(const TlsServerConfig& c) {
  auto one = [](const std::string& path) {
    Stamp s;
    struct stat st {};
    if (!path.empty() && ::stat(path.c_str(), &st) == 0) {
      s.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      s.size = static_cast<long long>(st.st_size);
      s.ino = static_cast<long long>(st.st_ino);
      s.dev = static_cast<long long>(st.st_dev);
    }
    return s;
  };
  return Stamps{one(c.cert_file), one(c.key_file), one(c.client_ca_file)};
}

std::shared_ptr<HttpTlsSettings> HttpTlsSettings::create(const TlsServerConfig& config,
                                                         std::string* error) {
  std::shared_ptr<HttpTlsSettings> t(new HttpTlsSettings);
  if (!t->update(config, error)) return nullptr;
  return t;
}

HttpTlsSettings::~HttpTlsSettings() {
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

bool HttpTlsSettings::update(const TlsServerConfig& config, std::string* error) {
  Stamps stamps = stamps_of(config);
  SSL_CTX* next = build(config, error);
  if (!next) return false;
  std::lock_guard<std::mutex> lk(mu_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  ctx_ = next;
  config_ = config;
  stamps_ = stamps;
  checked_ = std::chrono::steady_clock::now();
  return true;
}

TlsServerConfig HttpTlsSettings::config() const {
  std::lock_guard<std::mutex> lk(mu_);
  return config_;
}

void HttpTlsSettings::attach(void* ssl_ptr) {
  auto* ssl = static_cast<SSL*>(ssl_ptr);
  std::lock_guard<std::mutex> lk(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ >= kRecheck) {
    checked_ = now;
    Stamps s = stamps_of(config_);
    if (!(s == stamps_)) {
      // Changed on disk: rebuild. A failure (say the certificate is written, the key not yet)
      // keeps the running context until the files change again.
      stamps_ = s;
      std::string err;
      if (SSL_CTX* next = build(config_, &err)) {
        SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
        ctx_ = next;
        log::info("TLS certificates re-read", {{"cert_file", config_.cert_file}});
      } else {
        log::warn("TLS certificates changed but cannot be loaded, keeping the old ones",
                  {{"err", err}});
      }
    }
  }
  auto* ctx = static_cast<SSL_CTX*>(ctx_);
  SSL_set_SSL_CTX(ssl, ctx);  // certificate, key, client CA names, verify store
  // What SSL_new copied from civetweb's context, now from ours.
  SSL_clear_options(ssl, SSL_get_options(ssl));
  SSL_set_options(ssl, SSL_CTX_get_options(ctx));
  SSL_set_security_level(ssl, SSL_CTX_get_security_level(ctx));
  SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(ctx));
  SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(ctx));
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
  SSL_set_num_tickets(ssl, 0);
  SSL_set_session_id_context(ssl, kSessionContext, sizeof kSessionContext - 1);
  if (const CtxExtra* extra = extra_of(ctx)) {
    if (!extra->cipher_list.empty()) SSL_set_cipher_list(ssl, extra->cipher_list.c_str());
    if (!extra->groups.empty()) SSL_set1_groups_list(ssl, extra->groups.c_str());
  }
}

bool http_tls_init(void* ssl_ctx, HttpTlsSettings& tls, std::string* error) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (!ctx) {
    *error = "civetweb made no TLS context";
    return false;
  }
  // Connections are moved to HttpTlsSettings' context in the ClientHello callback, before the
  // version is chosen; this one is never used for a handshake of its own. No session cache on it
  // either (it is the session context of every connection).
  SSL_CTX_set_client_hello_cb(ctx, client_hello, &tls);
  SSL_CTX_set_tlsext_servername_callback(ctx, servername);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  return true;
}

}  // namespace vitals
