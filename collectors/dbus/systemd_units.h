// The pure parts of the systemd and logind collectors (no D-Bus): node_exporter 1.5.0's unit
// filter, state summary, version parsing and logind's label folding.
#pragma once

#include <array>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "core/regex.h"

namespace vitals::dbus {

// One entry of org.freedesktop.systemd1.Manager.ListUnits (the fields the collector uses).
struct UnitStatus {
  std::string name;
  std::string load_state;
  std::string active_state;
  std::string path;  // the unit's object path
};

// The ActiveState values node_systemd_unit_state and node_systemd_units always show.
inline constexpr std::array<std::string_view, 5> kUnitStates = {
    "active", "activating", "deactivating", "inactive", "failed"};

// The filter as node_exporter applies it: the whole name matches `include` and does not match
// `exclude` (both anchored), and the unit is loaded.
class UnitFilter {
 public:
  UnitFilter(std::string_view include, std::string_view exclude);
  bool operator()(const UnitStatus& u) const;

 private:
  Regex include_;
  Regex exclude_;
};

// Units per ActiveState over all listed units (before filtering): the five states of kUnitStates
// always, and any other state that occurs.
std::map<std::string, double, std::less<>> summarize_units(std::span<const UnitStatus> units);

// The Manager's Version property ("252.22-1~deb12u1") as a number: the first run of 3 or more
// digits with an optional ".digits" after it (252.22); 0 when there is none.
double parse_systemd_version(std::string_view version);

// logind: the session types and classes node_exporter knows; others count as "other".
inline constexpr std::array<std::string_view, 7> kSessionTypes = {
    "other", "unspecified", "tty", "x11", "wayland", "mir", "web"};
inline constexpr std::array<std::string_view, 5> kSessionClasses = {"other", "user", "greeter",
                                                                    "lock-screen", "background"};
template <size_t N>
std::string_view known_or_other(std::string_view value,
                                const std::array<std::string_view, N>& known) {
  for (std::string_view k : known) {
    if (k == value) return k;
  }
  return "other";
}

}  // namespace vitals::dbus
