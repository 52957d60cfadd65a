// A parser of the Prometheus text exposition format 0.0.4 with the semantics of the Go
// client's expfmt.TextParser, which node_exporter's textfile collector uses: HELP and TYPE
// lines, label value escapes (\\, \", \n), HELP escapes (\\, \n), optional timestamps,
// summaries and histograms grouped by their labels without quantile/le, samples of a family
// gathered even when not contiguous. The first syntax error ends the parse (node_exporter then
// ignores the whole file); `error` names the line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/metric.h"

namespace vitals::textfile {

struct TextMetric {
  std::vector<std::pair<std::string, std::string>> labels;  // in file order, without quantile/le
  double value = 0;                                         // counter, gauge, untyped
  std::vector<Bucket> buckets;  // histogram buckets (cumulative) or summary quantiles
  double sum = 0, count = 0;    // histogram, summary
  std::optional<int64_t> timestamp_ms;
};

struct TextFamily {
  std::string name;
  std::optional<std::string> help;
  MetricType type = MetricType::kUntyped;
  std::vector<TextMetric> metrics;
};

struct TextParse {
  std::vector<TextFamily> families;
  std::string error;  // empty when the whole text parsed; else "line N: ..."
};

TextParse parse_text_format(std::string_view text);

}  // namespace vitals::textfile
