// lnstat: node_lnstat_<column>_total{subsystem,cpu} from every file in /proc/net/stat/
// (node_exporter 1.5.0 names). The family of each column name is worked out once and kept.
#include <cstring>
#include <map>

#include "collectors/procfs/lnstat.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

class LnstatCollector final : public Collector {
 public:
  explicit LnstatCollector(const Paths& p) : dir_(p.proc("net/stat")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &files_, &err)) {
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    fams_.assign(names_.size(), nullptr);
    parse::ParseErrors errors;
    for (const auto& f : files_) {
      if (!f.is_regular) continue;
      path_.assign(dir_).append("/").append(f.name);
      std::string_view text;
      if (!reader_.try_read(path_, &text, &err)) {
        errors.add_file(path_, std::strerror(err));
        continue;
      }
      procfs::parse_lnstat(text, file_);
      errors.append(path_, file_.errors);
      for (size_t h = 0; h < file_.headers.size(); ++h) {
        Family& fam = family(out, file_.headers[h]);
        for (const auto& row : file_.rows) {
          if (static_cast<size_t>(row.cpu) >= cpus_.size()) {
            cpus_.resize(static_cast<size_t>(row.cpu) + 1);
            for (size_t i = 0; i < cpus_.size(); ++i) cpus_[i] = std::to_string(i);
          }
          fam.add({{"cpu", cpus_[static_cast<size_t>(row.cpu)]}, {"subsystem", f.name}},
                  static_cast<double>(row.values[h]));
        }
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  Family& family(MetricSet& out, std::string_view header) {
    auto it = index_.find(header);
    size_t i;
    if (it == index_.end()) {
      i = names_.size();
      names_.push_back("node_lnstat_" + std::string(header) + "_total");
      index_.emplace(std::string(header), i);
      fams_.push_back(nullptr);
    } else {
      i = it->second;
    }
    if (!fams_[i]) {
      fams_[i] = &out.add(names_[i], "linux network cache stats", MetricType::kCounter);
    }
    return *fams_[i];
  }

  std::string dir_;
  std::string path_;
  std::vector<sysfs::DirEntry> files_;
  FileReader reader_{8192};
  procfs::LnstatFile file_;
  std::vector<std::string> names_;
  std::map<std::string, size_t, std::less<>> index_;
  std::vector<Family*> fams_;
  std::vector<std::string> cpus_;
};

}  // namespace

VITALS_COLLECTOR(LnstatCollector, "lnstat", false,
                 "Exposes stats from /proc/net/stat/ (the counters lnstat shows).");

}  // namespace vitals
