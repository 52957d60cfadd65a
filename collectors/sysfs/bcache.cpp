#include "collectors/sysfs/bcache.h"

namespace vitals::sysfs {

namespace {

// bch_hprint's mantissa: "<int>" or "<int>.<frac>", the fraction in tenths of 1024ths.
std::optional<double> pseudo_float(std::string_view s) {
  size_t dot = s.find('.');
  auto whole = parse::to_double(s.substr(0, dot));
  if (!whole) return std::nullopt;
  if (dot == std::string_view::npos) return whole;
  auto frac = parse::to_double(s.substr(dot + 1));
  if (!frac) return std::nullopt;
  return *whole + *frac / 10.24;
}

double multiplier(char c) {
  switch (c) {
    case 'k':
      return 1024.0;
    case 'M':
      return 1048576.0;
    case 'G':
      return 1073741824.0;
    case 'T':
      return 1099511627776.0;
    case 'P':
      return 1125899906842624.0;
    case 'E':
      return 1152921504606846976.0;
    case 'Z':
      return 1180591620717411303424.0;
    case 'Y':
      return 1208925819614629174706176.0;
    default:
      return 0;
  }
}

}  // namespace

std::optional<uint64_t> bcache_dehumanize(std::string_view s) {
  if (s.empty()) return std::nullopt;
  char last = s.back();
  double v;
  if (last > '9') {
    double mul = multiplier(last);
    auto m = pseudo_float(s.substr(0, s.size() - 1));
    if (!m || mul == 0) return std::nullopt;
    v = *m * mul;
  } else {
    auto m = parse::to_double(s);
    if (!m) return std::nullopt;
    v = *m;
  }
  if (!(v >= 0) || v >= 18446744073709551616.0) return std::nullopt;
  return static_cast<uint64_t>(v);
}

std::optional<int64_t> bcache_dehumanize_signed(std::string_view s) {
  bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  auto v = bcache_dehumanize(s);
  if (!v || *v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return negative ? -static_cast<int64_t>(*v) : static_cast<int64_t>(*v);
}

WritebackRateDebug parse_writeback_rate_debug(std::string_view text) {
  WritebackRateDebug out;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, key, value, extra;
    if (!parse::next_field(rest, key) || !parse::next_field(rest, value) ||
        parse::next_field(rest, extra)) {
      continue;  // "next io: 17ms" and blank lines
    }
    auto strip_sec = [](std::string_view v) {
      if (v.size() > 4 && v.substr(v.size() - 4) == "/sec") v.remove_suffix(4);
      return v;
    };
    bool ok = true;
    if (key == "rate:") {
      ok = (out.rate = bcache_dehumanize(strip_sec(value))).has_value();
    } else if (key == "dirty:") {
      ok = (out.dirty = bcache_dehumanize(value)).has_value();
    } else if (key == "target:") {
      ok = (out.target = bcache_dehumanize(value)).has_value();
    } else if (key == "proportional:") {
      ok = (out.proportional = bcache_dehumanize_signed(value)).has_value();
    } else if (key == "integral:") {
      ok = (out.integral = bcache_dehumanize_signed(value)).has_value();
    } else if (key == "change:") {
      ok = (out.change = bcache_dehumanize_signed(strip_sec(value))).has_value();
    }
    if (!ok) out.errors.add(n, "invalid value", line);
  }
  return out;
}

PriorityStats parse_priority_stats(std::string_view text) {
  PriorityStats out;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    bool unused = line.substr(0, 7) == "Unused:";
    bool metadata = line.substr(0, 9) == "Metadata:";
    if (!unused && !metadata) continue;
    std::string_view rest = line, field, last;
    while (parse::next_field(rest, field)) last = field;
    if (!last.empty() && last.back() == '%') last.remove_suffix(1);
    auto v = parse::to_u64(last);
    if (!v) {
      out.errors.add(n, "invalid percentage", line);
      continue;
    }
    (unused ? out.unused_percent : out.metadata_percent) = v;
  }
  return out;
}

}  // namespace vitals::sysfs
