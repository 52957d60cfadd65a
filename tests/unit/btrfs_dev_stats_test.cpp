// The btrfs collector's ioctl walk and device families (collectors/btrfs/dev_stats.h) with a
// stand-in for the kernel's ioctls; the kernel side is compared with node_exporter in
// tests/integration/test_btrfs_live.py.
#include "collectors/btrfs/dev_stats.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/btrfs/walker.h"
#include "exporter/text_format.h"
#include "model/metric.h"

namespace vitals::btrfs {
namespace {

// One filesystem as the ioctls see it: devices by devid (absent ids answer ENODEV).
struct FakeFs {
  FsInfo info;
  std::map<uint64_t, Device> devices;
  int fs_info_err = 0;
  int dev_info_err = 0;  // for every devid present
  int dev_stats_err = 0;
  std::vector<uint64_t>* asked = nullptr;  // devids asked for, in order
};

class FakeHandle final : public FsHandle {
 public:
  explicit FakeHandle(const FakeFs& fs) : fs_(fs) {}
  int fs_info(FsInfo* out) override {
    if (fs_.fs_info_err) return fs_.fs_info_err;
    *out = fs_.info;
    return 0;
  }
  int dev_info(uint64_t devid, Device* out) override {
    if (fs_.asked) fs_.asked->push_back(devid);
    auto it = fs_.devices.find(devid);
    if (it == fs_.devices.end()) return ENODEV;
    if (fs_.dev_info_err) return fs_.dev_info_err;
    out->path = it->second.path;
    out->uuid = it->second.uuid;
    out->bytes_used = it->second.bytes_used;
    out->total_bytes = it->second.total_bytes;
    return 0;
  }
  int dev_stats(uint64_t devid, Device* out) override {
    if (fs_.dev_stats_err) return fs_.dev_stats_err;
    out->errors = fs_.devices.at(devid).errors;
    return 0;
  }

 private:
  const FakeFs& fs_;
};

// Mount points to filesystems; a path not in the map cannot be opened (EACCES).
Opener opener(const std::map<std::string, const FakeFs*>& mounts,
              std::vector<std::string>* opened) {
  return [&mounts, opened](const std::string& path, int* err) -> std::unique_ptr<FsHandle> {
    opened->push_back(path);
    auto it = mounts.find(path);
    if (it == mounts.end()) {
      *err = EACCES;
      return nullptr;
    }
    return std::make_unique<FakeHandle>(*it->second);
  };
}

Device dev(std::string path, std::string uuid, uint64_t used, uint64_t total,
           std::array<uint64_t, kErrorTypes> errors = {}) {
  Device d;
  d.path = std::move(path);
  d.uuid = std::move(uuid);
  d.bytes_used = used;
  d.total_bytes = total;
  d.errors = errors;
  return d;
}

TEST(BtrfsDevStats, UuidFormatting) {
  const unsigned char b[16] = {0x3e, 0x94, 0x66, 0x3d, 0x9a, 0xf6, 0x4a, 0xcd,
                               0xba, 0x5c, 0x30, 0x51, 0xeb, 0x8c, 0x7d, 0x0a};
  EXPECT_EQ(format_uuid(b), "3e94663d-9af6-4acd-ba5c-3051eb8c7d0a");
  EXPECT_EQ(hex_id(b), "3e94663d9af64acdba5c3051eb8c7d0a");
  EXPECT_EQ(fsid_key("3E94663D-9af6-4acd-ba5c-3051eb8c7d0a"), hex_id(b));
}

TEST(BtrfsDevStats, DeviceNameIsGoPathBase) {
  EXPECT_EQ(device_name("/dev/loop0"), "loop0");
  EXPECT_EQ(device_name("/dev/mapper/vg-root"), "vg-root");
  EXPECT_EQ(device_name("sda1"), "sda1");
  EXPECT_EQ(device_name("/dev/sdb/"), "sdb");
  EXPECT_EQ(device_name(""), ".");  // a missing device has no path
  EXPECT_EQ(device_name("//"), "/");
}

TEST(BtrfsDevStats, DevidWalkSkipsGapsAndStopsAtNumDevices) {
  std::vector<uint64_t> asked;
  FakeFs fs;
  fs.info = {"aa", 2, 9};  // devids 2 and 5 (1, 3 and 4 removed); max_id 9
  fs.devices[2] = dev("/dev/sdb", "u2", 10, 100);
  fs.devices[5] = dev("/dev/sdc", "u5", 20, 200);
  fs.asked = &asked;
  FakeHandle h(fs);
  std::vector<Device> out;
  std::string what;
  ASSERT_EQ(read_devices(h, fs.info, &out, &what), 0);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].path, "/dev/sdb");
  EXPECT_EQ(out[1].total_bytes, 200u);
  // 0..5: stops once the second device is found, not at max_id.
  EXPECT_EQ(asked, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));

  // Fewer devices than num_devices says (one missing): up to max_id, then what was found.
  fs.info.num_devices = 3;
  asked.clear();
  ASSERT_EQ(read_devices(h, fs.info, &out, &what), 0);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(asked.size(), 10u);
}

