// cpu: per-CPU time per mode from /proc/stat, guest time, /proc/cpuinfo (with
// --collector.cpu.info), thermal throttle counts and isolated CPUs from sysfs (node_exporter
// 1.5.0 names and flags).
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "collectors/procfs/cpuinfo.h"
#include "collectors/procfs/stat.h"
#include "collectors/util.h"
#include "core/collector.h"
#include "core/log.h"

namespace vitals {
namespace {

constexpr Desc kSeconds{"node_cpu_seconds_total", "Seconds the CPUs spent in each mode.",
                        MetricType::kCounter};
constexpr Desc kGuest{"node_cpu_guest_seconds_total",
                      "Seconds the CPUs spent in guests (VMs) for each mode.",
                      MetricType::kCounter};
constexpr Desc kInfo{"node_cpu_info", "CPU information from /proc/cpuinfo.", MetricType::kGauge};
constexpr Desc kFlagInfo{
    "node_cpu_flag_info",
    "The `flags` field of CPU information from /proc/cpuinfo taken from the first core.",
    MetricType::kGauge};
constexpr Desc kBugInfo{
    "node_cpu_bug_info",
    "The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.",
    MetricType::kGauge};
constexpr Desc kCoreThrottles{"node_cpu_core_throttles_total",
                              "Number of times this CPU core has been throttled.",
                              MetricType::kCounter};
constexpr Desc kPackageThrottles{"node_cpu_package_throttles_total",
                                 "Number of times this CPU package has been throttled.",
                                 MetricType::kCounter};
constexpr Desc kIsolated{
    "node_cpu_isolated",
    "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
    MetricType::kGauge};

// /proc/stat column order: user nice system idle iowait irq softirq steal guest guest_nice.
constexpr std::string_view kModes[8] = {"user",   "nice", "system",  "idle",
                                        "iowait", "irq",  "softirq", "steal"};

struct CpuOptions {
  bool guest = true;
  bool info = false;
  std::string flags_include;
  std::string bugs_include;
};

class CpuCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  CpuCollector(const Paths& p, CpuOptions o)
      : paths_(p),
        stat_path_(p.proc("stat")),
        cpuinfo_path_(p.proc("cpuinfo")),
        opts_(std::move(o)) {
    long hz = ::sysconf(_SC_CLK_TCK);
    user_hz_ = hz > 0 ? double(hz) : 100.0;
    if (!opts_.flags_include.empty()) flags_re_ = Regex(opts_.flags_include);
    if (!opts_.bugs_include.empty()) bugs_re_ = Regex(opts_.bugs_include);
  }

  void collect(const CollectContext&, MetricSet& out) override {
    parse::ParseErrors errors;
    if (opts_.info) collect_info(out, errors);
    collect_throttles(out);
    collect_isolated(out, errors);
    collect_stat(out, errors);
    throw_if_errors(stat_path_, errors);
  }

 private:
  const std::string& cpu_label(int cpu) {
    while (static_cast<int>(cpu_labels_.size()) <= cpu) {
      cpu_labels_.push_back(std::to_string(cpu_labels_.size()));
    }
    return cpu_labels_[cpu];
  }

  // The static fields of /proc/cpuinfo are read once.
  void collect_info(MetricSet& out, parse::ParseErrors& errors) {
    if (!cpuinfo_) {
      auto parsed = procfs::parse_cpuinfo(reader_.read(cpuinfo_path_));
      errors.append(cpuinfo_path_, parsed.errors);
      cpuinfo_ = std::move(parsed.cpus);
    }
    Family& info = out.add(kInfo);
    for (const auto& c : *cpuinfo_) {
      info.add({{"package", c.physical_id},
                {"core", c.core_id},
                {"cpu", c.processor},
                {"vendor", c.vendor_id},
                {"family", c.cpu_family},
                {"model", c.model},
                {"model_name", c.model_name},
                {"microcode", c.microcode},
                {"stepping", c.stepping},
                {"cachesize", c.cache_size}},
               1);
    }
    if (cpuinfo_->empty()) return;
    auto field_info = [&](const Desc& d, const Regex& re, const std::vector<std::string>& values,
                          std::string_view label) {
      if (!re) return;
      Family& f = out.add(d);
      for (const auto& v : values) {
        if (re.search(v)) f.add({{label, v}}, 1);
      }
    };
    field_info(kFlagInfo, flags_re_, cpuinfo_->front().flags, "flag");
    field_info(kBugInfo, bugs_re_, cpuinfo_->front().bugs, "bug");
  }

  struct ThrottleSource {
    std::string package;
    std::string core;  // empty: this entry is a package counter
    std::string path;
  };

  // Topology does not change while a CPU is online, so which files hold which core's and
  // package's counters is worked out once; each scrape then reads only the counters.
  void discover_throttles() {
    throttles_.emplace();
    std::string base = paths_.sys("devices/system/cpu");
    DIR* d = ::opendir(base.c_str());
    if (!d) return;
    std::vector<std::pair<unsigned, std::string>> cpus;
    while (dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n.size() > 3 && n.substr(0, 3) == "cpu") {
        if (auto idx = parse::to_u64(n.substr(3))) cpus.emplace_back(*idx, base + "/" + e->d_name);
      }
    }
    ::closedir(d);
    std::sort(cpus.begin(), cpus.end());
    std::map<std::string, bool> seen_pkg;
    std::map<std::pair<std::string, std::string>, bool> seen_core;
    for (const auto& [idx, dir] : cpus) {
      auto pkg = read_value(reader_, dir + "/topology/physical_package_id");
      if (!pkg || !parse::to_u64(*pkg)) continue;
      std::string package(*pkg);
      auto core_v = read_value(reader_, dir + "/topology/core_id");
      if (!core_v || !parse::to_u64(*core_v)) continue;
      std::string core(*core_v);
      if (!seen_core[{package, core}]) {
        std::string path = dir + "/thermal_throttle/core_throttle_count";
        if (read_number(reader_, path)) {
          seen_core[{package, core}] = true;
          throttles_->push_back({package, core, path});
        }
      }
      if (!seen_pkg[package]) {
        std::string path = dir + "/thermal_throttle/package_throttle_count";
        if (read_number(reader_, path)) {
          seen_pkg[package] = true;
          throttles_->push_back({package, "", path});
        }
      }
    }
  }

