// process_groups: per-program views with process-exporter's names (namedprocess_namegroup_*,
// as Debian's prometheus-process-exporter 0.7.10 reports them), processes grouped by comm.
// Counters follow process-exporter: a group's counters start at 0 for the processes running
// when the agent first looked and add what every member did since (exited members' counts
// are kept), so they never go down when a process exits.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

#include "collectors/procfs/pid_files.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

using MT = MetricType;

constexpr Desc kNumProcs{"namedprocess_namegroup_num_procs", "number of processes in this group",
                         MT::kGauge};
constexpr Desc kCpu{"namedprocess_namegroup_cpu_seconds_total", "Cpu user usage in seconds",
                    MT::kCounter};
constexpr Desc kRead{"namedprocess_namegroup_read_bytes_total",
                     "number of bytes read by this group", MT::kCounter};
constexpr Desc kWrite{"namedprocess_namegroup_write_bytes_total",
                      "number of bytes written by this group", MT::kCounter};
constexpr Desc kMajflt{"namedprocess_namegroup_major_page_faults_total", "Major page faults",
                       MT::kCounter};
constexpr Desc kMinflt{"namedprocess_namegroup_minor_page_faults_total", "Minor page faults",
                       MT::kCounter};
constexpr Desc kCtx{"namedprocess_namegroup_context_switches_total", "Context switches",
                    MT::kCounter};
constexpr Desc kMem{"namedprocess_namegroup_memory_bytes", "number of bytes of memory in use",
                    MT::kGauge};
constexpr Desc kFds{"namedprocess_namegroup_open_filedesc",
                    "number of open file descriptors for this group", MT::kGauge};
constexpr Desc kWorstFd{
    "namedprocess_namegroup_worst_fd_ratio",
    "the worst (closest to 1) ratio between open fds and max fds among all procs in this group",
    MT::kGauge};
constexpr Desc kOldest{"namedprocess_namegroup_oldest_start_time_seconds",
                       "start time in seconds since 1970/01/01 of oldest process in group",
                       MT::kGauge};
constexpr Desc kThreads{"namedprocess_namegroup_num_threads", "Number of threads", MT::kGauge};
constexpr Desc kStates{"namedprocess_namegroup_states",
                       "Number of processes in states Running, Sleeping, Waiting, Zombie, or Other",
                       MT::kGauge};

constexpr std::string_view kOtherGroup = "_other";
constexpr std::array<std::string_view, 5> kStateNames = {"Running", "Sleeping", "Waiting", "Zombie",
                                                         "Other"};

// Counters per process and per group, in this order.
enum Ctr { kUser, kSystem, kReadB, kWriteB, kMaj, kMin, kVol, kNonvol, kCtrCount };
using Counters = std::array<double, kCtrCount>;

int state_index(char s) {
  switch (s) {
    case 'R':
      return 0;
    case 'S':
      return 1;
    case 'D':
      return 2;
    case 'Z':
      return 3;
    default:
      return 4;
  }
}

class ProcessGroupsCollector final : public Collector {
 public:
  ProcessGroupsCollector(const CollectorOptions& o, const Paths& p)
      : paths_(p), max_groups_(static_cast<size_t>(std::max<int64_t>(1, o.integer("max-groups")))) {
    struct statfs fs;
    // On a real procfs, stat() of /proc/<pid>/fd reports the number of open descriptors as
    // its size (Linux 6.2+): no directory listing needed.
    fd_size_ok_ = ::statfs(p.procfs.c_str(), &fs) == 0 && fs.f_type == 0x9fa0;
  }

