// An open-addressing hash index (linear probing, backward-shift deletion) from a byte key to a
// 32-bit slot number. The keys live with their owner; the table holds an 8-byte entry per slot
// (a hash tag and the slot number), so a lookup is one probe into a compact array and one key
// comparison, without the node allocations and pointer chasing of std::unordered_map.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace vitals::apm {

// Seeded 64-bit hash of a byte string (8 bytes at a time, murmur3's finalizer).
uint64_t hash_bytes(std::string_view s, uint64_t seed);

class FlatIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  FlatIndex() { table_.assign(16, Entry{0, kNone}); }

  size_t size() const { return n_; }

  // key_of(slot) returns the key stored at `slot`.
  template <typename KeyOf>
  uint32_t find(std::string_view key, uint64_t h, const KeyOf& key_of) const {
    const size_t mask = table_.size() - 1;
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Entry& e = table_[i];
      if (e.slot == kNone) return kNone;
      if (e.tag == tag && key_of(e.slot) == key) return e.slot;
    }
  }

  // `hash_of(slot)` gives each stored slot's hash (for growing).
  template <typename HashOf>
  void insert(uint64_t h, uint32_t slot, const HashOf& hash_of) {
    if ((n_ + 1) * 2 > table_.size()) grow(hash_of);
    place(h, slot);
    ++n_;
  }

  template <typename HashOf>
  void erase(uint64_t h, uint32_t slot, const HashOf& hash_of) {
    const size_t mask = table_.size() - 1;
    size_t i = h & mask;
    while (table_[i].slot != slot) {
      if (table_[i].slot == kNone) return;
      i = (i + 1) & mask;
    }
    // Backward-shift: move later entries of the run into the hole when their home allows it.
    size_t hole = i;
    for (size_t j = (hole + 1) & mask; table_[j].slot != kNone; j = (j + 1) & mask) {
      size_t home = hash_of(table_[j].slot) & mask;
      bool between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!between) {
        table_[hole] = table_[j];
        hole = j;
      }
    }
    table_[hole] = Entry{0, kNone};
    --n_;
  }

 private:
  struct Entry {
    uint32_t tag;
    uint32_t slot;
  };
  void place(uint64_t h, uint32_t slot) {
    const size_t mask = table_.size() - 1;
    size_t i = h & mask;
    while (table_[i].slot != kNone) i = (i + 1) & mask;
    table_[i] = Entry{static_cast<uint32_t>(h >> 32), slot};
  }
  template <typename HashOf>
  void grow(const HashOf& hash_of) {
    std::vector<Entry> old(table_.size() * 2, Entry{0, kNone});
    old.swap(table_);
    for (const Entry& e : old) {
      if (e.slot != kNone) place(hash_of(e.slot), e.slot);
    }
  }

  std::vector<Entry> table_;
  size_t n_ = 0;
};

inline uint64_t hash_bytes(std::string_view s, uint64_t seed) {
  auto fmix = [](uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
  };
  uint64_t h = seed ^ (s.size() * 0x9E3779B97F4A7C15ULL);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ fmix(w)) * 0x9E3779B97F4A7C15ULL;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ fmix(w ^ n)) * 0x9E3779B97F4A7C15ULL;
  return fmix(h);
}

}  // namespace vitals::apm
