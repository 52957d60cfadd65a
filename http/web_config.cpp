#include "http/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace vitals {
namespace {

// Larger files are refused before yaml-cpp sees them (a web config is a few hundred bytes).
constexpr size_t kMaxFileBytes = 1 << 20;

struct Cipher {
  std::string_view go;
  std::string_view openssl;  // "-": a TLS 1.3 suite (not configurable, as in Go)
};

// Go's crypto/tls CipherSuites() (the secure ones exporter-toolkit 0.8 accepts), with the
// older names Go keeps as aliases.
constexpr Cipher kCiphers[] = {
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_AES_128_GCM_SHA256", "-"},
    {"TLS_AES_256_GCM_SHA384", "-"},
    {"TLS_CHACHA20_POLY1305_SHA256", "-"},
};

constexpr std::pair<std::string_view, std::string_view> kCurves[] = {
    {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};

constexpr std::pair<std::string_view, int> kVersions[] = {
    {"TLS10", kTls10}, {"TLS11", kTls11}, {"TLS12", kTls12}, {"TLS13", kTls13}};

constexpr std::pair<std::string_view, ClientAuth> kClientAuth[] = {
    {"NoClientCert", ClientAuth::kNoClientCert},
    {"RequestClientCert", ClientAuth::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
    {"RequireClientCert", ClientAuth::kRequireAnyClientCert},  // exporter-toolkit's old name
    {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
};

// exporter-toolkit's configurable response headers; an empty list allows any value.
struct HeaderRule {
  std::string_view name;
  std::vector<std::string_view> values;
};
const HeaderRule kHeaders[] = {
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
};

// A failure: the key path and the node it is about.
struct Bad {
  std::string key;
  std::string what;
  int line = -1;  // 1-based; -1 unknown
};

int line_of(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  return m.is_null() ? -1 : m.line + 1;
}

[[noreturn]] void fail(const std::string& key, const YAML::Node& n, std::string what) {
  throw Bad{key, std::move(what), line_of(n)};
}

std::string join_names(auto const& table) {
  std::string s;
  for (const auto& e : table) {
    if (!s.empty()) s += ", ";
    s += e.first;
  }
  return s;
}

std::string scalar(const std::string& key, const YAML::Node& n) {
  if (n.IsNull()) return "";
  if (!n.IsScalar()) fail(key, n, "want a string");
  return n.Scalar();
}

bool boolean(const std::string& key, const YAML::Node& n, bool dflt) {
  if (n.IsNull()) return dflt;
  bool b = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) {
    fail(key, n, "want true or false, got \"" + (n.IsScalar() ? n.Scalar() : "") + "\"");
  }
  return b;
}

std::vector<std::string> strings(const std::string& key, const YAML::Node& n) {
  std::vector<std::string> v;
  if (n.IsNull()) return v;
  if (!n.IsSequence()) fail(key, n, "want a list of strings");
  for (size_t i = 0; i < n.size(); ++i) {
    v.push_back(scalar(key + "[" + std::to_string(i) + "]", n[i]));
  }
  return v;
}

// Calls f(name, value) for each entry of a mapping, refusing duplicate and non-string keys.
template <typename F>
void each_entry(const std::string& key, const YAML::Node& n, F&& f) {
  if (n.IsNull()) return;
  if (!n.IsMap()) fail(key, n, "want a mapping");
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    // Copies: it-> is a temporary proxy, references into it would dangle.
    YAML::Node k = it->first;
    YAML::Node v = it->second;
    std::string prefix = key.empty() ? "" : key + ".";
    if (!k.IsScalar()) fail(key, k, "keys must be strings");
    const std::string& name = k.Scalar();
    if (!seen.insert(name).second) fail(prefix + name, k, "key given twice");
    f(prefix + name, name, k, v);
  }
}

std::string resolve(const std::string& dir, const std::string& p) {
  if (p.empty() || p.front() == '/' || dir.empty()) return p;
  return dir + "/" + p;
}

bool is_bcrypt_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/';
}

// "$2y$10$" + 53 characters of bcrypt's base64: the only hashes accepted (libxcrypt would take
// others, such as 13-character DES crypt, which is no protection).
std::string bcrypt_problem(const std::string& h) {
  if (h.size() != 60) return "not a bcrypt hash (want 60 characters like $2y$10$...)";
  if (h.compare(0, 4, "$2a$") != 0 && h.compare(0, 4, "$2b$") != 0 &&
      h.compare(0, 4, "$2y$") != 0) {
    return "not a bcrypt hash (want $2a$, $2b$ or $2y$)";
  }
  if (!std::isdigit(static_cast<unsigned char>(h[4])) ||
      !std::isdigit(static_cast<unsigned char>(h[5])) || h[6] != '$') {
    return "bcrypt hash without a two-digit cost";
  }
  int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return "bcrypt cost must be 04..31";
  if (!std::all_of(h.begin() + 7, h.end(), is_bcrypt_char))
    return "bcrypt hash with bad characters";
  return "";
}

void parse_tls(const std::string& dir, const YAML::Node& node, TlsServerConfig* t) {
  bool any = false;
  bool sans_given = false;
  YAML::Node ca_node, sans_node, auth_node;
  each_entry("tls_server_config", node,
             [&](const std::string& key, const std::string& name, const YAML::Node& k,
                 const YAML::Node& v) {
               if (name == "cert_file") {
                 t->cert_file = resolve(dir, scalar(key, v));
                 any = any || !t->cert_file.empty();
               } else if (name == "key_file") {
                 t->key_file = resolve(dir, scalar(key, v));
                 any = any || !t->key_file.empty();
               } else if (name == "client_ca_file") {
                 t->client_ca_file = resolve(dir, scalar(key, v));
                 any = any || !t->client_ca_file.empty();
                 ca_node = v;
               } else if (name == "client_auth_type") {
                 std::string s = scalar(key, v);
                 auth_node = v;
                 if (s.empty()) return;
                 any = true;
                 for (const auto& [n, a] : kClientAuth) {
                   if (s == n) {
                     t->client_auth = a;
                     return;
                   }
                 }
                 fail(key, v,
                      "unknown client auth type \"" + s +
                          "\" (want NoClientCert, RequestClientCert, RequireAnyClientCert, "
                          "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
               } else if (name == "min_version" || name == "max_version") {
                 std::string s = scalar(key, v);
                 if (s.empty()) return;
                 for (const auto& [n, ver] : kVersions) {
                   if (s == n) {
                     (name == "min_version" ? t->min_version : t->max_version) = ver;
                     return;
                   }
                 }
                 fail(key, v,
                      "unknown TLS version \"" + s + "\" (want " + join_names(kVersions) + ")");
               } else if (name == "cipher_suites") {
                 auto list = strings(key, v);
                 for (size_t i = 0; i < list.size(); ++i) {
                   std::string_view o = openssl_cipher_name(list[i]);
                   if (o.empty()) {
                     fail(key, v[i], "unknown or insecure cipher suite \"" + list[i] + "\"");
                   }
                   if (o != "-") t->cipher_suites.emplace_back(o);
                 }
               } else if (name == "curve_preferences") {
                 auto list = strings(key, v);
                 for (size_t i = 0; i < list.size(); ++i) {
                   auto it = std::find_if(std::begin(kCurves), std::end(kCurves),
                                          [&](const auto& c) { return c.first == list[i]; });
                   if (it == std::end(kCurves)) {
                     fail(key, v[i],
                          "unknown curve \"" + list[i] + "\" (want " + join_names(kCurves) + ")");
                   }
                   t->curve_preferences.emplace_back(it->second);
                 }
               } else if (name == "prefer_server_cipher_suites") {
                 t->prefer_server_cipher_suites = boolean(key, v, true);
               } else if (name == "client_allowed_sans") {
                 t->client_allowed_sans = strings(key, v);
                 sans_given = !t->client_allowed_sans.empty();
                 sans_node = v;
               } else if (name == "cert" || name == "key" || name == "client_ca") {
                 fail(key, k,
                      "unknown key (inline certificates are not in node_exporter's format; use " +
                          name + "_file)");
               } else {
                 fail(key, k, "unknown key");
               }
             });
  t->enabled = any;
  if (!any) {
    if (sans_given) fail("tls_server_config.client_allowed_sans", sans_node, "needs TLS");
    return;
  }
  if (t->cert_file.empty()) fail("tls_server_config.cert_file", node, "missing (TLS is on)");
  if (t->key_file.empty()) fail("tls_server_config.key_file", node, "missing (TLS is on)");
  if (t->max_version < t->min_version) {
    fail("tls_server_config.max_version", node, "is below min_version");
  }
  bool verifies = t->client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                  t->client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (!t->client_ca_file.empty() && t->client_auth == ClientAuth::kNoClientCert) {
    fail("tls_server_config.client_ca_file", ca_node,
         "set without a client_auth_type that asks for client certificates");
  }
  if (verifies && t->client_ca_file.empty()) {
    // Go would verify against the system's CAs: any certificate a public CA signed would pass.
    fail("tls_server_config.client_ca_file", auth_node.IsDefined() ? auth_node : node,
         "missing: client_auth_type verifies client certificates against it");
  }
  if (sans_given && t->client_auth != ClientAuth::kRequireAndVerifyClientCert) {
    fail("tls_server_config.client_allowed_sans", sans_node,
         "needs client_auth_type RequireAndVerifyClientCert");
  }
}

void parse_http(const YAML::Node& node, WebConfig* c) {
  each_entry(
      "http_server_config", node,
      [&](const std::string& key, const std::string& name, const YAML::Node& k,
          const YAML::Node& v) {
        if (name == "http2") {
          c->http2 = boolean(key, v, true);
        } else if (name == "headers") {
          each_entry(
              key, v,
              [&](const std::string& hkey, const std::string& h, const YAML::Node& hk,
                  const YAML::Node& hv) {
                const HeaderRule* rule = nullptr;
                for (const auto& r : kHeaders) {
                  if (r.name == h) rule = &r;
                }
                if (!rule) {
                  fail(hkey, hk,
                       "header can not be configured (want Strict-Transport-Security, "
                       "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection or "
                       "Content-Security-Policy)");
                }
                std::string value = scalar(hkey, hv);
                if (value.empty()) return;  // "unset if blank"
                if (value.find_first_of("\r\n") != std::string::npos)
                  fail(hkey, hv, "line break in value");
                if (!rule->values.empty() &&
                    std::none_of(rule->values.begin(), rule->values.end(), [&](std::string_view a) {
                      return a.size() == value.size() &&
                             std::equal(a.begin(), a.end(), value.begin(), [](char x, char y) {
                               return std::tolower(static_cast<unsigned char>(x)) ==
                                      std::tolower(static_cast<unsigned char>(y));
                             });
                    })) {
                  std::string allowed;
                  for (auto a : rule->values)
                    allowed += (allowed.empty() ? "" : " or ") + std::string(a);
                  fail(hkey, hv, "invalid value \"" + value + "\" (want " + allowed + ")");
                }
                c->headers.emplace_back(h, value);
              });
        } else {
          fail(key, k, "unknown key");
        }
      });
}

void parse_root(const std::string& dir, const YAML::Node& root, WebConfig* c) {
  if (!root.IsNull() && !root.IsMap()) fail("", root, "want a mapping at the top level");
  each_entry("", root,
             [&](const std::string& key, const std::string& name, const YAML::Node& k,
                 const YAML::Node& v) {
               if (name == "tls_server_config") {
                 parse_tls(dir, v, &c->tls);
               } else if (name == "http_server_config") {
                 parse_http(v, c);
               } else if (name == "basic_auth_users") {
                 each_entry(key, v,
                            [&](const std::string& ukey, const std::string& user, const YAML::Node&,
                                const YAML::Node& hv) {
                              std::string hash = scalar(ukey, hv);
                              std::string why = bcrypt_problem(hash);
                              if (!why.empty()) fail(ukey, hv, why);
                              if (user.find(':') != std::string::npos)
                                fail(ukey, hv, "user names cannot contain ':'");
                              c->basic_auth_users.emplace(user, std::move(hash));
                            });
               } else {
                 fail(key, k, "unknown key");
               }
             });
}

// Keys and values quoted in a message come from the file: control characters (line breaks,
// NUL) become '?', so the message stays one printable line.
std::string one_line(std::string s) {
  for (char& ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  }
  return s;
}

}  // namespace

std::string_view openssl_cipher_name(std::string_view go_name) {
  for (const auto& c : kCiphers) {
    if (c.go == go_name) return c.openssl;
  }
  return {};
}

bool parse_web_config(std::string_view text, const std::string& path, WebConfig* out,
                      std::string* error) {
  std::string where = "web config " + (path.empty() ? std::string("<text>") : path);
  // YAML cannot hold NUL: refuse it here (yaml-cpp would stop reading at it).
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    *error = one_line(where + ": NUL byte at offset " + std::to_string(nul));
    return false;
  }
  if (text.size() > kMaxFileBytes) {
    *error = where + ": larger than " + std::to_string(kMaxFileBytes) + " bytes";
    return false;
  }
  std::string dir;
  if (size_t slash = path.rfind('/'); slash != std::string::npos) {
    dir = path.substr(0, slash == 0 ? 1 : slash);
  }
  WebConfig c;
  c.path = path;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    parse_root(dir, root, &c);
  } catch (const Bad& b) {
    *error = one_line(where + (b.line > 0 ? ":" + std::to_string(b.line) : "") + ": " +
                      (b.key.empty() ? "" : b.key + ": ") + b.what);
    return false;
  } catch (const YAML::Exception& e) {
    *error = one_line(where + (e.mark.is_null() ? "" : ":" + std::to_string(e.mark.line + 1)) +
                      ": invalid YAML: " + e.msg);
    return false;
  }
  *out = std::move(c);
  return true;
}

bool load_web_config(const std::string& path, WebConfig* out, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "web config " + path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::string text;
  char buf[8192];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, static_cast<size_t>(f.gcount()));
    if (text.size() > kMaxFileBytes) break;
  }
  if (f.bad()) {
    *error = "web config " + path + ": cannot read";
    return false;
  }
  return parse_web_config(text, path, out, error);
}

}  // namespace vitals
