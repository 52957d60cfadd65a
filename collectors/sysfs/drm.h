// /sys/class/drm/card<N>/device files as node_exporter 1.5.0 reads them for its drm collector
// (prometheus/procfs' ClassDRMCardAMDGPUStats): each file's first 128 bytes (one read of that
// size), whitespace trimmed; the card counts as amdgpu when its uevent has "DRIVER=amdgpu".
// Pure functions on the files' text.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vitals::sysfs {

// procfs' SysReadFile: the first 128 bytes of `text`, whitespace trimmed.
std::string_view drm_field(std::string_view text);

// Whether a device/uevent text names the amdgpu driver (anywhere in its first 128 bytes).
bool drm_is_amdgpu(std::string_view uevent);

// A numeric field as Go's strconv.ParseUint(s, 0, 64) reads it (decimal, 0x/0o/0b, leading 0
// octal); nullopt when it is not one.
std::optional<uint64_t> drm_uint(std::string_view field);

// Whether a /sys/class/drm entry is one procfs' glob "card[0-9]" matches.
bool drm_is_card(std::string_view name);

}  // namespace vitals::sysfs
