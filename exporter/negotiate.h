// Picks the exposition format from an Accept header as Prometheus' client libraries do: the
// media ranges by descending q-value (the more specific first among equals), the first one
// that names a format we write wins; nothing acceptable gives text 0.0.4.
#pragma once

#include <string_view>

namespace vitals {

enum class ExpositionFormat { kText004, kOpenMetrics100, kOpenMetrics001, kProtobufDelimited };

ExpositionFormat negotiate_format(std::string_view accept);
// The exact Content-Type of a format's response.
std::string_view content_type(ExpositionFormat f);

}  // namespace vitals