  void collect_throttles(MetricSet& out) {
    if (!throttles_) discover_throttles();
    if (throttles_->empty()) return;
    Family& core = out.add(kCoreThrottles);
    Family& pkg = out.add(kPackageThrottles);
    for (const auto& t : *throttles_) {
      auto v = read_number(reader_, t.path);
      if (!v) continue;  // a CPU went offline
      if (t.core.empty()) {
        pkg.add({{"package", t.package}}, *v);
      } else {
        core.add({{"package", t.package}, {"core", t.core}}, *v);
      }
    }
  }

  // The isolated set is fixed at boot (isolcpus=), so it is read once.
  void collect_isolated(MetricSet& out, parse::ParseErrors& errors) {
    if (!isolated_) {
      isolated_.emplace();
      std::string path = paths_.sys("devices/system/cpu/isolated");
      if (auto v = read_value(reader_, path)) {
        std::string err;
        std::vector<unsigned> cpus;
        if (!procfs::parse_cpu_list(*v, &cpus, &err)) {
          errors.add_file(path, err);
        } else {
          for (unsigned c : cpus) isolated_->push_back(std::to_string(c));
        }
      }
    }
    if (isolated_->empty()) return;
    Family& f = out.add(kIsolated);
    for (const auto& c : *isolated_) f.add({{"cpu", c}}, 1);
  }

  // node_exporter 1.5.0 keeps the counters monotonic: a counter that goes backwards keeps its
  // previous value, except idle jumping back 3 s or more, which means the CPU was replugged
  // and takes the new values.
  void monotonic(procfs::CpuTicks& c) {
    if (c.cpu < 0) return;
    if (static_cast<size_t>(c.cpu) >= prev_.size()) prev_.resize(c.cpu + 1);
    auto& p = prev_[c.cpu];
    if (p && p->fields == c.fields) {
      constexpr int kIdle = 3;
      bool replugged = (p->ticks[kIdle] - c.ticks[kIdle]) / user_hz_ >= 3.0;
      if (!replugged) {
        for (int i = 0; i < c.fields; ++i) c.ticks[i] = std::max(c.ticks[i], p->ticks[i]);
      }
    }
    p = c;
  }

  void collect_stat(MetricSet& out, parse::ParseErrors& errors) {
    auto s = procfs::parse_stat(reader_.read(stat_path_));
    Family& secs = out.add(kSeconds);
    Family* guest = opts_.guest ? &out.add(kGuest) : nullptr;
    for (auto& c : s.cpus) {
      monotonic(c);
      const std::string& cpu = cpu_label(c.cpu);
      for (int m = 0; m < 8 && m < c.fields; ++m) {
        secs.add({{"cpu", cpu}, {"mode", kModes[m]}}, c.ticks[m] / user_hz_);
      }
      if (guest && c.fields >= 10) {
        guest->add({{"cpu", cpu}, {"mode", "user"}}, c.ticks[8] / user_hz_);
        guest->add({{"cpu", cpu}, {"mode", "nice"}}, c.ticks[9] / user_hz_);
      }
    }
    errors.append(stat_path_, s.errors);
  }

  Paths paths_;
  std::string stat_path_, cpuinfo_path_;
  CpuOptions opts_;
  double user_hz_ = 100;
  Regex flags_re_, bugs_re_;
  std::optional<std::vector<procfs::CpuInfo>> cpuinfo_;
  std::optional<std::vector<ThrottleSource>> throttles_;
  std::optional<std::vector<std::string>> isolated_;
  std::vector<std::optional<procfs::CpuTicks>> prev_;
  std::vector<std::string> cpu_labels_;
  FileReader reader_{16384};
};

std::unique_ptr<Collector> CpuCollector::create(const CollectorOptions& o, const Paths& p) {
  CpuOptions c;
  c.guest = o.boolean("guest");
  c.info = o.boolean("info");
  c.flags_include = o.str("info.flags-include");
  c.bugs_include = o.str("info.bugs-include");
  return std::make_unique<CpuCollector>(p, std::move(c));
}

}  // namespace

VITALS_COLLECTOR(CpuCollector, "cpu", true, "Exposes CPU statistics.",
                 {{"guest", OptionKind::kBool, "true",
                   "Enables metric node_cpu_guest_seconds_total"},
                  {"info", OptionKind::kBool, "false", "Enables metric cpu_info"},
                  {"info.flags-include", OptionKind::kRegex, "",
                   "Filter the `flags` field in cpuInfo with a value that must be a regular "
                   "expression"},
                  {"info.bugs-include", OptionKind::kRegex, "",
                   "Filter the `bugs` field in cpuInfo with a value that must be a regular "
                   "expression"}});

}  // namespace vitals
