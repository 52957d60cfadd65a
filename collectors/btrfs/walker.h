// The btrfs collector's ioctl walk on a helper thread, so a mount point that blocks (open(2)
// through a hung NFS mount above it, an ioctl waiting for the filesystem's device list lock)
// cannot hold a scrape past its deadline. Not pure: it owns a thread; the walk itself is
// dev_stats.h's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collectors/btrfs/dev_stats.h"

namespace vitals::btrfs {

struct Mount {
  std::string device;       // the mount's source
  std::string mount_point;  // as in the mount table, rootfs prefix removed
  std::string path;         // what is opened: the mount point under --path.rootfs
};

struct WalkFailure {
  std::string device, mount_point, what;
  int err = 0;
};

// The walk of one scrape (Walk over the btrfs mounts, through `open`) on one helper thread,
// started with the first walk. run() waits for it until `until`; what the walk has read by then
// is returned. A walk that has not ended (blocked in the kernel) is not replaced: run() then
// returns at once with started false, so a stuck mount point holds this one thread, never more.
class IoctlWalker {
 public:
  explicit IoctlWalker(Opener open) : s_(std::make_shared<Shared>()) { s_->open = std::move(open); }
  ~IoctlWalker() {
    {
      std::lock_guard<std::mutex> lk(s_->mu);
      s_->stop = true;
    }
    s_->cv.notify_all();
    // A thread blocked in the kernel cannot be joined; it holds `s_` and ends when it returns.
    if (thread_.joinable()) thread_.detach();
  }
  IoctlWalker(const IoctlWalker&) = delete;
  IoctlWalker& operator=(const IoctlWalker&) = delete;

  struct Result {
    bool started = false;    // false: the previous walk is still blocked
    bool finished = false;   // the walk went through every mount in time
    std::string blocked_at;  // not finished: the mount point it is waiting for
    std::map<std::string, Filesystem> filesystems;  // by fsid
    std::vector<WalkFailure> failures;              // of devices no mount could be read through
  };

  Result run(std::vector<Mount> mounts, std::chrono::steady_clock::time_point until) {
    Result r;
    std::unique_lock<std::mutex> lk(s_->mu);
    if (s_->running) {
      r.blocked_at = s_->current;
      return r;
    }
    r.started = true;
    s_->mounts = std::move(mounts);
    s_->found.clear();
    s_->failures.clear();
    s_->running = true;
    if (!thread_.joinable()) thread_ = std::thread([s = s_] { loop(s); });
    s_->cv.notify_one();
    s_->done_cv.wait_until(lk, until, [&] { return !s_->running; });
    r.finished = !s_->running;
    if (!r.finished) r.blocked_at = s_->current;
    r.filesystems = std::move(s_->found);
    r.failures = std::move(s_->failures);
    s_->found.clear();
    s_->failures.clear();
    return r;
  }

 private:
  struct Shared {
    Opener open;
    std::mutex mu;
    std::condition_variable cv, done_cv;
    bool stop = false;
    bool running = false;  // a walk was handed over and has not ended
    std::vector<Mount> mounts;
    std::string current;
    std::map<std::string, Filesystem> found;
    std::vector<WalkFailure> failures;
  };

  static void loop(std::shared_ptr<Shared> s) {
    std::unique_lock<std::mutex> lk(s->mu);
    for (;;) {
      s->cv.wait(lk, [&] { return s->stop || s->running; });
      if (s->stop) return;
      std::vector<Mount> mounts = std::move(s->mounts);
      s->mounts.clear();
      Walk walk;
      std::vector<WalkFailure> failures;
      for (const auto& m : mounts) {
        s->current = m.mount_point;
        lk.unlock();
        auto r = walk.add(m.device, m.path, s->open);
        lk.lock();
        if (s->stop) return;
        if (r.outcome == Walk::Outcome::kRead) {
          s->found.emplace(r.fs->fsid, *r.fs);
        } else if (r.outcome == Walk::Outcome::kFailed) {
          failures.push_back({m.device, m.mount_point, std::move(r.what), r.err});
        }
      }
      // A failure on one mount of a device that another of its mounts could be read through
      // is none.
      for (auto& f : failures) {
        if (!walk.device_done(f.device)) s->failures.push_back(std::move(f));
      }
      s->current.clear();
      s->running = false;
      s->done_cv.notify_all();
    }
  }

  std::shared_ptr<Shared> s_;
  std::thread thread_;
};

}  // namespace vitals::btrfs
