// A fast gzip writer for exposition text: one deflate block with the fixed Huffman codes of
// RFC 1951 section 3.2.6 and greedy LZ77 matching through one hash table over the 32 KiB window.
// No Huffman tables are built or sent and no match is searched for twice, which is what makes
// it several times faster than a general level-1 compressor; exposition text is so repetitive
// (metric names, label names, HELP prefixes) that most of the size goes away in the matching
// alone, so the fixed codes cost only ~20-30% more bytes than dynamic ones.
#include "exporter/fast_gzip.h"

#include <libdeflate.h>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>

#include "core/buffer.h"
#include "exporter/idle_pool.h"

namespace vitals {
namespace {

constexpr int kHashBits = 14;
constexpr uint32_t kWindow = 32768;
constexpr size_t kMinMatch = 4;  // shorter matches are not worth a length+distance pair here
constexpr size_t kMaxMatch = 258;

// Reverses the low `n` bits of `code`: deflate sends Huffman codes most significant bit first
// inside an LSB-first bit stream.
constexpr uint32_t reverse_bits(uint32_t code, int n) {
  uint32_t r = 0;
  for (int i = 0; i < n; ++i) r |= ((code >> i) & 1u) << (n - 1 - i);
  return r;
}

struct Code {
  uint16_t bits;  // already bit-reversed
  uint8_t len;
};

struct Tables {
  std::array<Code, 288> litlen{};  // literal/length symbols, fixed code
  // For match lengths 3..258: the fixed code of the length symbol with its extra bits
  // appended, as one bit string (at most 8 + 5 bits).
  std::array<uint32_t, kMaxMatch + 1> len_bits{};
  std::array<uint8_t, kMaxMatch + 1> len_nbits{};
  // Distance code (0..29) of distances 1..256 directly and of 257..32768 by (d-1) >> 7.
  std::array<uint8_t, 512> dist_code{};
  std::array<uint16_t, 30> dist_base{};
  std::array<uint8_t, 30> dist_rev{};  // the 5-bit fixed code of each distance code, reversed
  std::array<uint8_t, 30> dist_extra{};

