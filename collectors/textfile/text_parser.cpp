#include "collectors/textfile/text_parser.h"

#include <algorithm>
#include <map>

#include "core/parse.h"

namespace vitals::textfile {
namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}
bool metric_start(char c) {
  return name_start(c) || c == ':';
}
bool metric_char(char c) {
  return name_char(c) || c == ':';
}
bool blank(char c) {
  return c == ' ' || c == '\t';
}

bool valid_metric_name(std::string_view s) {
  if (s.empty() || !metric_start(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), metric_char);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Go's strconv.ParseFloat as the text format uses it (also "Inf", "+Inf", "-Inf", "NaN").
std::optional<double> parse_float(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  bool neg = false;
  if (body.front() == '+' || body.front() == '-') {
    neg = body.front() == '-';
    body.remove_prefix(1);
  }
  std::string lower(body);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "inf" || lower == "infinity") return neg ? -INFINITY : INFINITY;
  if (lower == "nan") return NAN;
  if (!body.empty() && !((body[0] >= '0' && body[0] <= '9') || body[0] == '.')) {
    return std::nullopt;
  }
  auto v = parse::to_double(body);
  if (!v) return std::nullopt;
  return neg ? -*v : *v;
}

class Parser {
 public:
  TextParse run(std::string_view text) {
    std::string_view line;
    while (parse::next_line(text, line)) {
      ++line_no_;
      if (!line_(line)) break;
    }
    TextParse r;
    r.error = std::move(error_);
    // Families in the order first seen; empty ones (HELP/TYPE only) are kept as the Go parser
    // keeps them, the caller skips them.
    for (auto& f : families_) r.families.push_back(std::move(f));
    return r;
  }

 private:
  bool fail(const std::string& msg) {
    error_ = "line " + std::to_string(line_no_) + ": " + msg;
    return false;
  }

  TextFamily& family(const std::string& name) {
    auto it = by_name_.find(name);
    if (it != by_name_.end()) return families_[it->second];
    by_name_.emplace(name, families_.size());
    TextFamily& f = families_.emplace_back();
    f.name = name;
    return f;
  }

  bool line_(std::string_view l) {
    size_t i = 0;
    while (i < l.size() && blank(l[i])) ++i;
    if (i == l.size()) return true;
    if (l[i] == '#') return comment(l.substr(i + 1));
    return sample(l.substr(i));
  }

  bool comment(std::string_view c) {
    std::string_view rest = c, word;
    size_t i = 0;
    while (i < rest.size() && blank(rest[i])) ++i;
    rest.remove_prefix(i);
    size_t j = 0;
    while (j < rest.size() && !blank(rest[j])) ++j;
    word = rest.substr(0, j);
    if (word != "HELP" && word != "TYPE") return true;  // plain comment
    rest.remove_prefix(j);
    i = 0;
    while (i < rest.size() && blank(rest[i])) ++i;
    rest.remove_prefix(i);
    j = 0;
    while (j < rest.size() && !blank(rest[j])) ++j;
    std::string name(rest.substr(0, j));
    if (!valid_metric_name(name)) return fail("invalid metric name in comment");
    rest.remove_prefix(j);
    if (!rest.empty()) rest.remove_prefix(1);  // the one separating blank
    TextFamily& f = family(name);
    if (word == "HELP") {
      if (f.help) return fail("second HELP line for metric name \"" + name + "\"");
      std::string h;
      for (size_t k = 0; k < rest.size(); ++k) {
        if (rest[k] == '\\' && k + 1 < rest.size()) {
          char n = rest[k + 1];
          if (n == '\\') {
            h.push_back('\\');
          } else if (n == 'n') {
            h.push_back('\n');
          } else {
            return fail("invalid escape sequence '\\" + std::string(1, n) + "'");
          }
          ++k;
        } else {
          h.push_back(rest[k]);
        }
      }
      f.help = std::move(h);
      return true;
    }
    std::string_view t = parse::trim(rest);
    if (typed_.count(name)) return fail("second TYPE line for metric name \"" + name + "\"");
    if (!f.metrics.empty()) {
      return fail("TYPE line for metric name \"" + name + "\" after its samples");
    }
    if (t == "counter") {
      f.type = MetricType::kCounter;
    } else if (t == "gauge") {
      f.type = MetricType::kGauge;
    } else if (t == "histogram") {
      f.type = MetricType::kHistogram;
    } else if (t == "summary") {
      f.type = MetricType::kSummary;
    } else if (t == "untyped") {
      f.type = MetricType::kUntyped;
    } else {
      return fail("unknown metric type \"" + std::string(t) + "\"");
    }
    typed_.insert({name, true});
    return true;
  }

