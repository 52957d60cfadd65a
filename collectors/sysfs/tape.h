// SCSI tape statistics (/sys/class/scsi_tape/st<N>/stats/*): one unsigned counter per file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vitals::sysfs {

// The statistics files, in the order of TapeStats::values.
inline constexpr std::array<std::string_view, 10> kTapeStatFiles = {
    "in_flight", "io_ns",     "other_cnt",      "read_byte_cnt", "read_cnt",
    "read_ns",   "resid_cnt", "write_byte_cnt", "write_cnt",     "write_ns"};

// "1409\n" -> 1409; nullopt when the text is not one decimal number.
std::optional<uint64_t> parse_tape_counter(std::string_view text);

// The devices node_exporter 1.5.0 reads (through prometheus/procfs): "st<digits>" only, not
// the mode (st0a, st0l, st0m) or no-rewind (nst0...) nodes of the same drive.
bool is_tape_device(std::string_view name);

}  // namespace vitals::sysfs
