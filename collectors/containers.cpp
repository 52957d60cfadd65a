// containers: per-cgroup CPU, memory, I/O, pressure, process and network metrics with
// cAdvisor's names and labels (container, id, image, name, namespace, pod; plus pod_uid), from
// cgroup v2 (unified), cgroup v1 (one hierarchy per controller) and hybrid systems (v1 controllers
// plus v2 at <root>/unified). docs/containers.md maps every metric to its v2 and v1 file.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

#include "collectors/cgroup/files.h"
#include "collectors/cgroup/naming.h"
#include "collectors/cgroup/runtime.h"
#include "collectors/procfs/netdev.h"
#include "collectors/procfs/pid_files.h"
#include "collectors/procfs/pressure.h"
#include "collectors/util.h"
#include "core/collector.h"
#include "core/log.h"

namespace vitals {
namespace {

using MT = MetricType;

// Families, in the order of kFamilies below (indices into ContainersCollector::fams_).
enum Fam : int {
  kCpuUsage,
  kCpuUser,
  kCpuSystem,
  kCfsPeriods,
  kCfsThrottledPeriods,
  kCfsThrottledSeconds,
  kMemUsage,
  kMemWorkingSet,
  kMemRss,
  kMemCache,
  kMemMapped,
  kMemSwap,
  kMemMaxUsage,
  kMemFailcnt,
  kMemFailures,
  kOomEvents,
  kSpecCpuQuota,
  kSpecCpuPeriod,
  kSpecCpuShares,
  kSpecMemLimit,
  kSpecMemSwapLimit,
  kSpecMemReservation,
  kFsReadsBytes,
  kFsWritesBytes,
  kFsReads,
  kFsWrites,
  kProcesses,
  kThreads,
  kThreadsMax,
  kPsiCpuWaiting,
  kPsiCpuStalled,
  kPsiMemWaiting,
  kPsiMemStalled,
  kPsiIoWaiting,
  kPsiIoStalled,
  kNetRxBytes,
  kNetRxPackets,
  kNetRxErrors,
  kNetRxDropped,
  kNetTxBytes,
  kNetTxPackets,
  kNetTxErrors,
  kNetTxDropped,
  kStartTime,
  kLastSeen,
  kFamCount
};

constexpr std::array<Desc, kFamCount> kFamilies = {{
    {"container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", MT::kCounter},
    {"container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.",
     MT::kCounter},
    {"container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.",
     MT::kCounter},
    {"container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.",
     MT::kCounter},
    {"container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.",
     MT::kCounter},
    {"container_cpu_cfs_throttled_seconds_total",
     "Total time duration the container has been throttled.", MT::kCounter},
    {"container_memory_usage_bytes",
     "Current memory usage in bytes, including all memory regardless of when it was accessed",
     MT::kGauge},
    {"container_memory_working_set_bytes", "Current working set in bytes.", MT::kGauge},
    {"container_memory_rss", "Size of RSS in bytes.", MT::kGauge},
    {"container_memory_cache", "Number of bytes of page cache memory.", MT::kGauge},
    {"container_memory_mapped_file", "Size of memory mapped files in bytes.", MT::kGauge},
    {"container_memory_swap", "Container swap usage in bytes.", MT::kGauge},
    {"container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes", MT::kGauge},
    {"container_memory_failcnt", "Number of memory usage hits limits", MT::kCounter},
    {"container_memory_failures_total", "Cumulative count of memory allocation failures.",
     MT::kCounter},
    {"container_oom_events_total", "Count of out of memory events observed for the container",
     MT::kCounter},
    {"container_spec_cpu_quota", "CPU quota of the container.", MT::kGauge},
    {"container_spec_cpu_period", "CPU period of the container.", MT::kGauge},
    {"container_spec_cpu_shares", "CPU share of the container.", MT::kGauge},
    {"container_spec_memory_limit_bytes", "Memory limit for the container.", MT::kGauge},
    {"container_spec_memory_swap_limit_bytes", "Memory swap limit for the container.", MT::kGauge},
    {"container_spec_memory_reservation_limit_bytes", "Memory reservation limit for the container.",
     MT::kGauge},
    {"container_fs_reads_bytes_total", "Cumulative count of bytes read", MT::kCounter},
    {"container_fs_writes_bytes_total", "Cumulative count of bytes written", MT::kCounter},
    {"container_fs_reads_total", "Cumulative count of reads completed", MT::kCounter},
    {"container_fs_writes_total", "Cumulative count of writes completed", MT::kCounter},
    {"container_processes", "Number of processes running inside the container.", MT::kGauge},
    {"container_threads", "Number of threads running inside the container", MT::kGauge},
    {"container_threads_max",
     "Maximum number of threads allowed inside the container, infinity if value is zero",
     MT::kGauge},
    {"container_pressure_cpu_waiting_seconds_total",
     "Total time duration tasks in the container have waited due to CPU congestion.", MT::kCounter},
    {"container_pressure_cpu_stalled_seconds_total",
     "Total time duration no tasks in the container could make progress due to CPU congestion.",
     MT::kCounter},
    {"container_pressure_memory_waiting_seconds_total",
     "Total time duration tasks in the container have waited due to memory congestion.",
     MT::kCounter},
    {"container_pressure_memory_stalled_seconds_total",
     "Total time duration no tasks in the container could make progress due to memory "
     "congestion.",
     MT::kCounter},
    {"container_pressure_io_waiting_seconds_total",
     "Total time duration tasks in the container have waited due to IO congestion.", MT::kCounter},
    {"container_pressure_io_stalled_seconds_total",
     "Total time duration no tasks in the container could make progress due to IO congestion.",
     MT::kCounter},
    {"container_network_receive_bytes_total", "Cumulative count of bytes received", MT::kCounter},
    {"container_network_receive_packets_total", "Cumulative count of packets received",
     MT::kCounter},
    {"container_network_receive_errors_total",
     "Cumulative count of errors encountered while receiving", MT::kCounter},
    {"container_network_receive_packets_dropped_total",
     "Cumulative count of packets dropped while receiving", MT::kCounter},
    {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted",
     MT::kCounter},
    {"container_network_transmit_packets_total", "Cumulative count of packets transmitted",
     MT::kCounter},
    {"container_network_transmit_errors_total",
     "Cumulative count of errors encountered while transmitting", MT::kCounter},
    {"container_network_transmit_packets_dropped_total",
     "Cumulative count of packets dropped while transmitting", MT::kCounter},
    {"container_start_time_seconds", "Start time of the container since unix epoch in seconds.",
     MT::kGauge},
    {"container_last_seen", "Last time a container was seen by the exporter", MT::kGauge},
}};

constexpr Desc kCgroupsDesc{"vitals_containers_cgroups",
                            "Number of cgroups the containers collector exported.", MT::kGauge};
constexpr Desc kSkippedDesc{
    "vitals_containers_cgroups_skipped",
    "Number of cgroups found but not exported because of --collector.containers.max-cgroups or "
    "max-depth.",
    MT::kGauge};

// The hierarchies a cgroup can live in. In pure v2 only kUnified is used.
enum Hier : int { kCpu, kCpuacct, kMemory, kBlkio, kPids, kUnified, kHierCount };
constexpr std::array<std::string_view, kHierCount> kHierNames = {"cpu",   "cpuacct", "memory",
                                                                 "blkio", "pids",    "unified"};

// cAdvisor reports limits above 2^62 (v1's "unlimited" 9223372036854771712, v2's "max") as 0.
double spec_bytes(double v) {
  return v > 4611686018427387904.0 ? 0 : v;
}

// cgroup v2 cpu.weight (1..10000) to v1 cpu.shares (2..262144), as runc/cAdvisor convert it.
double weight_to_shares(double w) {
  if (w <= 0) return 0;
  return 2 + std::floor((w - 1) * 262142 / 9999);
}

class ContainersCollector final : public Collector {
 public:
  ContainersCollector(const CollectorOptions& o, const Paths& p)
      : paths_(p),
        root_(o.str("cgroup-root").empty() ? p.sys("fs/cgroup") : o.str("cgroup-root")),
        max_cgroups_(static_cast<size_t>(std::max<int64_t>(1, o.integer("max-cgroups")))),
        max_depth_(static_cast<int>(std::max<int64_t>(0, o.integer("max-depth")))),
        filter_(o.str("include"), o.str("exclude")),
        network_(o.boolean("network")) {
    struct statfs fs;
    real_procfs_ = ::statfs(p.procfs.c_str(), &fs) == 0 && fs.f_type == 0x9fa0;  // PROC_SUPER
    // The container runtimes asked for names and images (docs/containers.md).
    std::vector<std::unique_ptr<cgroup::RuntimeSource>> sources;
    std::vector<std::string> cri;
    for (std::string_view rest = o.str("cri-socket"); !rest.empty();) {
      size_t comma = rest.find(',');
      std::string_view c = parse::trim(rest.substr(0, comma));
      if (!c.empty()) cri.emplace_back(c);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    if (!cri.empty()) sources.push_back(cgroup::make_cri_source(cri, o.is_set("cri-socket")));
    if (!o.str("docker-socket").empty()) {
      sources.push_back(
          cgroup::make_docker_source(o.str("docker-socket"), o.is_set("docker-socket")));
    }
    if (!sources.empty()) {
      cgroup::RuntimeOptions ro;
      ro.timeout = std::max(
          std::chrono::milliseconds(1),
          std::chrono::duration_cast<std::chrono::milliseconds>(o.duration("runtime-timeout")));
      ro.max_entries = static_cast<size_t>(std::max<int64_t>(1, o.integer("runtime-cache-size")));
      runtime_ = std::make_unique<cgroup::RuntimeMetadata>(ro, std::move(sources));
    }
  }

  void collect(const CollectContext& ctx, MetricSet& out) override {
    errors_.clear();
    fams_.fill(nullptr);
    out_ = &out;
    detect_layout();
    if (!v2_ && hier_dir_[kCpu].empty() && hier_dir_[kCpuacct].empty() &&
        hier_dir_[kMemory].empty() && hier_dir_[kUnified].empty()) {
      throw CollectError(root_ +
                         ": no cgroup hierarchy found (neither cgroup.controllers nor "
                         "cpu, cpuacct, memory or unified directories)");
    }
    walk(ctx);
    select();
    now_ = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
    host_netns_.clear();
    netns_cache_.clear();
    // The host's network namespace: pid 1's, or the agent's own where pid 1's is not readable.
    if (network_ && !netns_key("1", &host_netns_)) netns_key("self", &host_netns_);
    size_t emitted = 0;
    for (auto* e : selected_) {
      if (std::chrono::steady_clock::now() > ctx.deadline) {
        errors_.add(0, "deadline reached after " + std::to_string(emitted) + " of " +
                           std::to_string(selected_.size()) + " cgroups");
        break;
      }
      emit(*e);
      ++emitted;
    }
    out.add(kCgroupsDesc).add(static_cast<double>(emitted));
    out.add(kSkippedDesc).add(static_cast<double>(skipped_));
    out_ = nullptr;
    throw_if_errors(root_, errors_);
  }

 private:
  struct Entry {
    std::string path;  // "/", "/system.slice/ssh.service"
    int depth = 0;
    uint32_t mask = 0;  // hierarchies holding this cgroup, this scrape
    uint64_t gen = 0;
    bool info_done = false;
    std::string name;
    std::string pod_uid;  // Kubernetes pods and their containers (parse_kube_cgroup)
    // What the container runtime knows of it: by container id, or "pod/<uid>" for a pod's
    // own cgroup; empty for other cgroups. Names and images never change for an id, so once
    // known they are kept as long as the cgroup.
    std::string runtime_key;
    bool runtime_known = false;
    cgroup::RuntimeInfo runtime;
    std::optional<double> start_time;
  };

  // ---- layout and walk -----------------------------------------------------------------

  void detect_layout() {
    for (auto& d : hier_dir_) d.clear();
    struct stat st;
    v2_ = ::stat((root_ + "/cgroup.controllers").c_str(), &st) == 0;
    if (v2_) {
      hier_dir_[kUnified] = root_;
      return;
    }
    DIR* d = opendir(root_.c_str());
    if (!d) return;
    while (dirent* e = readdir(d)) {
      std::string_view n = e->d_name;
      if (n.empty() || n[0] == '.') continue;
      if (n == "unified") {
        std::string dir = root_ + "/unified";
        if (::stat((dir + "/cgroup.controllers").c_str(), &st) == 0) hier_dir_[kUnified] = dir;
        continue;
      }
      // "cpu,cpuacct" or "cpu": each controller named maps to this directory. Symlinks
      // ("cpu" -> "cpu,cpuacct") resolve to the same one.
      size_t pos = 0;
      while (pos <= n.size()) {
        size_t comma = n.find(',', pos);
        std::string_view c = n.substr(pos, comma == std::string_view::npos ? n.npos : comma - pos);
        for (int h = 0; h < kUnified; ++h) {
          if (c == kHierNames[h] && hier_dir_[h].empty())
            hier_dir_[h] = root_ + "/" + std::string(n);
        }
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
      }
    }
    closedir(d);
    // Two names for one hierarchy (cpu -> cpu,cpuacct): walk it once.
    for (int h = 0; h < kUnified; ++h) {
      if (hier_dir_[h].empty()) continue;
      struct stat a;
      if (::stat(hier_dir_[h].c_str(), &a) != 0) {
        hier_dir_[h].clear();
        continue;
      }
      hier_ino_[h] = a.st_ino;
      hier_dev_[h] = a.st_dev;
    }
  }

  // Breadth-first over every hierarchy, marking each relative path found in `entries_`.
  void walk(const CollectContext& ctx) {
    ++gen_;
    skipped_ = 0;
    size_t visited = 0;
    const size_t hard_limit = std::max<size_t>(max_cgroups_ * 10, 10000);
    for (int h = 0; h < kHierCount; ++h) {
      if (hier_dir_[h].empty()) continue;
      bool dup = false;
      for (int g = 0; g < h && g < kUnified && h < kUnified; ++g) {
        if (!hier_dir_[g].empty() && hier_ino_[g] == hier_ino_[h] && hier_dev_[g] == hier_dev_[h]) {
          dup = true;  // same hierarchy as g: share its walk
          hier_alias_[h] = g;
        }
      }
      if (dup) continue;
      hier_alias_[h] = h;
      queue_.clear();
      queue_.push_back({"/", 0});
      for (size_t qi = 0; qi < queue_.size(); ++qi) {
        if (visited++ > hard_limit || std::chrono::steady_clock::now() > ctx.deadline) {
          skipped_ += queue_.size() - qi;
          break;
        }
        std::string rel = queue_[qi].first;  // copy: queue_ may grow
        int depth = queue_[qi].second;
        mark(rel, depth, h);
        if (depth >= max_depth_) {
          count_children(hier_dir_[h] + (rel == "/" ? "" : rel));
          continue;
        }
        std::string dir = hier_dir_[h] + (rel == "/" ? "" : rel);
        DIR* d = opendir(dir.c_str());
        if (!d) continue;  // vanished mid-walk
        while (dirent* e = readdir(d)) {
          if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
          queue_.push_back({(rel == "/" ? "" : rel) + "/" + e->d_name, depth + 1});
        }
        closedir(d);
      }
    }
    // Forget cgroups not seen this scrape.
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->second.gen == gen_ ? std::next(it) : entries_.erase(it);
    }
  }

