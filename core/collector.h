// The collector framework. A collector is one .cpp file in collectors/ that registers itself
// with one VITALS_COLLECTOR(Class, name, default, help, options...) line: adding a collector
// touches no central list. Its options become flags --collector.<name>.<option> (and
// config-file keys of the same name).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/fs.h"
#include "core/regex.h"
#include "model/metric.h"

namespace vitals {

// What a collector could not read because the agent lacks a permission (EACCES/EPERM on a file,
// directory or link it would otherwise count): a process's fd directory, a root-only sysfs file,
// a mount point below a directory it may not search. The scraper publishes the count of the last
// run as vitals_collector_permission_denied{collector} and logs one line when it turns non-zero
// (and one when it is back at zero), never one per scrape. See docs/privileges.md.
struct PermissionDenied {
  uint64_t items = 0;
  std::string first;  // the first item denied in this run, for the log line
  void add(std::string_view what, uint64_t n = 1) {
    if (n == 0) return;
    if (items == 0) first.assign(what);
    items += n;
  }
};

struct CollectContext {
  const Paths& paths;
  // When the scrape gives up on this collector. Long collectors may check it between items.
  std::chrono::steady_clock::time_point deadline;
  // Where permission_denied() counts; null outside a scrape (tests, benchmarks).
  PermissionDenied* denied = nullptr;
  // `n` items skipped for lack of a permission (`what`: the first one's path). Cheap: a counter
  // increment.
  void permission_denied(std::string_view what, uint64_t n = 1) const {
    if (denied) denied->add(what, n);
  }
};

class Collector {
 public:
  virtual ~Collector() = default;
  // Adds this collector's families to `out`. Failure is reported by throwing (CollectError or
  // any std::exception); families added before the throw are kept, and the scrape shows
  // node_scrape_collector_success{collector="X"} 0 with the message logged.
  // Bad input has one rule: a malformed item (one line of a file, one per-device file) is
  // skipped and recorded in a parse::ParseErrors; the collector emits every good value first,
  // then throws with ParseErrors::message(path) ("PATH:LINE: message (and N more)", see
  // throw_if_errors in collectors/util.h). A file whose absence is normal is not an error: a
  // process or cgroup that vanishes mid-read (ENOENT/ESRCH on a per-pid or per-cgroup file) is
  // skipped silently everywhere.
  // collect() is never called concurrently on one instance, so it may keep reusable buffers,
  // but never values of one item carried over to the next.
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
  // The source file that registered it (for the duplicate-name message).
  std::string source = {};
};

class CollectorRegistry {
 public:
  // Registers `spec` (source: the registering file). A name registered twice is not added;
  // the error is kept in errors(), which main() checks before anything else (a throw here
  // would terminate before main, from a static initializer).
  static bool add(CollectorSpec spec, std::string_view source = {});
  // All registered collectors, sorted by name.
  static const std::vector<CollectorSpec>& all();
  static const CollectorSpec* find(std::string_view name);
  // "collector X registered twice (a.cpp and b.cpp)", one per refused registration.
  static const std::vector<std::string>& errors();
  // The testable core of add(): inserts `spec` into the sorted `specs`, or returns the error.
  static std::optional<std::string> add_to(std::vector<CollectorSpec>& specs, CollectorSpec spec);
};

// The factory of a collector class: its static create(options, paths) when it has one (for
// collectors that check or combine options first), else its constructor from
// (const CollectorOptions&, const Paths&), from (const Paths&) or from nothing.
template <class C>
std::unique_ptr<Collector> make_collector(const CollectorOptions& o, const Paths& p) {
  if constexpr (requires { C::create(o, p); }) {
    return C::create(o, p);
  } else if constexpr (std::is_constructible_v<C, const CollectorOptions&, const Paths&>) {
    return std::make_unique<C>(o, p);
  } else if constexpr (std::is_constructible_v<C, const Paths&>) {
    return std::make_unique<C>(p);
  } else {
    return std::make_unique<C>();
  }
}

template <class C>
CollectorSpec collector_spec(std::string name, bool default_enabled, std::string help,
                             std::vector<OptionDecl> options = {}) {
  return {.name = std::move(name),
          .default_enabled = default_enabled,
          .help = std::move(help),
          .options = std::move(options),
          .make = &make_collector<C>};
}

// One declaration per collector, at the end of its .cpp (at namespace scope in vitals):
//   VITALS_COLLECTOR(MeminfoCollector, "meminfo", true, "Exposes memory statistics.");
//   VITALS_COLLECTOR(VmstatCollector, "vmstat", true, "help", {{"fields", ...}});
#define VITALS_COLLECTOR(Class, name, default_enabled, help, ...)                              \
  [[maybe_unused]] static const bool Class##_registered = ::vitals::CollectorRegistry::add(    \
      ::vitals::collector_spec<Class>(name, default_enabled, help __VA_OPT__(, ) __VA_ARGS__), \
      __FILE__)

}  // namespace vitals
