// The durable part of an endpoint's queue: a write-ahead log of segment files in the endpoint's
// directory (<queue-dir>/<endpoint>/NNNNNNNNNNNNNNNNNNNN.seg). A record is one chunk of encoded
// series (remote_write/encode.h) with a 40-byte header: payload length, CRC-32 of the rest,
// sequence number, shard, sample count, lowest and highest timestamp. Appends go to the newest
// segment, which is fsynced by sync() (the module calls it once per interval, after the
// interval's appends: a crash loses at most the interval being written). A segment is deleted
// when all its records are sent or dropped. Each shard sends its records in sequence order, so
// what was acknowledged is, per shard, every sequence number up to one: the "acked" file keeps
// those (rewritten with rename, not fsynced: losing it only resends, and the receivers take a
// sample they already have as a duplicate). On open the segments are read back: records up to a
// shard's acknowledged sequence are skipped, a record that is cut short or fails its checksum
// ends the segment there (truncated, with one log line).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::remote_write {

struct WalRecord {
  uint64_t seq = 0;
  uint32_t shard = 0;
  uint32_t samples = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  uint64_t segment = 0;  // segment id
  uint64_t offset = 0;   // of the payload in the segment file
  uint32_t size = 0;     // payload bytes
};

struct WalError {
  std::string op;  // write, fsync, read, open
  std::string message;
};

inline constexpr size_t kRecordHeaderBytes = 40;

class Wal {
 public:
  // `segment_bytes`: a new segment is started when the current one has reached this size.
  Wal(std::string dir, uint64_t segment_bytes);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  const std::string& dir() const { return dir_; }

  // Creates the directory when missing and reads every segment back. Unacknowledged records
  // (in sequence order) go to `out`; `next_seq` is the sequence number the next append takes.
  // Segments without unacknowledged records are deleted. False when the directory cannot be
  // made or listed (the queue then runs from memory and tries again on each append).
  bool open(std::vector<WalRecord>* out, uint64_t* next_seq, WalError* err);

  // Appends one record. On failure nothing of it stays in the log.
  bool append(uint64_t seq, uint32_t shard, uint32_t samples, int64_t min_ts, int64_t max_ts,
              std::string_view payload, WalRecord* out, WalError* err);
  // fdatasync of the segment written since the last sync (and its directory when new).
  bool sync(WalError* err);
  // The payload of `r`.
  bool read(const WalRecord& r, std::string* payload, WalError* err);
  // Deletes a segment (not the one being written).
  void remove_segment(uint64_t id);
  // The segment appends currently go to (0: none yet).
  uint64_t current_segment() const { return current_id_; }
  // Bytes of all segments on disk.
  uint64_t disk_bytes() const;
  // Ids of the segments on disk, oldest first.
  std::vector<uint64_t> segments() const {
    std::vector<uint64_t> ids;
    for (const auto& [id, size] : sizes_) ids.push_back(id);
    return ids;
  }
  // Oldest segment id, 0 when none.
  uint64_t oldest_segment() const { return sizes_.empty() ? 0 : sizes_.begin()->first; }
  uint64_t segment_size(uint64_t id) const;
  // Records that everything up to acked[shard] is done, for the next open.
  bool write_acked(const std::map<uint32_t, uint64_t>& acked, uint64_t next_seq, WalError* err);

 private:
  bool open_segment(uint64_t id, WalError* err);
  void close_current();
  std::string segment_path(uint64_t id) const;

  std::string dir_;
  uint64_t segment_bytes_;
  int fd_ = -1;  // current segment, O_APPEND
  uint64_t current_id_ = 0;
  uint64_t next_id_ = 1;
  bool dirty_ = false;
  bool dir_dirty_ = false;
  std::map<uint64_t, uint64_t> sizes_;  // segment id -> bytes
  std::map<uint64_t, int> read_fds_;    // read-only descriptors of older segments
};

// The CRC-32 a record header carries (zlib's).
uint32_t record_crc(std::string_view header_rest, std::string_view payload);

}  // namespace vitals::remote_write
