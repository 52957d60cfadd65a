// Prometheus text exposition format 0.0.4 writer over the model.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/float_format.h"
#include "model/metric.h"

namespace vitals {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// append_float (Go's float formatting) is in model/float_format.h.
// HELP text: backslash and newline escaped.
void append_escaped_help(std::string& out, std::string_view s);
// Label value: backslash, double quote and newline escaped.
void append_escaped_label_value(std::string& out, std::string_view s);

// Label pairs `a="x",b="y"` (values escaped), without braces, of the `n` labels `label_at(i)`
// gives.
template <class LabelAt>
void append_pairs(std::string& out, uint32_t n, LabelAt label_at) {
  for (uint32_t i = 0; i < n; ++i) {
    Label l = label_at(i);
    if (i) out.push_back(',');
    out.append(l.name);
    out.append("=\"");
    append_escaped_label_value(out, l.value);
    out.push_back('"');
  }
}

// The sample's label pairs.
inline void append_label_pairs(std::string& out, const Family& f, const Sample& s) {
  append_pairs(out, s.label_count, [&](uint32_t i) { return f.label(s, i); });
}

// `name` + `suffix` and the sample's label set in braces (nothing when it has no labels).
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   const Family& f, const Sample& s);

// `name` + `suffix` and `{labels[,extra_name="extra"]}` (no extra when extra_name is empty, no
// braces when nothing is in them): a histogram's or summary's line, whose label pairs (from
// append_label_pairs) are formatted once for all its lines.
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, std::string_view extra_name, std::string_view extra);

// Bucket bounds and quantiles as append_float writes them. The strings are kept while the next
// series asks for the same bounds (a family's series usually share them), so each is formatted
// once per family rather than once per line.
class BoundStrings {
 public:
  std::string_view get(size_t i, double bound);

 private:
  struct Entry {
    uint64_t bits = 0;
    std::string text;  // empty: not formatted yet
  };
  std::vector<Entry> entries_;
};

// Shared by the text and OpenMetrics writers: the lines of one histogram or summary sample.
struct MultiLineScratch {
  std::string labels;
  BoundStrings bounds;
};

// Writes the families in the order given; families without samples are left out.
void write_text(std::span<const Family* const> families, std::string& out);

}  // namespace vitals
