#include "collectors/services/runit_status.h"

namespace vitals::runit {

std::optional<Status> parse_status(std::string_view b, std::string* error) {
  if (b.size() < kStatusSize) {
    if (error) {
      *error =
          "status is " + std::to_string(b.size()) + " bytes, want " + std::to_string(kStatusSize);
    }
    return std::nullopt;
  }
  auto byte = [&](size_t i) { return static_cast<uint8_t>(b[i]); };
  uint64_t tai = 0;
  for (size_t i = 0; i < 8; ++i) tai = (tai << 8) | byte(i);
  // TAI64: 2^62 + seconds since 1970 TAI; runit's labels carry the 10 s TAI-UTC offset of 1970,
  // which node_exporter (go-runit) subtracts as well.
  constexpr uint64_t kOffset = (uint64_t{1} << 62) + 10;
  Status s;
  s.timestamp = static_cast<int64_t>(tai - kOffset);
  s.pid = uint32_t{byte(12)} | uint32_t{byte(13)} << 8 | uint32_t{byte(14)} << 16 |
          uint32_t{byte(15)} << 24;
  s.paused = byte(16) != 0;
  s.want = b[17] == 'u' ? 1 : 0;
  s.state = byte(19);
  return s;
}

}  // namespace vitals::runit