  bool sample(std::string_view s) {
    size_t i = 0;
    if (!metric_start(s[0])) return fail("invalid metric name");
    while (i < s.size() && metric_char(s[i])) ++i;
    std::string name(s.substr(0, i));
    // Which family: a histogram's or summary's _bucket/_sum/_count go to the base family.
    std::string base = name;
    enum { kPlain, kSum, kCount, kBucket } part = kPlain;
    for (auto [suffix, p] : {std::pair{"_sum", kSum}, {"_count", kCount}, {"_bucket", kBucket}}) {
      if (!ends_with(name, suffix)) continue;
      std::string b = name.substr(0, name.size() - std::string_view(suffix).size());
      auto it = by_name_.find(b);
      if (it == by_name_.end()) continue;
      MetricType t = families_[it->second].type;
      if ((t == MetricType::kSummary && p != kBucket) || t == MetricType::kHistogram) {
        base = b;
        part = p;
      }
      break;
    }
    TextFamily& f = family(base);
    bool is_summary = f.type == MetricType::kSummary;
    bool is_hist = f.type == MetricType::kHistogram;
    if (is_hist && part == kPlain) return fail("histogram sample without _bucket/_sum/_count");
    std::vector<std::pair<std::string, std::string>> labels;
    std::optional<double> le, quantile;
    while (i < s.size() && blank(s[i])) ++i;
    if (i < s.size() && s[i] == '{') {
      ++i;
      for (;;) {
        while (i < s.size() && blank(s[i])) ++i;
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        size_t ns = i;
        if (i >= s.size() || !name_start(s[i])) return fail("invalid label name");
        while (i < s.size() && name_char(s[i])) ++i;
        std::string lname(s.substr(ns, i - ns));
        while (i < s.size() && blank(s[i])) ++i;
        if (i >= s.size() || s[i] != '=') return fail("expected '=' after label name " + lname);
        ++i;
        while (i < s.size() && blank(s[i])) ++i;
        if (i >= s.size() || s[i] != '"') return fail("expected '\"' to start label value");
        ++i;
        std::string val;
        bool closed = false;
        while (i < s.size()) {
          char c = s[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (i >= s.size()) break;
            char n = s[i++];
            if (n == '\\' || n == '"') {
              val.push_back(n);
            } else if (n == 'n') {
              val.push_back('\n');
            } else {
              return fail("invalid escape sequence '\\" + std::string(1, n) + "'");
            }
            continue;
          }
          val.push_back(c);
        }
        if (!closed) return fail("unterminated label value");
        if (lname == "__name__") return fail("label name \"__name__\" is reserved");
        for (const auto& [k, v] : labels) {
          if (k == lname) return fail("duplicate label name \"" + lname + "\"");
        }
        // As in Go's parser, quantile (summary) and le (histogram) are never labels of the
        // family's samples, _sum and _count ones included; they must be numbers everywhere.
        if (is_summary && lname == "quantile") {
          auto q = parse_float(val);
          if (!q) return fail("invalid quantile \"" + val + "\"");
          if (part == kPlain) quantile = q;
        } else if (is_hist && lname == "le") {
          auto b = parse_float(val);
          if (!b) return fail("invalid upper bound \"" + val + "\"");
          if (part == kBucket) le = b;
        } else {
          labels.emplace_back(std::move(lname), std::move(val));
        }
        while (i < s.size() && blank(s[i])) ++i;
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        return fail("expected ',' or '}' after label value");
      }
    }
    std::string_view rest = s.substr(i), vtext, ttext, extra;
    if (!parse::next_field(rest, vtext)) return fail("missing value");
    auto value = parse_float(vtext);
    if (!value) return fail("invalid value \"" + std::string(vtext) + "\"");
    std::optional<int64_t> ts;
    if (parse::next_field(rest, ttext)) {
      ts = parse::to_i64(ttext);
      if (!ts) return fail("invalid timestamp \"" + std::string(ttext) + "\"");
      if (parse::next_field(rest, extra)) return fail("unexpected text after the timestamp");
    }
    if (is_summary && part == kPlain && !quantile) return fail("summary sample without quantile");
    if (is_hist && part == kBucket && !le) return fail("histogram bucket without le");

    if (!is_summary && !is_hist) {
      TextMetric& m = f.metrics.emplace_back();
      m.labels = std::move(labels);
      m.value = *value;
      m.timestamp_ms = ts;
      return true;
    }
    // Summaries and histograms: one metric per label set.
    auto key = labels;
    std::sort(key.begin(), key.end());
    std::string sig = f.name;
    for (const auto& [k, v] : key) {
      sig.push_back('\xff');
      sig += k;
      sig.push_back('\xff');
      sig += v;
    }
    auto [it, inserted] = groups_.try_emplace(sig, f.metrics.size());
    if (inserted) {
      TextMetric& m = f.metrics.emplace_back();
      m.labels = std::move(labels);
    }
    TextMetric& m = f.metrics[it->second];
    if (ts) m.timestamp_ms = ts;
    if (part == kSum) {
      m.sum = *value;
    } else if (part == kCount) {
      m.count = *value;
    } else if (is_summary) {
      m.buckets.push_back({*quantile, *value});
    } else {
      m.buckets.push_back({*le, *value});
    }
    return true;
  }

  int line_no_ = 0;
  std::string error_;
  std::vector<TextFamily> families_;
  std::map<std::string, size_t> by_name_;
  std::map<std::string, bool> typed_;
  std::map<std::string, size_t> groups_;
};

}  // namespace

TextParse parse_text_format(std::string_view text) {
  Parser p;
  TextParse r = p.run(text);
  // Histogram buckets in ascending order of upper bound, as the Go client writes them.
  for (auto& f : r.families) {
    if (f.type != MetricType::kHistogram) continue;
    for (auto& m : f.metrics) {
      std::stable_sort(m.buckets.begin(), m.buckets.end(), [](const Bucket& a, const Bucket& b) {
        return a.upper_bound < b.upper_bound;
      });
    }
  }
  return r;
}

}  // namespace vitals::textfile
