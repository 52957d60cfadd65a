// The perf collector's option parsing (pure) and its tracepoint id lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs.h"

namespace vitals::perf {

// --collector.perf.cpus as node_exporter 1.5.0 reads it: a comma-separated list of CPU numbers
// and ranges "A-B", a range with an optional stride "A-B:S" (A, A+S, ... up to B). Empty: an
// empty list. nullopt with *error for anything else.
std::optional<std::vector<int>> parse_cpus(std::string_view flag, std::string* error);

struct Tracepoint {
  std::string subsystem;
  std::string event;
};

// "subsystem:event", nullopt with *error otherwise.
std::optional<Tracepoint> parse_tracepoint(std::string_view flag, std::string* error);

// The tracepoint's id from tracefs (<sysfs>/kernel/tracing or <sysfs>/kernel/debug/tracing,
// events/<subsystem>/<event>/id), nullopt with *error when neither has it.
std::optional<uint64_t> tracepoint_id(const Paths& p, const Tracepoint& t, std::string* error);

}  // namespace vitals::perf
