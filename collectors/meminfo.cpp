// meminfo: node_memory_<Field>[_bytes] from /proc/meminfo (node_exporter 1.5.0 names).
#include "collectors/procfs/meminfo.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

class MeminfoCollector final : public Collector {
 public:
  explicit MeminfoCollector(const Paths& p) : path_(p.proc("meminfo")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto m = procfs::parse_meminfo(reader_.read(path_));
    std::string name, help;
    for (const auto& e : m.entries) {
      // "Active(anon)" -> "Active_anon"; kB values become bytes under a _bytes name.
      std::string key;
      for (char c : e.key) {
        if (c == '(')
          key.push_back('_');
        else if (c != ')')
          key.push_back(c);
      }
      if (e.kb) key += "_bytes";
      name = "node_memory_" + key;
      help = "Memory information field " + key + ".";
      out.add(name, help, MetricType::kGauge).add(e.kb ? e.value * 1024 : e.value);
    }
    throw_if_errors(path_, m.errors);
  }

 private:
  std::string path_;
  FileReader reader_{4096};
};

}  // namespace

VITALS_COLLECTOR(MeminfoCollector, "meminfo", true, "Exposes memory statistics.");

}  // namespace vitals
