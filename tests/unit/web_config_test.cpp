// --web.config.file: exporter-toolkit's web-config.yml as node_exporter 1.5.0 reads it, and
// basic auth against its bcrypt hashes (real hashes made with `htpasswd -nbB`).
#include "http/web_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "apm/options.h"
#include "http/basic_auth.h"
#include "tests/unit/parse_args.h"

namespace vitals {
namespace {

// htpasswd -nbB -C 4 alice secret; -C 4 bob 'hunter2:with colon'; -C 10 carol correct-horse
constexpr const char* kAlice = "$2y$04$dLzG2dsrNW8cSX1NmQUNT.Cq4J9dQ7a5LS.SRtD3v.mZnov2UY2Ri";
constexpr const char* kBob = "$2y$04$BWqnf3jWK0RofbKGnLZgcO.VJxkkranftNB23Ltrx5HEGDecCINYq";
constexpr const char* kCarol = "$2y$10$SG1WMgTud1TXWBk4iPzoZuHEDjLzgECpKc0.eMFMKkjHkmhyes6z2";

using Users = std::map<std::string, std::string>;

WebConfig parse_ok(const std::string& text, const std::string& path = "/etc/vitals/web.yml") {
  WebConfig c;
  std::string err;
  EXPECT_TRUE(parse_web_config(text, path, &c, &err)) << err << "\n" << text;
  return c;
}

std::string parse_err(const std::string& text) {
  WebConfig c;
  std::string err;
  EXPECT_FALSE(parse_web_config(text, "/etc/vitals/web.yml", &c, &err)) << text;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  return err;
}

// The examples of exporter-toolkit's docs/web-configuration.md and docs/web-config.yml (as of
// exporter-toolkit 0.8, node_exporter 1.5.0), written out from that documentation.
TEST(WebConfig, DocumentationExamples) {
  // docs/web-config.yml: the minimal TLS example with two users.
  WebConfig c =
      parse_ok(R"(# Minimal TLS configuration example. Additionally, a certificate and a key file
# are needed.
tls_server_config:
  cert_file: server.crt
  key_file: server.key

# Usernames and passwords required to connect.
# Passwords are hashed with bcrypt.
basic_auth_users:
  alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze
  bob: $2y$10$hLqFl9jSjoAAy95Z/zw8Ye8wkdMBM8c5Bn1ptYqP/AXyV0.oy0S8m
)");
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_EQ(c.tls.cert_file, "/etc/vitals/server.crt");  // relative to the file's folder
  EXPECT_EQ(c.tls.key_file, "/etc/vitals/server.key");
  EXPECT_EQ(c.tls.min_version, kTls12);
  EXPECT_EQ(c.tls.max_version, kTls13);
  EXPECT_EQ(c.tls.client_auth, ClientAuth::kNoClientCert);
  ASSERT_EQ(c.basic_auth_users.size(), 2u);
  EXPECT_EQ(c.basic_auth_users.at("bob"),
            "$2y$10$hLqFl9jSjoAAy95Z/zw8Ye8wkdMBM8c5Bn1ptYqP/AXyV0.oy0S8m");

  // The reference block of web-configuration.md with every key given.
  c = parse_ok(R"(tls_server_config:
  # Certificate and key files for server to use to authenticate to client.
  cert_file: /etc/ssl/server.crt
  key_file: /etc/ssl/server.key

  # Server policy for client authentication. Maps to ClientAuth Policies.
  client_auth_type: RequireAndVerifyClientCert

  # CA certificate for client certificate authentication to the server.
  client_ca_file: /etc/ssl/ca.crt

  # Minimum TLS version that is acceptable.
  min_version: TLS12

  # Maximum TLS version that is acceptable.
  max_version: TLS13

  # List of supported cipher suites for TLS versions up to TLS 1.2.
  cipher_suites:
    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    - TLS_AES_128_GCM_SHA256

  # prefer_server_cipher_suites controls whether the server selects the
  # client's most preferred ciphersuite, or the server's most preferred
  # ciphersuite.
  prefer_server_cipher_suites: true

  # Elliptic curves that will be used in an ECDHE handshake, in preference
  # order.
  curve_preferences:
    - CurveP256
    - CurveP384
    - CurveP521
    - X25519

http_server_config:
  # Enable HTTP/2 support. Note that HTTP/2 is only supported with TLS.
  http2: true
  # List of headers that can be added to HTTP responses.
  headers:
    Content-Security-Policy: "default-src 'self'"
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    X-XSS-Protection: "1; mode=block"
    Strict-Transport-Security: max-age=31536000; includeSubDomains

# Usernames and hashed passwords that have full access to the web
# server via basic authentication. If empty, no basic authentication is
# required. Passwords are hashed with bcrypt.
basic_auth_users:
  alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze
)");
  EXPECT_EQ(c.tls.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(c.tls.client_ca_file, "/etc/ssl/ca.crt");
  EXPECT_EQ(c.tls.cipher_suites, (std::vector<std::string>{"ECDHE-ECDSA-AES128-GCM-SHA256",
                                                           "ECDHE-RSA-AES256-GCM-SHA384"}));
  EXPECT_EQ(c.tls.curve_preferences,
            (std::vector<std::string>{"P-256", "P-384", "P-521", "X25519"}));
  ASSERT_EQ(c.headers.size(), 5u);
  EXPECT_EQ(c.headers[0],
            (std::pair<std::string, std::string>{"Content-Security-Policy", "default-src 'self'"}));
  EXPECT_EQ(c.headers[4].second, "max-age=31536000; includeSubDomains");

  // The "About bcrypt" section's file: users only, plain HTTP.
  c = parse_ok(R"(basic_auth_users:
    alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze
    bob: $2y$10$hLqFl9jSjoAAy95Z/zw8Ye8wkdMBM8c5Bn1ptYqP/AXyV0.oy0S8m
)");
  EXPECT_FALSE(c.tls.enabled);
  EXPECT_EQ(c.basic_auth_users.size(), 2u);

  // node_exporter's example-config-https/config.yml: TLS only.
  c = parse_ok("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n",
               "config.yml");
  EXPECT_EQ(c.tls.cert_file, "server.crt");  // no folder in the path: relative to the cwd
}

TEST(WebConfig, EveryDocumentedValue) {
  for (const char* a : {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                        "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"}) {
    std::string ca = std::string(a) == "NoClientCert" ? "" : "  client_ca_file: ca.crt\n";
    parse_ok(
        std::string("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: ") + a +
        "\n" + ca);
  }
  for (const char* v : {"TLS10", "TLS11", "TLS12", "TLS13"}) {
    WebConfig c =
        parse_ok(std::string("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: ") +
                 v + "\n");
    EXPECT_TRUE(c.tls.enabled);
  }
  // Go's names of every secure suite map to an OpenSSL name.
  for (const char* s :
       {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"}) {
    EXPECT_FALSE(openssl_cipher_name(s).empty()) << s;
    EXPECT_NE(openssl_cipher_name(s), "-") << s;
  }
  EXPECT_EQ(openssl_cipher_name("TLS_CHACHA20_POLY1305_SHA256"), "-");
  // An empty file, an empty section and a bare key are all "no TLS, no auth".
  for (const char* t : {"", "# nothing\n", "tls_server_config:\n", "basic_auth_users: {}\n",
                        "http_server_config:\n  http2: false\n"}) {
    WebConfig c = parse_ok(t);
    EXPECT_FALSE(c.tls.enabled) << t;
    EXPECT_TRUE(c.basic_auth_users.empty()) << t;
  }
  WebConfig c = parse_ok(
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
      "RequireAndVerifyClientCert\n  client_ca_file: ca\n  client_allowed_sans:\n    - "
      "client.example\n    - 10.0.0.1\n");
  EXPECT_EQ(c.tls.client_allowed_sans, (std::vector<std::string>{"client.example", "10.0.0.1"}));
}

struct Bad {
  const char* text;
  const char* want;  // a part of the one-line error
};

TEST(WebConfig, MalformedFilesNameTheKeyAndLine) {
  const Bad cases[] = {
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_fle: c\n",
       "web.yml:4: tls_server_config.cert_fle: unknown key"},
      {"tls_config:\n  cert_file: a\n", "web.yml:1: tls_config: unknown key"},
      {"tls_server_config:\n  cert_file: a\n", "tls_server_config.key_file: missing"},
      {"tls_server_config:\n  key_file: a\n", "tls_server_config.cert_file: missing"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS9\n",
       "web.yml:4: tls_server_config.min_version: unknown TLS version \"TLS9\""},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n",
       "tls_server_config.client_auth_type: unknown client auth type \"Always\""},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: "
       "[TLS_RSA_WITH_RC4_128_SHA]\n",
       "tls_server_config.cipher_suites: unknown or insecure cipher suite"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences:\n    - CurveP257\n",
       "web.yml:5: tls_server_config.curve_preferences: unknown curve \"CurveP257\""},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n",
       "tls_server_config.client_ca_file: set without a client_auth_type"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
       "RequireAndVerifyClientCert\n",
       "tls_server_config.client_ca_file: missing"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
       "RequireAnyClientCert\n"
       "  client_ca_file: ca\n  client_allowed_sans: [x]\n",
       "client_allowed_sans: needs client_auth_type RequireAndVerifyClientCert"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: "
       "TLS12\n",
       "tls_server_config.max_version: is below min_version"},
      {"tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n",
       "tls_server_config.cert: unknown key (inline certificates"},
      {"tls_server_config:\n  cert_file: [a, b]\n",
       "web.yml:2: tls_server_config.cert_file: want a string"},
      {"tls_server_config: yes\n", "tls_server_config: want a mapping"},
      {"http_server_config:\n  headers:\n    Server: vitals\n",
       "web.yml:3: http_server_config.headers.Server: header can not be configured"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "http_server_config.headers.X-Frame-Options: invalid value \"allow\" (want deny or "
       "sameorigin)"},
      {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
       "invalid value \"sniff\" (want nosniff)"},
      {"http_server_config:\n  http2: maybe\n", "http_server_config.http2: want true or false"},
      {"http_server_config:\n  http3: true\n", "http_server_config.http3: unknown key"},
      {"basic_auth_users:\n  alice: secret\n",
       "web.yml:2: basic_auth_users.alice: not a bcrypt hash"},
      // DES crypt and SHA-512 crypt: libxcrypt would check them, exporter-toolkit would not.
      {"basic_auth_users:\n  alice: abJnggxhB/yWI\n", "basic_auth_users.alice: not a bcrypt hash"},
      {"basic_auth_users:\n  alice: "
       "$6$salt$"
       "IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.\n",
       "basic_auth_users.alice: not a bcrypt hash"},
      {"basic_auth_users:\n  alice: $2y$99$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n",
       "bcrypt cost must be 04..31"},
      {"basic_auth_users:\n  alice: $2x$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n",
       "want $2a$, $2b$ or $2y$"},
      {"basic_auth_users:\n  - alice\n", "basic_auth_users: want a mapping"},
      {"basic_auth_users:\n  alice: $2y$04$dLzG2dsrNW8cSX1NmQUNT.Cq4J9dQ7a5LS.SRtD3v.mZnov2UY2Ri\n"
       "  alice: $2y$04$dLzG2dsrNW8cSX1NmQUNT.Cq4J9dQ7a5LS.SRtD3v.mZnov2UY2Ri\n",
       "web.yml:3: basic_auth_users.alice: key given twice"},
      {"tls_server_config:\n  cert_file: [a\n", "web.yml:3: invalid YAML"},
      {"- just\n- a list\n", "want a mapping at the top level"},
      {"tls_server_config:\n\tcert_file: a\n", "invalid YAML"},
  };
  for (const auto& b : cases) {
    std::string err = parse_err(b.text);
    EXPECT_NE(err.find(b.want), std::string::npos) << "error: " << err << "\nwant: " << b.want;
    EXPECT_EQ(err.rfind("web config /etc/vitals/web.yml", 0), 0u) << err;
  }
}

