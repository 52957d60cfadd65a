// runit's supervise/status file (runsv.c writes it on every state change; 20 bytes): a pure
// parser, bytes in, fields out.
//   0..7   TAI64 label of the last state change (big-endian seconds + 2^62 + 10)
//   8..11  nanoseconds (big-endian)
//   12..15 pid of the service's process (little-endian), 0 when none
//   16     paused flag, 17 wanted state 'u' or 'd', 18 term flag
//   19     state: 0 down, 1 run, 2 finish
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vitals::runit {

inline constexpr size_t kStatusSize = 20;

struct Status {
  int64_t timestamp = 0;  // Unix seconds of the last state change
  uint32_t pid = 0;
  int state = 0;  // 0 down, 1 run, 2 finish
  int want = 0;   // 1 up ('u'), 0 down ('d' or anything else), as node_exporter reads it
  bool paused = false;
};

// The status in `bytes` (the file's first 20 bytes), or nullopt with *error set when the file
// is shorter.
std::optional<Status> parse_status(std::string_view bytes, std::string* error);

}  // namespace vitals::runit