  void count_children(const std::string& dir) {
    DIR* d = opendir(dir.c_str());
    if (!d) return;
    while (dirent* e = readdir(d)) {
      if (e->d_type == DT_DIR && e->d_name[0] != '.') ++skipped_;
    }
    closedir(d);
  }

  void mark(const std::string& rel, int depth, int h) {
    auto it = entries_.find(rel);
    if (it == entries_.end()) {
      if (filter_.ignored(rel)) return;
      it = entries_.emplace(rel, Entry{}).first;
      it->second.path = rel;
    }
    Entry& e = it->second;
    if (e.gen != gen_) {
      e.gen = gen_;
      e.mask = 0;
    }
    e.depth = depth;
    e.mask |= 1u << h;
  }

  // The cgroups to export: all of them in path order, or past the cap the shallowest first.
  void select() {
    selected_.clear();
    for (auto& [k, e] : entries_) selected_.push_back(&e);
    if (selected_.size() > max_cgroups_) {
      std::stable_sort(selected_.begin(), selected_.end(),
                       [](const Entry* a, const Entry* b) { return a->depth < b->depth; });
      skipped_ += selected_.size() - max_cgroups_;
      selected_.resize(max_cgroups_);
      if (!warned_cap_) {
        warned_cap_ = true;
        std::string cap = std::to_string(max_cgroups_);
        log::warn(
            "more cgroups than --collector.containers.max-cgroups; exporting the "
            "shallowest ones",
            {{"collector", "containers"}, {"max_cgroups", cap}});
      }
    }
  }

