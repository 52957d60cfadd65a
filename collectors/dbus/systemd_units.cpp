#include "collectors/dbus/systemd_units.h"

#include <charconv>
#include <string>

namespace vitals::dbus {

namespace {

std::string anchored(std::string_view pattern) {
  std::string s = "^(?:";
  s.append(pattern);
  s.append(")$");
  return s;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

UnitFilter::UnitFilter(std::string_view include, std::string_view exclude)
    : include_(anchored(include)), exclude_(anchored(exclude)) {}

bool UnitFilter::operator()(const UnitStatus& u) const {
  return include_.search(u.name) && !exclude_.search(u.name) && u.load_state == "loaded";
}

std::map<std::string, double, std::less<>> summarize_units(std::span<const UnitStatus> units) {
  std::map<std::string, double, std::less<>> out;
  for (std::string_view s : kUnitStates) out.emplace(s, 0.0);
  for (const UnitStatus& u : units) out[u.active_state] += 1;
  return out;
}

double parse_systemd_version(std::string_view v) {
  // A run of fewer than 3 digits holds no match, and a match starting inside a longer run would
  // start earlier, so the match is the first run of 3 or more digits.
  size_t i = 0;
  while (i < v.size()) {
    if (!is_digit(v[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < v.size() && is_digit(v[j])) ++j;
    if (j - i >= 3) {
      if (j + 1 < v.size() && v[j] == '.' && is_digit(v[j + 1])) {
        j += 2;
        while (j < v.size() && is_digit(v[j])) ++j;
      }
      double out = 0;
      std::from_chars(v.data() + i, v.data() + j, out);
      return out;
    }
    i = j;
  }
  return 0;
}

}  // namespace vitals::dbus
