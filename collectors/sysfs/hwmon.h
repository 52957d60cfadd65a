// Pure helpers of the hwmon collector: sensor file names, chip names and metric naming, as
// node_exporter 1.5.0 derives them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vitals::sysfs {

// "temp1_crit_alarm" -> {type "temp", num 1, property "crit_alarm"}; "beep_enable" ->
// {type "beep_enable", num 0, property ""}. Matches ^([^0-9]+)([0-9]*)(_(.+))?$ with the
// regex engine's preferences; nullopt when the name does not match.
struct SensorFile {
  std::string type;
  int num = 0;
  std::string property;
};
std::optional<SensorFile> explode_sensor_filename(std::string_view name);

// Lower-case, every character outside [a-z0-9:_] replaced by '_', leading and trailing '_'
// removed.
std::string clean_metric_name(std::string_view s);

// Whether `type` is one of the sensor types node_exporter reports.
bool is_hwmon_sensor_type(std::string_view type);

// Metric name, help and scale for element `element` of a sensor of type `type`;
// `has_bare_value` says whether the sensor also has a file without a property (e.g. "pwm1").
// Returns false for the special types (beep_enable, vrm, update_interval) and for "label".
struct HwmonMetric {
  std::string name;
  std::string help;
  double scale = 1;
  bool counter = false;
};
bool hwmon_metric(std::string_view type, std::string_view element, bool has_bare_value,
                  HwmonMetric* out);

}  // namespace vitals::sysfs
