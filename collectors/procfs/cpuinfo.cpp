#include "collectors/procfs/cpuinfo.h"

#include "core/parse.h"

namespace vitals::procfs {
namespace {

void split_words(std::string_view v, std::vector<std::string>* out) {
  std::string_view f;
  while (parse::next_field(v, f)) out->emplace_back(f);
}

}  // namespace

CpuInfos parse_cpuinfo(std::string_view text) {
  CpuInfos r;
  std::string_view line;
  int n = 0;
  CpuInfo* cur = nullptr;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) {
      cur = nullptr;
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      r.errors.add(n, "missing ':'", line);
      continue;
    }
    std::string_view key = parse::trim(line.substr(0, colon));
    std::string_view val = parse::trim(line.substr(colon + 1));
    if (key == "processor") {
      if (!parse::to_u64(val)) {
        // Some architectures print "processor : ARMv7 ..." headers; not a CPU block.
        cur = nullptr;
        continue;
      }
      cur = &r.cpus.emplace_back();
      cur->processor = val;
      continue;
    }
    if (!cur) continue;
    if (key == "vendor_id")
      cur->vendor_id = val;
    else if (key == "cpu family")
      cur->cpu_family = val;
    else if (key == "model")
      cur->model = val;
    else if (key == "model name")
      cur->model_name = val;
    else if (key == "stepping")
      cur->stepping = val;
    else if (key == "microcode")
      cur->microcode = val;
    else if (key == "cache size")
      cur->cache_size = val;
    else if (key == "physical id")
      cur->physical_id = val;
    else if (key == "core id")
      cur->core_id = val;
    else if (key == "flags")
      split_words(val, &cur->flags);
    else if (key == "bugs")
      split_words(val, &cur->bugs);
  }
  return r;
}

bool parse_cpu_list(std::string_view text, std::vector<unsigned>* out, std::string* error) {
  text = parse::trim(text);
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    size_t dash = item.find('-');
    auto lo = parse::to_u64(item.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : parse::to_u64(item.substr(dash + 1));
    // A cpu number over 2^20 - 1 is far above any kernel's NR_CPUS (8192 on x86-64), and
    // UINT64_MAX as the end would never end the loop below (found by fuzz.sysfs).
    constexpr uint64_t kMaxCpu = (uint64_t{1} << 20) - 1;
    if (!lo || !hi || *hi < *lo || *hi > kMaxCpu || *hi - *lo > 65536) {
      *error = "invalid cpu range \"" + std::string(item) + "\"";
      return false;
    }
    for (uint64_t c = *lo; c <= *hi; ++c) out->push_back(static_cast<unsigned>(c));
  }
  return true;
}

}  // namespace vitals::procfs
