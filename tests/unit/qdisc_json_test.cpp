// node_exporter's qdisc fixture JSON: keys in any case, absent keys 0, a bad element skipped
// with an item error, a document that is not an array one error.
#include <gtest/gtest.h>

#include "collectors/net/qdisc_json.h"

namespace vitals::net {
namespace {

TEST(QdiscJson, Parses) {
  auto r = parse_qdisc_json(R"([
    {"IfaceName": "wlan0", "Bytes": 42, "Packets": 42, "Requeues": 1, "Kind": "fq", "Drops": 1},
    {"ifacename": "eth0", "bytes": 83, "parent": 65537, "kind": "pfifo_fast", "qlen": 3},
    {"IfaceName": "bad", "Bytes": "many"},
    7
  ])");
  ASSERT_EQ(r.qdiscs.size(), 2u);
  EXPECT_EQ(r.qdiscs[0].iface, "wlan0");
  EXPECT_EQ(r.qdiscs[0].kind, "fq");
  EXPECT_EQ(r.qdiscs[0].bytes, 42u);
  EXPECT_EQ(r.qdiscs[0].drops, 1u);
  EXPECT_EQ(r.qdiscs[0].overlimits, 0u);
  EXPECT_EQ(r.qdiscs[1].iface, "eth0");
  EXPECT_EQ(r.qdiscs[1].parent, 65537u);
  EXPECT_EQ(r.qdiscs[1].qlen, 3u);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].text().find("qdisc 3: a value of the wrong type"), std::string::npos);
  EXPECT_NE(r.errors[1].text().find("qdisc 4: not an object"), std::string::npos);
}

TEST(QdiscJson, NotAnArray) {
  auto r = parse_qdisc_json(R"({"IfaceName": "x"})");
  EXPECT_TRUE(r.qdiscs.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(parse_qdisc_json("[1,").errors.size() == 1u);
}

}  // namespace
}  // namespace vitals::net
