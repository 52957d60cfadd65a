// time: the system time, the local time zone offset and the clocksources from
// /sys/devices/system/clocksource (node_exporter 1.5.0 names).
#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kNow{"node_time_seconds", "System time in seconds since epoch (1970).",
                    MetricType::kGauge};
constexpr Desc kZone{"node_time_zone_offset_seconds", "System time zone offset in seconds.",
                     MetricType::kGauge};
constexpr Desc kAvailable{"node_time_clocksource_available_info",
                          "Available clocksources read from '/sys/devices/system/clocksource'.",
                          MetricType::kGauge};
constexpr Desc kCurrent{"node_time_clocksource_current_info",
                        "Current clocksource read from '/sys/devices/system/clocksource'.",
                        MetricType::kGauge};

class TimeCollector final : public Collector {
 public:
  explicit TimeCollector(const Paths& p) : base_(p.sys("devices/system/clocksource")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    auto now = std::chrono::system_clock::now();
    double secs = std::chrono::duration<double>(now.time_since_epoch()).count();
    out.add(kNow).add(secs);
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    out.add(kZone).add({{"time_zone", tm.tm_zone ? tm.tm_zone : ""}}, double(tm.tm_gmtoff));
    collect_clocksources(out);
  }

 private:
  // The clocksource devices are fixed; their files are re-read (the current one can change).
  void collect_clocksources(MetricSet& out) {
    if (!devices_) {
      devices_.emplace();
      if (DIR* d = ::opendir(base_.c_str())) {
        while (dirent* e = ::readdir(d)) {
          std::string_view n = e->d_name;
          if (n.substr(0, 11) == "clocksource" && parse::to_u64(n.substr(11))) {
            devices_->emplace_back(n.substr(11));
          }
        }
        ::closedir(d);
      }
      std::sort(devices_->begin(), devices_->end());
    }
    if (devices_->empty()) return;
    Family& avail = out.add(kAvailable);
    Family& cur = out.add(kCurrent);
    std::string path;
    for (const auto& dev : *devices_) {
      path = base_ + "/clocksource" + dev + "/available_clocksource";
      if (auto v = read_value(reader_, path)) {
        std::string_view rest = *v, f;
        while (parse::next_field(rest, f)) avail.add({{"device", dev}, {"clocksource", f}}, 1);
      }
      path = base_ + "/clocksource" + dev + "/current_clocksource";
      if (auto v = read_value(reader_, path)) {
        cur.add({{"device", dev}, {"clocksource", *v}}, 1);
      }
    }
  }

  std::string base_;
  std::optional<std::vector<std::string>> devices_;
  FileReader reader_{256};
};

}  // namespace

VITALS_COLLECTOR(TimeCollector, "time", true, "Exposes the current system time.");

}  // namespace vitals
