// tapestats: node_tape_*{device} from /sys/class/scsi_tape/st<N>/stats/ (node_exporter 1.5.0
// names).
#include <cerrno>
#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/sysfs/tape.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType C = MetricType::kCounter;
struct Stat {
  Desc desc;
  double scale;
};
// Parallel to sysfs::kTapeStatFiles.
constexpr Stat kStats[] = {
    {{"node_tape_io_now", "The number of I/Os currently outstanding to this device.",
      MetricType::kGauge},
     1},
    {{"node_tape_io_time_seconds_total",
      "The amount of time spent waiting for all I/O to complete (including read and write). This "
      "includes tape movement commands such as seeking between file or set marks and implicit "
      "tape movement such as when rewind on close tape devices are used.",
      C},
     0.000000001},
    {{"node_tape_io_others_total",
      "The number of I/Os issued to the tape drive other than read or write commands. The time "
      "taken to complete these commands uses the following calculation "
      "io_time_seconds_total-read_time_seconds_total-write_time_seconds_total",
      C},
     1},
    {{"node_tape_read_bytes_total", "The number of bytes read from the tape drive.", C}, 1},
    {{"node_tape_reads_completed_total", "The number of read requests issued to the tape drive.",
      C},
     1},
    {{"node_tape_read_time_seconds_total",
      "The amount of time spent waiting for read requests to complete.", C},
     0.000000001},
    {{"node_tape_residual_total",
      "The number of times during a read or write we found the residual amount to be non-zero. "
      "This should mean that a program is issuing a read larger thean the block size on tape. "
      "For write not all data made it to tape.",
      C},
     1},
    {{"node_tape_written_bytes_total", "The number of bytes written to the tape drive.", C}, 1},
    {{"node_tape_writes_completed_total", "The number of write requests issued to the tape drive.",
      C},
     1},
    {{"node_tape_write_time_seconds_total",
      "The amount of time spent waiting for write requests to complete.", C},
     0.000000001},
};
static_assert(std::size(kStats) == sysfs::kTapeStatFiles.size());

class TapestatsCollector final : public Collector {
 public:
  TapestatsCollector(const CollectorOptions& o, const Paths& p)
      : dir_(p.sys("class/scsi_tape")), ignored_(o.regex("ignored-devices")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      if (err == ENOENT) throw NoDataError(dir_ + " not found: no tape driver loaded");
      throw CollectError("read " + dir_ + ": " + std::strerror(err));
    }
    parse::ParseErrors errors;
    std::array<Family*, std::size(kStats)> fams{};
    std::array<double, std::size(kStats)> values{};
    for (const auto& e : entries_) {
      if (!sysfs::is_tape_device(e.name) || ignored_.search(e.name)) continue;
      bool ok = true;
      for (size_t i = 0; i < values.size() && ok; ++i) {
        path_.assign(dir_).append("/").append(e.name).append("/stats/");
        path_.append(sysfs::kTapeStatFiles[i]);
        std::string_view text;
        if (!reader_.try_read(path_, &text, &err)) {
          errors.add_file(path_, std::strerror(err));
          ok = false;
        } else if (auto v = sysfs::parse_tape_counter(text)) {
          values[i] = static_cast<double>(*v) * kStats[i].scale;
        } else {
          errors.add_file(path_, "invalid counter \"" + std::string(text.substr(0, 40)) + "\"");
          ok = false;
        }
      }
      if (!ok) continue;  // a drive is exported whole or not at all
      for (size_t i = 0; i < values.size(); ++i) {
        if (!fams[i]) fams[i] = &out.add(kStats[i].desc);
        fams[i]->add({{"device", e.name}}, values[i]);
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  std::string dir_;
  Regex ignored_;
  std::string path_;
  std::vector<sysfs::DirEntry> entries_;
  FileReader reader_{256};
};

}  // namespace

VITALS_COLLECTOR(TapestatsCollector, "tapestats", true,
                 "Exposes SCSI tape drive statistics from /sys/class/scsi_tape.",
                 {{"ignored-devices", OptionKind::kRegex, "^$",
                   "Regexp of devices to ignore for tapestats."}});

}  // namespace vitals