  // ---- reading -------------------------------------------------------------------------

  // Directory of cgroup `e` in hierarchy h, or nullptr when it is not there.
  const std::string* dir_of(const Entry& e, int h) {
    if (hier_dir_[h].empty()) return nullptr;
    int a = hier_alias_[h];
    if (!(e.mask & (1u << a))) return nullptr;
    cur_dir_[h] = hier_dir_[h];
    if (e.path != "/") cur_dir_[h] += e.path;
    return &cur_dir_[h];
  }

  // Reads dir/file. False when the file is absent (a controller not enabled, a cgroup gone).
  bool rd(const std::string& dir, std::string_view file, std::string_view* text) {
    path_.assign(dir);
    path_ += '/';
    path_ += file;
    int err = 0;
    if (reader_.try_read(path_, text, &err)) return true;
    // Absent is normal: a cgroup that vanished mid-walk, a controller that is not enabled, a
    // file this kernel does not have. Any other failure is the cgroup's item error.
    if (!vanished(err) && err != ENODEV && err != EOPNOTSUPP) {
      bad(std::string("cannot read: ") + std::strerror(err));
    }
    return false;
  }

  // Item errors of the file just read (path_): the cgroup's other values are still emitted.
  // Bounded, so that a tree of broken cgroups cannot grow the list without end.
  void bad(std::string message) {
    if (errors_.size() < kMaxErrors) errors_.add_file(path_, std::move(message));
  }
  void note(const parse::ParseErrors& errors) {
    if (!errors.empty() && errors_.size() < kMaxErrors) errors_.append(path_, errors);
  }
  static constexpr size_t kMaxErrors = 20;

