#include "collectors/services/ntp_packet.h"

#include <algorithm>

namespace vitals::ntp {
namespace {

constexpr int64_t kNtpToUnix = 2208988800;  // seconds from 1900 to 1970
constexpr int64_t kSecond = 1000000000;
constexpr int64_t kDay = 86400 * kSecond;
constexpr int64_t kMaxPollInterval = (int64_t{1} << 17) * kSecond;  // beevik/ntp: ~36 h
constexpr int64_t kMaxDispersion = 16 * kSecond;
constexpr int kMaxStratum = 16;

uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint64_t be64(const uint8_t* p) {
  return uint64_t{be32(p)} << 32 | be32(p + 4);
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::array<uint8_t, kPacketSize> request(int version, uint64_t marker) {
  std::array<uint8_t, kPacketSize> b{};
  b[0] = static_cast<uint8_t>((version & 7) << 3 | 3);  // leap 0, mode 3 (client)
  for (int i = 0; i < 8; ++i) b[40 + i] = static_cast<uint8_t>(marker >> (56 - 8 * i));
  return b;
}

std::optional<Packet> parse(std::string_view bytes, std::string* error) {
  if (bytes.size() < kPacketSize) {
    if (error) *error = "reply is " + std::to_string(bytes.size()) + " bytes, want 48";
    return std::nullopt;
  }
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  Packet p;
  p.leap = b[0] >> 6;
  p.version = (b[0] >> 3) & 7;
  p.mode = b[0] & 7;
  p.stratum = b[1];
  p.root_delay = be32(b + 4);
  p.root_dispersion = be32(b + 8);
  p.reference_id = be32(b + 12);
  p.reference_time = be64(b + 16);
  p.origin_time = be64(b + 24);
  p.receive_time = be64(b + 32);
  p.transmit_time = be64(b + 40);
  return p;
}

int64_t unix_nanos(uint64_t t) {
  int64_t sec = static_cast<int64_t>(t >> 32);
  int64_t frac = static_cast<int64_t>(((t & 0xffffffffu) * uint64_t{1000000000}) >> 32);
  return (sec - kNtpToUnix) * kSecond + frac;
}

int64_t short_nanos(uint32_t t) {
  int64_t sec = t >> 16;
  int64_t frac = static_cast<int64_t>((uint64_t{t & 0xffffu} * 1000000000) >> 16);
  return sec * kSecond + frac;
}

std::optional<Result> evaluate(const Packet& p, uint64_t marker, int64_t t1, int64_t t4,
                               const Options& o, int64_t* leap_midnight, std::string* error) {
  auto fail = [&](const char* what) {
    if (error) *error = what;
    return std::nullopt;
  };
  if (p.mode != 4) return fail("invalid mode in response");
  if (p.transmit_time == 0) return fail("invalid transmit time in response");
  if (p.origin_time != marker) return fail("server response mismatch");
  if (p.receive_time > p.transmit_time) return fail("server clock ticked backwards");

  int64_t t2 = unix_nanos(p.receive_time);
  int64_t t3 = unix_nanos(p.transmit_time);
  int64_t ref = unix_nanos(p.reference_time);
  int64_t root_delay = short_nanos(p.root_delay);
  int64_t root_disp = short_nanos(p.root_dispersion);
  int64_t rtt = std::max<int64_t>((t4 - t1) - (t3 - t2), 0);
  int64_t offset = ((t2 - t1) + (t3 - t4)) / 2;
  int64_t min_error = std::max<int64_t>(t1 >= t2 ? t1 - t2 : 0, t3 >= t4 ? t3 - t4 : 0);
  int64_t root_distance = (rtt + root_delay) / 2 + root_disp;

  Result r;
  r.stratum = p.stratum;
  r.leap = p.leap;
  r.rtt = static_cast<double>(rtt) / 1e9;
  r.offset = static_cast<double>(offset) / 1e9;
  r.reference_time = ref >= kSecond ? static_cast<double>(ref) / 1e9 : 0;
  r.root_delay = static_cast<double>(root_delay) / 1e9;
  r.root_dispersion = static_cast<double>(root_disp) / 1e9;

  // RFC 5905 heuristics as beevik/ntp's Response.Validate.
  bool valid = p.stratum != 0 && p.stratum < kMaxStratum && p.leap != 3 &&
               t3 - ref <= kMaxPollInterval && root_delay / 2 + root_disp <= kMaxDispersion &&
               t3 >= ref;
  int64_t max_error = o.offset_tolerance_ns;
  if (p.leap == 1 || p.leap == 2) *leap_midnight = (floor_div(t3, kDay) + 1) * kDay;
  if (*leap_midnight != 0 && *leap_midnight - kDay < t3 && t3 < *leap_midnight + kDay) {
    max_error += kSecond;  // tolerate leap smearing
  }
  r.sane = valid && root_distance <= o.max_distance_ns && min_error <= max_error;
  return r;
}

}  // namespace vitals::ntp
