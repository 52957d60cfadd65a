// hwmon: sensors under /sys/class/hwmon/<chip>/ (and its device/ directory), node_exporter
// 1.5.0 names. What cannot change while a chip's driver is bound (the chip's name, which sensor
// files exist, their labels and the metric each file maps to) is worked out once per chip
// directory (keyed by its inode) and cached; each scrape then only reads the value files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "collectors/sysfs/hwmon.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kChipNames{"node_hwmon_chip_names",
                          "Annotation metric for human-readable chip names", MetricType::kGauge};
constexpr Desc kSensorLabel{"node_hwmon_sensor_label", "Label for given chip and sensor",
                            MetricType::kGauge};

enum class Special { kNone, kBeepEnable, kVrm, kUpdateInterval };

struct ValueFile {
  std::string path;
  size_t metric;  // index into HwmonCollector::metrics_
  double scale;
  Special special;
};

struct Sensor {
  std::string name;  // "temp1"
  std::optional<std::string> label;
  std::vector<ValueFile> files;
};

struct Chip {
  dev_t dev = 0;
  ino_t ino = 0;
  std::string name;                       // the chip label
  std::optional<std::string> human_name;  // chip_name of node_hwmon_chip_names
  std::vector<Sensor> sensors;
};

// Reads like node_exporter's hwmon reader: one read of at most 128 bytes, newlines trimmed.
bool read_small(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[128];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n < 0) return false;
  std::string_view v(buf, static_cast<size_t>(n));
  while (!v.empty() && v.front() == '\n') v.remove_prefix(1);
  while (!v.empty() && v.back() == '\n') v.remove_suffix(1);
  out->assign(v);
  return true;
}

