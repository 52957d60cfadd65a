// systemd: node_systemd_* over D-Bus (sd-bus), as node_exporter 1.5.0 reads them: the Manager's
// Version and SystemState properties and ListUnits, then per unit that passes unit-include /
// unit-exclude (and is loaded) the properties its families need. The property reads of a
// scrape go out as one pipelined batch (collectors/dbus/bus.h), so thousands of units cost
// thousands of small messages but not thousands of round trips; every call shares the scrape's
// deadline (at most kBudget), and a bus that does not answer fails this collector alone.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "collectors/dbus/bus.h"
#include "collectors/dbus/systemd_units.h"
#include "core/collector.h"

namespace vitals {
namespace {

using dbus::Batch;
using dbus::UnitStatus;

constexpr Desc kUnitState{"node_systemd_unit_state", "Systemd unit", MetricType::kGauge};
constexpr Desc kStartTime{"node_systemd_unit_start_time_seconds",
                          "Start time of the unit since unix epoch in seconds.",
                          MetricType::kGauge};
constexpr Desc kTasksCurrent{"node_systemd_unit_tasks_current",
                             "Current number of tasks per Systemd unit", MetricType::kGauge};
constexpr Desc kTasksMax{"node_systemd_unit_tasks_max", "Maximum number of tasks per Systemd unit",
                         MetricType::kGauge};
constexpr Desc kSystemRunning{"node_systemd_system_running",
                              "Whether the system is operational (see 'systemctl "
                              "is-system-running')",
                              MetricType::kGauge};
constexpr Desc kUnits{"node_systemd_units", "Summary of systemd unit states", MetricType::kGauge};
constexpr Desc kRestarts{"node_systemd_service_restart_total",
                         "Service unit count of Restart triggers", MetricType::kCounter};
constexpr Desc kTimerLastTrigger{"node_systemd_timer_last_trigger_seconds",
                                 "Seconds since epoch of last trigger.", MetricType::kGauge};
constexpr Desc kSocketAccepted{"node_systemd_socket_accepted_connections_total",
                               "Total number of accepted socket connections", MetricType::kCounter};
constexpr Desc kSocketCurrent{"node_systemd_socket_current_connections",
                              "Current number of socket connections", MetricType::kGauge};
// A gauge in node_exporter 1.5.0 despite the _total.
constexpr Desc kSocketRefused{"node_systemd_socket_refused_connections_total",
                              "Total number of refused socket connections", MetricType::kGauge};
constexpr Desc kVersion{"node_systemd_version", "Detected systemd version", MetricType::kGauge};

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr const char* kUnit = "org.freedesktop.systemd1.Unit";
constexpr const char* kService = "org.freedesktop.systemd1.Service";
constexpr const char* kMount = "org.freedesktop.systemd1.Mount";
constexpr const char* kSocket = "org.freedesktop.systemd1.Socket";
constexpr const char* kTimer = "org.freedesktop.systemd1.Timer";
// Below this version systemd has no SystemState nor LastTriggerUSec (node_exporter's rule).
constexpr double kMinVersionSystemState = 212;
// The most one scrape waits for systemd, whatever the scrape's own deadline.
constexpr auto kBudget = std::chrono::seconds(10);

constexpr size_t kNone = std::numeric_limits<size_t>::max();

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Reads ListUnits' a(ssssssouso) reply. False if the reply has another shape.
bool read_units(sd_bus_message* m, std::vector<UnitStatus>& units) {
  if (!m || sd_bus_message_rewind(m, true) < 0) return false;
  if (sd_bus_message_enter_container(m, 'a', "(ssssssouso)") <= 0) return false;
  for (;;) {
    const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
    uint32_t job_id;
    int r = sd_bus_message_read(m, "(ssssssouso)", &name, &description, &load, &active, &sub,
                                &following, &path, &job_id, &job_type, &job_path);
    if (r < 0) return false;
    if (r == 0) break;
    units.push_back({name, load, active, path});
  }
  return sd_bus_message_exit_container(m) >= 0;
}

// The calls made for one unit (kNone: not asked).
struct UnitCalls {
  size_t type = kNone, restarts = kNone, start_time = kNone, tasks_current = kNone,
         tasks_max = kNone, timer = kNone, accepted = kNone, current = kNone, refused = kNone;
};

class SystemdCollector final : public Collector {
 public:
  SystemdCollector(const CollectorOptions& o, const Paths&)
      : filter_(o.str("unit-include"), o.str("unit-exclude")),
        tasks_(o.boolean("enable-task-metrics")),
        restarts_(o.boolean("enable-restarts-metrics")),
        start_time_(o.boolean("enable-start-time-metrics")),
        conn_(o.boolean("private")) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    const auto deadline = dbus::call_deadline(ctx.deadline, kBudget);

