#include "collectors/self/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <mutex>

#include "collectors/procfs/pid_files.h"
#include "core/fs.h"
#include "core/parse.h"

namespace vitals {
namespace {

constexpr Desc kCpu{"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    MetricType::kCounter};
constexpr Desc kOpenFds{"process_open_fds", "Number of open file descriptors.", MetricType::kGauge};
constexpr Desc kMaxFds{"process_max_fds", "Maximum number of open file descriptors.",
                       MetricType::kGauge};
constexpr Desc kVirt{"process_virtual_memory_bytes", "Virtual memory size in bytes.",
                     MetricType::kGauge};
constexpr Desc kVirtMax{"process_virtual_memory_max_bytes",
                        "Maximum amount of virtual memory available in bytes.", MetricType::kGauge};
constexpr Desc kRes{"process_resident_memory_bytes", "Resident memory size in bytes.",
                    MetricType::kGauge};
constexpr Desc kStart{"process_start_time_seconds",
                      "Start time of the process since unix epoch in seconds.", MetricType::kGauge};

double boot_time() {
  static double cached = [] {
    FileReader r(8192, FileReader::Mode::kReopen);
    std::string_view text;
    int err;
    if (!r.try_read("/proc/stat", &text, &err)) return 0.0;
    std::string_view line;
    while (parse::next_line(text, line)) {
      if (line.substr(0, 6) == "btime ") {
        auto v = parse::to_u64(parse::trim(line.substr(6)));
        return v ? static_cast<double>(*v) : 0.0;
      }
    }
    return 0.0;
  }();
  return cached;
}

}  // namespace

void collect_process_metrics(MetricSet& out) {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // One reader for all server threads (kept open: /proc/self/stat is read on every scrape).
  static std::mutex mu;
  static FileReader reader(1024);
  std::lock_guard<std::mutex> lk(mu);
  std::string_view text;
  int err;
  std::string why;
  if (reader.try_read("/proc/self/stat", &text, &err)) {
    if (auto st = procfs::parse_pid_stat(text, &why)) {
      out.add(kCpu).add((st->utime + st->stime) / ticks);
      out.add(kVirt).add(st->vsize);
      out.add(kRes).add(st->rss * page);
      out.add(kStart).add(boot_time() + st->starttime / ticks);
    }
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    int n = 0;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    out.add(kOpenFds).add(n - 1);  // not counting the descriptor of the listing itself
  }
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    out.add(kMaxFds).add(rl.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19
                                                      : static_cast<double>(rl.rlim_cur));
  }
  if (getrlimit(RLIMIT_AS, &rl) == 0) {
    out.add(kVirtMax).add(rl.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19
                                                       : static_cast<double>(rl.rlim_cur));
  }
}

}  // namespace vitals
