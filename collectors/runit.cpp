// runit: node_service_* for each service of a runit service directory (--collector.runit.
// servicedir), from the supervise/status file runsv keeps, as node_exporter 1.5.0 does: every
// directory or symlink there is a service; one whose runsv is not running (supervise/ok has no
// reader) is skipped.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/services/runit_status.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kState{"node_service_state", "State of runit service.", MetricType::kGauge};
constexpr Desc kDesired{"node_service_desired_state", "Desired state of runit service.",
                        MetricType::kGauge};
constexpr Desc kNormal{"node_service_normal_state", "Normal state of runit service.",
                       MetricType::kGauge};
constexpr Desc kChanged{"node_service_state_last_change_timestamp_seconds",
                        "Unix timestamp of the last runit service state change.",
                        MetricType::kGauge};

class RunitCollector final : public Collector {
 public:
  explicit RunitCollector(const CollectorOptions& o, const Paths&) : dir_(o.str("servicedir")) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      throw CollectError(dir_ + ": " + std::strerror(err));
    }
    parse::ParseErrors errors;
    auto& state = out.add(kState);
    auto& desired = out.add(kDesired);
    auto& normal = out.add(kNormal);
    auto& changed = out.add(kChanged);
    for (const auto& e : entries_) {
      if (!e.is_dir && !e.is_symlink) continue;
      std::string base = dir_ + "/" + e.name;
      std::string ok = base + "/supervise/ok";
      if (int e = runsv_running(ok); e != 0) {
        // The FIFO is root's, mode 0600: writing needs root or CAP_DAC_OVERRIDE.
        if (denied(e)) ctx.permission_denied(ok);
        continue;
      }
      std::string path = base + "/supervise/status";
      std::string_view bytes;
      if (!reader_.try_read(path, &bytes, &err)) {
        if (denied(err)) {
          ctx.permission_denied(path);
        } else if (!vanished(err)) {
          errors.add_file(path, std::strerror(err));
        }
        continue;
      }
      std::string why;
      auto st = runit::parse_status(bytes, &why);
      if (!st) {
        errors.add_file(path, why);
        continue;
      }
      // node_exporter 1.5.0 (go-runit) looks for the down file in supervise/, not beside run
      // where runit's own `down` file is: its normal state is 1 unless supervise/down exists.
      struct stat sb;
      bool normally_up = ::stat((base + "/supervise/down").c_str(), &sb) != 0;
      Label labels[] = {{"service", e.name}, {"supervisor", "runit"}};
      state.add(labels, st->state);
      desired.add(labels, st->want);
      changed.add(labels, static_cast<double>(st->timestamp));
      normal.add(labels, normally_up ? 1 : 0);
    }
    throw_if_errors(dir_, errors);
  }

 private:
  // runsv holds supervise/ok open for reading while it runs: opening the FIFO for writing
  // without blocking succeeds then (0), and fails with ENXIO (or ENOENT) when it does not.
  static int runsv_running(const std::string& ok) {
    int fd = ::open(ok.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
  }

  std::string dir_;
  std::vector<sysfs::DirEntry> entries_;
  FileReader reader_{64, FileReader::Mode::kReopen};
};

}  // namespace

VITALS_COLLECTOR(RunitCollector, "runit", false,
                 "Exposes the state of runit services (supervise/status).",
                 {{"servicedir", OptionKind::kString, "/etc/service",
                   "Path to runit service directory."}});

}  // namespace vitals
