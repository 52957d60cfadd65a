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
  for (const char* n : {"drm", "network_route"}) {
    CollectorRegistry::add(unimplemented(n));
  }
  CollectorRegistry::add(unimplemented(
      "ethtool", {{"device-include", K::kRegex, "", "Regexp of ethtool devices to include."},
                  {"device-exclude", K::kRegex, "", "Regexp of ethtool devices to exclude."},
                  {"metrics-include", K::kRegex, ".*", "Regexp of ethtool stats to include."}}));
  CollectorRegistry::add(unimplemented(
      "ntp", {{"server", K::kString, "127.0.0.1", "NTP server to use for ntp collector."},
              {"server-port", K::kInt, "123", "UDP port number to connect to on NTP server."},
              {"protocol-version", K::kInt, "4", "NTP protocol version."},
              {"server-is-local", K::kBool, "false", "Certify that the server is local."},
              {"ip-ttl", K::kInt, "1", "IP TTL to use while sending NTP query."},
              {"max-distance", K::kDuration, "3.46608s", "Max accumulated distance to the root."},
              {"local-offset-tolerance", K::kDuration, "1ms",
               "Offset between local clock and local ntpd time to tolerate."}}));
  CollectorRegistry::add(unimplemented(
      "perf",
      {{"cpus", K::kString, "", "List of CPUs from which perf metrics should be collected."},
       {"tracepoint", K::kStrings, "", "perf tracepoint that should be collected."}}));
  CollectorRegistry::add(unimplemented(
      "runit", {{"servicedir", K::kString, "/etc/service", "Path to runit service directory."}}));
  CollectorRegistry::add(unimplemented(
      "supervisord", {{"url", K::kString, "http://localhost:9001/RPC2", "XML RPC endpoint."}}));
  return true;
}();

}  // namespace
}  // namespace vitals
