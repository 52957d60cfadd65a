// filesystem: node_filesystem_* for the mounts in /proc/1/mounts (else /proc/mounts) under
// --path.procfs, mount points relative to --path.rootfs, with node_exporter 1.5.0's names,
// exclude flags and defaults.
//
// statfs(2) on a dead NFS server or a FUSE daemon that does not answer blocks (killably only).
// Each statfs therefore runs on a fixed pool of kMaxThreads helper threads and the
// collector waits for the results only until the mount timeout or the collector deadline,
// whichever comes first. A mount whose call has not returned reports
// node_filesystem_device_error 1; it stays marked "in flight" until that call returns, and is not
// statfs'ed again before then, so a stuck mount holds at most one thread and the queue never
// holds more than one job per mount.
#include <pthread.h>
#include <sys/statfs.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "collectors/procfs/mounts.h"
#include "collectors/util.h"
#include "core/collector.h"
#include "core/log.h"

namespace vitals {
namespace {

constexpr Desc kSize{"node_filesystem_size_bytes", "Filesystem size in bytes.", MetricType::kGauge};
constexpr Desc kFree{"node_filesystem_free_bytes", "Filesystem free space in bytes.",
                     MetricType::kGauge};
constexpr Desc kAvail{"node_filesystem_avail_bytes",
                      "Filesystem space available to non-root users in bytes.", MetricType::kGauge};
constexpr Desc kFiles{"node_filesystem_files", "Filesystem total file nodes.", MetricType::kGauge};
constexpr Desc kFilesFree{"node_filesystem_files_free", "Filesystem total free file nodes.",
                          MetricType::kGauge};
constexpr Desc kReadonly{"node_filesystem_readonly", "Filesystem read-only status.",
                         MetricType::kGauge};
constexpr Desc kDeviceError{"node_filesystem_device_error",
                            "Whether an error occurred while getting statistics for the given "
                            "device.",
                            MetricType::kGauge};

constexpr const char* kDefaultMountPointsExclude =
    "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
constexpr const char* kDefaultFsTypesExclude =
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"
    "iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|"
    "sysfs|tracefs)$";

constexpr size_t kMaxThreads = 4;

// One statfs call; shared between the collector (which may stop waiting) and the helper thread.
struct StatJob {
  std::string path;
  bool done = false;
  int err = 0;
  struct statfs st {};
};

// Per mount point, across scrapes: whether a statfs of it has not returned yet.
struct MountState {
  bool in_flight = false;
};

class StatfsPool {
 public:
  StatfsPool() : s_(std::make_shared<Shared>()) {}
  ~StatfsPool() {
    {
      std::lock_guard<std::mutex> lk(s_->mu);
      s_->stop = true;
    }
    s_->cv.notify_all();
    // Threads blocked in a hung statfs cannot be joined; each holds `s_` and exits when its
    // call returns.
    for (auto& t : threads_) t.detach();
  }

  struct Request {
    std::shared_ptr<StatJob> job;
    std::shared_ptr<MountState> mount;
    bool queued = false;  // false: the mount's previous call is still in flight
  };
  // Queues the jobs of one scrape under one lock (skipping mounts whose call from an earlier
  // scrape is still in flight; two mounts on one mount point share its state) and wakes as
  // many helpers as there are jobs, at most all of them.
  void submit_all(std::vector<Request>& reqs) {
    size_t queued = 0;
    {
      std::lock_guard<std::mutex> lk(s_->mu);
      std::vector<const MountState*> stuck;
      for (const auto& r : reqs) {
        if (r.mount->in_flight) stuck.push_back(r.mount.get());
      }
      for (auto& r : reqs) {
        if (std::find(stuck.begin(), stuck.end(), r.mount.get()) != stuck.end()) continue;
        r.mount->in_flight = true;
        r.queued = true;
        s_->queue.push_back({r.job, r.mount});
        ++queued;
      }
      // All helpers are started with the first job, so the thread count is fixed from then on.
      if (queued > 0) {
        while (threads_.size() < kMaxThreads) threads_.emplace_back([s = s_] { run(s); });
      }
    }
    if (queued >= kMaxThreads) {
      s_->cv.notify_all();
    } else {
      for (size_t i = 0; i < queued; ++i) s_->cv.notify_one();
    }
  }

  // Waits until every job is done or `deadline` passes.
  void wait(const std::vector<std::shared_ptr<StatJob>>& jobs,
            std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lk(s_->mu);
    s_->done_cv.wait_until(lk, deadline, [&] {
      for (const auto& j : jobs) {
        if (!j->done) return false;
      }
      return true;
    });
  }

