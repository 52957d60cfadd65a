// processes: process and thread counts and limits from /proc/<pid>/stat and
// /proc/sys/kernel/{threads-max,pid_max} (node_exporter 1.5.0 names; off by default).
#include <dirent.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

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

class ProcessesCollector final : public Collector {
 public:
  explicit ProcessesCollector(const Paths& p)
      : proc_(p.procfs),
        threads_max_(p.proc("sys/kernel/threads-max")),
        pid_max_(p.proc("sys/kernel/pid_max")) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    std::array<double, 256> states{}, thread_states{};
    double pids = 0, threads = 0;
    // A malformed stat is an item error (reported with its file, the other processes kept);
    // a process that exits between the listing and the read is skipped silently.
    parse::ParseErrors errors;
    DIR* d = ::opendir(proc_.c_str());
    if (!d) throw CollectError("opendir " + proc_ + ": " + std::strerror(errno));
    std::string path;
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name.empty() || name[0] < '0' || name[0] > '9' || !parse::to_u64(name)) continue;
      if (std::chrono::steady_clock::now() > ctx.deadline) break;
      path.assign(proc_);
      path += '/';
      path.append(name);
      path += "/stat";
      auto s = read_pid_stat(reader_, path, one_, errors);
      if (!s) continue;
      ++pids;
      threads += s->num_threads;
      states[static_cast<unsigned char>(s->state)]++;
      count_threads(name, *s, thread_states, errors);
    }
    ::closedir(d);
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
    DIR* d = ::opendir(task_dir_.c_str());
    if (!d) return;  // the process exited
    while (dirent* e = ::readdir(d)) {
      std::string_view tid = e->d_name;
      if (tid.empty() || tid[0] < '0' || tid[0] > '9') continue;
      task_path_.assign(task_dir_);
      task_path_ += '/';
      task_path_.append(tid);
      task_path_ += "/stat";
      std::string_view text;
      int err = 0;
      if (!reader_.try_read(task_path_, &text, &err)) continue;
      one_.clear();
      if (auto t = procfs::parse_pid_stat(text, one_)) {
        thread_states[static_cast<unsigned char>(t->state)]++;
      } else {
        errors.append(task_path_, one_);
      }
    }
    ::closedir(d);
  }

  std::string proc_, threads_max_, pid_max_;
  std::string task_dir_, task_path_;
  std::optional<bool> has_tasks_;
  parse::ParseErrors one_;  // the error of one stat file
  FileReader reader_{1024, FileReader::Mode::kReopen};
};

}  // namespace

VITALS_COLLECTOR(ProcessesCollector, "processes", false,
                 "Exposes aggregate process statistics from /proc.");

}  // namespace vitals
