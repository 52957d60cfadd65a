// /sys/class/infiniband/<device>/ports/<port>/ values as node_exporter 1.5.0 (through
// prometheus/procfs) reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vitals::sysfs {

// rate: "40 Gb/sec (4X QDR)" -> bytes per second (5e9). nullopt when not "<number> Gb/...".
std::optional<uint64_t> parse_ib_rate(std::string_view text);

// state, phys_state: "4: ACTIVE" -> 4.
std::optional<uint64_t> parse_ib_state(std::string_view text);

// A counter file: a number, or "N/A (no PMA)" when the device has no performance management
// agent (the counter is not exported then).
enum class IbCounter { kValue, kNotAvailable, kInvalid };
IbCounter parse_ib_counter(std::string_view text, uint64_t* value);

}  // namespace vitals::sysfs
