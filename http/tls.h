// TLS for the HTTP server: the settings a listener serves HTTPS with, and the setup of the
// OpenSSL context civetweb creates for it (civetweb calls http_tls_init from its init_ssl
// callback). civetweb_server.cpp only passes the context through; everything about
// certificates, client authentication and versions lives in http/tls.cpp.
#pragma once

#include <string>

#include "http/server.h"

namespace vitals {

// Sets up `ssl_ctx` (an SSL_CTX*) for `tls`. Returns true when the context is ready; false
// with a one-line reason in *error otherwise (the server then does not start).
bool http_tls_init(void* ssl_ctx, const HttpTlsSettings& tls, std::string* error);

}  // namespace vitals