  // Under the pool's lock: whether `job` finished (and its result may be read).
  bool finished(const StatJob& job) {
    std::lock_guard<std::mutex> lk(s_->mu);
    return job.done;
  }

  size_t threads() const { return threads_.size(); }

 private:
  struct Item {
    std::shared_ptr<StatJob> job;
    std::shared_ptr<MountState> mount;
  };
  struct Shared {
    std::mutex mu;
    std::condition_variable cv, done_cv;
    std::deque<Item> queue;
    bool stop = false;
  };

  static void run(std::shared_ptr<Shared> s) {
    pthread_setname_np(pthread_self(), "statfs-helper");
    std::unique_lock<std::mutex> lk(s->mu);
    for (;;) {
      s->cv.wait(lk, [&] { return s->stop || !s->queue.empty(); });
      if (s->stop) return;
      Item it = std::move(s->queue.front());
      s->queue.pop_front();
      lk.unlock();
      struct statfs st;
      int rc = ::statfs(it.job->path.c_str(), &st);
      int err = rc == 0 ? 0 : errno;
      lk.lock();
      it.job->st = st;
      it.job->err = err;
      it.job->done = true;
      it.mount->in_flight = false;
      // The collector waits for all of its jobs: wake it when the queue has run dry, not
      // after every job (a job still running elsewhere wakes it again when it ends).
      if (s->queue.empty()) s->done_cv.notify_all();
    }
  }

  std::shared_ptr<Shared> s_;
  std::vector<std::thread> threads_;
};

class FilesystemCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  FilesystemCollector(const Paths& p, const std::string& mp_exclude, const std::string& fs_exclude,
                      std::chrono::nanoseconds mount_timeout)
      : mounts_path_(p.proc("1/mounts")),
        fallback_path_(p.proc("mounts")),
        rootfs_(p.rootfs),
        paths_(p),
        mp_exclude_(mp_exclude),
        fs_exclude_(fs_exclude),
        mount_timeout_(mount_timeout) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    std::string_view text;
    int err = 0;
    const std::string* path = &mounts_path_;
    if (!reader_.try_read(*path, &text, &err) && err == ENOENT) {
      path = &fallback_path_;
      err = 0;
      reader_.try_read(*path, &text, &err);
    }
    if (err != 0) throw CollectError("read " + *path + ": " + std::strerror(err));
    auto parsed = procfs::parse_mounts(text);

    struct Entry {
      procfs::Mount m;
      std::shared_ptr<StatJob> job;  // null: stuck from an earlier scrape
    };
    std::vector<Entry> entries;
    std::vector<std::shared_ptr<StatJob>> jobs;
    std::map<std::string, std::shared_ptr<MountState>> states;
    std::map<std::tuple<std::string, std::string, std::string>, bool> seen;
    for (auto& m : parsed.mounts) {
      m.mount_point = procfs::strip_rootfs(m.mount_point, rootfs_);
      if (excluded(m.mount_point, mp_exclude_, &mp_excluded_)) continue;
      if (excluded(m.fs_type, fs_exclude_, &fs_excluded_)) continue;
      if (!seen.emplace(std::tuple{m.device, m.mount_point, m.fs_type}, true).second) continue;
      auto& state = states[m.mount_point];
      if (!state) {
        auto it = states_.find(m.mount_point);
        state = it != states_.end() ? it->second : std::make_shared<MountState>();
      }
      auto job = std::make_shared<StatJob>();
      job->path = paths_.root(m.mount_point);
      reqs_.push_back({job, state});
      entries.push_back({std::move(m), std::move(job)});
    }
    pool_.submit_all(reqs_);
    for (size_t i = 0; i < reqs_.size(); ++i) {
      if (reqs_[i].queued) {
        jobs.push_back(reqs_[i].job);
      } else {
        entries[i].job.reset();
        log::debug("mount point is in an unresponsive state",
                   {{"mountpoint", entries[i].m.mount_point}});
      }
    }
    reqs_.clear();
    states_ = std::move(states);  // forget mounts that are gone

    // Leave a little of the collector's time for emitting.
    auto now = std::chrono::steady_clock::now();
    auto until =
        now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(mount_timeout_);
    auto margin = std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(100),
                                                                (ctx.deadline - now) / 10);
    if (ctx.deadline - margin < until) until = ctx.deadline - margin;
    pool_.wait(jobs, until);

