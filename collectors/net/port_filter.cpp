#include "collectors/net/port_filter.h"

#include "core/parse.h"

namespace vitals::net {
namespace {

bool parse_port(std::string_view s, uint32_t* out) {
  auto v = parse::to_u64(parse::trim(s));
  if (!v || *v > 65535) return false;
  *out = static_cast<uint32_t>(*v);
  return true;
}

}  // namespace

bool PortSet::parse(std::string_view text, std::string* error) {
  bits_.reset();
  if (parse::trim(text).empty()) return true;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = parse::trim(text.substr(0, comma));
    size_t dash = item.find('-');
    uint32_t lo, hi;
    bool ok = dash == std::string_view::npos
                  ? parse_port(item, &lo) && ((hi = lo), true)
                  : parse_port(item.substr(0, dash), &lo) && parse_port(item.substr(dash + 1), &hi);
    if (!ok || lo > hi) {
      *error = "invalid port or range \"" + std::string(item) + "\" (want e.g. 443 or 8000-8999)";
      return false;
    }
    for (uint32_t p = lo; p <= hi; ++p) bits_.set(p);
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

bool PortFilter::init(std::string_view include, std::string_view exclude, std::string* error) {
  const bool inc = !parse::trim(include).empty();
  const bool exc = !parse::trim(exclude).empty();
  if (inc && exc) {
    *error = "port-include and port-exclude are mutually exclusive";
    return false;
  }
  PortSet set;
  if (!set.parse(inc ? include : exclude, error)) return false;
  for (uint32_t p = 0; p < 65536; ++p) {
    bool in = set.contains(static_cast<uint16_t>(p));
    allowed_[p] = inc ? in : !in;
  }
  return true;
}

}  // namespace vitals::net
