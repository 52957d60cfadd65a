#include "remote_write/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/log.h"

namespace vitals::remote_write {
namespace {

void put32(char* p, uint32_t v) {
  std::memcpy(p, &v, 4);
}
void put64(char* p, uint64_t v) {
  std::memcpy(p, &v, 8);
}
uint32_t get32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t get64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::string errno_text(int e) {
  return std::strerror(e);
}

bool write_all(int fd, const char* p, size_t n, int* err) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool mkdirs(const std::string& dir, int* err) {
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    cur = dir.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0750) != 0 && errno != EEXIST) {
      *err = errno;
      return false;
    }
  }
  return true;
}

}  // namespace

uint32_t record_crc(std::string_view header_rest, std::string_view payload) {
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(header_rest.data()),
            static_cast<uInt>(header_rest.size()));
  c = crc32(c, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(c);
}

Wal::Wal(std::string dir, uint64_t segment_bytes)
    : dir_(std::move(dir)), segment_bytes_(segment_bytes) {}

Wal::~Wal() {
  close_current();
  for (auto& [id, fd] : read_fds_) ::close(fd);
}

std::string Wal::segment_path(uint64_t id) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(id));
  return dir_ + "/" + name;
}

void Wal::close_current() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  current_id_ = 0;
  dirty_ = false;
}

uint64_t Wal::disk_bytes() const {
  uint64_t n = 0;
  for (const auto& [id, size] : sizes_) n += size;
  return n;
}

uint64_t Wal::segment_size(uint64_t id) const {
  auto it = sizes_.find(id);
  return it == sizes_.end() ? 0 : it->second;
}

bool Wal::open(std::vector<WalRecord>* out, uint64_t* next_seq, WalError* err) {
  int e = 0;
  if (!mkdirs(dir_, &e)) {
    *err = {"open", "cannot create " + dir_ + ": " + errno_text(e)};
    return false;
  }
  DIR* d = ::opendir(dir_.c_str());
  if (!d) {
    *err = {"open", "cannot list " + dir_ + ": " + errno_text(errno)};
    return false;
  }
  std::vector<uint64_t> ids;
  while (dirent* ent = ::readdir(d)) {
    std::string_view n = ent->d_name;
    if (n.size() == 24 && n.substr(20) == ".seg") {
      ids.push_back(std::strtoull(std::string(n.substr(0, 20)).c_str(), nullptr, 10));
    }
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());

  // The acknowledged sequence numbers per shard.
  std::map<uint32_t, uint64_t> acked;
  uint64_t seq = 1;
  {
    std::ifstream in(dir_ + "/acked");
    std::string key;
    while (in >> key) {
      if (key == "next_seq") {
        uint64_t v = 0;
        if (in >> v) seq = std::max(seq, v);
      } else if (key == "shard") {
        uint32_t s = 0;
        uint64_t v = 0;
        if (in >> s >> v) acked[s] = v;
      } else {
        break;
      }
    }
  }

  std::string buf;
  for (uint64_t id : ids) {
    next_id_ = std::max(next_id_, id + 1);
    std::string path = segment_path(id);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    bool rw = fd >= 0;
    if (fd < 0) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *err = {"read", "cannot open " + path + ": " + errno_text(errno)};
      log::error("remote write: skipping a queue segment", {{"err", err->message}});
      continue;
    }
    struct stat st {};
    ::fstat(fd, &st);
    buf.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < buf.size()) {
      ssize_t r = ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    buf.resize(got);
    size_t off = 0;
    size_t live = 0;
    std::string bad;
    while (off < buf.size()) {
      if (buf.size() - off < kRecordHeaderBytes) {
        bad = "record header cut short";
        break;
      }
      const char* h = buf.data() + off;
      uint32_t len = get32(h);
      uint32_t crc = get32(h + 4);
      if (len > buf.size() - off - kRecordHeaderBytes) {
        bad = "record cut short";
        break;
      }
      std::string_view rest(h + 8, kRecordHeaderBytes - 8);
      std::string_view payload(h + kRecordHeaderBytes, len);
      if (record_crc(rest, payload) != crc) {
        bad = "checksum mismatch";
        break;
      }
      WalRecord r;
      r.seq = get64(h + 8);
      r.shard = get32(h + 16);
      r.samples = get32(h + 20);
      r.min_ts = static_cast<int64_t>(get64(h + 24));
      r.max_ts = static_cast<int64_t>(get64(h + 32));
      r.segment = id;
      r.offset = off + kRecordHeaderBytes;
      r.size = len;
      seq = std::max(seq, r.seq + 1);
      auto a = acked.find(r.shard);
      if (a == acked.end() || r.seq > a->second) {
        out->push_back(r);
        ++live;
      }
      off += kRecordHeaderBytes + len;
    }
    if (!bad.empty()) {
      log::warn("remote write: truncating a damaged queue segment (a write cut short by a crash)",
                {{"file", path},
                 {"offset", std::to_string(off)},
                 {"dropped_bytes", std::to_string(buf.size() - off)},
                 {"reason", bad}});
      if (rw && ::ftruncate(fd, static_cast<off_t>(off)) != 0) {
        log::error("remote write: cannot truncate a queue segment",
                   {{"file", path}, {"err", errno_text(errno)}});
      }
    }
    if (live == 0) {
      ::close(fd);
      ::unlink(path.c_str());
      continue;
    }
    sizes_[id] = off;
    read_fds_[id] = fd;
  }
  std::sort(out->begin(), out->end(),
            [](const WalRecord& a, const WalRecord& b) { return a.seq < b.seq; });
  *next_seq = seq;
  return true;
}

