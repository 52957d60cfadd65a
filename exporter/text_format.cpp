#include "exporter/text_format.h"

#include <charconv>
#include <cmath>

namespace vitals {

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
