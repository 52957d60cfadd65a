// One SNTP exchange (RFC 5905 packet format, 48 bytes) as node_exporter 1.5.0's ntp collector
// makes it (github.com/beevik/ntp): the request, the parse of the reply and what is derived from
// it (offset, round trip, root distance, the RFC 5905 sanity heuristics). Pure: bytes and times
// in, values out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vitals::ntp {

inline constexpr size_t kPacketSize = 48;

struct Packet {
  int leap = 0;  // 0 none, 1 add a second, 2 delete one, 3 not synchronised
  int version = 0;
  int mode = 0;  // 4: server
  int stratum = 0;
  uint32_t root_delay = 0;       // NTP short format (16.16 seconds)
  uint32_t root_dispersion = 0;  // NTP short format
  uint32_t reference_id = 0;
  uint64_t reference_time = 0;  // NTP timestamps (32.32 seconds since 1900)
  uint64_t origin_time = 0;
  uint64_t receive_time = 0;
  uint64_t transmit_time = 0;
};

// A client request (mode 3) of NTP `version` whose transmit timestamp is `marker` (a random
// value the reply must echo as its origin timestamp).
std::array<uint8_t, kPacketSize> request(int version, uint64_t marker);

// The reply in `bytes`, or nullopt with *error when it is shorter than a packet.
std::optional<Packet> parse(std::string_view bytes, std::string* error);

// Unix nanoseconds of an NTP timestamp / nanoseconds of an NTP short-format interval.
int64_t unix_nanos(uint64_t ntp_timestamp);
int64_t short_nanos(uint32_t ntp_short);

struct Options {
  int64_t max_distance_ns = 3466080000;   // --collector.ntp.max-distance
  int64_t offset_tolerance_ns = 1000000;  // --collector.ntp.local-offset-tolerance
};

struct Result {
  int stratum = 0;
  int leap = 0;
  double rtt = 0;             // seconds
  double offset = 0;          // seconds, server clock minus local clock
  double reference_time = 0;  // Unix seconds; 0 for a reference time before 1970
  double root_delay = 0;
  double root_dispersion = 0;
  bool sane = false;
};

// Checks the reply as beevik/ntp does (server mode, a transmit time, the echoed `marker`, no
// clock running backwards; nullopt with *error otherwise) and derives the metrics. `sent_ns`
// and `received_ns` are the local Unix times of the request and the reply. `leap_midnight_ns`
// carries the midnight after an announced leap second from one exchange to the next (0: none):
// near it the offset tolerance grows by a second, for leap smearing.
std::optional<Result> evaluate(const Packet& p, uint64_t marker, int64_t sent_ns,
                               int64_t received_ns, const Options& o, int64_t* leap_midnight_ns,
                               std::string* error);

}  // namespace vitals::ntp
