// dmi: node_dmi_info from /sys/class/dmi/id/ (node_exporter 1.5.0 names): one series whose labels
// are the DMI strings the kernel provides. As node_exporter, the files are read once (they do not
// change while the system runs); files only root may read (serials, product_uuid) are left out
// when vitals runs without the right, and a system without DMI exports nothing.
#include <sys/stat.h>

#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kInfo{
    "node_dmi_info",
    "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, "
    "bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, "
    "chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, "
    "product_name, product_serial, product_sku, product_uuid, product_version, system_vendor if "
    "provided by DMI.",
    MetricType::kGauge};

// file -> label, in label order.
constexpr std::pair<const char*, const char*> kFields[] = {
    {"bios_date", "bios_date"},
    {"bios_release", "bios_release"},
    {"bios_vendor", "bios_vendor"},
    {"bios_version", "bios_version"},
    {"board_asset_tag", "board_asset_tag"},
    {"board_name", "board_name"},
    {"board_serial", "board_serial"},
    {"board_vendor", "board_vendor"},
    {"board_version", "board_version"},
    {"chassis_asset_tag", "chassis_asset_tag"},
    {"chassis_serial", "chassis_serial"},
    {"chassis_vendor", "chassis_vendor"},
    {"chassis_version", "chassis_version"},
    {"product_family", "product_family"},
    {"product_name", "product_name"},
    {"product_serial", "product_serial"},
    {"product_sku", "product_sku"},
    {"product_uuid", "product_uuid"},
    {"product_version", "product_version"},
    {"sys_vendor", "system_vendor"},
};

class DmiCollector final : public Collector {
 public:
  explicit DmiCollector(const Paths& p) : dir_(p.sys("class/dmi/id")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    if (!loaded_) load();
    if (labels_.empty()) throw NoDataError("no DMI information in " + dir_);
    out.add(kInfo).add(labels_, 1);
  }

 private:
  void load() {
    struct stat st;
    if (::stat(dir_.c_str(), &st) != 0 && errno == ENOENT) {
      loaded_ = true;  // no DMI on this platform
      return;
    }
    names_.clear();
    values_.clear();
    parse::ParseErrors errors;
    FileReader reader(4096, FileReader::Mode::kReopen);
    for (const auto& [file, label] : kFields) {
      std::string path = dir_ + "/" + file;
      std::string_view text;
      int err = 0;
      if (!reader.try_read(path, &text, &err)) {
        if (err == ENOENT || err == EACCES || err == EPERM) continue;  // absent or root only
        errors.add_file(path, std::strerror(err));
        continue;
      }
      values_.push_back(sysfs::to_valid_utf8(sysfs::trim_space(text)));
      names_.push_back(label);
    }
    if (!errors.empty()) throw_if_errors(dir_, errors);  // try again next scrape
    for (size_t i = 0; i < names_.size(); ++i) labels_.push_back({names_[i], values_[i]});
    loaded_ = true;
  }

  std::string dir_;
  bool loaded_ = false;
  std::vector<const char*> names_;
  std::vector<std::string> values_;
  std::vector<Label> labels_;
};

}  // namespace

VITALS_COLLECTOR(DmiCollector, "dmi", true,
                 "Exposes Desktop Management Interface (DMI) info from /sys/class/dmi/id/.");

}  // namespace vitals
