// Connection counts per (port, state) for one direction of the sockets collector, with the
// cardinality cap: the busiest max_ports ports keep their own series, the rest fold into
// port="other". Counting is one array index per socket; the table is reused across scrapes, so
// memory follows the number of distinct ports, not of sockets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vitals::net {

class PortCounts {
 public:
  static constexpr int kStates = 16;  // indexed by kernel state; 0 and 12..15 are "unknown"
  static constexpr int kOther = -1;

  struct Row {
    int port = 0;  // kOther for the folded rest
    std::array<uint32_t, kStates> states{};
    uint64_t total() const;
  };

  PortCounts() : index_(65536, 0) {}

  void clear();
  // Makes a row for `port` even with no connection (listening ports show established 0).
  void touch(uint16_t port) { slot(port); }
  void add(uint16_t port, uint8_t state) { slot(port).states[state < kStates ? state : 0]++; }

  size_t ports() const { return rows_.size(); }
  // The rows to publish: the max_ports busiest ports (most connections first, then lower port)
  // and, if any port was left over, one kOther row summing them. max_ports 0 means no cap.
  void top(size_t max_ports, std::vector<Row>* out) const;

 private:
  Row& slot(uint16_t port) {
    uint32_t& i = index_[port];
    if (i == 0) {
      rows_.emplace_back().port = port;
      i = static_cast<uint32_t>(rows_.size());
    }
    return rows_[i - 1];
  }

  std::vector<uint32_t> index_;  // port -> row index + 1; 0 = no row
  std::vector<Row> rows_;
};

}  // namespace vitals::net
