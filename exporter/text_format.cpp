#include "exporter/text_format.h"

#include <bit>
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
                   const Family& f, const Sample& s) {
  out.append(name);
  out.append(suffix);
  if (s.label_count > 0) {
    out.push_back('{');
    append_label_pairs(out, f, s);
    out.push_back('}');
  }
}

void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, std::string_view extra_name, std::string_view extra) {
  out.append(name);
  out.append(suffix);
  if (extra_name.empty()) {
    if (labels.empty()) return;
    out.push_back('{');
    out.append(labels);
    out.push_back('}');
    return;
  }
  out.push_back('{');
  out.append(labels);
  if (!labels.empty()) out.push_back(',');
  out.append(extra_name);
  out.append("=\"");
  out.append(extra);
  out.append("\"}");
}

std::string_view BoundStrings::get(size_t i, double bound) {
  uint64_t bits = std::bit_cast<uint64_t>(bound);
  if (i >= entries_.size()) entries_.resize(i + 1);
  Entry& e = entries_[i];
  if (e.text.empty() || e.bits != bits) {
    e.bits = bits;
    e.text.clear();
    append_float(e.text, bound);
  }
  return e.text;
}

namespace {

void append_value_and_timestamp(std::string& out, double value, int64_t timestamp_ms) {
  out.push_back(' ');
  append_float(out, value);
  if (timestamp_ms != kNoTimestamp) {
    out.push_back(' ');
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, timestamp_ms);
    out.append(buf, r.ptr);
  }
  out.push_back('\n');
}

// name{labels} value [timestamp]
void write_line(std::string& out, std::string_view name, std::string_view suffix, const Family& f,
                const Sample& s, double value) {
  append_series(out, name, suffix, f, s);
  append_value_and_timestamp(out, value, s.timestamp_ms);
}

// name{labels[,extra_name="extra"]} value [timestamp], the labels formatted already
void write_line(std::string& out, std::string_view name, std::string_view suffix,
                std::string_view labels, std::string_view extra_name, std::string_view extra,
                double value, int64_t timestamp_ms) {
  append_series(out, name, suffix, labels, extra_name, extra);
  append_value_and_timestamp(out, value, timestamp_ms);
}

}  // namespace

void write_text(std::span<const Family* const> families, std::string& out) {
  MultiLineScratch scratch;
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
          scratch.labels.clear();
          append_label_pairs(scratch.labels, f, s);
          bool has_inf = false;
          auto buckets = f.buckets(s);
          for (size_t i = 0; i < buckets.size(); ++i) {
            const Bucket& b = buckets[i];
            write_line(out, n, "_bucket", scratch.labels, "le",
                       scratch.bounds.get(i, b.upper_bound), b.count, s.timestamp_ms);
            has_inf = has_inf || std::isinf(b.upper_bound);
          }
          if (!has_inf) {
            write_line(out, n, "_bucket", scratch.labels, "le", "+Inf", s.count, s.timestamp_ms);
          }
          write_line(out, n, "_sum", scratch.labels, {}, {}, s.value, s.timestamp_ms);
          write_line(out, n, "_count", scratch.labels, {}, {}, s.count, s.timestamp_ms);
          break;
        }
        case MetricType::kSummary: {
          scratch.labels.clear();
          append_label_pairs(scratch.labels, f, s);
          auto quantiles = f.buckets(s);
          for (size_t i = 0; i < quantiles.size(); ++i) {
            const Bucket& q = quantiles[i];
            write_line(out, n, "", scratch.labels, "quantile", scratch.bounds.get(i, q.upper_bound),
                       q.count, s.timestamp_ms);
          }
          write_line(out, n, "_sum", scratch.labels, {}, {}, s.value, s.timestamp_ms);
          write_line(out, n, "_count", scratch.labels, {}, {}, s.count, s.timestamp_ms);
          break;
        }
        default:
          write_line(out, n, "", f, s, s.value);
      }
    }
  }
}

}  // namespace vitals
