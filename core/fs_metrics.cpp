#include "core/fs_metrics.h"

#include "core/fs.h"
#include "core/prometheus_cpp.h"

namespace vitals {

std::shared_ptr<prometheus::Collectable> file_cache_metrics() {
  return std::make_shared<CallbackCollectable>([] {
    std::vector<prometheus::MetricFamily> v;
    v.push_back(gauge_family("vitals_collector_kept_open_files",
                             "procfs/sysfs files collectors keep open between scrapes.",
                             FileReader::kept_open()));
    v.push_back(gauge_family("vitals_collector_kept_open_files_max",
                             "Limit on kept-open files (--collector.keep-open-files).",
                             FileReader::keep_open_limit()));
    return v;
  });
}

}  // namespace vitals
