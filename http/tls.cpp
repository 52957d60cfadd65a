// TLS setup of the HTTP server's OpenSSL context. Placeholder until --web.config.file's
// tls_server_config lands: nothing creates HttpTlsSettings yet, so this is never reached.
#include "http/tls.h"

namespace vitals {

struct HttpTlsSettings {};

bool http_tls_init(void*, const HttpTlsSettings&, std::string* error) {
  *error = "TLS is not set up in this build";
  return false;
}

}  // namespace vitals