TEST(WebConfig, LoadNamesAMissingFile) {
  WebConfig c;
  std::string err;
  EXPECT_FALSE(load_web_config("/nonexistent/web.yml", &c, &err));
  EXPECT_EQ(err, "web config /nonexistent/web.yml: cannot open: No such file or directory");
}

TEST(BasicAuth, ChecksBcryptHashes) {
  BasicAuth a(Users{{"alice", kAlice}, {"bob", kBob}});
  EXPECT_FALSE(a.open());
  EXPECT_TRUE(a.check("alice", "secret"));
  EXPECT_FALSE(a.check("alice", "Secret"));
  EXPECT_FALSE(a.check("alice", ""));
  EXPECT_FALSE(a.check("bob", "secret"));
  EXPECT_TRUE(a.check("bob", "hunter2:with colon"));
  EXPECT_FALSE(a.check("mallory", "secret"));
  EXPECT_FALSE(a.check("alice", std::string_view("secret\0x", 8)));
  EXPECT_TRUE(BasicAuth(Users{}).open());
}

TEST(BasicAuth, AuthorizationHeader) {
  BasicAuth a(Users{{"alice", kAlice}, {"bob", kBob}});
  EXPECT_TRUE(a.check_header("Basic YWxpY2U6c2VjcmV0"));  // alice:secret
  EXPECT_TRUE(a.check_header("basic  YWxpY2U6c2VjcmV0 "));
  // bob:hunter2:with colon (the password keeps everything after the first colon)
  EXPECT_TRUE(a.check_header("Basic Ym9iOmh1bnRlcjI6d2l0aCBjb2xvbg=="));
  EXPECT_FALSE(a.check_header(std::nullopt));
  EXPECT_FALSE(a.check_header("Bearer YWxpY2U6c2VjcmV0"));
  EXPECT_FALSE(a.check_header("Basic YWxpY2U6c2VjcmV1"));  // alice:secreu
  EXPECT_FALSE(a.check_header("Basic YWxpY2U="));          // alice, no colon
  EXPECT_FALSE(a.check_header("Basic !!!!"));
  EXPECT_EQ(*base64_decode("YWxpY2U6c2VjcmV0"), "alice:secret");
  EXPECT_EQ(*base64_decode("YQ"), "a");
  EXPECT_FALSE(base64_decode("Y"));
}

