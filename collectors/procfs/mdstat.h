// /proc/mdstat: one entry per md device, with the rules node_exporter 1.5.0 (through
// prometheus/procfs) applies: disk counts from the "[n/m]" status, failed "(F)" and spare "(S)"
// members counted on the device line, raid0/linear arrays counting their members as active,
// and the sync line (recovery, resync, check; PENDING/DELAYED meaning nothing synced yet).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct MdStat {
  std::string name;
  std::string activity_state;  // active, inactive, recovering, resyncing, checking, ...
  int64_t disks_active = 0;
  int64_t disks_failed = 0;
  int64_t disks_spare = 0;
  int64_t disks_total = 0;
  int64_t blocks_total = 0;
  int64_t blocks_synced = 0;
};

struct Mdstat {
  std::vector<MdStat> devices;
  parse::ParseErrors errors;  // "line N: ..."
};

Mdstat parse_mdstat(std::string_view text);

}  // namespace vitals::procfs
