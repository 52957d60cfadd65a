// Prometheus text exposition format 0.0.4 writer over the model.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "model/float_format.h"
#include "model/metric.h"

namespace vitals {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// append_float (Go's float formatting) is in model/float_format.h.
// HELP text: backslash and newline escaped.
void append_escaped_help(std::string& out, std::string_view s);
// Label value: backslash, double quote and newline escaped.
void append_escaped_label_value(std::string& out, std::string_view s);

// Appends `name` + `suffix` and the sample's label set in braces (with `extra_name="extra"`
// last when `has_extra`, e.g. le or quantile); shared by the text and OpenMetrics writers.
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   const Family& f, const Sample& s, std::string_view extra_name, double extra,
                   bool has_extra);

// Writes the families in the order given; families without samples are left out.
void write_text(std::span<const Family* const> families, std::string& out);

}  // namespace vitals
