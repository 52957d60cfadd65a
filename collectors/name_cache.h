// Per-collector cache of dynamically named families (netstat, vmstat, sockstat): the field
// regex runs once per distinct field name, not once per line per scrape, and the family's name
// and help text are built once.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/regex.h"

namespace vitals {

class NameCache {
 public:
  struct Entry {
    bool keep = true;
    std::string name;
    std::string help;
  };

  // `filter` (when set) must match the field for it to be kept (anywhere in the name, as Go's
  // MatchString). `make` fills name and help of a kept field.
  explicit NameCache(Regex filter = Regex()) : filter_(std::move(filter)) {}

  template <typename Make>
  const Entry& get(std::string_view field, Make&& make) {
    auto it = map_.find(field);
    if (it != map_.end()) return it->second;
    Entry e;
    e.keep = !filter_ || filter_.search(field);
    if (e.keep) make(e);
    // Bound the cache: kernel files have a fixed, small set of field names.
    if (map_.size() > 4096) map_.clear();
    return map_.emplace(std::string(field), std::move(e)).first->second;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Regex filter_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map_;
};

// The fields of a kernel statistics file (/proc/net/netstat, /proc/vmstat, ...) come in the
// same order on every read while the system runs. FieldOrder remembers, per position, whether
// the field is kept and its family name and help, keyed by a hash of the whole name sequence:
// a scrape hashes the names (a few bytes each) instead of looking each one up, and only a
// changed sequence (first read, a kernel that printed different fields) is resolved again.
class FieldOrder {
 public:
  void begin() { hash_ = kOffset; }
  // Adds one field name (in file order) to the running signature: 8 bytes per step, with the
  // length mixed in so "ab"+"c" and "a"+"bc" differ.
  void add(std::string_view part) {
    uint64_t h = hash_;
    size_t i = 0;
    for (; i + 8 <= part.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, part.data() + i, 8);
      h = mix(h ^ w);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, part.data() + i, part.size() - i);
    hash_ = mix(h ^ tail ^ (static_cast<uint64_t>(part.size()) << 56));
  }
  // Makes at(i) valid for the sequence hashed since begin(): when it is not the one resolved
  // last time, resolve(i) (returning the NameCache entry of field i) runs for each position.
  template <typename Resolve>
  void resolve(size_t count, Resolve&& resolve) {
    if (valid_ && count == slots_.size() && hash_ == built_hash_) return;
    slots_.clear();
    kept_.clear();
    for (size_t i = 0; i < count; ++i) {
      const NameCache::Entry& e = resolve(i);
      slots_.push_back(e.keep ? static_cast<int>(kept_.size()) : -1);
      if (e.keep) kept_.push_back(e);
    }
    built_hash_ = hash_;
    valid_ = true;
  }
  // The family of position i, or nullptr for a filtered-out field.
  const NameCache::Entry* at(size_t i) const {
    return slots_[i] < 0 ? nullptr : &kept_[static_cast<size_t>(slots_[i])];
  }

 private:
  static constexpr uint64_t kOffset = 14695981039346656037ull;
  static uint64_t mix(uint64_t h) {
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
  }
  uint64_t hash_ = kOffset;
  uint64_t built_hash_ = 0;
  bool valid_ = false;
  std::vector<int> slots_;
  std::vector<NameCache::Entry> kept_;
};

}  // namespace vitals
