// os-release(5) files through rootfs::parse_os_release (the os collector), and VERSION_ID through
// os_version_number. Checks: no exception; keys are non-empty shell-variable-like names;
// errors name a line; the version number is finite and not negative. Seeds: corpus/rootfs/.
#include <cmath>

#include "collectors/rootfs/os_release.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  std::string_view text = fuzz::as_text(data, size);
  rootfs::OsRelease r = rootfs::parse_os_release(text);
  for (const auto& [k, v] : r.fields) VITALS_FUZZ_CHECK(!k.empty());
  for (const parse::ItemError& e : r.errors) VITALS_FUZZ_CHECK(!e.message.empty() && e.line >= 1);
  double v = rootfs::os_version_number(text);
  VITALS_FUZZ_CHECK(std::isfinite(v) && v >= 0);
  if (auto it = r.fields.find("VERSION_ID"); it != r.fields.end()) {
    double w = rootfs::os_version_number(it->second);
    VITALS_FUZZ_CHECK(std::isfinite(w) && w >= 0);
  }
  return 0;
}
