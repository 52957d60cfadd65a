#include "exporter/text_format.h"

#include <charconv>
#include <cmath>

namespace vitals {

void append_float(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buf[40];
  if (v == std::trunc(v) && std::fabs(v) < 1e6) {
    if (v == 0 && std::signbit(v)) {
      out.append("-0");
      return;
    }
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, r.ptr);
    return;
  }
  // Shortest round-trip digits; exponent form when exp < -4 || exp >= 6, as Go's 'g' with
  // precision -1 chooses (eprec is 6 for the shortest representation).
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  size_t e = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 6) {
    out.append(sci);
    return;
  }
  r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, r.ptr);
}

void append_escaped_help(std::string& out, std::string_view s) {
  bool plain = true;
  for (char c : s) plain &= (c != '\\' && c != '\n');
  if (plain) {
    out.append(s);
    return;
  }
  for (char c : s) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

void append_escaped_label_value(std::string& out, std::string_view s) {
  bool plain = true;
  for (char c : s) plain &= (c != '\\' && c != '\n' && c != '"');
  if (plain) {
    out.append(s);
    return;
  }
  for (char c : s) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '"') {
      out.append("\\\"");
    } else {
      out.push_back(c);
    }
  }
}

void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   const Family& f, const Sample& s, std::string_view extra_name, double extra,
                   bool has_extra) {
  out.append(name);
  out.append(suffix);
  if (s.label_count > 0 || has_extra) {
    out.push_back('{');
    for (uint32_t i = 0; i < s.label_count; ++i) {
      Label l = f.label(s, i);
      if (i) out.push_back(',');
      out.append(l.name);
      out.append("=\"");
      append_escaped_label_value(out, l.value);
      out.push_back('"');
    }
    if (has_extra) {
      if (s.label_count) out.push_back(',');
      out.append(extra_name);
      out.append("=\"");
      append_float(out, extra);
      out.push_back('"');
    }
    out.push_back('}');
  }
}

namespace {

// name{labels[,extra_name="extra"]} value
void write_line(std::string& out, std::string_view name, std::string_view suffix, const Family& f,
                const Sample& s, std::string_view extra_name, double extra, bool has_extra,
                double value) {
  append_series(out, name, suffix, f, s, extra_name, extra, has_extra);
  out.push_back(' ');
  append_float(out, value);
  if (s.timestamp_ms != kNoTimestamp) {
    out.push_back(' ');
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, s.timestamp_ms);
    out.append(buf, r.ptr);
  }
  out.push_back('\n');
}

}  // namespace

void write_text(std::span<const Family* const> families, std::string& out) {
  for (const Family* fp : families) {
    const Family& f = *fp;
    if (f.empty()) continue;
    out.append("# HELP ");
    out.append(f.name());
    out.push_back(' ');
    append_escaped_help(out, f.help());
    out.append("\n# TYPE ");
    out.append(f.name());
    out.push_back(' ');
    out.append(metric_type_name(f.type()));
    out.push_back('\n');
    const std::string& n = f.name();
    for (const Sample& s : f.samples()) {
      switch (f.type()) {
        case MetricType::kHistogram: {
          bool has_inf = false;
          for (const Bucket& b : f.buckets(s)) {
            write_line(out, n, "_bucket", f, s, "le", b.upper_bound, true, b.count);
            has_inf = has_inf || std::isinf(b.upper_bound);
          }
          if (!has_inf) {
            write_line(out, n, "_bucket", f, s, "le", INFINITY, true, s.count);
          }
          write_line(out, n, "_sum", f, s, {}, 0, false, s.value);
          write_line(out, n, "_count", f, s, {}, 0, false, s.count);
          break;
        }
        case MetricType::kSummary:
          for (const Bucket& q : f.buckets(s)) {
            write_line(out, n, "", f, s, "quantile", q.upper_bound, true, q.count);
          }
          write_line(out, n, "_sum", f, s, {}, 0, false, s.value);
          write_line(out, n, "_count", f, s, {}, 0, false, s.count);
          break;
        default:
          write_line(out, n, "", f, s, {}, 0, false, s.value);
      }
    }
  }
}

}  // namespace vitals
