// process_groups: per-program views with process-exporter's names (namedprocess_namegroup_*,
// as Debian's prometheus-process-exporter 0.7.10 reports them). Processes are grouped by comm,
// or by process-exporter's config file (--collector.process_groups.config-file: first
// matching matcher names the group; unmatched processes are left out, or join the group of
// their nearest tracked ancestor with children=true, process-exporter's -children).
// Counters follow process-exporter: a group's counters start at 0 for the processes running
// when the agent first looked and add what every member did since (exited members' counts
// are kept), so they never go down when a process exits. The same holds per thread name
// (threads=true) for the thread_* families.
#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <unordered_map>

#include "collectors/process_groups/config.h"
#include "collectors/procfs/pid_files.h"
#include "collectors/util.h"
#include "core/collector.h"
#include "core/reloadable.h"

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
// threads=true (process-exporter's -threads), per thread name of multi-threaded members.
constexpr Desc kThreadCount{"namedprocess_namegroup_thread_count",
                            "Number of threads in this group with same threadname", MT::kGauge};
constexpr Desc kThreadCpu{"namedprocess_namegroup_thread_cpu_seconds_total",
                          "Cpu user/system usage in seconds", MT::kCounter};
constexpr Desc kThreadIo{"namedprocess_namegroup_thread_io_bytes_total",
                         "number of bytes read/written by these threads", MT::kCounter};
constexpr Desc kThreadMaj{"namedprocess_namegroup_thread_major_page_faults_total",
                          "Major page faults for these threads", MT::kCounter};
constexpr Desc kThreadMin{"namedprocess_namegroup_thread_minor_page_faults_total",
                          "Minor page faults for these threads", MT::kCounter};
constexpr Desc kThreadCtx{"namedprocess_namegroup_thread_context_switches_total",
                          "Context switches for these threads", MT::kCounter};

constexpr std::string_view kOtherGroup = "_other";
constexpr std::array<std::string_view, 5> kStateNames = {"Running", "Sleeping", "Waiting", "Zombie",
                                                         "Other"};

// Counters per process, thread and group, in this order.
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

