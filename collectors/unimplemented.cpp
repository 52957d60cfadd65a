// node_exporter 1.5.0 collectors that vitals does not implement (yet). Their enable flags and
// options are accepted, so node_exporter's service files and config carry over; enabling one
// logs a warning and runs nothing. All are off by default here, whatever node_exporter's
// default; docs/collectors.md lists them.
#include "core/collector.h"

namespace vitals {
namespace {

CollectorSpec unimplemented(std::string name, std::vector<OptionDecl> options = {}) {
  CollectorSpec s;
  s.name = std::move(name);
  s.default_enabled = false;
  s.help = "node_exporter collector.";
  s.options = std::move(options);
  s.make = [](const CollectorOptions&, const Paths&) { return std::unique_ptr<Collector>(); };
  s.implemented = false;
  s.source = "collectors/unimplemented.cpp";
  return s;
}

const bool registered = [] {
  using K = OptionKind;
  CollectorRegistry::add(unimplemented("logind"));
  CollectorRegistry::add(unimplemented(
      "systemd", {{"unit-include", K::kRegex, ".+", "Regexp of systemd units to include."},
                  {"unit-exclude", K::kRegex, ".+\\.(automount|device|mount|scope|slice|target)",
                   "Regexp of systemd units to exclude."},
                  {"enable-task-metrics", K::kBool, "false", "Enables service unit tasks metrics."},
                  {"enable-restarts-metrics", K::kBool, "false",
                   "Enables service unit metric service_restart_total."},
                  {"enable-start-time-metrics", K::kBool, "false",
                   "Enables service unit metric unit_start_time_seconds."}}));
  return true;
}();

}  // namespace
}  // namespace vitals