bool Wal::open_segment(uint64_t id, WalError* err) {
  std::string path = segment_path(id);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0 && errno == ENOENT) {
    // The directory went away (or could never be made): make it again.
    int e = 0;
    if (!mkdirs(dir_, &e)) {
      *err = {"open", "cannot create " + dir_ + ": " + errno_text(e)};
      return false;
    }
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  }
  if (fd < 0) {
    *err = {"open", "cannot create " + path + ": " + errno_text(errno)};
    return false;
  }
  fd_ = fd;
  current_id_ = id;
  next_id_ = id + 1;
  sizes_[id] = 0;
  dir_dirty_ = true;
  return true;
}

bool Wal::append(uint64_t seq, uint32_t shard, uint32_t samples, int64_t min_ts, int64_t max_ts,
                 std::string_view payload, WalRecord* out, WalError* err) {
  if (fd_ >= 0 && sizes_[current_id_] >= segment_bytes_) {
    // Full: synced before it is left, so sync() only ever has the newest one to do.
    if (dirty_ && ::fdatasync(fd_) != 0) {
      *err = {"fsync", "fsync " + segment_path(current_id_) + ": " + errno_text(errno)};
      return false;
    }
    dirty_ = false;
    ::close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0 && !open_segment(next_id_, err)) return false;
  char h[kRecordHeaderBytes];
  put32(h, static_cast<uint32_t>(payload.size()));
  put64(h + 8, seq);
  put32(h + 16, shard);
  put32(h + 20, samples);
  put64(h + 24, static_cast<uint64_t>(min_ts));
  put64(h + 32, static_cast<uint64_t>(max_ts));
  put32(h + 4, record_crc(std::string_view(h + 8, kRecordHeaderBytes - 8), payload));
  uint64_t start = sizes_[current_id_];
  int e = 0;
  if (!write_all(fd_, h, sizeof h, &e) || !write_all(fd_, payload.data(), payload.size(), &e)) {
    *err = {"write", "write " + segment_path(current_id_) + ": " + errno_text(e)};
    // Leave nothing of the record behind; if even that fails, the segment ends here (a later
    // open truncates the torn record) and appends go to a new one.
    if (::ftruncate(fd_, static_cast<off_t>(start)) != 0) {
      ::fdatasync(fd_);
      ::close(fd_);
      fd_ = -1;
      current_id_ = 0;
    }
    return false;
  }
  sizes_[current_id_] = start + sizeof h + payload.size();
  dirty_ = true;
  out->seq = seq;
  out->shard = shard;
  out->samples = samples;
  out->min_ts = min_ts;
  out->max_ts = max_ts;
  out->segment = current_id_;
  out->offset = start + sizeof h;
  out->size = static_cast<uint32_t>(payload.size());
  return true;
}

bool Wal::sync(WalError* err) {
  if (fd_ >= 0 && dirty_) {
    if (::fdatasync(fd_) != 0) {
      *err = {"fsync", "fsync " + segment_path(current_id_) + ": " + errno_text(errno)};
      return false;
    }
    dirty_ = false;
  }
  if (dir_dirty_) {
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    dir_dirty_ = false;
  }
  return true;
}

bool Wal::read(const WalRecord& r, std::string* payload, WalError* err) {
  int fd = -1;
  auto it = read_fds_.find(r.segment);
  if (it != read_fds_.end()) {
    fd = it->second;
  } else {
    fd = ::open(segment_path(r.segment).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *err = {"read", "open " + segment_path(r.segment) + ": " + errno_text(errno)};
      return false;
    }
    read_fds_[r.segment] = fd;
  }
  payload->resize(r.size);
  size_t got = 0;
  while (got < r.size) {
    ssize_t n =
        ::pread(fd, payload->data() + got, r.size - got, static_cast<off_t>(r.offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *err = {"read", "read " + segment_path(r.segment) + ": " +
                          (n == 0 ? std::string("unexpected end of file") : errno_text(errno))};
      return false;
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

void Wal::remove_segment(uint64_t id) {
  if (id == current_id_) close_current();
  if (auto it = read_fds_.find(id); it != read_fds_.end()) {
    ::close(it->second);
    read_fds_.erase(it);
  }
  ::unlink(segment_path(id).c_str());
  sizes_.erase(id);
}

bool Wal::write_acked(const std::map<uint32_t, uint64_t>& acked, uint64_t next_seq, WalError* err) {
  std::ostringstream s;
  s << "next_seq " << next_seq << "\n";
  for (const auto& [shard, seq] : acked) s << "shard " << shard << " " << seq << "\n";
  std::string text = s.str();
  std::string tmp = dir_ + "/acked.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    *err = {"open", "cannot create " + tmp + ": " + errno_text(errno)};
    return false;
  }
  int e = 0;
  bool ok = write_all(fd, text.data(), text.size(), &e);
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    *err = {"write", "write " + tmp + ": " + errno_text(e)};
    return false;
  }
  if (::rename(tmp.c_str(), (dir_ + "/acked").c_str()) != 0) {
    *err = {"write", "rename " + tmp + ": " + errno_text(errno)};
    return false;
  }
  return true;
}

}  // namespace vitals::remote_write
