#include "collectors/sysfs/hwmon.h"

#include <array>
#include <charconv>

namespace vitals::sysfs {

std::optional<SensorFile> explode_sensor_filename(std::string_view name) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t max_type = 0;
  while (max_type < name.size() && !digit(name[max_type])) ++max_type;
  for (size_t tlen = max_type; tlen >= 1; --tlen) {
    size_t i = tlen;
    while (i < name.size() && digit(name[i])) ++i;
    std::string_view id = name.substr(tlen, i - tlen);
    std::string_view rest = name.substr(i);
    bool ok = rest.empty() || (rest.size() >= 2 && rest.front() == '_');
    if (!ok) continue;
    SensorFile f;
    f.type.assign(name.substr(0, tlen));
    if (!id.empty()) {
      auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), f.num);
      if (ec != std::errc() || p != id.data() + id.size()) return std::nullopt;
    }
    if (!rest.empty()) f.property.assign(rest.substr(1));
    return f;
  }
  return std::nullopt;
}

std::string clean_metric_name(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '_';
    out.push_back(ok ? c : '_');
  }
  size_t b = out.find_first_not_of('_');
  if (b == std::string::npos) return {};
  size_t e = out.find_last_not_of('_');
  return out.substr(b, e - b + 1);
}

bool is_hwmon_sensor_type(std::string_view type) {
  static constexpr std::array<std::string_view, 13> kTypes = {
      "vrm",  "beep_enable", "update_interval", "in",     "cpu",      "fan",      "pwm",
      "temp", "curr",        "power",           "energy", "humidity", "intrusion"};
  for (auto t : kTypes) {
    if (t == type) return true;
  }
  return false;
}

bool hwmon_metric(std::string_view type, std::string_view element, bool has_bare_value,
                  HwmonMetric* m) {
  if (element == "label" || type == "beep_enable" || type == "vrm" || type == "update_interval") {
    return false;
  }
  std::string t(type), el(element);
  std::string name = "node_hwmon_" + t;
  if (element == "input") {
    if (has_bare_value) name += "_input";
  } else if (!element.empty()) {
    name += "_" + clean_metric_name(element);
  }
  m->scale = 1;
  m->counter = false;
  if (element == "fault" || element == "alarm") {
    m->name = name;
    m->help = "Hardware sensor " + el + " status (" + t + ")";
    return true;
  }
  if (element == "beep") {
    m->name = name + "_enabled";
    m->help = "Hardware monitor sensor has beeping enabled";
    return true;
  }
  if (type == "in" || type == "cpu") {
    m->name = name + "_volts";
    m->help = "Hardware monitor for voltage (" + el + ")";
    m->scale = 0.001;
    return true;
  }
  if (type == "temp" && element != "type") {
    if (el.empty()) el = "input";
    m->name = name + "_celsius";
    m->help = "Hardware monitor for temperature (" + el + ")";
    m->scale = 0.001;
    return true;
  }
  if (type == "curr") {
    m->name = name + "_amps";
    m->help = "Hardware monitor for current (" + el + ")";
    m->scale = 0.001;
    return true;
  }
  if (type == "energy") {
    m->name = name + "_joule_total";
    m->help = "Hardware monitor for joules used so far (" + el + ")";
    m->scale = 1.0 / 1000000.0;
    m->counter = true;
    return true;
  }
  if (type == "power" && element == "accuracy") {
    m->name = name;
    m->help = "Hardware monitor power meter accuracy, as a ratio";
    m->scale = 1.0 / 1000000.0;
    return true;
  }
  if (type == "power" && (element == "average_interval" || element == "average_interval_min" ||
                          element == "average_interval_max")) {
    m->name = name + "_seconds";
    m->help = "Hardware monitor power usage update interval (" + el + ")";
    m->scale = 0.001;
    return true;
  }
  if (type == "power") {
    m->name = name + "_watt";
    m->help = "Hardware monitor for power usage in watts (" + el + ")";
    m->scale = 1.0 / 1000000.0;
    return true;
  }
  if (type == "humidity") {
    m->name = name;
    m->help =
        "Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a "
        "percentage) (" +
        el + ")";
    m->scale = 1.0 / 1000000.0;
    return true;
  }
  if (type == "fan" &&
      (element == "input" || element == "min" || element == "max" || element == "target")) {
    m->name = name + "_rpm";
    m->help = "Hardware monitor for fan revolutions per minute (" + el + ")";
    return true;
  }
  m->name = name;
  m->help = "Hardware monitor " + t + " element " + el;
  return true;
}

}  // namespace vitals::sysfs
