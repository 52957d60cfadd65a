#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace vitals {

// Parses a Go-style duration ("1.5s", "500ms", "2m", "1h30m"); a bare number means seconds.
// Returns false on malformed or negative input.
bool parse_duration(std::string_view s, std::chrono::nanoseconds* out);
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace vitals
