// libFuzzer target: the --web.config.file parser (http/web_config.cpp, yaml-cpp underneath).
// Any input must parse or be refused with one line; never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  vitals::WebConfig c;
  std::string err;
  if (vitals::parse_web_config(text, "/fuzz/web.yml", &c, &err)) {
    if (c.tls.enabled && (c.tls.cert_file.empty() || c.tls.key_file.empty())) std::abort();
  } else if (err.empty() || err.find_first_of("\r\n", 0) != std::string::npos) {
    std::abort();  // a refusal is one non-empty line
  }
  return 0;
}
