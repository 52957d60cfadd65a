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
  for (uint32_t i = 0; i < e.label_count; ++i) {
    Label l = f.exemplar_label(e, i);
    if (i) out.push_back(',');
    out.append(l.name);
    out.append("=\"");
    append_escaped_label_value(out, l.value);
    out.push_back('"');
  }
  out.append("} ");
  append_float(out, e.value);
  if (e.timestamp_ms != kNoTimestamp) {
    out.push_back(' ');
    append_ms_as_seconds(out, e.timestamp_ms);
  }
}

// name suffix {labels[,extra="x"]} value [timestamp]
void write_line(std::string& out, std::string_view name, std::string_view suffix, const Family& f,
                const Sample& s, std::string_view extra_name, double extra, bool has_extra,
                double value, const ExemplarRef* ex, int64_t ts_ms) {
  append_series(out, name, suffix, f, s, extra_name, extra, has_extra);
  out.push_back(' ');
  append_float(out, value);
  if (ts_ms != kNoTimestamp) {
    out.push_back(' ');
    append_ms_as_seconds(out, ts_ms);
  }
  if (ex) write_exemplar(out, f, *ex);
  out.push_back('\n');
}

// Exemplars of a sample are visited in bucket order: a cursor finds each bucket's in O(1).
const ExemplarRef* bucket_exemplar(std::span<const ExemplarRef> ex, size_t* cursor,
                                   uint32_t bucket) {
  while (*cursor < ex.size() && ex[*cursor].bucket < bucket) ++*cursor;
  if (*cursor < ex.size() && ex[*cursor].bucket == bucket) return &ex[*cursor];
  return nullptr;
}

void write_created(std::string& out, std::string_view n, const Family& f, const Sample& s) {
  if (s.created_ms == kNoTimestamp) return;
  out.append(n);
  out.append("_created");
  if (s.label_count > 0) {
    out.push_back('{');
    for (uint32_t i = 0; i < s.label_count; ++i) {
      Label l = f.label(s, i);
      if (i) out.push_back(',');
      out.append(l.name);
      out.append("=\"");
      append_escaped_label_value(out, l.value);
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
  append_ms_as_seconds(out, s.created_ms);
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
          write_line(out, name, "_total", f, s, {}, 0, false, s.value, ex, s.timestamp_ms);
          write_created(out, name, f, s);
          break;
        }
        case MetricType::kHistogram: {
          bool has_inf = false;
          auto buckets = f.buckets(s);
          auto ex = f.exemplars(s);
          size_t cursor = 0;
          for (uint32_t i = 0; i < buckets.size(); ++i) {
            const Bucket& b = buckets[i];
            write_line(out, name, "_bucket", f, s, "le", b.upper_bound, true, b.count,
                       bucket_exemplar(ex, &cursor, i), s.timestamp_ms);
            has_inf = has_inf || std::isinf(b.upper_bound);
          }
          if (!has_inf) {
            write_line(out, name, "_bucket", f, s, "le", INFINITY, true, s.count,
                       bucket_exemplar(ex, &cursor, static_cast<uint32_t>(buckets.size())),
                       s.timestamp_ms);
          }
          write_line(out, name, "_sum", f, s, {}, 0, false, s.value, nullptr, s.timestamp_ms);
          write_line(out, name, "_count", f, s, {}, 0, false, s.count, nullptr, s.timestamp_ms);
          write_created(out, name, f, s);
          break;
        }
        case MetricType::kSummary:
          for (const Bucket& q : f.buckets(s)) {
            write_line(out, name, "", f, s, "quantile", q.upper_bound, true, q.count, nullptr,
                       s.timestamp_ms);
          }
          write_line(out, name, "_sum", f, s, {}, 0, false, s.value, nullptr, s.timestamp_ms);
          write_line(out, name, "_count", f, s, {}, 0, false, s.count, nullptr, s.timestamp_ms);
          write_created(out, name, f, s);
          break;
        default:
          write_line(out, name, "", f, s, {}, 0, false, s.value, nullptr, s.timestamp_ms);
      }
    }
  }
  out.append("# EOF\n");
}

}  // namespace vitals