  void collect(const CollectContext& ctx, MetricSet& out) override {
    if (btime_ == 0) read_btime();
    ++gen_;
    errors_.clear();
    for (auto& [name, g] : groups_) g.reset();
    DIR* d = opendir(paths_.procfs.c_str());
    if (!d) throw CollectError(paths_.procfs + ": " + std::strerror(errno));
    size_t n = 0;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      if ((++n & 63) == 0 && std::chrono::steady_clock::now() > ctx.deadline) {
        closedir(d);
        throw CollectError("deadline reached after " + std::to_string(n) + " processes");
      }
      scan(ctx, e->d_name);
    }
    closedir(d);
    for (auto it = procs_.begin(); it != procs_.end();) {
      it = it->second.gen == gen_ ? std::next(it) : procs_.erase(it);
    }
    first_ = false;
    emit(out);
    throw_if_errors(paths_.procfs, errors_);
  }

 private:
  struct Proc {
    uint64_t gen = 0;
    double starttime = -1;
    std::string group;  // resolved once per process (pid + start time)
    Counters last{};
  };

  struct Group {
    Counters total{};  // accumulated since first seen
    double procs = 0, rss = 0, vsize = 0, swap = 0, fds = 0, worst = 0, threads = 0;
    double oldest = std::numeric_limits<double>::infinity();
    std::array<double, 5> states{};
    uint64_t seen_gen = 0;
    void reset() {
      procs = rss = vsize = swap = fds = worst = threads = 0;
      oldest = std::numeric_limits<double>::infinity();
      states.fill(0);
    }
  };

  void read_btime() {
    std::string_view t;
    if (!reader_.try_read(paths_.proc("stat"), &t, &err_)) return;
    std::string_view line;
    while (parse::next_line(t, line)) {
      if (line.substr(0, 6) == "btime ")
        btime_ = parse::to_double(parse::trim(line.substr(6))).value_or(0);
    }
  }

  bool rd(std::string_view file, std::string_view* text) {
    path_.resize(base_len_);
    path_ += file;
    return reader_.try_read(path_, text, &err_);
  }

  Group& group_for(const std::string& name) {
    auto it = groups_.find(name);
    if (it != groups_.end()) return it->second;
    if (groups_.size() >= max_groups_) {
      // Make room from a group without members, else fold into the overflow group.
      for (auto g = groups_.begin(); g != groups_.end(); ++g) {
        if (g->second.procs == 0 && g->first != kOtherGroup && g->second.seen_gen != gen_) {
          groups_.erase(g);
          return groups_.emplace(name, Group{}).first->second;
        }
      }
      return groups_[std::string(kOtherGroup)];
    }
    return groups_.emplace(name, Group{}).first->second;
  }

  void scan(const CollectContext& ctx, const char* pid) {
    path_.assign(paths_.procfs);
    path_ += '/';
    path_ += pid;
    path_ += '/';
    base_len_ = path_.size();
    // A vanished process is skipped; an unreadable or malformed stat is an item error, reported
    // with its file after the other processes' groups are emitted (as processes does).
    path_ += "stat";
    auto st = read_pid_stat(reader_, path_, one_, errors_);
    if (!st) return;
    int ipid = std::atoi(pid);
    Proc& p = procs_[ipid];
    if (p.starttime != st->starttime) {  // new process (or a reused pid)
      p.starttime = st->starttime;
      p.group.assign(st->comm);
      p.last.fill(0);
    }
    // Processes running at the first scan count from 0 (their past is not the group's).
    bool baseline = first_;
    p.gen = gen_;
    Counters c{};
    c[kUser] = st->utime / hz_;
    c[kSystem] = st->stime / hz_;
    c[kMaj] = st->majflt;
    c[kMin] = st->minflt;
    char state = st->state;
    double threads = st->num_threads, rss = st->rss * page_, vsize = st->vsize;
    double start = btime_ + st->starttime / hz_;
    double swap = 0;
    std::string_view t;
    if (rd("status", &t)) {
      auto s = procfs::parse_pid_status(t);
      c[kVol] = s.voluntary_ctxt_switches.value_or(0);
      c[kNonvol] = s.nonvoluntary_ctxt_switches.value_or(0);
      swap = s.vm_swap_bytes.value_or(0);
    }
    // io (and, before Linux 6.2, the fd directory) of another user's process needs
    // CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE: without them the process counts with no I/O
    // (and no descriptors), and is counted once as permission denied.
    bool io_denied = false;
    if (rd("io", &t)) {
      auto io = procfs::parse_pid_io(t);
      c[kReadB] = io.read_bytes.value_or(0);
      c[kWriteB] = io.write_bytes.value_or(0);
    } else {
      io_denied = denied(err_);
    }
    bool fd_denied = false;
    double fds = count_fds(&fd_denied);
    if (io_denied || fd_denied) {
      path_.resize(base_len_);
      path_ += io_denied ? "io" : "fd";
      ctx.permission_denied(path_);
    }
    double ratio = 0;
    if (rd("limits", &t)) {
      auto lim = procfs::parse_max_open_files(t);
      if (lim && *lim > 0 && !std::isinf(*lim)) ratio = fds / *lim;
    }
    Group& g = group_for(p.group);
    g.seen_gen = gen_;
    for (int i = 0; i < kCtrCount; ++i) {
      double delta = c[i] - p.last[i];
      if (!baseline && delta > 0) g.total[i] += delta;
      p.last[i] = c[i];
    }
    g.procs += 1;
    g.rss += rss;
    g.vsize += vsize;
    g.swap += swap;
    g.fds += fds;
    g.worst = std::max(g.worst, ratio);
    g.threads += threads;
    g.oldest = std::min(g.oldest, start);
    g.states[state_index(state)] += 1;
  }

  double count_fds(bool* fd_denied) {
    path_.resize(base_len_);
    path_ += "fd";
    if (fd_size_ok_) {
      struct stat sb;
      if (::stat(path_.c_str(), &sb) == 0 && sb.st_size > 0) return static_cast<double>(sb.st_size);
    }
    DIR* d = opendir(path_.c_str());
    if (!d) {
      *fd_denied = denied(errno);
      return 0;
    }
    double n = 0;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    return n;
  }

  void emit(MetricSet& out) {
    Family& procs = out.add(kNumProcs);
    Family& cpu = out.add(kCpu);
    Family& rb = out.add(kRead);
    Family& wb = out.add(kWrite);
    Family& maj = out.add(kMajflt);
    Family& min = out.add(kMinflt);
    Family& ctx = out.add(kCtx);
    Family& mem = out.add(kMem);
    Family& fds = out.add(kFds);
    Family& worst = out.add(kWorstFd);
    Family& oldest = out.add(kOldest);
    Family& threads = out.add(kThreads);
    Family& states = out.add(kStates);
    for (const auto& [name, g] : groups_) {
      Label gl{"groupname", name};
      procs.add({gl}, g.procs);
      cpu.add({gl, {"mode", "user"}}, g.total[kUser]);
      cpu.add({gl, {"mode", "system"}}, g.total[kSystem]);
      rb.add({gl}, g.total[kReadB]);
      wb.add({gl}, g.total[kWriteB]);
      maj.add({gl}, g.total[kMaj]);
      min.add({gl}, g.total[kMin]);
      ctx.add({gl, {"ctxswitchtype", "voluntary"}}, g.total[kVol]);
      ctx.add({gl, {"ctxswitchtype", "nonvoluntary"}}, g.total[kNonvol]);
      mem.add({gl, {"memtype", "resident"}}, g.rss);
      mem.add({gl, {"memtype", "virtual"}}, g.vsize);
      mem.add({gl, {"memtype", "swapped"}}, g.swap);
      fds.add({gl}, g.fds);
      worst.add({gl}, g.worst);
      if (g.procs > 0) oldest.add({gl}, g.oldest);
      threads.add({gl}, g.threads);
      for (size_t i = 0; i < kStateNames.size(); ++i)
        states.add({gl, {"state", kStateNames[i]}}, g.states[i]);
    }
  }

  const Paths paths_;
  const size_t max_groups_;
  bool fd_size_ok_ = false;
  const double hz_ = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_ = static_cast<double>(sysconf(_SC_PAGESIZE));
  double btime_ = 0;
  bool first_ = true;
  uint64_t gen_ = 0;
  std::unordered_map<int, Proc> procs_;
  std::map<std::string, Group, std::less<>> groups_;
  FileReader reader_{4096, FileReader::Mode::kReopen};
  int err_ = 0;  // errno of the last failed read (try_read needs somewhere to put it)
  std::string path_;
  parse::ParseErrors errors_;  // this scrape's item errors
  parse::ParseErrors one_;     // the error of one stat file
  size_t base_len_ = 0;
};

}  // namespace

VITALS_COLLECTOR(
    ProcessGroupsCollector, "process_groups", false,
    "Exposes per-program process groups (by comm) with process-exporter's metric names.",
    {{"max-groups", OptionKind::kInt, "1000",
      "Most groups kept; past it, groups without processes are dropped and new "
      "names are folded into the group \"_other\"."}});

}  // namespace vitals