    Family& size = out.add(kSize);
    Family& free = out.add(kFree);
    Family& avail = out.add(kAvail);
    Family& files = out.add(kFiles);
    Family& files_free = out.add(kFilesFree);
    Family& ro = out.add(kReadonly);
    Family& dev_err = out.add(kDeviceError);
    for (const auto& e : entries) {
      std::initializer_list<Label> labels = {
          {"device", e.m.device}, {"fstype", e.m.fs_type}, {"mountpoint", e.m.mount_point}};
      bool ok = e.job && pool_.finished(*e.job) && e.job->err == 0;
      if (e.job && !ok && pool_.finished(*e.job)) {
        log::debug("error on statfs() system call",
                   {{"rootfs", e.job->path}, {"err", std::strerror(e.job->err)}});
        // Below a directory the agent may not search (e.g. /var/lib/kubelet/pods, mode 0750).
        if (denied(e.job->err)) ctx.permission_denied(e.m.mount_point);
      } else if (e.job && !ok) {
        log::warn("mount point timed out, it is being labeled as stuck and will not be monitored",
                  {{"mountpoint", e.m.mount_point}});
      }
      dev_err.add(labels, ok ? 0 : 1);
      if (!ok) continue;
      const struct statfs& st = e.job->st;
      double bsize = static_cast<double>(st.f_bsize);
      size.add(labels, static_cast<double>(st.f_blocks) * bsize);
      free.add(labels, static_cast<double>(st.f_bfree) * bsize);
      avail.add(labels, static_cast<double>(st.f_bavail) * bsize);
      files.add(labels, static_cast<double>(st.f_files));
      files_free.add(labels, static_cast<double>(st.f_ffree));
      ro.add(labels, procfs::mount_read_only(e.m.options) ? 1 : 0);
    }
    throw_if_errors(*path, parsed.errors);
  }

 private:
  // The answer for a given mount point or type never changes, so it is remembered (bounded:
  // forgotten wholesale past 4096 names): a map lookup instead of a regex match per mount.
  static bool excluded(const std::string& s, const Regex& re,
                       std::map<std::string, bool, std::less<>>* cache) {
    auto it = cache->find(s);
    if (it != cache->end()) return it->second;
    if (cache->size() >= 4096) cache->clear();
    bool ex = re.search(s);
    cache->emplace(s, ex);
    return ex;
  }

  std::string mounts_path_, fallback_path_, rootfs_;
  Paths paths_;
  Regex mp_exclude_, fs_exclude_;
  std::map<std::string, bool, std::less<>> mp_excluded_, fs_excluded_;
  std::chrono::nanoseconds mount_timeout_;
  FileReader reader_{8192};
  StatfsPool pool_;
  std::vector<StatfsPool::Request> reqs_;
  std::map<std::string, std::shared_ptr<MountState>> states_;
};

std::unique_ptr<Collector> FilesystemCollector::create(const CollectorOptions& o, const Paths& p) {
  auto pick = [&](const char* current, const char* deprecated) {
    if (!o.is_set(deprecated)) return o.str(current);
    if (o.is_set(current)) {
      throw CollectError(std::string("--collector.filesystem.") + current +
                         " and --collector.filesystem." + deprecated + " are mutually exclusive");
    }
    log::warn(std::string("--collector.filesystem.") + deprecated +
              " is DEPRECATED and will be removed in 2.0.0, use --collector.filesystem." + current);
    return o.str(deprecated);
  };
  return std::make_unique<FilesystemCollector>(
      p, pick("mount-points-exclude", "ignored-mount-points"),
      pick("fs-types-exclude", "ignored-fs-types"), o.duration("mount-timeout"));
}

}  // namespace

VITALS_COLLECTOR(FilesystemCollector, "filesystem", true,
                 "Exposes filesystem statistics, such as disk space used.",
                 {{"mount-points-exclude", OptionKind::kRegex, kDefaultMountPointsExclude,
                   "Regexp of mount points to exclude for filesystem collector."},
                  {"fs-types-exclude", OptionKind::kRegex, kDefaultFsTypesExclude,
                   "Regexp of filesystem types to exclude for filesystem collector."},
                  {"ignored-mount-points", OptionKind::kRegex, "",
                   "DEPRECATED: Use collector.filesystem.mount-points-exclude"},
                  {"ignored-fs-types", OptionKind::kRegex, "",
                   "DEPRECATED: Use collector.filesystem.fs-types-exclude"},
                  {"mount-timeout", OptionKind::kDuration, "5s",
                   "how long to wait for a mount to respond before marking it as stale"}});

}  // namespace vitals
