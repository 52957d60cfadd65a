#include "exporter/openmetrics_format.h"

#include <charconv>
#include <cmath>

#include "exporter/text_format.h"

namespace vitals {
namespace {

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// HELP text: backslash, newline and double quote escaped (OpenMetrics escapes all three).
void append_om_help(std::string& out, std::string_view s) {
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

size_t utf8_chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool exemplar_fits(const Family& f, const ExemplarRef& e) {
  size_t n = 0;
  for (uint32_t i = 0; i < e.label_count; ++i) {
    Label l = f.exemplar_label(e, i);
    n += utf8_chars(l.name) + utf8_chars(l.value);
  }
  return n <= kMaxExemplarLabelChars;
}

void write_exemplar(std::string& out, const Family& f, const ExemplarRef& e) {
  if (!exemplar_fits(f, e)) return;
  out.append(" # {");
  append_pairs(out, e.label_count, [&](uint32_t i) { return f.exemplar_label(e, i); });
  out.append("} ");
  append_float(out, e.value);
  if (e.timestamp_ms != kNoTimestamp) {
    out.push_back(' ');
    append_ms_as_seconds(out, e.timestamp_ms);
  }
}

void append_value_tail(std::string& out, const Family& f, double value, const ExemplarRef* ex,
                       int64_t ts_ms) {
  out.push_back(' ');
  append_float(out, value);
  if (ts_ms != kNoTimestamp) {
    out.push_back(' ');
    append_ms_as_seconds(out, ts_ms);
  }
  if (ex) write_exemplar(out, f, *ex);
  out.push_back('\n');
}

// name suffix {labels} value [timestamp] [exemplar]
void write_line(std::string& out, std::string_view name, std::string_view suffix, const Family& f,
                const Sample& s, double value, const ExemplarRef* ex) {
  append_series(out, name, suffix, f, s);
  append_value_tail(out, f, value, ex, s.timestamp_ms);
}

// name suffix {labels[,extra_name="extra"]} value [timestamp] [exemplar], the labels formatted
// already
void write_line(std::string& out, std::string_view name, std::string_view suffix, const Family& f,
                std::string_view labels, std::string_view extra_name, std::string_view extra,
                double value, const ExemplarRef* ex, int64_t ts_ms) {
  append_series(out, name, suffix, labels, extra_name, extra);
  append_value_tail(out, f, value, ex, ts_ms);
}

// Exemplars of a sample are visited in bucket order: a cursor finds each bucket's in O(1).
const ExemplarRef* bucket_exemplar(std::span<const ExemplarRef> ex, size_t* cursor,
                                   uint32_t bucket) {
  while (*cursor < ex.size() && ex[*cursor].bucket < bucket) ++*cursor;
  if (*cursor < ex.size() && ex[*cursor].bucket == bucket) return &ex[*cursor];
  return nullptr;
}

void write_created(std::string& out, std::string_view n, std::string_view labels,
                   int64_t created_ms) {
  if (created_ms == kNoTimestamp) return;
  append_series(out, n, "_created", labels, {}, {});
  out.push_back(' ');
  append_ms_as_seconds(out, created_ms);
  out.push_back('\n');
}

std::string_view om_type_name(MetricType t) {
  return t == MetricType::kUntyped ? "unknown" : metric_type_name(t);
}

}  // namespace

void append_ms_as_seconds(std::string& out, int64_t ms) {
  int64_t sec = ms / 1000;
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    sec -= 1;
  }
  if (sec < 0 && frac != 0) {
    // -1.5 s is sec=-2, frac=500: write it as -(1.5).
    out.push_back('-');
    int64_t pos = -ms;
    append_ms_as_seconds(out, pos);
    return;
  }
  append_int(out, sec);
  if (frac == 0) return;
  char d[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
               static_cast<char>('0' + frac % 10), 0};
  size_t len = 3;
  while (len > 0 && d[len - 1] == '0') --len;
  out.push_back('.');
  out.append(d, len);
}

void write_openmetrics(std::span<const Family* const> families, std::string& out) {
  std::string name;
  MultiLineScratch scratch;
  for (const Family* fp : families) {
    const Family& f = *fp;
    if (f.empty()) continue;
    name = f.name();
    // A counter named foo_total is family foo with samples foo_total and foo_created. A counter
    // without the suffix (cAdvisor's container_memory_failcnt) would have to be renamed to
    // foo_total, which breaks queries; it is written as type unknown under its own name.
    MetricType type = f.type();
    if (type == MetricType::kCounter) {
      if (name.size() > 6 && name.ends_with("_total")) {
        name.resize(name.size() - 6);
      } else {
        type = MetricType::kUntyped;
      }
    }
    out.append("# HELP ");
    out.append(name);
    out.push_back(' ');
    append_om_help(out, f.help());
    out.append("\n# TYPE ");
    out.append(name);
    out.push_back(' ');
    out.append(om_type_name(type));
    out.push_back('\n');
    const std::string& u = f.unit();
    if (!u.empty() && name.size() > u.size() + 1 && name.ends_with(u) &&
        name[name.size() - u.size() - 1] == '_') {
      out.append("# UNIT ");
      out.append(name);
      out.push_back(' ');
      out.append(u);
      out.push_back('\n');
    }
    for (const Sample& s : f.samples()) {
      switch (type) {
        case MetricType::kCounter: {
          const ExemplarRef* ex = s.exemplar_count ? &f.exemplars(s)[0] : nullptr;
          if (s.created_ms == kNoTimestamp) {
            write_line(out, name, "_total", f, s, s.value, ex);
            break;
          }
          scratch.labels.clear();
          append_label_pairs(scratch.labels, f, s);
          write_line(out, name, "_total", f, scratch.labels, {}, {}, s.value, ex, s.timestamp_ms);
          write_created(out, name, scratch.labels, s.created_ms);
          break;
        }
        case MetricType::kHistogram: {
          scratch.labels.clear();
          append_label_pairs(scratch.labels, f, s);
          const std::string& labels = scratch.labels;
          bool has_inf = false;
          auto buckets = f.buckets(s);
          auto ex = f.exemplars(s);
          size_t cursor = 0;
          for (uint32_t i = 0; i < buckets.size(); ++i) {
            const Bucket& b = buckets[i];
            write_line(out, name, "_bucket", f, labels, "le", scratch.bounds.get(i, b.upper_bound),
                       b.count, bucket_exemplar(ex, &cursor, i), s.timestamp_ms);
            has_inf = has_inf || std::isinf(b.upper_bound);
          }
          if (!has_inf) {
            write_line(out, name, "_bucket", f, labels, "le", "+Inf", s.count,
                       bucket_exemplar(ex, &cursor, static_cast<uint32_t>(buckets.size())),
                       s.timestamp_ms);
          }
          write_line(out, name, "_sum", f, labels, {}, {}, s.value, nullptr, s.timestamp_ms);
          write_line(out, name, "_count", f, labels, {}, {}, s.count, nullptr, s.timestamp_ms);
          write_created(out, name, labels, s.created_ms);
          break;
        }
        case MetricType::kSummary: {
          scratch.labels.clear();
          append_label_pairs(scratch.labels, f, s);
          const std::string& labels = scratch.labels;
          auto quantiles = f.buckets(s);
          for (uint32_t i = 0; i < quantiles.size(); ++i) {
            const Bucket& q = quantiles[i];
            write_line(out, name, "", f, labels, "quantile", scratch.bounds.get(i, q.upper_bound),
                       q.count, nullptr, s.timestamp_ms);
          }
          write_line(out, name, "_sum", f, labels, {}, {}, s.value, nullptr, s.timestamp_ms);
          write_line(out, name, "_count", f, labels, {}, {}, s.count, nullptr, s.timestamp_ms);
          write_created(out, name, labels, s.created_ms);
          break;
        }
        default:
          write_line(out, name, "", f, s, s.value, nullptr);
      }
    }
  }
  out.append("# EOF\n");
}

}  // namespace vitals