TEST(BtrfsDevStats, DevidWalkFailureNamesTheCall) {
  FakeFs fs;
  fs.info = {"aa", 1, 1};
  fs.devices[1] = dev("/dev/sdb", "u1", 1, 2);
  fs.dev_stats_err = EIO;
  FakeHandle h(fs);
  std::vector<Device> out;
  std::string what;
  EXPECT_EQ(read_devices(h, fs.info, &out, &what), EIO);
  EXPECT_EQ(what, "BTRFS_IOC_GET_DEV_STATS devid 1");
  fs.dev_stats_err = 0;
  fs.dev_info_err = EPERM;
  EXPECT_EQ(read_devices(h, fs.info, &out, &what), EPERM);
  EXPECT_EQ(what, "BTRFS_IOC_DEV_INFO devid 1");
}

TEST(BtrfsDevStats, WalkDedupsByDeviceThenByFsid) {
  FakeFs a, b;
  a.info = {"aaaa", 1, 1};
  a.devices[1] = dev("/dev/loop0", "ua", 5, 50);
  b.info = {"bbbb", 2, 2};
  b.devices[1] = dev("/dev/loop1", "ub1", 7, 70);
  b.devices[2] = dev("/dev/loop2", "ub2", 7, 70);
  std::map<std::string, const FakeFs*> mounts = {
      {"/m/a", &a}, {"/m/a2", &a}, {"/m/b", &b}, {"/m/b-by-loop2", &b}};
  std::vector<std::string> opened;
  auto open = opener(mounts, &opened);
  Walk w;
  using O = Walk::Outcome;
  // The first mount of a device cannot be opened; the second one of the same device can.
  auto r = w.add("/dev/loop0", "/m/hidden", open);
  EXPECT_EQ(r.outcome, O::kFailed);
  EXPECT_EQ(r.err, EACCES);
  EXPECT_EQ(r.what, "open");
  EXPECT_FALSE(w.device_done("/dev/loop0"));
  r = w.add("/dev/loop0", "/m/a", open);
  ASSERT_EQ(r.outcome, O::kRead);
  EXPECT_EQ(r.fs->fsid, "aaaa");
  EXPECT_TRUE(w.device_done("/dev/loop0"));
  // Same device again: not even opened.
  EXPECT_EQ(w.add("/dev/loop0", "/m/a2", open).outcome, O::kSkipped);
  EXPECT_EQ(w.add("/dev/loop1", "/m/b", open).outcome, O::kRead);
  // The 2-device filesystem mounted by its other device: opened, FS_INFO's fsid already read.
  EXPECT_EQ(w.add("/dev/loop2", "/m/b-by-loop2", open).outcome, O::kSkipped);
  EXPECT_EQ(opened, (std::vector<std::string>{"/m/hidden", "/m/a", "/m/b", "/m/b-by-loop2"}));
  ASSERT_EQ(w.filesystems().size(), 2u);
  EXPECT_EQ(w.filesystems().at("bbbb").devices.size(), 2u);
}

TEST(BtrfsDevStats, WalkSkipsWhatIsNoSubvolumeRoot) {
  FakeFs a;
  a.info = {"aaaa", 1, 1};
  a.devices[1] = dev("/dev/loop0", "ua", 5, 50);
  std::vector<std::string> opened;
  Opener open = [&](const std::string& path, int* err) -> std::unique_ptr<FsHandle> {
    opened.push_back(path);
    if (path == "/bind/sub") {
      *err = 0;  // a bind-mounted subdirectory or file
      return nullptr;
    }
    return std::make_unique<FakeHandle>(a);
  };
  Walk w;
  EXPECT_EQ(w.add("/dev/loop0", "/bind/sub", open).outcome, Walk::Outcome::kSkipped);
  EXPECT_FALSE(w.device_done("/dev/loop0"));
  EXPECT_EQ(w.add("/dev/loop0", "/m/a", open).outcome, Walk::Outcome::kRead);
  EXPECT_EQ(opened.size(), 2u);
}

TEST(BtrfsDevStats, WalkFsInfoFailure) {
  FakeFs a;
  a.fs_info_err = ENOTTY;
  std::map<std::string, const FakeFs*> mounts = {{"/m/a", &a}};
  std::vector<std::string> opened;
  Walk w;
  auto r = w.add("/dev/sda", "/m/a", opener(mounts, &opened));
  EXPECT_EQ(r.outcome, Walk::Outcome::kFailed);
  EXPECT_EQ(r.err, ENOTTY);
  EXPECT_EQ(r.what, "BTRFS_IOC_FS_INFO");
  EXPECT_TRUE(w.filesystems().empty());
}