std::string read_whole(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ProcessGroupsCollector final : public Collector, public ReloadableCollector {
 public:
  ProcessGroupsCollector(const CollectorOptions& o, const Paths& p)
      : paths_(p),
        max_groups_(static_cast<size_t>(std::max<int64_t>(1, o.integer("max-groups")))),
        threads_on_(o.boolean("threads")),
        smaps_on_(o.boolean("gather-smaps")),
        recheck_(o.boolean("recheck")),
        children_(o.boolean("children")),
        config_path_(o.str("config-file")) {
    if (!config_path_.empty()) {
      // A bad file fails the start (exit 1) or the reload (the running one stays), with the
      // file and line in the message.
      config_text_ = read_whole(config_path_);
      config_ = std::make_unique<pgroups::Config>(pgroups::Config::load(config_path_));
    }
    struct statfs fs;
    // On a real procfs, stat() of /proc/<pid>/fd reports the number of open descriptors as
    // its size (Linux 6.2+): no directory listing needed.
    fd_size_ok_ = ::statfs(p.procfs.c_str(), &fs) == 0 && fs.f_type == 0x9fa0;
  }

  // ReloadableCollector: the config file changed since it was loaded (a SIGHUP rebuilds us).
  bool stale() const override {
    return !config_path_.empty() && read_whole(config_path_) != config_text_;
  }

  void collect(const CollectContext& ctx, MetricSet& out) override {
    if (btime_ == 0) read_btime();
    ++gen_;
    errors_.clear();
    pending_.clear();
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
    for (auto it = threads_.begin(); it != threads_.end();) {
      it = it->second.gen == gen_ ? std::next(it) : threads_.erase(it);
    }
    for (int pid : pending_) resolve(pid, 0);
    aggregate();
    first_ = false;
    emit(out);
    throw_if_errors(paths_.procfs, errors_);
  }

 private:
  enum class Member : uint8_t { kIgnored, kTracked, kPending };

  struct Proc {
    uint64_t gen = 0;
    double starttime = -1;
    int ppid = 0;
    Member member = Member::kIgnored;
    bool read = false;                        // its metrics were read this scrape
    const std::string* counted_in = nullptr;  // its group's key in this scrape's aggregate
    std::string group;  // resolved once per process (pid + start time), or every scrape (recheck)
    Counters last{}, cur{};
    double rss = 0, vsize = 0, swap = 0, pss = 0, swap_pss = 0, fds = 0, ratio = 0, threads = 0;
    double start = 0;
    char state = 0;
  };

  struct Thread {
    uint64_t gen = 0;
    double starttime = -1;
    int pid = 0;
    std::string name;
    Counters last{}, cur{};
    char state = 0;
    bool fresh = false;  // first seen in this scrape
  };

  struct Group {
    Counters total{};  // accumulated since first seen
    double procs = 0, rss = 0, vsize = 0, swap = 0, pss = 0, swap_pss = 0, fds = 0, worst = 0,
           threads = 0;
    double oldest = std::numeric_limits<double>::infinity();
    std::array<double, 5> states{};
    uint64_t seen_gen = 0;
    void reset() {
      procs = rss = vsize = swap = pss = swap_pss = fds = worst = threads = 0;
      oldest = std::numeric_limits<double>::infinity();
      states.fill(0);
    }
  };

  // Per group and thread name; key: group '\0' thread name.
  struct ThreadGroup {
    Counters total{};
    double count = 0;
    uint64_t seen_gen = 0;
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

  using GroupMap = std::map<std::string, Group, std::less<>>;
  GroupMap::iterator group_for(const std::string& name) {
    auto it = groups_.find(name);
    if (it != groups_.end()) return it;
    if (groups_.size() >= max_groups_) {
      // Make room from a group without members, else fold into the overflow group.
      for (auto g = groups_.begin(); g != groups_.end(); ++g) {
        if (g->second.procs == 0 && g->first != kOtherGroup && g->second.seen_gen != gen_) {
          groups_.erase(g);
          return groups_.emplace(name, Group{}).first;
        }
      }
      auto other = groups_.find(kOtherGroup);
      return other != groups_.end() ? other
                                    : groups_.emplace(std::string(kOtherGroup), Group{}).first;
    }
    return groups_.emplace(name, Group{}).first;
  }

  const std::string& username(uid_t uid) {
    auto it = users_.find(uid);
    if (it != users_.end()) return it->second;
    // process-exporter: the user name, or the number when the lookup fails.
    struct passwd pw, *res = nullptr;
    std::array<char, 4096> buf;
    std::string name = getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) == 0 && res
                           ? std::string(res->pw_name)
                           : std::to_string(uid);
    if (users_.size() > 10000) users_.clear();
    return users_.emplace(uid, std::move(name)).first->second;
  }

  // Decides the group of a process seen for the first time (or every scrape with recheck).
  void classify(Proc& p, int pid, double uid, double ticks) {
    if (!config_) {
      p.member = Member::kTracked;
      p.group.assign(comm_);
      return;
    }
    pgroups::ProcAttrs a;
    a.comm = comm_;
    a.pid = pid;
    auto total_ns = static_cast<long long>(ticks / hz_ * 1e9 + 0.5);
    a.start_sec = static_cast<long long>(btime_) + total_ns / 1000000000;
    a.start_nsec = static_cast<long>(total_ns % 1000000000);
    if (config_->needs_username() && uid >= 0) a.username = username(static_cast<uid_t>(uid));
    std::string_view text;
    if (config_->needs_cgroups()) {
      path_.resize(base_len_);
      path_ += "cgroup";
      if (aux_reader_.try_read(path_, &text, &err_)) a.cgroup_file = text;
    }
    if (config_->needs_cmdline() && rd("cmdline", &text)) a.cmdline = text;
    if (config_->match(a, scratch_, &name_)) {
      p.member = Member::kTracked;
      p.group.assign(name_);
    } else if (children_) {
      p.member = Member::kPending;
      pending_.push_back(pid);
    } else {
      p.member = Member::kIgnored;
    }
  }

  // children=true: an unmatched process joins the group of its nearest tracked ancestor (its
  // parent's group, decided the same way), as process-exporter's -children does.
  const Proc* resolve(int pid, int depth) {
    auto it = procs_.find(pid);
    if (it == procs_.end() || it->second.gen != gen_) return nullptr;
    Proc& p = it->second;
    if (p.member == Member::kTracked) return &p;
    if (p.member == Member::kIgnored) return nullptr;
    const Proc* parent = depth < 64 && p.ppid > 0 ? resolve(p.ppid, depth + 1) : nullptr;
    if (parent) {
      p.member = Member::kTracked;
      p.group.assign(parent->group);
      return &p;
    }
    p.member = Member::kIgnored;
    return nullptr;
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
    bool fresh = p.starttime != st->starttime;  // new process (or a reused pid)
    if (fresh) {
      p.starttime = st->starttime;
      p.last.fill(0);
    }
    p.gen = gen_;
    p.read = false;
    p.ppid = static_cast<int>(st->ppid);
    comm_.assign(st->comm);  // the reader's buffer is reused below
    Counters& c = p.cur;
    c.fill(0);
    c[kUser] = st->utime / hz_;
    c[kSystem] = st->stime / hz_;
    c[kMaj] = st->majflt;
    c[kMin] = st->minflt;
    p.state = st->state;
    p.threads = st->num_threads;
    p.rss = st->rss * page_;
    p.vsize = st->vsize;
    p.start = btime_ + st->starttime / hz_;
    double ticks = st->starttime;
    if (!fresh && !recheck_ && p.member == Member::kIgnored) return;  // not ours: stat only
    p.swap = 0;
    double uid = -1;
    std::string_view t;
    if (rd("status", &t)) {
      auto s = procfs::parse_pid_status(t);
      c[kVol] = s.voluntary_ctxt_switches.value_or(0);
      c[kNonvol] = s.nonvoluntary_ctxt_switches.value_or(0);
      p.swap = s.vm_swap_bytes.value_or(0);
      if (config_ && config_->needs_username() && (fresh || recheck_)) {
        uid = pgroups::status_effective_uid(t);
      }
    }
    if (fresh || recheck_) {
      classify(p, ipid, uid, ticks);
      if (p.member == Member::kIgnored) return;
    }
    p.read = true;
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
    p.fds = count_fds(&fd_denied);
    bool smaps_denied = false;
    p.pss = p.swap_pss = 0;
    if (smaps_on_) {
      // One read per process of the kernel's sums (Linux 4.14+); without the file, 0.
      if (rd("smaps_rollup", &t)) {
        auto r = pgroups::parse_smaps_rollup(t);
        p.pss = r.pss_bytes;
        p.swap_pss = r.swap_pss_bytes;
      } else {
        smaps_denied = denied(err_);
      }
    }
    if (io_denied || fd_denied || smaps_denied) {
      path_.resize(base_len_);
      path_ += io_denied ? "io" : fd_denied ? "fd" : "smaps_rollup";
      ctx.permission_denied(path_);
    }
    p.ratio = 0;
    if (rd("limits", &t)) {
      auto lim = procfs::parse_max_open_files(t);
      if (lim && *lim > 0 && !std::isinf(*lim)) p.ratio = p.fds / *lim;
    }
    // process-exporter counts the states of a multi-threaded process's threads (threads or
    // not): their stat is read in any case, their status and io only for the thread_* families.
    if (p.threads > 1) scan_threads(ctx, ipid);
  }

  // The threads of a multi-threaded member: task/<tid>/stat, status and io.
  void scan_threads(const CollectContext& ctx, int pid) {
    path_.resize(base_len_);
    path_ += "task";
    DIR* d = opendir(path_.c_str());
    if (!d) return;  // gone
    size_t task_len = path_.size();
    bool io_denied = false;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      path_.resize(task_len);
      path_ += '/';
      path_ += e->d_name;
      path_ += '/';
      size_t tid_len = path_.size();
      path_ += "stat";
      std::string_view text;
      if (!reader_.try_read(path_, &text, &err_)) continue;  // the thread ended
      one_.clear();
      auto st = procfs::parse_pid_stat(text, one_);
      if (!st) continue;
      Thread& th = threads_[std::atoi(e->d_name)];
      // process-exporter counts a thread from when it first saw it, even in a new process.
      th.fresh = th.starttime != st->starttime || th.pid != pid;
      if (th.fresh) {
        th.starttime = st->starttime;
        th.pid = pid;
      }
      th.gen = gen_;
      th.name.assign(st->comm);
      th.state = st->state;
      Counters& c = th.cur;
      c.fill(0);
      c[kUser] = st->utime / hz_;
      c[kSystem] = st->stime / hz_;
      c[kMaj] = st->majflt;
      c[kMin] = st->minflt;
      if (!threads_on_) continue;
      path_.resize(tid_len);
      path_ += "status";
      if (reader_.try_read(path_, &text, &err_)) {
        auto s = procfs::parse_pid_status(text);
        c[kVol] = s.voluntary_ctxt_switches.value_or(0);
        c[kNonvol] = s.nonvoluntary_ctxt_switches.value_or(0);
      }
      path_.resize(tid_len);
      path_ += "io";
      if (reader_.try_read(path_, &text, &err_)) {
        auto io = procfs::parse_pid_io(text);
        c[kReadB] = io.read_bytes.value_or(0);
        c[kWriteB] = io.write_bytes.value_or(0);
      } else if (denied(err_) && !io_denied) {
        io_denied = true;
        ctx.permission_denied(path_);
      }
    }
    closedir(d);
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

  // Adds this scrape's members (and their threads) to their groups.
  void aggregate() {
    for (auto& [pid, p] : procs_) {
      if (p.gen != gen_ || p.member != Member::kTracked || !p.read) continue;
      auto git = group_for(p.group);
      p.counted_in = &git->first;  // stable: groups with members are not erased this scrape
      Group& g = git->second;
      g.seen_gen = gen_;
      for (int i = 0; i < kCtrCount; ++i) {
        double delta = p.cur[i] - p.last[i];
        // Processes running at the first scan count from 0 (their past is not the group's).
        if (!first_ && delta > 0) g.total[i] += delta;
        p.last[i] = p.cur[i];
      }
      g.procs += 1;
      g.rss += p.rss;
      g.vsize += p.vsize;
      g.swap += p.swap;
      g.pss += p.pss;
      g.swap_pss += p.swap_pss;
      g.fds += p.fds;
      g.worst = std::max(g.worst, p.ratio);
      g.threads += p.threads;
      g.oldest = std::min(g.oldest, p.start);
      g.states[state_index(p.state)] += 1;
    }
    for (auto& [tid, th] : threads_) {
      auto it = procs_.find(th.pid);
      if (it == procs_.end()) continue;
      const Proc& p = it->second;
      if (p.member != Member::kTracked || !p.read) continue;
      // Where the member was counted (its group, or "_other" past max-groups).
      const std::string& gname = *p.counted_in;
      // process-exporter counts each thread's state beside its process's.
      groups_.find(gname)->second.states[state_index(th.state)] += 1;
      if (!threads_on_) continue;
      key_.assign(gname);
      key_ += '\0';
      key_ += th.name;
      auto tg = thread_groups_.find(key_);
      if (tg == thread_groups_.end()) {
        if (thread_groups_.size() >= 10 * max_groups_) {
          key_.resize(gname.size() + 1);
          key_ += kOtherGroup;
          tg = thread_groups_.find(key_);
        }
        if (tg == thread_groups_.end()) tg = thread_groups_.emplace(key_, ThreadGroup{}).first;
      }
      ThreadGroup& t = tg->second;
      if (t.seen_gen != gen_) t.count = 0;
      t.seen_gen = gen_;
      t.count += 1;
      for (int i = 0; i < kCtrCount; ++i) {
        double delta = th.cur[i] - th.last[i];
        if (!th.fresh && delta > 0) t.total[i] += delta;
        th.last[i] = th.cur[i];
      }
    }
    // Thread names not seen in this scrape are dropped (their threads ended).
    for (auto it = thread_groups_.begin(); it != thread_groups_.end();) {
      it = it->second.seen_gen == gen_ ? std::next(it) : thread_groups_.erase(it);
    }
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
      if (smaps_on_) {
        mem.add({gl, {"memtype", "proportionalResident"}}, g.pss);
        mem.add({gl, {"memtype", "proportionalSwapped"}}, g.swap_pss);
      }
      fds.add({gl}, g.fds);
      worst.add({gl}, g.worst);
      if (g.procs > 0) oldest.add({gl}, g.oldest);
      threads.add({gl}, g.threads);
      for (size_t i = 0; i < kStateNames.size(); ++i)
        states.add({gl, {"state", kStateNames[i]}}, g.states[i]);
    }
    if (!threads_on_) return;
    Family& tcount = out.add(kThreadCount);
    Family& tcpu = out.add(kThreadCpu);
    Family& tio = out.add(kThreadIo);
    Family& tmaj = out.add(kThreadMaj);
    Family& tmin = out.add(kThreadMin);
    Family& tctx = out.add(kThreadCtx);
    for (const auto& [key, t] : thread_groups_) {
      std::string_view k = key;
      size_t nul = k.find('\0');
      Label gl{"groupname", k.substr(0, nul)};
      Label tl{"threadname", k.substr(nul + 1)};
      tcount.add({gl, tl}, t.count);
      tcpu.add({gl, tl, {"mode", "user"}}, t.total[kUser]);
      tcpu.add({gl, tl, {"mode", "system"}}, t.total[kSystem]);
      tio.add({gl, tl, {"iomode", "read"}}, t.total[kReadB]);
      tio.add({gl, tl, {"iomode", "write"}}, t.total[kWriteB]);
      tmaj.add({gl, tl}, t.total[kMaj]);
      tmin.add({gl, tl}, t.total[kMin]);
      tctx.add({gl, tl, {"ctxswitchtype", "voluntary"}}, t.total[kVol]);
      tctx.add({gl, tl, {"ctxswitchtype", "nonvoluntary"}}, t.total[kNonvol]);
    }
  }

  const Paths paths_;
  const size_t max_groups_;
  const bool threads_on_, smaps_on_, recheck_, children_;
  const std::string config_path_;
  std::string config_text_;  // as loaded, to tell a changed file on reload
  std::unique_ptr<pgroups::Config> config_;
  bool fd_size_ok_ = false;
  const double hz_ = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_ = static_cast<double>(sysconf(_SC_PAGESIZE));
  double btime_ = 0;
  bool first_ = true;
  uint64_t gen_ = 0;
  std::unordered_map<int, Proc> procs_;
  std::unordered_map<int, Thread> threads_;
  GroupMap groups_;
  std::map<std::string, ThreadGroup, std::less<>> thread_groups_;
  std::unordered_map<uid_t, std::string> users_;
  std::vector<int> pending_;  // unmatched new processes, for children=true
  FileReader reader_{4096, FileReader::Mode::kReopen};
  FileReader aux_reader_{4096, FileReader::Mode::kReopen};
  int err_ = 0;  // errno of the last failed read (try_read needs somewhere to put it)
  std::string path_, comm_, name_, key_;
  pgroups::Config::Scratch scratch_;
  parse::ParseErrors errors_;  // this scrape's item errors
  parse::ParseErrors one_;     // the error of one stat file
  size_t base_len_ = 0;
};

}  // namespace

