// drbd: node_drbd_* from /proc/drbd (DRBD 8.x), node_exporter 1.5.0 names.
#include <cstring>

#include "collectors/procfs/drbd.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

struct NumberDesc {
  std::string_view key;
  Desc desc;
  double multiplier;
};

constexpr NumberDesc kNumbers[] = {
    {"ns",
     {"node_drbd_network_sent_bytes_total", "Total number of bytes sent via the network.",
      MetricType::kCounter},
     1024},
    {"nr",
     {"node_drbd_network_received_bytes_total", "Total number of bytes received via the network.",
      MetricType::kCounter},
     1},  // sic: node_exporter 1.5.0 does not scale nr (KiB) to bytes
    {"dw",
     {"node_drbd_disk_written_bytes_total", "Net data written on local hard disk; in bytes.",
      MetricType::kCounter},
     1024},
    {"dr",
     {"node_drbd_disk_read_bytes_total", "Net data read from local hard disk; in bytes.",
      MetricType::kCounter},
     1024},
    {"al",
     {"node_drbd_activitylog_writes_total",
      "Number of updates of the activity log area of the meta data.", MetricType::kCounter},
     1},
    {"bm",
     {"node_drbd_bitmap_writes_total", "Number of updates of the bitmap area of the meta data.",
      MetricType::kCounter},
     1},
    {"lo",
     {"node_drbd_local_pending", "Number of open requests to the local I/O sub-system.",
      MetricType::kGauge},
     1},
    {"pe",
     {"node_drbd_remote_pending",
      "Number of requests sent to the peer, but that have not yet been answered by the latter.",
      MetricType::kGauge},
     1},
    {"ua",
     {"node_drbd_remote_unacknowledged",
      "Number of requests received by the peer via the network connection, but that have not yet "
      "been answered.",
      MetricType::kGauge},
     1},
    {"ap",
     {"node_drbd_application_pending",
      "Number of block I/O requests forwarded to DRBD, but not yet answered by DRBD.",
      MetricType::kGauge},
     1},
    {"ep", {"node_drbd_epochs", "Number of Epochs currently on the fly.", MetricType::kGauge}, 1},
    {"oos",
     {"node_drbd_out_of_sync_bytes", "Amount of data known to be out of sync; in bytes.",
      MetricType::kGauge},
     1024},
};

constexpr Desc kRole{"node_drbd_node_role_is_primary",
                     "Whether the role of the node is in the primary state.", MetricType::kGauge};
constexpr Desc kDiskState{"node_drbd_disk_state_is_up_to_date",
                          "Whether the disk of the node is up to date.", MetricType::kGauge};
constexpr Desc kConnected{"node_drbd_connected", "Whether DRBD is connected to the peer.",
                          MetricType::kGauge};

class DrbdCollector final : public Collector {
 public:
  explicit DrbdCollector(const Paths& p) : path_(p.proc("drbd")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto file = read_if_present(reader_, path_);
    if (!file) throw NoDataError(path_ + " not found: DRBD not loaded");
    std::string_view text = *file;
    auto s = procfs::parse_drbd(text);
    Family* numbers[std::size(kNumbers)] = {};
    Family* role = nullptr;
    Family* disk = nullptr;
    Family* connected = nullptr;
    for (const auto& v : s.values) {
      using K = procfs::DrbdValue::Kind;
      if (v.kind == K::kNumber) {
        for (size_t i = 0; i < std::size(kNumbers); ++i) {
          if (kNumbers[i].key != v.key) continue;
          if (!numbers[i]) numbers[i] = &out.add(kNumbers[i].desc);
          numbers[i]->add({{"device", v.device}}, v.number * kNumbers[i].multiplier);
        }
      } else if (v.kind == K::kPair) {
        bool is_role = v.key == "ro";
        Family*& f = is_role ? role : disk;
        if (!f) f = &out.add(is_role ? kRole : kDiskState);
        std::string_view good = is_role ? "Primary" : "UpToDate";
        f->add({{"device", v.device}, {"node", "local"}}, v.local == good ? 1 : 0);
        f->add({{"device", v.device}, {"node", "remote"}}, v.remote == good ? 1 : 0);
      } else {
        if (!connected) connected = &out.add(kConnected);
        connected->add({{"device", v.device}}, v.local == "Connected" ? 1 : 0);
      }
    }
    throw_if_errors(path_, s.errors);
  }

 private:
  std::string path_;
  FileReader reader_{4096};
};

}  // namespace

VITALS_COLLECTOR(DrbdCollector, "drbd", false,
                 "Exposes Distributed Replicated Block Device statistics (to version 8.4).");

}  // namespace vitals
