// vmstat: /proc/vmstat fields as node_vmstat_<field>, filtered by --collector.vmstat.fields
// (node_exporter 1.5.0 names and default).
#include "collectors/name_cache.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

class VmstatCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  VmstatCollector(const Paths& p, const std::string& fields)
      : path_(p.proc("vmstat")), names_(Regex(fields)) {}

  void collect(const CollectContext&, MetricSet& out) override {
    parse::parse_key_values(reader_.read(path_), kv_);
    order_.begin();
    for (const auto& v : kv_.entries) order_.add(v.key);
    order_.resolve(kv_.entries.size(), [&](size_t i) -> const NameCache::Entry& {
      std::string_view key = kv_.entries[i].key;
      return names_.get(key, [&](NameCache::Entry& e) {
        e.name = "node_vmstat_" + std::string(key);
        e.help = "/proc/vmstat information field " + std::string(key) + ".";
      });
    });
    for (size_t i = 0; i < kv_.entries.size(); ++i) {
      if (const NameCache::Entry* e = order_.at(i)) {
        out.add(e->name, e->help, MetricType::kUntyped).add(kv_.entries[i].value);
      }
    }
    throw_if_errors(path_, kv_.errors);
  }

 private:
  std::string path_;
  NameCache names_;
  FieldOrder order_;
  parse::KeyValues kv_;
  FileReader reader_{16384};
};

std::unique_ptr<Collector> VmstatCollector::create(const CollectorOptions& o, const Paths& p) {
  return std::make_unique<VmstatCollector>(p, o.str("fields"));
}

}  // namespace

VITALS_COLLECTOR(VmstatCollector, "vmstat", true, "Exposes statistics from /proc/vmstat.",
                 {{"fields", OptionKind::kRegex, "^(oom_kill|pgpg|pswp|pg.*fault).*",
                   "Regexp of fields to return for vmstat collector."}});

}  // namespace vitals
