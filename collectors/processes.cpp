// processes: process and thread counts and limits from /proc/<pid>/stat and
// /proc/sys/kernel/{threads-max,pid_max} (node_exporter 1.5.0 names; off by default).
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "collectors/procfs/kept_stat_files.h"
#include "collectors/procfs/pid_files.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kThreads{"node_processes_threads", "Allocated threads in system",
                        MetricType::kGauge};
constexpr Desc kMaxThreads{"node_processes_max_threads", "Limit of threads in the system",
                           MetricType::kGauge};
constexpr Desc kMaxProcesses{"node_processes_max_processes", "Number of max PIDs limit",
                             MetricType::kGauge};
constexpr Desc kState{"node_processes_state", "Number of processes in each state.",
                      MetricType::kGauge};
constexpr Desc kThreadStates{"node_processes_threads_state", "Number of threads in each state.",
                             MetricType::kGauge};
constexpr Desc kPids{"node_processes_pids", "Number of PIDs", MetricType::kGauge};

// Most stat files this collector keeps open between scrapes (each also takes a slot of
// --collector.keep-open-files, and pins a page of kernel memory for its seq_file buffer).
constexpr size_t kMaxKeptStatFiles = 1024;

struct linux_dirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

bool on_procfs(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

class ProcessesCollector final : public Collector {
 public:
  explicit ProcessesCollector(const Paths& p)
      : proc_(p.procfs),
        threads_max_(p.proc("sys/kernel/threads-max")),
        pid_max_(p.proc("sys/kernel/pid_max")),
        live_(on_procfs(p.procfs)),
        stat_files_(live_, kMaxKeptStatFiles) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    std::array<double, 256> states{}, thread_states{};
    double pids = 0, threads = 0;
    // A malformed stat is an item error (reported with its file, the other processes kept);
    // a process that exits between the listing and the read is skipped silently.
    parse::ParseErrors errors;
    if (!list_numeric(proc_, &pid_names_)) {
      throw CollectError("list " + proc_ + ": " + std::strerror(errno));
    }
    stat_files_.begin();
    ++pass_;
    std::string& path = path_;
    for (const std::string& name : pid_names_) {
      if (std::chrono::steady_clock::now() > ctx.deadline) break;
      path.assign(proc_);
      path += '/';
      path.append(name);
      path += "/stat";
      auto s = read_stat(id_of(name), path, errors);
      if (!s) continue;
      ++pids;
      threads += s->num_threads;
      states[static_cast<unsigned char>(s->state)]++;
      count_threads(name, *s, thread_states, errors);
    }
    stat_files_.end();
    std::erase_if(known_, [&](const auto& e) { return e.second.pass != pass_; });
    out.add(kThreads).add(threads);
    Family& st = out.add(kState);
    for (size_t c = 0; c < states.size(); ++c) {
      if (states[c] == 0) continue;
      char label[2] = {static_cast<char>(c), 0};
      st.add({{"state", std::string_view(label, 1)}}, states[c]);
    }
    if (has_tasks_.value_or(false)) {
      Family& ts = out.add(kThreadStates);
      for (size_t c = 0; c < thread_states.size(); ++c) {
        if (thread_states[c] == 0) continue;
        char label[2] = {static_cast<char>(c), 0};
        ts.add({{"thread_state", std::string_view(label, 1)}}, thread_states[c]);
      }
    }
    out.add(kPids).add(pids);
    if (auto tmax = read_number(reader_, threads_max_)) {
      out.add(kMaxThreads).add(*tmax);
    } else {
      errors.add_file(threads_max_, "cannot read a number");
    }
    if (auto pmax = read_number(reader_, pid_max_)) {
      out.add(kMaxProcesses).add(*pmax);
    } else {
      errors.add_file(pid_max_, "cannot read a number");
    }
    throw_if_errors(proc_, errors);
  }

 private:
  // Thread states come from /proc/<pid>/task/<tid>/stat. A single-threaded process's only
  // thread has the process's state, so only multi-threaded processes' task directories are
  // read. Whether this procfs has task directories at all is learned from the first process.
  void count_threads(std::string_view pid, const procfs::PidStat& s,
                     std::array<double, 256>& thread_states, parse::ParseErrors& errors) {
    task_dir_.assign(proc_);
    task_dir_ += '/';
    task_dir_.append(pid);
    task_dir_ += "/task";
    if (!has_tasks_) has_tasks_ = ::access(task_dir_.c_str(), F_OK) == 0;
    if (!*has_tasks_) return;
    if (s.num_threads <= 1) {
      thread_states[static_cast<unsigned char>(s.state)]++;
      return;
    }
    if (live_ && count_known_threads(pid, s, thread_states, errors)) return;
    if (!list_numeric(task_dir_, &tid_names_)) return;  // the process exited
    std::vector<uint32_t>* known = nullptr;
    if (live_) {
      Known& k = known_[id_of(pid)];
      k.pass = pass_;
      k.tids.clear();
      known = &k.tids;
    }
    for (const std::string& tid : tid_names_) {
      // On a live procfs the leader thread (task/<pid>) is the task /proc/<pid>/stat
      // describes, and the state there is that task's own (do_task_stat takes the state of
      // the task the file was opened for, not a summary of the group): counted from the
      // process's stat, its task file is not read again. A fixture tree's files are read.
      if (live_ && tid == pid) {
        thread_states[static_cast<unsigned char>(s.state)]++;
        continue;
      }
      if (known) known->push_back(id_of(tid));
      task_path_.assign(task_dir_);
      task_path_ += '/';
      task_path_.append(tid);
      task_path_ += "/stat";
      std::string_view text;
      int err = 0;
      if (!stat_files_.read(id_of(tid), task_path_, &text, &err)) continue;
      one_.clear();
      if (auto t = procfs::parse_pid_stat(text, one_)) {
        thread_states[static_cast<unsigned char>(t->state)]++;
      } else {
        errors.append(task_path_, one_);
      }
    }
  }

  // Without listing task/ again: a process whose threads other than the leader were all
  // listed at an earlier scrape, all still answer (a kept descriptor of an exited thread
  // answers ESRCH, a tid's successor cannot be a thread of this process) and are one fewer
  // than its stat's num_threads has exactly those threads. Listing a task directory
  // (proc_task_readdir instantiates a dentry per thread) cost about as much as reading the
  // threads' stat files. False when the threads changed: the caller lists.
  bool count_known_threads(std::string_view pid, const procfs::PidStat& s,
                           std::array<double, 256>& thread_states, parse::ParseErrors& errors) {
    auto it = known_.find(id_of(pid));
    if (it == known_.end() || it->second.tids.size() + 1 != s.num_threads) return false;
    pending_.clear();
    for (uint32_t tid : it->second.tids) {
      task_path_.assign(task_dir_);
      task_path_ += '/';
      char digits[16];
      task_path_.append(digits, std::to_chars(digits, digits + sizeof digits, tid).ptr);
      task_path_ += "/stat";
      std::string_view text;
      int err = 0;
      if (!stat_files_.read(tid, task_path_, &text, &err)) return false;
      one_.clear();
      if (auto t = procfs::parse_pid_stat(text, one_)) {
        pending_.push_back(static_cast<unsigned char>(t->state));
      } else {
        errors.append(task_path_, one_);
      }
    }
    it->second.pass = pass_;
    thread_states[static_cast<unsigned char>(s.state)]++;  // the leader, from the process's stat
    for (unsigned char st : pending_) thread_states[st]++;
    return true;
  }

  std::optional<procfs::PidStat> read_stat(uint32_t id, const std::string& path,
                                           parse::ParseErrors& errors) {
    std::string_view text;
    int err = 0;
    if (!stat_files_.read(id, path, &text, &err)) {
      if (!vanished(err)) errors.add_file(path, std::strerror(err));
      return std::nullopt;
    }
    one_.clear();
    auto st = procfs::parse_pid_stat(text, one_);
    if (!st) errors.append(path, one_);
    return st;
  }

  static uint32_t id_of(std::string_view digits) {
    auto v = parse::to_u64(digits);
    return static_cast<uint32_t>(v.value_or(0));
  }

  // The names of `dir` that are decimal numbers (pids, tids), in directory order, with
  // getdents64 into a reused buffer. False with errno set when `dir` cannot be opened.
  bool list_numeric(const std::string& dir, std::vector<std::string>* names) {
    names->clear();
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    for (;;) {
      long n = ::syscall(SYS_getdents64, fd, dents_.data(), dents_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        const auto* e = reinterpret_cast<const linux_dirent64*>(dents_.data() + off);
        off += e->d_reclen;
        std::string_view name = e->d_name;
        if (name.empty() || name[0] < '0' || name[0] > '9' || !parse::to_u64(name)) continue;
        names->emplace_back(name);
      }
    }
    ::close(fd);
    return true;
  }

  std::string proc_, threads_max_, pid_max_;
  std::string path_, task_dir_, task_path_;
  std::optional<bool> has_tasks_;
  bool live_;               // proc_ is a mounted procfs
  parse::ParseErrors one_;  // the error of one stat file
  std::vector<std::string> pid_names_, tid_names_;
  // Live procfs: each multi-threaded process's threads but the leader, as last listed; entries
  // of processes not seen in a scrape are dropped at its end.
  struct Known {
    uint32_t pass = 0;
    std::vector<uint32_t> tids;
  };
  std::unordered_map<uint32_t, Known> known_;
  std::vector<unsigned char> pending_;
  uint32_t pass_ = 0;
  std::vector<char> dents_ = std::vector<char>(32768);
  FileReader reader_{1024, FileReader::Mode::kReopen};  // threads-max, pid_max
  // Every process's stat and every non-leader thread's task stat, keyed by pid or tid (a live
  // task's id is unique, and a kept file of a task that exited answers ESRCH).
  procfs::KeptStatFiles stat_files_;
};

}  // namespace

VITALS_COLLECTOR(ProcessesCollector, "processes", false,
                 "Exposes aggregate process statistics from /proc.");

}  // namespace vitals