TEST(BasicAuth, UnknownUsersCostABcryptToo) {
  BasicAuth a(Users{{"alice", kAlice}});
  size_t before = a.bcrypt_runs();
  EXPECT_FALSE(a.check("nobody", "secret"));
  EXPECT_EQ(a.bcrypt_runs(), before + 1);
  EXPECT_FALSE(a.check_header("Basic bm9ib2R5OnNlY3JldA=="));  // nobody:secret
  EXPECT_EQ(a.bcrypt_runs(), before + 2);
}

TEST(BasicAuth, SuccessfulChecksAreCachedFailuresAreNot) {
  BasicAuth a(Users{{"carol", kCarol}});
  EXPECT_TRUE(a.check("carol", "correct-horse"));
  EXPECT_EQ(a.bcrypt_runs(), 1u);
  EXPECT_EQ(a.cache_size(), 1u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(a.check("carol", "correct-horse"));
  EXPECT_EQ(a.bcrypt_runs(), 1u);  // cost-10 bcrypt once, then the cache
  EXPECT_FALSE(a.check("carol", "wrong"));
  EXPECT_FALSE(a.check("carol", "wrong"));
  EXPECT_EQ(a.bcrypt_runs(), 3u);
  EXPECT_EQ(a.cache_size(), 1u);
}

TEST(BasicAuth, CacheIsBounded) {
  // Many users (sharing one hash) log in: the cache never holds more than its bound.
  std::map<std::string, std::string> users;
  for (size_t i = 0; i < 20; ++i) users["u" + std::to_string(i)] = kAlice;
  BasicAuth a(users, 8);
  size_t most = 0;
  for (size_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(a.check("u" + std::to_string(i), "secret"));
    most = std::max(most, a.cache_size());
  }
  EXPECT_EQ(most, 8u);
  EXPECT_EQ(a.bcrypt_runs(), 20u);
}

TEST(BasicAuth, ThreadsCheckAtOnce) {
  BasicAuth a(Users{{"alice", kAlice}, {"bob", kBob}});
  std::vector<std::thread> ts;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (a.check(t % 2 ? "alice" : "bob", t % 2 ? "secret" : "hunter2:with colon")) ++good;
        EXPECT_FALSE(a.check("alice", "nope" + std::to_string(i)));
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(good.load(), 40);
}

TEST(WebConfig, Flags) {
  auto r = parse_args({});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  EXPECT_EQ(r.config.web_config_file, "");
  EXPECT_EQ(apm::apm_config(r.config).web_config_file, "");
  r = parse_args({"--web.config.file=/etc/vitals/web.yml", "--apm.web.config.file=apm.yml"});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  EXPECT_EQ(r.config.web_config_file, "/etc/vitals/web.yml");
  EXPECT_EQ(apm::apm_config(r.config).web_config_file, "apm.yml");
}

}  // namespace
}  // namespace vitals