  Tables() {
    for (uint32_t s = 0; s < 288; ++s) {
      if (s < 144) {
        litlen[s] = {static_cast<uint16_t>(reverse_bits(0x30 + s, 8)), 8};
      } else if (s < 256) {
        litlen[s] = {static_cast<uint16_t>(reverse_bits(0x190 + (s - 144), 9)), 9};
      } else if (s < 280) {
        litlen[s] = {static_cast<uint16_t>(reverse_bits(s - 256, 7)), 7};
      } else {
        litlen[s] = {static_cast<uint16_t>(reverse_bits(0xc0 + (s - 280), 8)), 8};
      }
    }
    // Length symbols 257..285 (RFC 1951 3.2.5).
    static constexpr uint16_t kLenBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                              15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                              67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr uint8_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                              2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    for (int sym = 0; sym < 29; ++sym) {
      int end = sym == 28 ? 259 : kLenBase[sym + 1];
      for (int len = kLenBase[sym]; len < end; ++len) {
        const Code& c = litlen[257 + sym];
        len_bits[len] = c.bits | (static_cast<uint32_t>(len - kLenBase[sym]) << c.len);
        len_nbits[len] = static_cast<uint8_t>(c.len + kLenExtra[sym]);
      }
    }
    static constexpr uint16_t kDistBase[30] = {
        1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
        193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    for (int c = 0; c < 30; ++c) {
      dist_base[c] = kDistBase[c];
      dist_extra[c] = static_cast<uint8_t>(c < 4 ? 0 : (c - 2) / 2);
      dist_rev[c] = static_cast<uint8_t>(reverse_bits(static_cast<uint32_t>(c), 5));
    }
    for (int c = 0; c < 30; ++c) {
      uint32_t lo = kDistBase[c], hi = c == 29 ? 32768 : kDistBase[c + 1] - 1u;
      for (uint32_t d = lo; d <= hi; ++d) {
        if (d <= 256) {
          dist_code[d - 1] = static_cast<uint8_t>(c);
        } else {
          dist_code[256 + ((d - 1) >> 7)] = static_cast<uint8_t>(c);
        }
      }
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// LSB-first bit writer into a buffer sized for the worst case in advance.
class BitWriter {
 public:
  explicit BitWriter(uint8_t* p) : p_(p) {}
  void put(uint64_t bits, unsigned n) {
    buf_ |= bits << count_;
    count_ += n;
    if (count_ >= 32) {
      uint32_t w = static_cast<uint32_t>(buf_);
      std::memcpy(p_, &w, 4);
      p_ += 4;
      buf_ >>= 32;
      count_ -= 32;
    }
  }
  uint8_t* finish() {
    while (count_ > 0) {
      *p_++ = static_cast<uint8_t>(buf_);
      buf_ >>= 8;
      count_ = count_ > 8 ? count_ - 8 : 0;
    }
    return p_;
  }

 private:
  uint8_t* p_;
  uint64_t buf_ = 0;
  unsigned count_ = 0;
};

// What one compression needs besides its input: the match table and the output buffer. Kept
// between calls (in scratches(), one idle) so a scrape neither zero-fills a table and a bound-sized
// output string nor faults those pages in again after malloc gave them back.
struct Scratch {
  // The low 16 bits of the position of the last 4-byte sequence seen with each hash. A slot
  // only proposes a candidate: the bytes there are compared before a match is taken, so an entry
  // left from an earlier call or from 64 KiB ago is harmless and the table is cleared only once,
  // when made (so the output never depends on uninitialised memory).
  // 2 bytes a slot keep the table small enough to stay in the first-level cache.
  RawBuffer<uint16_t> table{size_t{1} << kHashBits};
  RawBuffer<uint8_t> out;

  Scratch() { std::memset(table.data(), 0, table.size() * sizeof(uint16_t)); }
};

IdlePool<Scratch>& scratches() {
  static IdlePool<Scratch> p(1);
  return p;
}

uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint32_t hash4(uint32_t v) {
  return (v * 0x9e3779b1u) >> (32 - kHashBits);
}

// Bytes equal at a and b, up to `limit`.
size_t match_length(const uint8_t* a, const uint8_t* b, size_t limit) {
  size_t n = 0;
  while (n + 8 <= limit) {
    uint64_t x, y;
    std::memcpy(&x, a + n, 8);
    std::memcpy(&y, b + n, 8);
    if (uint64_t d = x ^ y) return n + static_cast<size_t>(std::countr_zero(d) >> 3);
    n += 8;
  }
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

size_t fast_gzip_bound(size_t n) {
  // Worst case: every byte a 9-bit literal, plus block header and end code, gzip framing.
  return n + n / 8 + 64;
}

void fast_gzip(std::string_view input, std::string& out) {
  const Tables& t = tables();
  const auto* in = reinterpret_cast<const uint8_t*>(input.data());
  const size_t n = input.size();
  std::unique_ptr<Scratch> scratch = scratches().take();
  if (!scratch) scratch = std::make_unique<Scratch>();
  const size_t bound = fast_gzip_bound(n);
  if (scratch->out.size() < bound) scratch->out.resize(bound, 0);
  uint8_t* const begin = scratch->out.data();
  // gzip header (RFC 1952): deflate, no flags, no mtime, XFL 4 (fastest), OS 3 (Unix).
  static constexpr uint8_t kHeader[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3};
  std::memcpy(begin, kHeader, sizeof kHeader);
  BitWriter w(begin + sizeof kHeader);
  w.put(1 | (1 << 1), 3);  // BFINAL=1, BTYPE=01 (fixed Huffman codes)

  uint16_t* const table = scratch->table.data();
  size_t i = 0;
  while (n >= kMinMatch && i <= n - kMinMatch) {
    const uint32_t v = load32(in + i);
    uint16_t& slot = table[hash4(v)];
    // Distance back to the candidate, modulo 64 KiB (0: none, or 64 KiB back: too far).
    const uint32_t dist = static_cast<uint16_t>(static_cast<uint16_t>(i) - slot);
    slot = static_cast<uint16_t>(i);
    if (dist != 0 && dist <= kWindow && dist <= i && load32(in + i - dist) == v) {
      const size_t from = i - dist;
      const size_t limit = std::min(kMaxMatch, n - i);
      const size_t len =
          kMinMatch + match_length(in + from + kMinMatch, in + i + kMinMatch, limit - kMinMatch);
      w.put(t.len_bits[len], t.len_nbits[len]);
      const uint8_t dc = t.dist_code[dist <= 256 ? dist - 1 : 256 + ((dist - 1) >> 7)];
      const uint32_t dbits = t.dist_rev[dc] | ((dist - t.dist_base[dc]) << 5);
      w.put(dbits, 5u + t.dist_extra[dc]);
      // Index the match's last position too, so the next repeat of what follows is found.
      if (i + len <= n - kMinMatch && len > 1) {
        table[hash4(load32(in + i + len - 1))] = static_cast<uint16_t>(i + len - 1);
      }
      i += len;
    } else {
      const Code& c = t.litlen[in[i]];
      w.put(c.bits, c.len);
      ++i;
    }
  }
  for (; i < n; ++i) {
    const Code& c = t.litlen[in[i]];
    w.put(c.bits, c.len);
  }
  w.put(t.litlen[256].bits, t.litlen[256].len);  // end of block
  uint8_t* end = w.finish();
  const uint32_t crc = libdeflate_crc32(0, input.data(), n);
  const uint32_t isize = static_cast<uint32_t>(n);
  const uint8_t trailer[8] = {static_cast<uint8_t>(crc),         static_cast<uint8_t>(crc >> 8),
                              static_cast<uint8_t>(crc >> 16),   static_cast<uint8_t>(crc >> 24),
                              static_cast<uint8_t>(isize),       static_cast<uint8_t>(isize >> 8),
                              static_cast<uint8_t>(isize >> 16), static_cast<uint8_t>(isize >> 24)};
  std::memcpy(end, trailer, sizeof trailer);
  end += sizeof trailer;
  out.assign(reinterpret_cast<const char*>(begin), static_cast<size_t>(end - begin));
  scratches().give_back(std::move(scratch));
}

}  // namespace vitals
