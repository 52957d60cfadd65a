// Prometheus text exposition files through textfile::parse_text_format, the textfile
// collector's parser (Go expfmt semantics). Checks: an error names its line; a text that parsed
// yields only valid metric and label names (the collector exports them as they are), unique
// family names, and no quantile/le label left on a summary or histogram. Seeds: corpus/textfile/.
#include <set>
#include <string>

#include "collectors/textfile/text_parser.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

bool name_char(char c, bool first, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
         (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view s, bool colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!name_char(s[i], i == 0, colon)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  textfile::TextParse p = textfile::parse_text_format(fuzz::as_text(data, size));
  if (!p.error.empty()) {
    VITALS_FUZZ_CHECK(p.error.rfind("line ", 0) == 0);
    return 0;
  }
  std::set<std::string> names;
  for (const textfile::TextFamily& f : p.families) {
    VITALS_FUZZ_CHECK(valid_name(f.name, true));
    VITALS_FUZZ_CHECK(names.insert(f.name).second);
    for (const textfile::TextMetric& m : f.metrics) {
      for (const auto& [k, v] : m.labels) {
        VITALS_FUZZ_CHECK(valid_name(k, false));
        if (f.type == MetricType::kHistogram) VITALS_FUZZ_CHECK(k != "le");
        if (f.type == MetricType::kSummary) VITALS_FUZZ_CHECK(k != "quantile");
      }
    }
  }
  return 0;
}
