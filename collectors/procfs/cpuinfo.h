#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// One processor block of /proc/cpuinfo (x86 field names). Absent fields stay empty.
struct CpuInfo {
  std::string processor, vendor_id, cpu_family, model, model_name, stepping, microcode, cache_size,
      physical_id, core_id;
  std::vector<std::string> flags, bugs;
};

struct CpuInfos {
  std::vector<CpuInfo> cpus;
  parse::ParseErrors errors;
};

CpuInfos parse_cpuinfo(std::string_view text);

// A kernel cpu list such as "1,3-5,9" (sysfs isolated, online, ...). Returns false with
// `error` set on malformed input.
bool parse_cpu_list(std::string_view text, std::vector<unsigned>* out, std::string* error);

}  // namespace vitals::procfs