TEST(BtrfsDevStats, FamiliesAsNodeExporter) {
  Filesystem fs;
  fs.fsid = "3e94663d9af64acdba5c3051eb8c7d0a";
  fs.devices.push_back(dev("/dev/loop1", "c12d5222-b832-4df5-b2e5-5220396195cc", 109051904,
                           314572800, {1, 2, 3, 4, 5}));
  fs.devices.push_back(dev("", "84b694be-c84b-4c10-a428-72ef93f4fbd9", 0, 314572800));
  Family size("node_btrfs_device_size_bytes", "Size of a device that is part of the filesystem.",
              MetricType::kGauge);
  Family unused("node_btrfs_device_unused_bytes",
                "Unused bytes unused on a device that is part of the filesystem.",
                MetricType::kGauge);
  Family errors("node_btrfs_device_errors_total", "Errors reported for the device",
                MetricType::kCounter);
  add_device_families(fs, "3e94663d-9af6-4acd-ba5c-3051eb8c7d0a", size, unused, errors);
  const Family* fams[] = {&errors, &size, &unused};
  std::string text;
  write_text(fams, text);
  const char* u = "uuid=\"3e94663d-9af6-4acd-ba5c-3051eb8c7d0a\"";
  const char* d1 = "btrfs_dev_uuid=\"c12d5222-b832-4df5-b2e5-5220396195cc\",device=\"loop1\"";
  const char* d2 = "btrfs_dev_uuid=\"84b694be-c84b-4c10-a428-72ef93f4fbd9\",device=\".\"";
  std::string want =
      "# HELP node_btrfs_device_errors_total Errors reported for the device\n"
      "# TYPE node_btrfs_device_errors_total counter\n";
  const char* types[] = {"write", "read", "flush", "corruption", "generation"};
  for (int i = 0; i < 5; ++i) {
    want += std::string("node_btrfs_device_errors_total{") + d1 + ",type=\"" + types[i] + "\"," +
            u + "} " + std::to_string(i + 1) + "\n";
  }
  for (int i = 0; i < 5; ++i) {
    want += std::string("node_btrfs_device_errors_total{") + d2 + ",type=\"" + types[i] + "\"," +
            u + "} 0\n";
  }
  want +=
      "# HELP node_btrfs_device_size_bytes Size of a device that is part of the filesystem.\n"
      "# TYPE node_btrfs_device_size_bytes gauge\n";
  want += std::string("node_btrfs_device_size_bytes{") + d1 + "," + u + "} 3.145728e+08\n";
  want += std::string("node_btrfs_device_size_bytes{") + d2 + "," + u + "} 3.145728e+08\n";
  want +=
      "# HELP node_btrfs_device_unused_bytes Unused bytes unused on a device that is part of "
      "the filesystem.\n# TYPE node_btrfs_device_unused_bytes gauge\n";
  want += std::string("node_btrfs_device_unused_bytes{") + d1 + "," + u + "} 2.05520896e+08\n";
  want += std::string("node_btrfs_device_unused_bytes{") + d2 + "," + u + "} 3.145728e+08\n";
  EXPECT_EQ(text, want);
}

// A mount point whose open blocks (as through a hung NFS mount): the scrape gets what was read
// before it by the deadline, later scrapes start no second walk while it blocks, and once it
// answers walks run again.
TEST(BtrfsWalker, BlockedMountHoldsOneThreadAndNoScrape) {
  FakeFs a;
  a.info = {"aaaa", 1, 1};
  a.devices[1] = dev("/dev/loop0", "ua", 5, 50);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> opens{0};
  auto open = [&](const std::string& path, int* err) -> std::unique_ptr<FsHandle> {
    ++opens;
    if (path == "/m/hung") {
      std::unique_lock<std::mutex> lk(mu);
      cv.wait(lk, [&] { return release; });
      *err = EIO;
      return nullptr;
    }
    return std::make_unique<FakeHandle>(a);
  };
  IoctlWalker walker(open);
  std::vector<Mount> mounts = {{"/dev/loop0", "/m/a", "/m/a"}, {"nfs:/x", "/m/hung", "/m/hung"}};
  auto soon = [] { return std::chrono::steady_clock::now() + std::chrono::milliseconds(50); };
  auto r = walker.run(mounts, soon());
  EXPECT_TRUE(r.started);
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.blocked_at, "/m/hung");
  ASSERT_EQ(r.filesystems.size(), 1u);  // read before the walk blocked
  EXPECT_EQ(r.filesystems.begin()->first, "aaaa");
  // Still blocked: no second walk, no wait.
  r = walker.run(mounts, std::chrono::steady_clock::now() + std::chrono::hours(1));
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.blocked_at, "/m/hung");
  EXPECT_EQ(opens.load(), 2);
  {
    std::lock_guard<std::mutex> lk(mu);
    release = true;
  }
  cv.notify_all();
  // The blocked walk ends (its EIO failure belongs to it, not to the next walk); then a walk
  // starts again and, the mount answering now, finishes with both mounts' outcome.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    r = walker.run(mounts, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  } while (!r.started && std::chrono::steady_clock::now() < give_up);
  ASSERT_TRUE(r.started);
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.filesystems.size(), 1u);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].mount_point, "/m/hung");
  EXPECT_EQ(r.failures[0].err, EIO);
  EXPECT_EQ(r.failures[0].what, "open");
}

}  // namespace
}  // namespace vitals::btrfs