  std::optional<double> single(const std::string& dir, std::string_view file) {
    std::string_view t;
    if (!rd(dir, file, &t)) return std::nullopt;
    auto v = cgroup::parse_single(t);
    if (!v) bad("invalid value \"" + std::string(parse::trim(t).substr(0, 40)) + "\"");
    return v;
  }

  std::optional<cgroup::Limit> limit(const std::string& dir, std::string_view file) {
    std::string_view t;
    if (!rd(dir, file, &t)) return std::nullopt;
    auto v = cgroup::parse_limit(t);
    if (!v) bad("invalid value \"" + std::string(parse::trim(t).substr(0, 40)) + "\"");
    return v;
  }

  bool flat(const std::string& dir, std::string_view file, parse::KeyValues& f) {
    std::string_view t;
    if (!rd(dir, file, &t)) return false;
    parse::parse_key_values(t, f);
    note(f.errors);
    return true;
  }

  // ---- emitting ------------------------------------------------------------------------

  Family& fam(Fam f) {
    if (!fams_[f]) fams_[f] = &out_->add(kFamilies[f]);
    return *fams_[f];
  }

  void put(Fam f, std::optional<double> v) {
    if (v) fam(f).add(std::span<const Label>(base_.data(), base_.size()), *v);
  }

  void put1(Fam f, std::string_view lname, std::string_view lvalue, double v) {
    std::array<Label, kBaseLabels + 1> l;
    std::copy(base_.begin(), base_.end(), l.begin());
    l[kBaseLabels] = Label{lname, lvalue};
    fam(f).add(std::span<const Label>(l.data(), l.size()), v);
  }

  void put2(Fam f, std::string_view n1, std::string_view v1, std::string_view n2,
            std::string_view v2, double v) {
    std::array<Label, kBaseLabels + 2> l;
    std::copy(base_.begin(), base_.end(), l.begin());
    l[kBaseLabels] = Label{n1, v1};
    l[kBaseLabels + 1] = Label{n2, v2};
    fam(f).add(std::span<const Label>(l.data(), l.size()), v);
  }

