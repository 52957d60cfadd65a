#include "collectors/dbus/systemd_units.h"

#include <gtest/gtest.h>

#include <vector>

namespace vitals::dbus {
namespace {

TEST(SystemdUnits, ParseVersion) {
  struct Case {
    const char* in;
    double want;
  } cases[] = {
      {"252.22-1~deb12u1", 252.22},
      {"252", 252},
      {"v245.4-4ubuntu3.15", 245.4},
      {"systemd 12 239", 239},  // the first run of 3+ digits
      {"12.34", 0},             // none
      {"", 0},
      {"249.", 249},  // a dot without digits is not part of it
      {"1234567.8.9", 1234567.8},
  };
  for (const auto& c : cases) EXPECT_DOUBLE_EQ(parse_systemd_version(c.in), c.want) << c.in;
}

TEST(SystemdUnits, FilterAnchorsBothPatternsAndWantsLoaded) {
  UnitFilter f(".+", ".+\\.(automount|device|mount|scope|slice|target)");
  EXPECT_TRUE(f({"ssh.service", "loaded", "active", "/"}));
  EXPECT_FALSE(f({"home.mount", "loaded", "active", "/"}));
  EXPECT_FALSE(f({"ghost.service", "not-found", "inactive", "/"}));
  EXPECT_TRUE(f({"a.mount.service", "loaded", "active", "/"}));  // exclude must match it all

  UnitFilter g("ssh", "");  // include is anchored: "ssh" is not "ssh.service"
  EXPECT_FALSE(g({"ssh.service", "loaded", "active", "/"}));
  EXPECT_TRUE(g({"ssh", "loaded", "active", "/"}));
  UnitFilter h("(ssh|cron)\\..*|x", "cron\\.service");
  EXPECT_TRUE(h({"ssh.socket", "loaded", "active", "/"}));
  EXPECT_FALSE(h({"cron.service", "loaded", "active", "/"}));
  EXPECT_TRUE(h({"x", "loaded", "active", "/"}));
}

TEST(SystemdUnits, SummaryHasTheFiveStatesAndAnyOther) {
  std::vector<UnitStatus> units = {{"a", "loaded", "active", ""},
                                   {"b", "loaded", "active", ""},
                                   {"c", "not-found", "inactive", ""},
                                   {"d", "loaded", "reloading", ""}};
  auto s = summarize_units(units);
  EXPECT_EQ(s.size(), 6u);
  EXPECT_EQ(s["active"], 2);
  EXPECT_EQ(s["inactive"], 1);
  EXPECT_EQ(s["failed"], 0);
  EXPECT_EQ(s["activating"], 0);
  EXPECT_EQ(s["deactivating"], 0);
  EXPECT_EQ(s["reloading"], 1);
}

TEST(SystemdUnits, LogindKnownOrOther) {
  EXPECT_EQ(known_or_other("x11", kSessionTypes), "x11");
  EXPECT_EQ(known_or_other("tty", kSessionTypes), "tty");
  EXPECT_EQ(known_or_other("weird", kSessionTypes), "other");
  EXPECT_EQ(known_or_other("", kSessionTypes), "other");
  EXPECT_EQ(known_or_other("lock-screen", kSessionClasses), "lock-screen");
  EXPECT_EQ(known_or_other("manager", kSessionClasses), "other");
}

}  // namespace
}  // namespace vitals::dbus
