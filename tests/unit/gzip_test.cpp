// gzip_compress: every output, at the default level 1 (ISA-L igzip) and at libdeflate's levels,
// must inflate (with zlib, as HTTP clients do) to exactly the input.
#include <zlib.h>

#include <random>
#include <string>

#include "exporter/gzip.h"
#include "gtest/gtest.h"

namespace vitals {
namespace {

// Inflates a gzip member with zlib; fails the test on any zlib error or trailing garbage.
std::string gunzip(const std::string& z) {
  z_stream s{};
  EXPECT_EQ(inflateInit2(&s, 16 + MAX_WBITS), Z_OK);
  std::string out(1 << 22, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  s.avail_in = static_cast<uInt>(z.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&s, Z_FINISH), Z_STREAM_END) << (s.msg ? s.msg : "");
  EXPECT_EQ(s.avail_in, 0u) << "bytes after the gzip trailer";
  out.resize(s.total_out);
  inflateEnd(&s);
  return out;
}

TEST(Gzip, EmptyAndTinyInputs) {
  for (int level : {1, 6}) {
    for (std::string in : {"", "a", "ab", "abc", "abcd", "aaaaa", "# HELP x\n"}) {
      std::string z;
      ASSERT_TRUE(gzip_compress(in, level, z));
      EXPECT_EQ(gunzip(z), in);
    }
  }
}

TEST(Gzip, RoundTripsVariedInputsAtLevelOne) {
  std::mt19937 rng(42);
  for (int k = 0; k < 150; ++k) {
    // Sizes up to past the 32 KiB window, so distances near and at the limit occur.
    size_t n = rng() % 80000;
    std::string in(n, '\0');
    switch (k % 5) {
      case 0:  // incompressible: igzip must fall back to stored blocks within its bound
        for (auto& c : in) c = static_cast<char>(rng());
        break;
      case 1:  // tiny alphabet: short matches at every distance
        for (auto& c : in) c = static_cast<char>('a' + rng() % 3);
        break;
      case 2:  // one byte repeated: overlapping matches at distance 1, maximum lengths
        in.assign(n, 'x');
        break;
      case 3:  // a block repeated at a distance of exactly the window
        for (size_t i = 0; i < n; ++i) {
          in[i] = i < 32768 ? static_cast<char>(rng()) : in[i - 32768];
        }
        break;
      default:  // exposition-like text
        in.clear();
        while (in.size() < n) {
          in += "node_network_receive_bytes_total{device=\"eth" + std::to_string(rng() % 50) +
                "\"} " + std::to_string(rng()) + "\n";
        }
    }
    std::string z;
    ASSERT_TRUE(gzip_compress(in, 1, z)) << "case " << k << ", " << n << " bytes";
    ASSERT_EQ(gunzip(z), in) << "case " << k << ", " << n << " bytes";
    // Stored blocks: 5 bytes per 64 KiB, the gzip header and trailer.
    ASSERT_LE(z.size(), n + (n / 65535 + 1) * 5 + 64);
  }
}

TEST(Gzip, CompressesExpositionText) {
  std::string in;
  for (int i = 0; i < 2000; ++i) {
    in +=
        "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
        "node_cpu_seconds_total{cpu=\"" +
        std::to_string(i) + "\",mode=\"idle\"} " + std::to_string(i * 1234.5) + "\n";
  }
  for (int level : {1, 6}) {
    std::string z;
    ASSERT_TRUE(gzip_compress(in, level, z));
    EXPECT_EQ(gunzip(z), in);
    EXPECT_LT(z.size() * 5, in.size()) << "level " << level;  // at least 5:1 on repetitive text
  }
}

TEST(Gzip, ReusesPooledStateAcrossCalls) {
  // The igzip state is lent out and given back: a second, different body must not carry
  // anything of the first.
  std::string a(50000, 'a'), b = "# HELP y\n" + std::string(70000, 'b'), za, zb;
  ASSERT_TRUE(gzip_compress(a, 1, za));
  ASSERT_TRUE(gzip_compress(b, 1, zb));
  EXPECT_EQ(gunzip(za), a);
  EXPECT_EQ(gunzip(zb), b);
}

}  // namespace
}  // namespace vitals
