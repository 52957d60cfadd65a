#include "collectors/btrfs/dev_stats.h"

#include <cerrno>

namespace vitals::btrfs {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& s, const unsigned char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[b[i] >> 4]);
    s.push_back(kHex[b[i] & 0xf]);
  }
}

}  // namespace

std::string format_uuid(const unsigned char* b) {
  std::string s;
  s.reserve(36);
  append_hex(s, b, 4);
  s.push_back('-');
  append_hex(s, b + 4, 2);
  s.push_back('-');
  append_hex(s, b + 6, 2);
  s.push_back('-');
  append_hex(s, b + 8, 2);
  s.push_back('-');
  append_hex(s, b + 10, 6);
  return s;
}

std::string hex_id(const unsigned char* b) {
  std::string s;
  s.reserve(32);
  append_hex(s, b, 16);
  return s;
}

std::string fsid_key(std::string_view uuid) {
  std::string s;
  s.reserve(uuid.size());
  for (char c : uuid) {
    if (c == '-') continue;
    s.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return s;
}

int read_devices(FsHandle& fs, const FsInfo& info, std::vector<Device>* out, std::string* what) {
  out->clear();
  for (uint64_t id = 0; id <= info.max_id; ++id) {
    Device d;
    if (int e = fs.dev_info(id, &d); e != 0) {
      // Device ids need not start at 0 nor be contiguous (a removed device leaves a gap).
      if (e == ENODEV) continue;
      *what = "BTRFS_IOC_DEV_INFO devid " + std::to_string(id);
      return e;
    }
    if (int e = fs.dev_stats(id, &d); e != 0) {
      *what = "BTRFS_IOC_GET_DEV_STATS devid " + std::to_string(id);
      return e;
    }
    out->push_back(std::move(d));
    if (out->size() == info.num_devices) break;
    if (id == UINT64_MAX) break;
  }
  return 0;
}

Walk::Result Walk::add(const std::string& device, const std::string& path, const Opener& open) {
  Result r;
  if (devices_done_.count(device) != 0) return r;  // this filesystem, through another mount
  int err = 0;
  auto fs = open(path, &err);
  if (!fs && err == 0) return r;  // not a subvolume root
  if (!fs) {
    r.outcome = Outcome::kFailed;
    r.err = err;
    r.what = "open";
    return r;
  }
  FsInfo info;
  if (int e = fs->fs_info(&info); e != 0) {
    r.outcome = Outcome::kFailed;
    r.err = e;
    r.what = "BTRFS_IOC_FS_INFO";
    return r;
  }
  // The same filesystem mounted from another device name (a multi-device filesystem mounted
  // by its second device, a bind mount through a symlinked device path).
  if (by_fsid_.count(info.fsid) != 0) return r;
  Filesystem f;
  f.fsid = info.fsid;
  if (int e = read_devices(*fs, info, &f.devices, &r.what); e != 0) {
    r.outcome = Outcome::kFailed;
    r.err = e;
    return r;
  }
  devices_done_.insert(device);
  auto it = by_fsid_.emplace(info.fsid, std::move(f)).first;
  r.outcome = Outcome::kRead;
  r.fs = &it->second;
  return r;
}

std::string_view device_name(std::string_view path) {
  // Go's path.Base: trailing slashes dropped; "" is "."; only slashes is "/".
  if (path.empty()) return ".";
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") return path;
  if (auto slash = path.rfind('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
  return path;
}

void add_device_families(const Filesystem& fs, std::string_view uuid, Family& size, Family& unused,
                         Family& errors) {
  for (const auto& d : fs.devices) {
    std::string_view name = device_name(d.path);
    Label labels[] = {{"btrfs_dev_uuid", d.uuid}, {"device", name}, {"uuid", uuid}};
    size.add(labels, static_cast<double>(d.total_bytes));
    // Unsigned, as node_exporter subtracts.
    unused.add(labels, static_cast<double>(d.total_bytes - d.bytes_used));
    for (size_t i = 0; i < kErrorTypes; ++i) {
      Label el[] = {{"btrfs_dev_uuid", d.uuid},
                    {"device", name},
                    {"type", kErrorTypeNames[i]},
                    {"uuid", uuid}};
      errors.add(el, static_cast<double>(d.errors[i]));
    }
  }
}

}  // namespace vitals::btrfs
