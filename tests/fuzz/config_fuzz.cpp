// The INI config file (--config.file) through vitals::parse_config, the function the agent calls
// at start and on SIGHUP: the input is written to a file and read through the flag, as a user's
// file is. When the file is accepted, the agent's next steps run as well: the collector set is
// built from the options (collector regexes compiled, option values checked) and the APM options
// are read. Checks: no exception escapes (the agent's main does not catch one); a refusal is one
// line of text; an accepted file makes a collector set. Seeds: corpus/config/.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "apm/options.h"
#include "core/config.h"
#include "core/log.h"
#include "core/scraper.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  static const std::string path = [] {
    log::configure(log::Level::kError, log::Format::kLogfmt);
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/vitals-config-fuzz-" + std::to_string(getpid()) + ".ini";
  }();
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    VITALS_FUZZ_CHECK(f);
    if (size) VITALS_FUZZ_CHECK(std::fwrite(data, 1, size, f) == size);
    std::fclose(f);
  }
  const std::string flag = "--config.file=" + path;
  const char* argv[] = {"vitals", flag.c_str(), nullptr};
  ConfigResult r = parse_config(2, argv);
  std::remove(path.c_str());
  VITALS_FUZZ_CHECK(r.action == ConfigResult::kRun || r.action == ConfigResult::kError);
  if (r.action == ConfigResult::kError) {
    VITALS_FUZZ_CHECK(!r.text.empty());
    VITALS_FUZZ_CHECK(r.text.find('\n') == std::string::npos);
    return 0;
  }
  VITALS_FUZZ_CHECK(!r.config.listen_addresses.empty());
  std::string err;
  auto set = build_collector_set(r.config, nullptr, &err);
  VITALS_FUZZ_CHECK(set || !err.empty());
  apm::ApmConfig apm = apm::apm_config(r.config);
  (void)apm;
  return 0;
}
