// selinux: whether SELinux is enabled and its configured and current modes (node_exporter 1.5.0
// names). Enabled means selinuxfs is mounted under --path.sysfs (fs/selinux/enforce exists).
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kEnabled{"node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false",
                        MetricType::kGauge};
constexpr Desc kConfigMode{"node_selinux_config_mode", "Configured SELinux enforcement mode",
                           MetricType::kGauge};
constexpr Desc kCurrentMode{"node_selinux_current_mode", "Current SELinux enforcement mode",
                            MetricType::kGauge};

// SELINUX= in /etc/selinux/config: enforcing 1, permissive 0, disabled (or absent) -1.
double config_mode(std::string_view text) {
  std::string_view line;
  while (parse::next_line(text, line)) {
    line = parse::trim(line);
    if (line.substr(0, 8) != "SELINUX=") continue;
    std::string_view v = parse::trim(line.substr(8));
    if (v == "enforcing") return 1;
    if (v == "permissive") return 0;
    return -1;
  }
  return -1;
}

class SelinuxCollector final : public Collector {
 public:
  explicit SelinuxCollector(const Paths& p)
      : enforce_(p.sys("fs/selinux/enforce")), config_(p.root("etc/selinux/config")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto current = read_number(reader_, enforce_);
    if (!current) {
      out.add(kEnabled).add(0);
      return;
    }
    out.add(kEnabled).add(1);
    std::string_view text;
    int err = 0;
    out.add(kConfigMode).add(reader_.try_read(config_, &text, &err) ? config_mode(text) : -1);
    out.add(kCurrentMode).add(*current);
  }

 private:
  std::string enforce_, config_;
  FileReader reader_{4096};
};

}  // namespace

VITALS_COLLECTOR(SelinuxCollector, "selinux", true, "Exposes SELinux statistics.");

}  // namespace vitals