    Batch manager(conn_);
    size_t version_call = manager.get_property(kDest, kManagerPath, kManager, "Version");
    size_t state_call = manager.get_property(kDest, kManagerPath, kManager, "SystemState");
    size_t list_call = manager.call(kDest, kManagerPath, kManager, "ListUnits");
    manager.run(deadline, "systemd: ListUnits");

    std::string version;
    double version_number = 0;
    if (manager.string_property(version_call, version)) {
      version_number = dbus::parse_systemd_version(version);
    }
    if (version_number == 0) version.clear();  // node_exporter: invalid or absent -> 0, ""
    out.add(kVersion).add({{"version", version}}, version_number);

    units_.clear();
    if (!manager.reply(list_call)) {
      throw CollectError("systemd: couldn't get units: " + manager.error(list_call));
    }
    if (!read_units(manager.reply(list_call), units_)) {
      throw CollectError("systemd: couldn't get units: ListUnits reply is not a(ssssssouso)");
    }
    Family& summary = out.add(kUnits);
    for (const auto& [state, count] : dbus::summarize_units(units_)) {
      summary.add({{"state", state}}, count);
    }

    const bool modern = version_number >= kMinVersionSystemState;
    filtered_.clear();
    for (const UnitStatus& u : units_) {
      if (filter_(u)) filtered_.push_back(&u);
    }

    Batch props(conn_);
    calls_.assign(filtered_.size(), UnitCalls{});
    for (size_t i = 0; i < filtered_.size(); ++i) {
      const UnitStatus& u = *filtered_[i];
      UnitCalls& c = calls_[i];
      const bool service = ends_with(u.name, ".service");
      if (service) {
        c.type = props.get_property(kDest, u.path, kService, "Type");
        if (restarts_) c.restarts = props.get_property(kDest, u.path, kService, "NRestarts");
        if (tasks_) {
          c.tasks_current = props.get_property(kDest, u.path, kService, "TasksCurrent");
          c.tasks_max = props.get_property(kDest, u.path, kService, "TasksMax");
        }
      } else if (ends_with(u.name, ".mount")) {
        c.type = props.get_property(kDest, u.path, kMount, "Type");
      }
      if (start_time_ && u.active_state == "active") {
        c.start_time = props.get_property(kDest, u.path, kUnit, "ActiveEnterTimestamp");
      }
      if (modern && ends_with(u.name, ".timer")) {
        c.timer = props.get_property(kDest, u.path, kTimer, "LastTriggerUSec");
      }
      if (ends_with(u.name, ".socket")) {
        c.accepted = props.get_property(kDest, u.path, kSocket, "NAccepted");
        c.current = props.get_property(kDest, u.path, kSocket, "NConnections");
        c.refused = props.get_property(kDest, u.path, kSocket, "NRefused");
      }
    }
    props.run(deadline, "systemd: unit properties");