VITALS_COLLECTOR(
    ProcessGroupsCollector, "process_groups", false,
    "Exposes per-program process groups (by comm, or by process-exporter's config file) with "
    "process-exporter's metric names.",
    {{"max-groups", OptionKind::kInt, "1000",
      "Most groups kept; past it, groups without processes are dropped and new "
      "names are folded into the group \"_other\"."},
     {"config-file", OptionKind::kString, "",
      "process-exporter's YAML config (process_names: comm/exe/cmdline matchers and name "
      "templates; the first matching matcher wins, unmatched processes are left out). Empty: "
      "every process, grouped by comm. Re-read on SIGHUP."},
     {"threads", OptionKind::kBool, "true",
      "Per thread name metrics (namedprocess_namegroup_thread_*) of multi-threaded processes, "
      "as process-exporter's -threads."},
     {"gather-smaps", OptionKind::kBool, "true",
      "Memory types proportionalResident and proportionalSwapped from "
      "/proc/<pid>/smaps_rollup, as process-exporter's -gather-smaps."},
     {"recheck", OptionKind::kBool, "false",
      "Match every process again at each scrape instead of once, as process-exporter's "
      "-recheck."},
     {"children", OptionKind::kBool, "true",
      "With a config file, an unmatched process joins the group of its nearest matched "
      "ancestor, as process-exporter's -children."}});

}  // namespace vitals
