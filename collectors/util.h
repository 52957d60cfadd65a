// Small helpers shared by collectors.
#pragma once

#include <string>
#include <vector>

#include "core/fs.h"

namespace vitals {

// After a collector has emitted what parsed, reports the lines that did not: the scrape keeps
// the good values and the collector shows as failed with a message naming the file and line.
inline void throw_if_errors(const std::string& path, const std::vector<std::string>& errors) {
  if (errors.empty()) return;
  std::string msg = path + ": " + errors.front();
  if (errors.size() > 1) msg += " (and " + std::to_string(errors.size() - 1) + " more)";
  throw CollectError(msg);
}

}  // namespace vitals
