// The file cache's self metrics: procfs/sysfs files FileReader keeps open between scrapes, and
// their limit (--collector.keep-open-files), read when scraped.
#pragma once

#include <prometheus/collectable.h>

#include <memory>

namespace vitals {

std::shared_ptr<prometheus::Collectable> file_cache_metrics();

}  // namespace vitals
