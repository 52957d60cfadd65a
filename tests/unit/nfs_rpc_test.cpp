// /proc/net/rpc/nfs{,d} parser: lines of numbers (integers and the "th" line's decimals), a
// bad value that drops its line with an item error, and the procN count check.
#include <gtest/gtest.h>

#include "collectors/procfs/nfs_rpc.h"

namespace vitals::procfs {
namespace {

TEST(NfsRpc, ParsesLinesAndReportsBadOnes) {
  RpcStats s;
  parse_rpc_stats(
      "net 70 70 69 45\n"
      "rpc 1218785755 x 1218815394\n"
      "th 8 0 0.000 1.500\n"
      "proc2 3 1 2 3\n"
      "proc3 4 1 2 3\n"
      "empty\n",
      s);
  ASSERT_EQ(s.lines.size(), 4u);
  const auto* net = s.find("net");
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(std::vector<double>(s.of(*net).begin(), s.of(*net).end()),
            (std::vector<double>{70, 70, 69, 45}));
  EXPECT_EQ(s.find("rpc"), nullptr);
  EXPECT_EQ(s.of(*s.find("th"))[3], 1.5);
  ASSERT_EQ(s.errors.size(), 2u);
  EXPECT_NE(s.errors[0].text().find("line 2: invalid number \"x\""), std::string::npos)
      << s.errors[0].text();
  EXPECT_NE(s.errors[1].text().find("line 6: no values"), std::string::npos);

  parse::ParseErrors errors;
  auto p2 = rpc_procedures(s, *s.find("proc2"), 3, errors);
  EXPECT_EQ(std::vector<double>(p2.begin(), p2.end()), (std::vector<double>{1, 2, 3}));
  EXPECT_TRUE(rpc_procedures(s, *s.find("proc3"), 3, errors).empty());   // count 4, 3 values
  EXPECT_TRUE(rpc_procedures(s, *s.find("proc2"), 18, errors).empty());  // fewer than 18
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].text().find("line 5: invalid proc3 line"), std::string::npos)
      << errors[0].text();
}

TEST(NfsRpc, ReusesStorage) {
  RpcStats s;
  parse_rpc_stats("a 1\nb 2 3\n", s);
  parse_rpc_stats("c 4\n", s);
  ASSERT_EQ(s.lines.size(), 1u);
  EXPECT_EQ(s.of(s.lines[0])[0], 4);
  EXPECT_TRUE(s.errors.empty());
}

}  // namespace
}  // namespace vitals::procfs