  void cache_info(Entry& e) {
    if (e.info_done) return;
    e.info_done = true;
    e.name = cgroup::derive_name(e.path);
    if (auto k = cgroup::parse_kube_cgroup(e.path)) {
      e.pod_uid = std::move(k->pod_uid);
      e.runtime_key = k->container_id.empty() ? "pod/" + e.pod_uid : k->container_id;
      if (!k->container_id.empty()) e.name = std::move(k->container_id);
    } else if (e.name.size() == 64 && e.name.find('.') == std::string::npos) {
      e.runtime_key = e.name;  // a container id (Docker, podman, a runtime outside Kubernetes)
    }
    // Creation time: the earliest mtime, over the hierarchies, of a file that is written
    // once, at creation (cAdvisor uses cgroup.clone_children on v1).
    struct stat st;
    for (int h = 0; h < kHierCount; ++h) {
      const std::string* dir = dir_of(e, h);
      if (!dir) continue;
      std::string f = *dir + (h == kUnified ? "/cgroup.controllers" : "/cgroup.clone_children");
      if (::stat(f.c_str(), &st) != 0) continue;
      double t = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
      if (!e.start_time || t < *e.start_time) e.start_time = t;
    }
  }

  // Which v2 controllers are enabled for one cgroup (its cgroup.controllers).
  struct V2Controllers {
    bool cpu = false, memory = false, io = false, pids = false;
  };

  // One cgroup's series. Every value read for a cgroup is held in locals of the emit_*
  // functions (or in the parse buffers, refilled per file): nothing of one cgroup can be
  // emitted for the next.
  void emit(Entry& e) {
    cache_info(e);
    // The runtime's cache only: a lookup never waits for a runtime (an unknown id asks the
    // refresher thread, and the labels stay empty until it has answered).
    if (runtime_ && !e.runtime_known && !e.runtime_key.empty()) {
      e.runtime_known = runtime_->lookup(e.runtime_key, &e.runtime);
    }
    // cAdvisor's labels as the kubelet serves them: container, image, namespace and pod from
    // the container runtime, empty (as cAdvisor leaves them) for cgroups that are no
    // Kubernetes container and while the runtime has not answered; name is Docker's
    // container name where Docker knows the id. pod_uid is ours, from the path.
    const cgroup::RuntimeInfo& r = e.runtime;
    base_ = {Label{"container", r.container},
             Label{"id", e.path},
             Label{"image", r.image},
             Label{"name", r.name.empty() ? std::string_view(e.name) : r.name},
             Label{"namespace", r.ns},
             Label{"pod", r.pod},
             Label{"pod_uid", e.pod_uid}};
    const std::string* u = dir_of(e, kUnified);
    // Which v2 controllers are enabled for this cgroup (cgroup.controllers; the root lists
    // all available ones but has no controller files of its own beyond stat and pressure).
    V2Controllers v2;
    if (u) {
      std::string_view t;
      if (rd(*u, "cgroup.controllers", &t)) {
        std::string_view rest = t, c;
        while (parse::next_field(rest, c)) {
          c = parse::trim(c);
          v2.cpu |= c == "cpu";
          v2.memory |= c == "memory";
          v2.io |= c == "io";
          v2.pids |= c == "pids";
        }
      } else if (v2_) {
        return;  // vanished
      }
    }
    emit_cpu(e, u, v2);
    emit_memory(e, u, v2);
    emit_io(e, u, v2);
    std::optional<int> first_pid = emit_pids(e, u, v2);
    // Pressure (v2 only; in hybrid mode from the unified hierarchy)
    if (u) {
      pressure(*u, "cpu.pressure", kPsiCpuWaiting, kPsiCpuStalled);
      pressure(*u, "memory.pressure", kPsiMemWaiting, kPsiMemStalled);
      pressure(*u, "io.pressure", kPsiIoWaiting, kPsiIoStalled);
    }
    if (network_ && first_pid) network(e, *first_pid);
    put(kStartTime, e.start_time);
    put(kLastSeen, now_);
  }

