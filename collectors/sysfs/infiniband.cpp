#include "collectors/sysfs/infiniband.h"

#include "core/parse.h"

namespace vitals::sysfs {

std::optional<uint64_t> parse_ib_rate(std::string_view s) {
  size_t sp = s.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto v = parse::to_double(s.substr(0, sp));
  std::string_view unit = s.substr(sp + 1);
  if (!v || unit.substr(0, 3) != "Gb/") return std::nullopt;
  // node_exporter's library parses the number as a 32-bit float.
  double value = static_cast<double>(static_cast<float>(*v));
  double rate = value * 125000000;
  if (!(rate >= 0) || rate >= 18446744073709551616.0) return std::nullopt;
  return static_cast<uint64_t>(rate);
}

std::optional<uint64_t> parse_ib_state(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return parse::to_u64(s.substr(0, colon));
}

IbCounter parse_ib_counter(std::string_view s, uint64_t* value) {
  if (s.substr(0, 3) == "N/A") return IbCounter::kNotAvailable;
  auto v = parse::to_u64(s);
  if (!v) return IbCounter::kInvalid;
  *value = *v;
  return IbCounter::kValue;
}

}  // namespace vitals::sysfs
