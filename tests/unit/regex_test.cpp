// Regex flags take node_exporter's (Go's RE2) syntax and MatchString semantics.
#include "core/regex.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "collectors/name_cache.h"
#include "collectors/util.h"
#include "core/config.h"
#include "tests/unit/parse_args.h"

namespace vitals {
namespace {

TEST(Regex, PartialMatchAsGoMatchString) {
  Regex re("b+");
  EXPECT_TRUE(re.search("abbc"));
  EXPECT_FALSE(re.search("ac"));
  // Anchored only where the pattern says so.
  EXPECT_TRUE(Regex("^lo$").search("lo"));
  EXPECT_FALSE(Regex("^lo$").search("lo0"));
  EXPECT_TRUE(Regex("lo").search("veth-lo0"));
  // An empty pattern matches everything, as Go's.
  EXPECT_TRUE(Regex("").search("anything"));
  EXPECT_TRUE(Regex("").search(""));
}

TEST(Regex, GoSyntax) {
  // Case-insensitive flag.
  EXPECT_TRUE(Regex("(?i)^LO$").search("lo"));
  EXPECT_FALSE(Regex("(?i)^LO$").search("lo1"));
  // Unicode classes: \pL is any letter, UTF-8 aware.
  Regex letters("^\\pL+$");
  EXPECT_TRUE(letters.search("eth"));
  EXPECT_TRUE(letters.search("\xc3\xa9th"));  // "éth"
  EXPECT_FALSE(letters.search("eth0"));
  EXPECT_TRUE(Regex("^\\p{Greek}$").search("\xce\xb1"));  // "α"
  // Named groups, both spellings Go accepts.
  EXPECT_TRUE(Regex("^(?P<kind>veth|docker)[0-9a-f]+$").search("veth1a2b"));
  EXPECT_FALSE(Regex("^(?P<kind>veth|docker)[0-9a-f]+$").search("eth0"));
  // Perl classes and \b, '.' not matching a newline.
  EXPECT_TRUE(Regex("\\bsd[a-z]\\d+\\b").search("/dev/sda1"));
  EXPECT_FALSE(Regex("^a.b$").search("a\nb"));
  // Go's `(?s)` flag lets '.' match it.
  EXPECT_TRUE(Regex("(?s)^a.b$").search("a\nb"));
}

TEST(Regex, InvalidPatternsSayWhy) {
  EXPECT_EQ(Regex::error("(?i)^LO$"), "");
  EXPECT_NE(Regex::error("(unclosed"), "");
  EXPECT_NE(Regex::error("a**"), "");
  // ECMAScript's lookahead and backreferences are not Go syntax.
  EXPECT_NE(Regex::error("(?=x)"), "");
  EXPECT_NE(Regex::error("(a)\\1"), "");
  EXPECT_THROW(Regex("(unclosed"), std::invalid_argument);
  try {
    Regex bad("(unclosed");
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), Regex::error("(unclosed"));
    EXPECT_NE(std::string(e.what()).find("missing )"), std::string::npos) << e.what();
  }
}

TEST(Regex, LargePatternsCompile) {
  // Too large for the small memory budget (~9000 instructions): compiled with RE2's default.
  const std::string big = "^(x[a-f]y){1000}(x[a-f]y){1000}(x[a-f]y){1000}$";
  EXPECT_EQ(Regex::error(big), "");
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "xay";
  EXPECT_TRUE(Regex(big).search(text));
  EXPECT_FALSE(Regex(big).search(text.substr(3)));
  // Beyond even that, RE2's error.
  EXPECT_EQ(Regex::error("\\pL{500}"), "pattern too large - compile failed");
}

TEST(Regex, UnsetMatchesNothing) {
  Regex none;
  EXPECT_FALSE(static_cast<bool>(none));
  EXPECT_FALSE(none.search("x"));
  EXPECT_EQ(none.pattern(), "");
  EXPECT_TRUE(static_cast<bool>(Regex("")));
  EXPECT_EQ(Regex("a|b").pattern(), "a|b");
}

TEST(Regex, DeviceFilterTakesGoSyntax) {
  DeviceFilter exclude("", "(?i)^LO$");
  EXPECT_TRUE(exclude.ignored("lo"));
  EXPECT_FALSE(exclude.ignored("eth0"));
  DeviceFilter include("^(?P<phys>eth|en)\\w+", "");
  EXPECT_FALSE(include.ignored("eth0"));
  EXPECT_FALSE(include.ignored("enp3s0"));
  EXPECT_TRUE(include.ignored("lo"));
  // With both given the include pattern decides (node_exporter's deviceFilter semantics).
  DeviceFilter both("^eth", "0$");
  EXPECT_FALSE(both.ignored("eth0"));
  DeviceFilter none("", "");
  EXPECT_FALSE(none.ignored("anything"));
}

TEST(Regex, NameCacheFilters) {
  NameCache names(Regex("^(?i:tcp)_"));
  int made = 0;
  auto make = [&](NameCache::Entry& e) {
    ++made;
    e.name = "x";
  };
  EXPECT_TRUE(names.get("Tcp_InSegs", make).keep);
  EXPECT_FALSE(names.get("Udp_InErrors", make).keep);
  EXPECT_TRUE(names.get("Tcp_InSegs", make).keep);
  EXPECT_EQ(made, 1);  // once per distinct kept name
  NameCache all;
  EXPECT_TRUE(all.get("anything", make).keep);
}

TEST(Regex, ConfigAcceptsGoSyntax) {
  auto r = parse_args({"--collector.netdev.device-exclude=(?i)^LO$",
                       "--collector.netclass.ignored-devices=^\\pL+$",
                       "--collector.netstat.fields=^(?P<proto>Tcp|Udp)_.*"});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  EXPECT_EQ(r.config.collector_options.at("netdev").str("device-exclude"), "(?i)^LO$");
  EXPECT_TRUE(r.config.collector_options.at("netdev").regex("device-exclude").search("lo"));
}

TEST(Regex, ConfigRefusesInvalidWithOneLine) {
  auto r = parse_args({"--collector.netdev.device-exclude=(lo"});
  ASSERT_EQ(r.action, ConfigResult::kError);
  EXPECT_EQ(r.text, "flag --collector.netdev.device-exclude: invalid regex \"(lo\": " +
                        Regex::error("(lo"));
  EXPECT_EQ(r.text.find('\n'), std::string::npos) << r.text;
  r = parse_args({"--collector.filesystem.mount-points-exclude=(?=/proc)"});
  ASSERT_EQ(r.action, ConfigResult::kError);
  EXPECT_NE(r.text.find("flag --collector.filesystem.mount-points-exclude: invalid regex"),
            std::string::npos)
      << r.text;
}

}  // namespace
}  // namespace vitals