  // CPU: v1 cpuacct and cpu, or v2 cpu.stat, cpu.max and cpu.weight.
  void emit_cpu(const Entry& e, const std::string* u, const V2Controllers& v2) {
    const std::string* cpuacct = dir_of(e, kCpuacct);
    const std::string* cpu = dir_of(e, kCpu);
    bool quota_set = false;
    if (cpuacct) {
      auto usage = single(*cpuacct, "cpuacct.usage");
      if (usage) put1(kCpuUsage, "cpu", "total", *usage / 1e9);
      if (flat(*cpuacct, "cpuacct.stat", fk_)) {
        static const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
        if (auto v = fk_.get("user")) put(kCpuUser, *v / hz);
        if (auto v = fk_.get("system")) put(kCpuSystem, *v / hz);
      }
    }
    if (cpu) {
      auto quota = single(*cpu, "cpu.cfs_quota_us");
      if (quota && *quota > 0) {
        quota_set = true;
        put(kSpecCpuQuota, *quota);
      }
      put(kSpecCpuPeriod, single(*cpu, "cpu.cfs_period_us"));
      put(kSpecCpuShares, single(*cpu, "cpu.shares"));
      if (quota_set && flat(*cpu, "cpu.stat", fk_)) {
        put(kCfsPeriods, fk_.get("nr_periods"));
        put(kCfsThrottledPeriods, fk_.get("nr_throttled"));
        if (auto v = fk_.get("throttled_time")) put(kCfsThrottledSeconds, *v / 1e9);
      }
    }
    if (!u || cpuacct) return;
    // v2 cpu.stat has usage, user and system even without the cpu controller. This cgroup's
    // throttling counters, absent when its cpu.stat is (a cgroup removed mid-walk).
    std::optional<double> periods, throttled, throttled_us;
    if (flat(*u, "cpu.stat", fk_)) {
      if (auto v = fk_.get("usage_usec")) put1(kCpuUsage, "cpu", "total", *v / 1e6);
      if (auto v = fk_.get("user_usec")) put(kCpuUser, *v / 1e6);
      if (auto v = fk_.get("system_usec")) put(kCpuSystem, *v / 1e6);
      periods = fk_.get("nr_periods");
      throttled = fk_.get("nr_throttled");
      throttled_us = fk_.get("throttled_usec");
    }
    if (!v2.cpu || cpu) return;
    std::string_view t;
    if (rd(*u, "cpu.max", &t)) {
      if (auto m = cgroup::parse_cpu_max(t)) {
        if (m->quota_us) {
          quota_set = true;
          put(kSpecCpuQuota, *m->quota_us);
        }
        put(kSpecCpuPeriod, m->period_us);
      } else {
        bad("invalid cpu.max \"" + std::string(parse::trim(t).substr(0, 40)) + "\"");
      }
    }
    if (auto w = single(*u, "cpu.weight")) put(kSpecCpuShares, weight_to_shares(*w));
    if (quota_set) {
      put(kCfsPeriods, periods);
      put(kCfsThrottledPeriods, throttled);
      if (throttled_us) put(kCfsThrottledSeconds, *throttled_us / 1e6);
    }
  }

  // Memory: v1 memory.* or v2 memory.current, memory.max, memory.stat, memory.events.
  void emit_memory(const Entry& e, const std::string* u, const V2Controllers& v2) {
    if (const std::string* m = dir_of(e, kMemory)) {
      auto usage = single(*m, "memory.usage_in_bytes");
      put(kMemUsage, usage);
      put(kMemMaxUsage, single(*m, "memory.max_usage_in_bytes"));
      put(kMemFailcnt, single(*m, "memory.failcnt"));
      if (auto v = single(*m, "memory.limit_in_bytes")) put(kSpecMemLimit, spec_bytes(*v));
      if (auto v = single(*m, "memory.memsw.limit_in_bytes")) {
        put(kSpecMemSwapLimit, spec_bytes(*v));
      }
      if (auto v = single(*m, "memory.soft_limit_in_bytes")) {
        put(kSpecMemReservation, spec_bytes(*v));
      }
      if (flat(*m, "memory.stat", fk_)) {
        put(kMemRss, fk_.get("total_rss"));
        put(kMemCache, fk_.get("total_cache"));
        put(kMemMapped, fk_.get("total_mapped_file"));
        put(kMemSwap, fk_.get("total_swap"));
        auto inactive = fk_.get("total_inactive_file");
        if (usage) put(kMemWorkingSet, std::max(0.0, *usage - inactive.value_or(0)));
        failures(fk_.get("pgfault"), fk_.get("pgmajfault"), fk_.get("total_pgfault"),
                 fk_.get("total_pgmajfault"));
      }
      if (flat(*m, "memory.oom_control", fk_)) put(kOomEvents, fk_.get("oom_kill"));
    } else if (u && v2.memory) {
      auto usage = single(*u, "memory.current");
      put(kMemUsage, usage);
      put(kMemMaxUsage, single(*u, "memory.peak"));
      put(kMemSwap, single(*u, "memory.swap.current"));
      if (auto l = limit(*u, "memory.max"))
        put(kSpecMemLimit, l->unlimited ? 0 : spec_bytes(l->value));
      if (auto l = limit(*u, "memory.swap.max")) {
        put(kSpecMemSwapLimit, l->unlimited ? 0 : spec_bytes(l->value));
      }
      if (auto l = limit(*u, "memory.low")) {
        put(kSpecMemReservation, l->unlimited ? 0 : spec_bytes(l->value));
      }
      if (flat(*u, "memory.stat", fk_)) {
        put(kMemRss, fk_.get("anon"));
        put(kMemCache, fk_.get("file"));
        put(kMemMapped, fk_.get("file_mapped"));
        auto inactive = fk_.get("inactive_file");
        if (usage) put(kMemWorkingSet, std::max(0.0, *usage - inactive.value_or(0)));
        // v2 memory.stat is hierarchical: both scopes carry the same counts.
        auto pf = fk_.get("pgfault"), pmf = fk_.get("pgmajfault");
        failures(pf, pmf, pf, pmf);
      }
      if (flat(*u, "memory.events", fk_)) {
        put(kMemFailcnt, fk_.get("max"));
        put(kOomEvents, fk_.get("oom_kill"));
      }
    }
  }

