// meminfo_numa: node_memory_numa_<field>{node} from /sys/devices/system/node/node<N>/meminfo
// (gauges, kB scaled to bytes) and node_memory_numa_<field>_total{node} from .../numastat
// (counters), node_exporter 1.5.0 names. The family of each field name is worked out once and
// kept, so a scrape after the first allocates nothing.
#include <cstring>
#include <map>

#include "collectors/sysfs/node_meminfo.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

class MeminfoNumaCollector final : public Collector {
 public:
  explicit MeminfoNumaCollector(const Paths& p) : dir_(p.sys("devices/system/node")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    fams_.assign(slots_.size(), nullptr);
    parse::ParseErrors errors;
    for (const auto& e : entries_) {
      // node_exporter globs node[0-9]* and takes the digits after "node" as the node number.
      std::string_view name = e.name;
      if (name.size() < 5 || name.substr(0, 4) != "node" || name[4] < '0' || name[4] > '9') {
        continue;
      }
      size_t end = 4;
      while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
      std::string_view number = name.substr(4, end - 4);

      path_.assign(dir_).append("/").append(name).append("/meminfo");
      std::string_view text;
      if (!reader_.try_read(path_, &text, &err)) {
        errors.add_file(path_, std::strerror(err));
        continue;
      }
      sysfs::parse_node_meminfo(text, file_);
      errors.append(path_, file_.errors);
      for (const auto& v : file_.values) {
        sysfs::numa_metric_name(v.name, &metric_);
        family(out, MetricType::kGauge).add({{"node", v.node}}, v.value);
      }

      path_.assign(dir_).append("/").append(name).append("/numastat");
      if (!reader_.try_read(path_, &text, &err)) {
        errors.add_file(path_, std::strerror(err));
        continue;
      }
      sysfs::parse_node_numastat(text, file_);
      errors.append(path_, file_.errors);
      for (const auto& v : file_.values) {
        metric_.assign(v.name).append("_total");
        family(out, MetricType::kCounter).add({{"node", number}}, v.value);
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  struct Slot {
    std::string name;
    std::string help;
    MetricType type;
  };

  // The family for metric_ (created in `out` on first use this scrape).
  Family& family(MetricSet& out, MetricType type) {
    auto it = index_.find(std::string_view(metric_));
    size_t i;
    if (it == index_.end()) {
      i = slots_.size();
      slots_.push_back(
          {"node_memory_numa_" + metric_, "Memory information field " + metric_ + ".", type});
      index_.emplace(metric_, i);
      fams_.push_back(nullptr);
    } else {
      i = it->second;
    }
    if (!fams_[i]) fams_[i] = &out.add(slots_[i].name, slots_[i].help, slots_[i].type);
    return *fams_[i];
  }

  std::string dir_;
  std::string path_;
  std::string metric_;
  std::vector<sysfs::DirEntry> entries_;
  FileReader reader_{4096};
  sysfs::NodeMemFile file_;
  std::vector<Slot> slots_;
  std::map<std::string, size_t, std::less<>> index_;
  std::vector<Family*> fams_;
};

}  // namespace

VITALS_COLLECTOR(MeminfoNumaCollector, "meminfo_numa", false,
                 "Exposes memory statistics per NUMA node from /sys/devices/system/node/.");

}  // namespace vitals
