// Label values that are not UTF-8 (model/utf8.h). Found by the netlink_link fuzz target
// (docs/fuzzing.md): an interface named "veth\xff\xff`" (the kernel allows any byte but '/',
// ':', whitespace and NUL in a name) came out as a device label Prometheus refuses, failing the
// whole scrape; mount points and OTLP protobuf strings could do the same.
#include <gtest/gtest.h>

#include <vector>

#include "collectors/sysfs/netclass.h"
#include "model/metric.h"
#include "model/utf8.h"

namespace vitals {
namespace {

TEST(Utf8, CheckAndRepair) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("plain ascii, longer than eight bytes"));
  EXPECT_TRUE(is_utf8("caf\u00e9 \u2603 \U0001F600"));
  EXPECT_FALSE(is_utf8("0123456789\x80"));
  EXPECT_FALSE(is_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_utf8("\xe2\x82"));          // cut short
  EXPECT_EQ(to_utf8("a\xff\xfe\xfd"
                    "b\xe2\x82"),
            "a\uFFFDb\uFFFD");
  EXPECT_EQ(to_utf8("caf\u00e9"), "caf\u00e9");
}

TEST(Utf8, FamilyStoresLabelValuesRepaired) {
  Family f("x", "help", MetricType::kGauge);
  const Sample& s = f.add({{"device", "veth\xff\xff`"}, {"ok", "fine"}}, 1);
  EXPECT_EQ(f.label(s, 0).value, "veth\uFFFD`");
  EXPECT_EQ(f.label(s, 1).value, "fine");
}

TEST(Utf8, NetclassDeviceLabelIsUtf8) {
  std::vector<sysfs::NetClassIface> ifaces(1);
  ifaces[0].name = "veth\xff\xff`";
  ifaces[0].operstate = "up";
  MetricSet out;
  sysfs::emit_netclass(ifaces, false, out);
  size_t checked = 0;
  for (const Family& f : out.families()) {
    for (const Sample& s : f.samples()) {
      std::string_view v;
      ASSERT_TRUE(f.find_label(s, "device", &v));
      EXPECT_EQ(v, "veth\uFFFD`");
      ++checked;
    }
  }
  EXPECT_GE(checked, 2u);  // node_network_up and node_network_info
}

}  // namespace
}  // namespace vitals