  // Block I/O: v1 blkio.throttle.* or v2 io.stat.
  void emit_io(const Entry& e, const std::string* u, const V2Controllers& v2) {
    if (const std::string* b = dir_of(e, kBlkio)) {
      blkio(*b, "blkio.throttle.io_service_bytes_recursive", kFsReadsBytes, kFsWritesBytes);
      blkio(*b, "blkio.throttle.io_serviced_recursive", kFsReads, kFsWrites);
    } else if (u && (v2.io || e.path == "/")) {
      std::string_view t;
      if (rd(*u, "io.stat", &t)) {
        cgroup::parse_nested_keyed(t, nk_);
        note(nk_.errors);
        for (const auto& x : nk_.entries) {
          Fam f = kFamCount;
          if (x.sub == "rbytes") f = kFsReadsBytes;
          if (x.sub == "wbytes") f = kFsWritesBytes;
          if (x.sub == "rios") f = kFsReads;
          if (x.sub == "wios") f = kFsWrites;
          if (f != kFamCount) put1(f, "device", device_name(x.key), x.value);
        }
      }
    }
  }

  // Processes (cgroup.procs of any hierarchy) and threads (pids.*). Returns the first member
  // process, for the network counters.
  std::optional<int> emit_pids(const Entry& e, const std::string* u, const V2Controllers& v2) {
    const std::string* procs_dir = nullptr;
    for (int h : {kPids, kCpu, kMemory, kCpuacct, kBlkio, kUnified}) {
      if ((procs_dir = dir_of(e, h))) break;
    }
    std::optional<int> first_pid;
    if (procs_dir) {
      std::string_view t;
      if (rd(*procs_dir, "cgroup.procs", &t)) {
        auto p = cgroup::parse_procs(t);
        note(p.errors);
        put(kProcesses, static_cast<double>(p.count));
        first_pid = p.first_pid;
      }
    }
    if (const std::string* p = dir_of(e, kPids)) {
      put(kThreads, single(*p, "pids.current"));
      if (auto l = limit(*p, "pids.max")) put(kThreadsMax, l->unlimited ? 0 : l->value);
    } else if (u && v2.pids) {
      put(kThreads, single(*u, "pids.current"));
      if (auto l = limit(*u, "pids.max")) put(kThreadsMax, l->unlimited ? 0 : l->value);
    }
    return first_pid;
  }

  void failures(std::optional<double> pf, std::optional<double> pmf, std::optional<double> hpf,
                std::optional<double> hpmf) {
    if (pf) put2(kMemFailures, "failure_type", "pgfault", "scope", "container", *pf);
    if (pmf) put2(kMemFailures, "failure_type", "pgmajfault", "scope", "container", *pmf);
    if (hpf) put2(kMemFailures, "failure_type", "pgfault", "scope", "hierarchy", *hpf);
    if (hpmf) put2(kMemFailures, "failure_type", "pgmajfault", "scope", "hierarchy", *hpmf);
  }

  void blkio(const std::string& dir, std::string_view file, Fam rf, Fam wf) {
    std::string_view t;
    if (!rd(dir, file, &t)) return;
    cgroup::parse_blkio(t, bk_);
    note(bk_.errors);
    for (const auto& x : bk_.entries) {
      if (x.op == "Read") put1(rf, "device", device_name(x.device), x.value);
      if (x.op == "Write") put1(wf, "device", device_name(x.device), x.value);
    }
  }

  void pressure(const std::string& dir, std::string_view file, Fam waiting, Fam stalled) {
    std::string_view t;
    if (!rd(dir, file, &t)) return;
    auto p = procfs::parse_pressure(t);
    note(p.errors);
    if (p.some_total_us) put(waiting, *p.some_total_us / 1e6);
    if (p.full_total_us) put(stalled, *p.full_total_us / 1e6);
  }

  // "8:0" -> "/dev/sda" from <sysfs>/dev/block/8:0/uevent, cached (bounded).
  std::string_view device_name(std::string_view majmin) {
    auto it = devices_.find(majmin);
    if (it != devices_.end()) return it->second;
    std::string name(majmin);
    std::string_view t;
    // Its own reader: the caller's entries are views into reader_'s buffer.
    if (dev_reader_.try_read(paths_.sys("dev/block/" + std::string(majmin) + "/uevent"), &t,
                             &err_)) {
      std::string_view line;
      while (parse::next_line(t, line)) {
        if (line.substr(0, 8) == "DEVNAME=") name = "/dev/" + std::string(line.substr(8));
      }
    }
    if (devices_.size() >= 4096) devices_.clear();
    return devices_.emplace(std::string(majmin), std::move(name)).first->second;
  }

  bool read_link(const std::string& path, std::string* out) {
    char buf[128];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
    if (n <= 0) return false;
    out->assign(buf, static_cast<size_t>(n));
    return true;
  }

  // Which network namespace `pid` is in, as a key. On a mounted procfs: the inode number of
  // <pid>/net/dev, an entry each namespace has its own of, which stat() tells anyone; the
  // <pid>/ns/net link would say the same but reading it is a ptrace access check
  // (CAP_SYS_PTRACE for other users' processes), so no privilege is needed. On a fixture tree
  // (no procfs): the ns/net link.
  bool netns_key(std::string_view pid, std::string* out) {
    std::string path = paths_.proc(std::string(pid) + (real_procfs_ ? "/net/dev" : "/ns/net"));
    if (!real_procfs_) return read_link(path, out);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return false;
    out->assign("dev:");
    *out += std::to_string(st.st_dev);
    *out += " ino:";
    *out += std::to_string(st.st_ino);
    return true;
  }