std::optional<std::string> resolve(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

std::string_view last_component(std::string_view p) {
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  size_t s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

std::string_view parent(std::string_view p) {
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  size_t s = p.rfind('/');
  return s == std::string_view::npos ? std::string_view() : p.substr(0, s);
}

class HwmonCollector final : public Collector {
 public:
  explicit HwmonCollector(const Paths& p) : dir_(p.sys("class/hwmon")) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      if (err == ENOENT) throw NoDataError(dir_ + " not found: no hwmon class");
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    parse::ParseErrors errors;
    std::map<std::string, std::unique_ptr<Chip>> next;
    for (const auto& e : entries_) {
      if (!e.is_dir) continue;
      std::string path = dir_ + "/" + e.name;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) continue;
      auto it = chips_.find(e.name);
      if (it != chips_.end() && it->second->dev == st.st_dev && it->second->ino == st.st_ino) {
        next.emplace(e.name, std::move(it->second));
        continue;
      }
      std::string msg;
      auto chip = load_chip(path, &msg);
      if (!chip) {
        errors.add_file(path, msg);
        continue;
      }
      chip->dev = st.st_dev;
      chip->ino = st.st_ino;
      next.emplace(e.name, std::move(chip));
    }
    chips_ = std::move(next);

    fams_.assign(metrics_.size(), nullptr);
    Family& chip_names = out.add(kChipNames);
    Family& sensor_labels = out.add(kSensorLabel);
    std::string value;
    for (const auto& [entry, chip] : chips_) {
      if (chip->human_name) {
        chip_names.add({{"chip", chip->name}, {"chip_name", *chip->human_name}}, 1);
      }
      for (const Sensor& s : chip->sensors) {
        if (s.label) {
          sensor_labels.add({{"chip", chip->name}, {"label", *s.label}, {"sensor", s.name}}, 1);
        }
        for (const ValueFile& f : s.files) {
          if (!read_small(f.path, &value)) {  // vanished or refused by the driver
            // A readable attribute the agent may not read (some drivers make theirs 0400);
            // write-only ones (no read bit) are refused to root as well and not counted.
            struct stat st;
            if (denied(errno) && ::stat(f.path.c_str(), &st) == 0 && (st.st_mode & 0444) != 0) {
              ctx.permission_denied(f.path);
            }
            continue;
          }
          double v;
          if (f.special == Special::kBeepEnable) {
            v = value == "1" ? 1 : 0;
          } else {
            auto d = parse::to_double(value);
            if (!d) continue;  // node_exporter skips values that are not numbers
            v = *d;
          }
          Family*& fam = fams_[f.metric];
          if (!fam) {
            const auto& m = metrics_[f.metric];
            fam = &out.add(m.name, m.help, m.type);
          }
          fam->add({{"chip", chip->name}, {"sensor", s.name}}, v * f.scale);
        }
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  struct MetricDecl {
    std::string name, help;
    MetricType type;
  };

  size_t metric_index(const std::string& name, const std::string& help, MetricType type) {
    auto [it, inserted] = metric_ids_.try_emplace(name, metrics_.size());
    if (inserted) metrics_.push_back({name, help, type});
    return it->second;
  }

  // node_exporter's chip naming: the device's bus and name, else the name file, else the
  // hwmon directory's own name.
  static std::optional<std::string> chip_name(const std::string& dir) {
    if (auto dev = resolve(dir + "/device")) {
      std::string name = sysfs::clean_metric_name(last_component(*dev));
      std::string type = sysfs::clean_metric_name(last_component(parent(*dev)));
      if (!type.empty() && !name.empty()) return type + "_" + name;
      if (!name.empty()) return name;
    }
    std::string raw;
    if (read_small(dir + "/name", &raw) && !raw.empty()) {
      std::string n = sysfs::clean_metric_name(raw);
      if (!n.empty()) return n;
    }
    if (auto real = resolve(dir)) {
      std::string n = sysfs::clean_metric_name(last_component(*real));
      if (!n.empty()) return n;
    }
    return std::nullopt;
  }

  std::unique_ptr<Chip> load_chip(const std::string& dir, std::string* error) {
    auto chip = std::make_unique<Chip>();
    auto name = chip_name(dir);
    if (!name) {
      *error = "could not derive a monitoring name for " + dir;
      return nullptr;
    }
    chip->name = *name;
    std::string raw;
    if (read_small(dir + "/name", &raw) && !raw.empty()) {
      std::string n = sysfs::clean_metric_name(raw);
      if (!n.empty()) chip->human_name = n;
    }
    // sensor -> property -> file; files under device/ override the chip directory's.
    std::map<std::string, std::map<std::string, std::string>> data;
    std::vector<sysfs::DirEntry> files;
    std::vector<std::string> dirs{dir};
    struct stat st;
    if (::stat((dir + "/device").c_str(), &st) == 0) dirs.push_back(dir + "/device");
    for (const auto& d : dirs) {
      int err = 0;
      if (!sysfs::list_dir(d, &files, &err)) {
        *error = "list " + d + ": " + std::strerror(err);
        return nullptr;
      }
      for (const auto& f : files) {
        auto sf = sysfs::explode_sensor_filename(f.name);
        if (!sf || !sysfs::is_hwmon_sensor_type(sf->type)) continue;
        data[sf->type + std::to_string(sf->num)][sf->property] = d + "/" + f.name;
      }
    }
    for (auto& [sensor_name, props] : data) {
      Sensor s;
      s.name = sensor_name;
      auto sf = sysfs::explode_sensor_filename(sensor_name);
      std::string type = sf ? sf->type : sensor_name;
      auto label = props.find("label");
      if (label != props.end()) {
        std::string text;
        if (read_small(label->second, &text)) s.label = sysfs::to_valid_utf8(text);
      }
      bool bare = props.count("") > 0;
      if (type == "beep_enable" || type == "vrm" || type == "update_interval") {
        if (bare) {
          ValueFile f{props[""], 0, 1, Special::kNone};
          if (type == "beep_enable") {
            f.metric = metric_index("node_hwmon_beep_enabled", "Hardware beep enabled",
                                    MetricType::kGauge);
            f.special = Special::kBeepEnable;
          } else if (type == "vrm") {
            f.metric = metric_index("node_hwmon_voltage_regulator_version",
                                    "Hardware voltage regulator", MetricType::kGauge);
            f.special = Special::kVrm;
          } else {
            f.metric = metric_index("node_hwmon_update_interval_seconds",
                                    "Hardware monitor update interval", MetricType::kGauge);
            f.scale = 0.001;
            f.special = Special::kUpdateInterval;
          }
          s.files.push_back(std::move(f));
        }
      } else {
        for (const auto& [element, path] : props) {
          sysfs::HwmonMetric m;
          if (!sysfs::hwmon_metric(type, element, bare, &m)) continue;
          size_t idx =
              metric_index(m.name, m.help, m.counter ? MetricType::kCounter : MetricType::kGauge);
          s.files.push_back({path, idx, m.scale, Special::kNone});
        }
      }
      chip->sensors.push_back(std::move(s));
    }
    return chip;
  }

  std::string dir_;
  std::vector<sysfs::DirEntry> entries_;
  std::map<std::string, std::unique_ptr<Chip>> chips_;
  std::vector<MetricDecl> metrics_;
  std::map<std::string, size_t> metric_ids_;
  std::vector<Family*> fams_;
};

}  // namespace

VITALS_COLLECTOR(HwmonCollector, "hwmon", true,
                 "Expose hardware monitoring and sensor data from /sys/class/hwmon/.");

}  // namespace vitals
