#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// /proc/net/arp, reduced to what node_exporter reports: entries per device, in order of first
// appearance.
struct ArpDeviceCount {
  std::string_view device;  // points into the parsed text
  double entries = 0;
};

struct Arp {
  std::vector<ArpDeviceCount> devices;
  parse::ParseErrors errors;
};

Arp parse_arp(std::string_view text);

}  // namespace vitals::procfs