  // Network counters of the cgroup's network namespace, read from one member process's
  // /proc/<pid>/net/dev, once per namespace per scrape. Cgroups in the host's namespace
  // (other than the root cgroup) have no network metrics of their own.
  void network(const Entry& e, int pid) {
    std::string pidstr = std::to_string(pid);
    if (!netns_key(pidstr, &ns_)) return;
    if (ns_ == host_netns_ && e.path != "/") return;
    size_t idx = netns_cache_.size();
    for (size_t i = 0; i < netns_cache_.size(); ++i) {
      if (netns_cache_[i].ns == ns_) idx = i;
    }
    if (idx == netns_cache_.size()) {
      std::string_view t;
      if (!reader_.try_read(paths_.proc(pidstr + "/net/dev"), &t, &err_)) return;
      procfs::parse_net_dev(t, &nd_);
      if (!nd_.errors.empty() && errors_.size() < kMaxErrors) {
        errors_.append(paths_.proc(pidstr + "/net/dev"), nd_.errors);
      }
      NetnsStats s;
      s.ns = ns_;
      for (const auto& l : nd_.devices) {
        if (l.device == "lo" || l.device.substr(0, 4) == "veth" ||
            l.device.substr(0, 6) == "docker")
          continue;
        const auto& v = l.values;  // procfs::kNetDevFields order
        s.ifaces.push_back(
            {std::string(l.device), {v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]}});
      }
      netns_cache_.push_back(std::move(s));
    }
    for (const auto& [iface, v] : netns_cache_[idx].ifaces) {
      for (int i = 0; i < 8; ++i) put1(static_cast<Fam>(kNetRxBytes + i), "interface", iface, v[i]);
    }
  }

  struct NetnsStats {
    std::string ns;
    std::vector<std::pair<std::string, std::array<double, 8>>> ifaces;
  };

  const Paths paths_;
  const std::string root_;
  const size_t max_cgroups_;
  const int max_depth_;
  const DeviceFilter filter_;
  const bool network_;
  bool real_procfs_ = false;
  std::unique_ptr<cgroup::RuntimeMetadata> runtime_;

  bool v2_ = false;
  std::array<std::string, kHierCount> hier_dir_;
  std::array<std::string, kHierCount> cur_dir_;
  std::array<ino_t, kHierCount> hier_ino_{};
  std::array<dev_t, kHierCount> hier_dev_{};
  std::array<int, kHierCount> hier_alias_{};
  std::map<std::string, Entry, std::less<>> entries_;
  std::vector<std::pair<std::string, int>> queue_;
  std::vector<Entry*> selected_;
  uint64_t gen_ = 0;
  size_t skipped_ = 0;
  bool warned_cap_ = false;
  double now_ = 0;

  MetricSet* out_ = nullptr;
  std::array<Family*, kFamCount> fams_{};
  static constexpr size_t kBaseLabels = 7;
  std::array<Label, kBaseLabels> base_{};
  parse::ParseErrors errors_;
  FileReader reader_{16384, FileReader::Mode::kReopen};
  FileReader dev_reader_{512};
  int err_ = 0;  // errno of the last failed read (try_read needs somewhere to put it)
  std::string path_;
  parse::KeyValues fk_;
  cgroup::NestedKeyed nk_;
  cgroup::Blkio bk_;
  procfs::NetDev nd_;
  std::map<std::string, std::string, std::less<>> devices_;
  std::string host_netns_, ns_;
  std::vector<NetnsStats> netns_cache_;
};

}  // namespace

VITALS_COLLECTOR(ContainersCollector, "containers", true,
                 "Exposes per-cgroup (container, systemd unit) resource usage with cAdvisor's "
                 "metric names, from cgroup v1, v2 or hybrid hierarchies.",
                 {
                     {"cgroup-root", OptionKind::kString, "",
                      "cgroup mount root (default: <path.sysfs>/fs/cgroup)."},
                     {"max-cgroups", OptionKind::kInt, "1000",
                      "Most cgroups exported per scrape; past it the shallowest are kept."},
                     {"max-depth", OptionKind::kInt, "10",
                      "Deepest cgroup level walked below the root (the root is level 0)."},
                     {"include", OptionKind::kRegex, "",
                      "Regexp of cgroup paths to export (others are walked but not exported)."},
                     {"exclude", OptionKind::kRegex, "",
                      "Regexp of cgroup paths not to export (ignored when include is set)."},
                     {"network", OptionKind::kBool, "true",
                      "Export network counters of cgroups with their own network namespace."},
                     {"cri-socket", OptionKind::kString,
                      "/run/containerd/containerd.sock,/run/crio/crio.sock",
                      "CRI runtime sockets for container, pod, namespace and image labels: the "
                      "first that exists is asked (a path given explicitly is always asked); "
                      "empty turns it off."},
                     {"docker-socket", OptionKind::kString, "/var/run/docker.sock",
                      "Docker Engine API socket for the name and image labels of Docker "
                      "containers (asked when it exists or is given explicitly); empty turns it "
                      "off."},
                     {"runtime-timeout", OptionKind::kDuration, "2s",
                      "Timeout of each container runtime list call (made in the background)."},
                     {"runtime-cache-size", OptionKind::kInt, "10000",
                      "Most containers and pods kept in the container runtime metadata cache."},
                 });

}  // namespace vitals
