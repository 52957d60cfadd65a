// A collector that reads a file when created (process_groups' config file) says through this
// second base whether that file changed: a reload (SIGHUP) that leaves the collector's options
// as they are then creates it anew, and a bad file fails the reload, keeping the running one.
#pragma once

namespace vitals {

class ReloadableCollector {
 public:
  virtual ~ReloadableCollector() = default;
  // True when a file read at creation has changed since. May run beside collect().
  virtual bool stale() const = 0;
};

}  // namespace vitals
