// diskstats: node_disk_* from /proc/diskstats, node_disk_info and the udev-derived families
// from --path.udev.data (node_exporter 1.5.0 names and device filters). A disk's udev database
// file is parsed again only when its inode, mtime or size changes.
#include <sys/stat.h>

#include <array>
#include <cstring>
#include <map>

#include "collectors/procfs/diskstats.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

struct StatMetric {
  Desc desc;
  double scale;
};

constexpr double kSector = 512;
constexpr double kMs = 0.001;
constexpr std::array<StatMetric, 17> kStats{{
    {{"node_disk_reads_completed_total", "The total number of reads completed successfully.",
      MetricType::kCounter},
     1},
    {{"node_disk_reads_merged_total", "The total number of reads merged.", MetricType::kCounter},
     1},
    {{"node_disk_read_bytes_total", "The total number of bytes read successfully.",
      MetricType::kCounter},
     kSector},
    {{"node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.",
      MetricType::kCounter},
     kMs},
    {{"node_disk_writes_completed_total", "The total number of writes completed successfully.",
      MetricType::kCounter},
     1},
    {{"node_disk_writes_merged_total", "The number of writes merged.", MetricType::kCounter}, 1},
    {{"node_disk_written_bytes_total", "The total number of bytes written successfully.",
      MetricType::kCounter},
     kSector},
    {{"node_disk_write_time_seconds_total",
      "This is the total number of seconds spent by all writes.", MetricType::kCounter},
     kMs},
    {{"node_disk_io_now", "The number of I/Os currently in progress.", MetricType::kGauge}, 1},
    {{"node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", MetricType::kCounter},
     kMs},
    {{"node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.",
      MetricType::kCounter},
     kMs},
    {{"node_disk_discards_completed_total", "The total number of discards completed successfully.",
      MetricType::kCounter},
     1},
    {{"node_disk_discards_merged_total", "The total number of discards merged.",
      MetricType::kCounter},
     1},
    {{"node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.",
      MetricType::kCounter},
     1},
    {{"node_disk_discard_time_seconds_total",
      "This is the total number of seconds spent by all discards.", MetricType::kCounter},
     kMs},
    {{"node_disk_flush_requests_total", "The total number of flush requests completed successfully",
      MetricType::kCounter},
     1},
    {{"node_disk_flush_requests_time_seconds_total",
      "This is the total number of seconds spent by all flush requests.", MetricType::kCounter},
     kMs},
}};

constexpr Desc kInfo{"node_disk_info", "Info of /sys/block/<block_device>.", MetricType::kGauge};
constexpr Desc kFsInfo{"node_disk_filesystem_info", "Info about disk filesystem.",
                       MetricType::kGauge};
constexpr Desc kDmInfo{"node_disk_device_mapper_info", "Info about disk device mapper.",
                       MetricType::kGauge};
constexpr Desc kAtaCache{"node_disk_ata_write_cache", "ATA disk has a write cache.",
                         MetricType::kGauge};
constexpr Desc kAtaCacheEnabled{"node_disk_ata_write_cache_enabled",
                                "ATA disk has its write cache enabled.", MetricType::kGauge};
constexpr Desc kAtaRpm{"node_disk_ata_rotation_rate_rpm",
                       "ATA disk rotation rate in RPMs (0 for SSDs).", MetricType::kGauge};

constexpr const char* kDefaultExclude = "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";

struct UdevEntry {
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t mtime_s = 0, mtime_ns = 0, size = -1;
  std::map<std::string, std::string> props;
};

class DiskstatsCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  DiskstatsCollector(const Paths& p, const std::string& include, const std::string& exclude)
      : path_(p.proc("diskstats")), udev_dir_(p.udev_data), filter_(include, exclude) {}

  void collect(const CollectContext&, MetricSet& out) override {
    auto d = procfs::parse_diskstats(reader_.read(path_));
    std::array<Family*, kStats.size()> fams;
    for (size_t i = 0; i < kStats.size(); ++i) fams[i] = &out.add(kStats[i].desc);
    Family& info = out.add(kInfo);
    Family& fs = out.add(kFsInfo);
    Family& dm = out.add(kDmInfo);
    Family& ata_cache = out.add(kAtaCache);
    Family& ata_enabled = out.add(kAtaCacheEnabled);
    Family& ata_rpm = out.add(kAtaRpm);
    std::map<std::string, UdevEntry> seen;
    std::string major, minor;
    static const std::map<std::string, std::string> kNone;
    for (const auto& s : d.disks) {
      if (filter_.ignored(s.name)) continue;
      major = std::to_string(s.major);
      minor = std::to_string(s.minor);
      std::string key = major + ":" + minor;
      const auto& props = udev(key, &seen);
      auto get = [&](const char* k) -> std::string_view {
        auto it = props.find(k);
        return it == props.end() ? std::string_view() : std::string_view(it->second);
      };
      std::string_view serial = get("SCSI_IDENT_SERIAL");
      if (serial.empty()) serial = get("ID_SERIAL_SHORT");
      info.add({{"device", s.name},
                {"major", major},
                {"minor", minor},
                {"path", get("ID_PATH")},
                {"wwn", get("ID_WWN")},
                {"model", get("ID_MODEL")},
                {"serial", serial},
                {"revision", get("ID_REVISION")}},
               1);
      for (int i = 0; i < s.count && i < static_cast<int>(kStats.size()); ++i) {
        fams[static_cast<size_t>(i)]->add({{"device", s.name}},
                                          s.stats[static_cast<size_t>(i)] * kStats[i].scale);
      }
      if (!get("ID_FS_TYPE").empty()) {
        fs.add({{"device", s.name},
                {"type", get("ID_FS_TYPE")},
                {"usage", get("ID_FS_USAGE")},
                {"uuid", get("ID_FS_UUID")},
                {"version", get("ID_FS_VERSION")}},
               1);
      }
      if (!get("DM_NAME").empty()) {
        dm.add({{"device", s.name},
                {"name", get("DM_NAME")},
                {"uuid", get("DM_UUID")},
                {"vg_name", get("DM_VG_NAME")},
                {"lv_name", get("DM_LV_NAME")},
                {"lv_layer", get("DM_LV_LAYER")}},
               1);
      }
      auto ata = [&](const char* k, Family& f) {
        auto it = props.find(k);
        if (it == props.end()) return;
        if (auto v = parse::to_double(it->second)) f.add({{"device", s.name}}, *v);
      };
      ata("ID_ATA_WRITE_CACHE", ata_cache);
      ata("ID_ATA_WRITE_CACHE_ENABLED", ata_enabled);
      ata("ID_ATA_ROTATION_RATE_RPM", ata_rpm);
    }
    udev_ = std::move(seen);  // forget disks that are gone
    throw_if_errors(path_, d.errors);
  }

 private:
  // The udev properties of block device `key` ("major:minor"); empty when it has no database
  // file (node_exporter then reports empty labels).
  const std::map<std::string, std::string>& udev(const std::string& key,
                                                 std::map<std::string, UdevEntry>* seen) {
    std::string path = udev_dir_ + "/b" + key;
    struct stat st;
    UdevEntry& e = (*seen)[key];
    if (::stat(path.c_str(), &st) != 0) return e.props;
    auto it = udev_.find(key);
    if (it != udev_.end() && it->second.dev == st.st_dev && it->second.ino == st.st_ino &&
        it->second.mtime_s == st.st_mtim.tv_sec && it->second.mtime_ns == st.st_mtim.tv_nsec &&
        it->second.size == st.st_size) {
      e = std::move(it->second);
      return e.props;
    }
    std::string_view text;
    int err = 0;
    if (!udev_reader_.try_read(path, &text, &err)) return e.props;
    e.props = procfs::parse_udev_properties(text);
    e.dev = st.st_dev;
    e.ino = st.st_ino;
    e.mtime_s = st.st_mtim.tv_sec;
    e.mtime_ns = st.st_mtim.tv_nsec;
    e.size = st.st_size;
    return e.props;
  }

  std::string path_;
  std::string udev_dir_;
  DeviceFilter filter_;
  FileReader reader_{8192};
  FileReader udev_reader_{4096};
  std::map<std::string, UdevEntry> udev_;
};

std::unique_ptr<Collector> DiskstatsCollector::create(const CollectorOptions& o, const Paths& p) {
  std::string exclude = o.str("device-exclude");
  if (o.is_set("ignored-devices")) {
    if (o.is_set("device-exclude")) {
      throw CollectError(
          "--collector.diskstats.ignored-devices and --collector.diskstats.device-exclude "
          "are mutually exclusive");
    }
    exclude = o.str("ignored-devices");
  }
  if (o.is_set("device-include") && o.is_set("device-exclude")) {
    throw CollectError(
        "--collector.diskstats.device-include and --collector.diskstats.device-exclude "
        "are mutually exclusive");
  }
  std::string include = o.str("device-include");
  return std::make_unique<DiskstatsCollector>(p, include, include.empty() ? exclude : "");
}

}  // namespace

VITALS_COLLECTOR(DiskstatsCollector, "diskstats", true, "Exposes disk I/O statistics.",
                 {{"device-exclude", OptionKind::kRegex, kDefaultExclude,
                   "Regexp of diskstats devices to exclude (mutually exclusive to "
                   "device-include)."},
                  {"device-include", OptionKind::kRegex, "",
                   "Regexp of diskstats devices to include (mutually exclusive to "
                   "device-exclude)."},
                  {"ignored-devices", OptionKind::kRegex, "",
                   "DEPRECATED: Use collector.diskstats.device-exclude"}});

}  // namespace vitals
