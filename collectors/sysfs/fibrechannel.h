// /sys/class/fc_host/<host>/ values as node_exporter 1.5.0 (through prometheus/procfs) reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vitals::sysfs {

// A statistics/<counter> file: "0x13" (hexadecimal, or decimal without the prefix). nullopt when
// it is not a number. Drivers print 0xffffffffffffffff (kFcNotKept) for counters they do not
// keep; node_exporter exports none then.
constexpr uint64_t kFcNotKept = UINT64_MAX;
std::optional<uint64_t> parse_fc_counter(std::string_view text);

// fabric_name, node_name, port_id, port_name: the value without its "0x".
std::string_view fc_strip_hex_prefix(std::string_view text);

}  // namespace vitals::sysfs
