// filefd: /proc/sys/fs/file-nr (node_exporter 1.5.0 names).
#include "collectors/procfs/keyvalue.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kAllocated{"node_filefd_allocated", "File descriptor statistics: allocated.",
                          MetricType::kGauge};
constexpr Desc kMaximum{"node_filefd_maximum", "File descriptor statistics: maximum.",
                        MetricType::kGauge};

class FilefdCollector final : public Collector {
 public:
  explicit FilefdCollector(const Paths& p) : path_(p.proc("sys/fs/file-nr")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    procfs::FileNr nr;
    std::string err;
    if (!procfs::parse_file_nr(reader_.read(path_), &nr, &err)) {
      throw CollectError(path_ + ": " + err);
    }
    out.add(kAllocated).add(nr.allocated);
    out.add(kMaximum).add(nr.maximum);
  }

 private:
  std::string path_;
  FileReader reader_{128};
};

}  // namespace

VITALS_COLLECTOR(FilefdCollector, "filefd", true,
                 "Exposes file descriptor statistics from /proc/sys/fs/file-nr.");

}  // namespace vitals
