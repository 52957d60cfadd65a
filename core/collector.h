// The collector framework. A collector is one .cpp file in collectors/ that registers a
// CollectorSpec (name, default, options, factory) with VITALS_REGISTER_COLLECTOR: adding a
// collector touches no central list. Its options become flags
// --collector.<name>.<option> (and config-file keys of the same name).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs.h"
#include "core/regex.h"
#include "model/metric.h"

namespace vitals {

struct CollectContext {
  const Paths& paths;
  // When the scrape gives up on this collector. Long collectors may check it between items.
  std::chrono::steady_clock::time_point deadline;
};

class Collector {
 public:
  virtual ~Collector() = default;
  // Adds this collector's families to `out`. A failure of the whole collector is reported by
  // throwing (CollectError or any std::exception); families added before the throw are kept.
  // A bad item (one malformed line, one vanished file) should be logged and skipped instead.
  // collect() is never called concurrently on one instance, so it may keep reusable buffers.
  virtual void collect(const CollectContext& ctx, MetricSet& out) = 0;
};

enum class OptionKind { kString, kStrings, kBool, kRegex, kDuration, kInt };

struct OptionDecl {
  std::string name;  // the part after "collector.<collector>."
  OptionKind kind;
  std::string default_value;  // text form; empty for kStrings
  std::string help;
  // The whole flag name (without "--") when it is not collector.<collector>.<name>, for
  // node_exporter's exceptions (powersupplyclass' options are collector.powersupply.*).
  std::string flag = {};
};

// The validated values of one collector's options.
class CollectorOptions {
 public:
  const std::string& str(std::string_view name) const;
  const std::vector<std::string>& strs(std::string_view name) const;
  bool boolean(std::string_view name) const;
  int64_t integer(std::string_view name) const;
  std::chrono::nanoseconds duration(std::string_view name) const;
  // The option's text compiled as a Go (RE2) regexp; validated at config time.
  Regex regex(std::string_view name) const;
  // True when the option was given (command line or config file), not defaulted.
  bool is_set(std::string_view name) const;

  void set(std::string name, std::vector<std::string> values, bool explicitly);
  bool operator==(const CollectorOptions& o) const { return values_ == o.values_; }

 private:
  const std::vector<std::string>& raw(std::string_view name) const;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::map<std::string, bool, std::less<>> explicit_;
};

struct CollectorSpec {
  std::string name;
  bool default_enabled = true;
  std::string help;  // one line for --help and the docs
  std::vector<OptionDecl> options;
  std::function<std::unique_ptr<Collector>(const CollectorOptions&, const Paths&)> make;
  // False for node_exporter collectors whose flags vitals accepts (so service files carry
  // over) but does not implement: enabling one logs a warning and runs nothing.
  bool implemented = true;
};

class CollectorRegistry {
 public:
  static bool add(CollectorSpec spec);
  // All registered collectors, sorted by name.
  static const std::vector<CollectorSpec>& all();
  static const CollectorSpec* find(std::string_view name);
};

#define VITALS_REGISTER_COLLECTOR(ident, ...)             \
  [[maybe_unused]] static const bool ident##_registered = \
      ::vitals::CollectorRegistry::add(__VA_ARGS__)

}  // namespace vitals
