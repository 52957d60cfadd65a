#include "collectors/self/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

#include "collectors/procfs/pid_files.h"
#include "core/fs.h"
#include "core/parse.h"
#include "core/prometheus_cpp.h"

namespace vitals {
namespace {

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

std::vector<prometheus::MetricFamily> collect_process() {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::vector<prometheus::MetricFamily> out;
  {
    // One reader for all server threads (kept open: /proc/self/stat is read on every scrape).
    static std::mutex mu;
    static FileReader reader(1024);
    std::lock_guard<std::mutex> lk(mu);
    std::string_view text;
    int err;
    std::string why;
    if (reader.try_read("/proc/self/stat", &text, &err)) {
      if (auto st = procfs::parse_pid_stat(text, &why)) {
        out.push_back(counter_family("process_cpu_seconds_total",
                                     "Total user and system CPU time spent in seconds.",
                                     (st->utime + st->stime) / ticks));
        out.push_back(gauge_family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                   static_cast<double>(st->vsize)));
        out.push_back(gauge_family("process_resident_memory_bytes",
                                   "Resident memory size in bytes.", st->rss * page));
        out.push_back(gauge_family("process_start_time_seconds",
                                   "Start time of the process since unix epoch in seconds.",
                                   boot_time() + st->starttime / ticks));
      }
    }
  }
  if (double fds = open_fd_count(); fds >= 0) {
    out.push_back(gauge_family("process_open_fds", "Number of open file descriptors.", fds));
  }
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    out.push_back(gauge_family(
        "process_max_fds", "Maximum number of open file descriptors.",
        rl.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19 : static_cast<double>(rl.rlim_cur)));
  }
  if (getrlimit(RLIMIT_AS, &rl) == 0) {
    out.push_back(gauge_family(
        "process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.",
        rl.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19 : static_cast<double>(rl.rlim_cur)));
  }
  return out;
}

}  // namespace

double open_fd_count() {
  struct stat st {};
  if (::stat("/proc/self/fd", &st) == 0 && st.st_size > 0) return static_cast<double>(st.st_size);
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // not counting the descriptor of the listing itself
}

std::shared_ptr<prometheus::Collectable> process_metrics() {
  return std::make_shared<CallbackCollectable>(collect_process);
}

}  // namespace vitals