    Family& state = out.add(kUnitState);
    Family* restarts = restarts_ ? &out.add(kRestarts) : nullptr;
    Family* start_time = start_time_ ? &out.add(kStartTime) : nullptr;
    Family* tasks_current = tasks_ ? &out.add(kTasksCurrent) : nullptr;
    Family* tasks_max = tasks_ ? &out.add(kTasksMax) : nullptr;
    Family& timer = out.add(kTimerLastTrigger);
    Family& accepted = out.add(kSocketAccepted);
    Family& current = out.add(kSocketCurrent);
    Family& refused = out.add(kSocketRefused);
    std::string type;
    for (size_t i = 0; i < filtered_.size(); ++i) {
      const UnitStatus& u = *filtered_[i];
      const UnitCalls& c = calls_[i];
      const Label name{"name", u.name};
      // A unit whose property cannot be read loses that sample only (node_exporter logs it at
      // debug level); its Type becomes "".
      type.clear();
      if (c.type != kNone && !props.string_property(c.type, type)) type.clear();
      for (std::string_view s : dbus::kUnitStates) {
        state.add({name, {"state", s}, {"type", type}}, s == u.active_state ? 1 : 0);
      }
      uint32_t u32;
      uint64_t u64;
      if (c.restarts != kNone && props.u32_property(c.restarts, u32)) {
        restarts->add({name}, u32);
      }
      if (start_time) {
        if (u.active_state != "active") {
          start_time->add({name}, 0);
        } else if (props.u64_property(c.start_time, u64)) {
          start_time->add({name}, static_cast<double>(u64) / 1e6);
        }
      }
      constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();
      if (c.tasks_current != kNone && props.u64_property(c.tasks_current, u64) &&
          u64 != kUnlimited) {
        tasks_current->add({name}, static_cast<double>(u64));
      }
      if (c.tasks_max != kNone && props.u64_property(c.tasks_max, u64) && u64 != kUnlimited) {
        tasks_max->add({name}, static_cast<double>(u64));
      }
      if (c.timer != kNone && props.u64_property(c.timer, u64)) {
        timer.add({name}, static_cast<double>(u64) / 1e6);
      }
      // node_exporter stops at the first of NAccepted, NConnections it cannot read; NRefused
      // (systemd >= 239) is optional.
      if (c.accepted != kNone && props.u32_property(c.accepted, u32)) {
        accepted.add({name}, u32);
        if (props.u32_property(c.current, u32)) {
          current.add({name}, u32);
          if (props.u32_property(c.refused, u32)) refused.add({name}, u32);
        }
      }
    }

    if (modern) {
      std::string system_state;
      if (!manager.string_property(state_call, system_state)) {
        throw CollectError("systemd: couldn't get system state: " +
                           (manager.error(state_call).empty() ? std::string("not a string")
                                                              : manager.error(state_call)));
      }
      out.add(kSystemRunning).add(system_state == "running" ? 1 : 0);
    }
  }

 private:
  dbus::UnitFilter filter_;
  bool tasks_, restarts_, start_time_;
  dbus::Connection conn_;
  // Reused between scrapes.
  std::vector<UnitStatus> units_;
  std::vector<const UnitStatus*> filtered_;
  std::vector<UnitCalls> calls_;
};

}  // namespace

VITALS_COLLECTOR(
    SystemdCollector, "systemd", false, "Exposes service and system status from systemd.",
    {{"unit-include", OptionKind::kRegex, ".+",
      "Regexp of systemd units to include. Units must both match include and not match exclude "
      "to be included."},
     {"unit-exclude", OptionKind::kRegex, ".+\\.(automount|device|mount|scope|slice|target)",
      "Regexp of systemd units to exclude. Units must both match include and not match exclude "
      "to be included."},
     {"private", OptionKind::kBool, "false",
      "Establish a private, direct connection to systemd without dbus (strongly discouraged since "
      "it requires root; for testing purposes only)."},
     {"enable-task-metrics", OptionKind::kBool, "false",
      "Enables service unit tasks metrics unit_tasks_current and unit_tasks_max"},
     {"enable-restarts-metrics", OptionKind::kBool, "false",
      "Enables service unit metric service_restart_total"},
     {"enable-start-time-metrics", OptionKind::kBool, "false",
      "Enables service unit metric unit_start_time_seconds"}});

}  // namespace vitals
