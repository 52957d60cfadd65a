// node_exporter's ethtool statistic names and the string-table reduction, on bytes.
#include <gtest/gtest.h>
#include <linux/ethtool.h>

#include <cstring>
#include <vector>

#include "collectors/net/ethtool_stats.h"

namespace vitals::net {
namespace {

TEST(EthtoolStats, MetricNames) {
  struct {
    const char* stat;
    const char* want;
  } cases[] = {
      {"peer_ifindex", "node_ethtool_peer_ifindex"},
      {"rx_queue_0_xdp_packets", "node_ethtool_received_queue_0_xdp_packets"},
      {"tx_queue_0_xdp_xmit", "node_ethtool_transmitted_queue_0_xdp_xmit"},
      {"rx-bytes", "node_ethtool_received_bytes"},
      {"port.rx_dropped", "node_ethtool_port_received_dropped"},
      {"__Rx_Prio0_Bytes", "node_ethtool_received_prio0_bytes"},
      {"a_-_-b", "node_ethtool_a__b"},
      {"rxx_tx", "node_ethtool_rxx_transmitted"},
      {"a_rx_rx_b", "node_ethtool_a_received_rx_b"},
      {"tx", "node_ethtool_transmitted"},
      {"vf 0 rx.bytes", "node_ethtool_vf_0_received_bytes"},
  };
  for (const auto& c : cases) EXPECT_EQ(ethtool_metric_name(c.stat), c.want) << c.stat;
  EXPECT_EQ(sanitize_metric_name("a__-b__c"), "a_b__c");
}

TEST(EthtoolStats, StringTable) {
  std::vector<uint8_t> strings(4 * ETH_GSTRING_LEN, 0);
  std::memcpy(&strings[0], "rx_packets", 10);
  // slot 1 empty: dropped
  std::memset(&strings[2 * ETH_GSTRING_LEN], 'x', ETH_GSTRING_LEN);  // fills the slot, no NUL
  std::memcpy(&strings[3 * ETH_GSTRING_LEN], "rx_packets", 10);      // again: the later wins
  auto m = ethtool_stat_indexes(strings, 4);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], (std::pair<std::string, uint32_t>{"rx_packets", 3}));
  EXPECT_EQ(m[1], (std::pair<std::string, uint32_t>{std::string(ETH_GSTRING_LEN, 'x'), 2}));
  // Only the first n slots count (a short GSTATS answer), and n past the table is cut to it.
  auto first = ethtool_stat_indexes(strings, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], (std::pair<std::string, uint32_t>{"rx_packets", 0}));
  EXPECT_EQ(ethtool_stat_indexes(strings, 99).size(), 2u);
  EXPECT_TRUE(ethtool_stat_indexes({}, 4).empty());
}

}  // namespace
}  // namespace vitals::net
