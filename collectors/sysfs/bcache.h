// bcache's sysfs files (/sys/fs/bcache/<uuid>/...), read the way node_exporter 1.5.0 (through
// prometheus/procfs) reads them: values printed by the kernel's bch_hprint ("20.4G", "1.1M",
// where the digit after the point counts tenths of 1024ths, not tenths), the
// writeback_rate_debug table of a backing device and the priority_stats of a cache device.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/parse.h"

namespace vitals::sysfs {

// A bcache value: a plain number, or bch_hprint's "<int>[.<digit>]<k|M|G|T|P|E|Z|Y>". Truncated
// to an integer as node_exporter does. nullopt when it is neither.
std::optional<uint64_t> bcache_dehumanize(std::string_view s);
// The same with an optional leading '-'.
std::optional<int64_t> bcache_dehumanize_signed(std::string_view s);

// <bdev>/writeback_rate_debug ("rate: 1.1M/sec", "target: 20.4G", ...).
struct WritebackRateDebug {
  std::optional<uint64_t> rate;    // bytes per second
  std::optional<uint64_t> dirty;   // bytes
  std::optional<uint64_t> target;  // bytes
  std::optional<int64_t> proportional;
  std::optional<int64_t> integral;
  std::optional<int64_t> change;  // per second
  parse::ParseErrors errors;      // "line N: ..."
};
WritebackRateDebug parse_writeback_rate_debug(std::string_view text);

// <cache>/priority_stats: the "Unused:" and "Metadata:" percentages (the quantiles are not
// used).
struct PriorityStats {
  std::optional<uint64_t> unused_percent;
  std::optional<uint64_t> metadata_percent;
  parse::ParseErrors errors;  // "line N: ..."
};
PriorityStats parse_priority_stats(std::string_view text);

}  // namespace vitals::sysfs
