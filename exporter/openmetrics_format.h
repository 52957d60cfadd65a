// OpenMetrics 1.0 text writer over the model: counters as family `foo` with `foo_total` and
// `foo_created`, # UNIT, exemplars, timestamps in seconds, # EOF. Counters whose name lacks
// `_total` keep their name as type unknown.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "model/metric.h"

namespace vitals {

inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
inline constexpr std::string_view kOpenMetrics001ContentType =
    "application/openmetrics-text; version=0.0.1; charset=utf-8";
// OpenMetrics caps the label names and values of an exemplar at 128 UTF-8 characters;
// exemplars over it are left out.
inline constexpr size_t kMaxExemplarLabelChars = 128;

// Milliseconds since the epoch as OpenMetrics seconds ("1700000000.123").
void append_ms_as_seconds(std::string& out, int64_t ms);

// Writes the families in the order given (families without samples are left out), then
// "# EOF".
void write_openmetrics(std::span<const Family* const> families, std::string& out);

}  // namespace vitals
