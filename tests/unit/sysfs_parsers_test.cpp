// Table-driven tests of the pure parsers behind the sysfs-side collectors (issue 3, part B).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "collectors/procfs/diskstats.h"
#include "collectors/procfs/mdstat.h"
#include "collectors/procfs/mounts.h"
#include "collectors/rootfs/os_release.h"
#include "collectors/sysfs/hwmon.h"
#include "collectors/sysfs/netclass.h"
#include "collectors/sysfs/sysfs.h"

namespace vitals {
namespace {

TEST(SysfsHelpers, ParseIntBase0LikeGo) {
  struct Case {
    const char* in;
    std::optional<int64_t> want;
  } cases[] = {
      {"0", 0},
      {"1500", 1500},
      {"-1", -1},
      {"0x1303", 4867},
      {"0X20", 32},
      {"010", 8},
      {"0o17", 15},
      {"0b101", 5},
      {"+7", 7},
      {"", std::nullopt},
      {"0x", std::nullopt},
      {"12a", std::nullopt},
      {"09", std::nullopt},
      {"1 2", std::nullopt},
      {"9223372036854775807", INT64_MAX},
      {"9223372036854775808", std::nullopt},
      {"-9223372036854775808", INT64_MIN},
  };
  for (const auto& c : cases) EXPECT_EQ(sysfs::parse_int_base0(c.in), c.want) << c.in;
}

TEST(SysfsHelpers, ToValidUtf8ReplacesRunsOnce) {
  struct Case {
    std::string in, want;
  } cases[] = {
      {"plain", "plain"},
      {"LNV-45N1\xc0\xc0", "LNV-45N1\xEF\xBF\xBD"},
      {"a\xff"
       "b\xfe\xfe"
       "c",
       "a\xEF\xBF\xBD"
       "b\xEF\xBF\xBD"
       "c"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},
      {"\xe2\x82", "\xEF\xBF\xBD"},      // truncated 3-byte sequence
      {"\xed\xa0\x80", "\xEF\xBF\xBD"},  // surrogate
  };
  for (const auto& c : cases) EXPECT_EQ(sysfs::to_valid_utf8(c.in), c.want) << c.in;
}

TEST(SysfsHelpers, NumericSuffix) {
  EXPECT_EQ(sysfs::numeric_suffix("cpu12", "cpu"), "12");
  EXPECT_EQ(sysfs::numeric_suffix("cpufreq", "cpu"), std::nullopt);
  EXPECT_EQ(sysfs::numeric_suffix("cpu", "cpu"), std::nullopt);
  EXPECT_EQ(sysfs::numeric_suffix("mc0", "mc"), "0");
  EXPECT_EQ(sysfs::trim_space(" \tx y\n"), "x y");
}

TEST(SysfsHelpers, ListDirFollowsSymlinksAndReadAttrAt) {
  char tmpl[] = "/tmp/vitals-sysfs-XXXXXX";
  ASSERT_TRUE(::mkdtemp(tmpl));
  std::filesystem::path root(tmpl);
  std::filesystem::create_directories(root / "devices" / "eth0");
  std::filesystem::create_directories(root / "class" / "net" / "dmz");
  std::ofstream(root / "devices" / "eth0" / "mtu") << "1500\n";
  std::ofstream(root / "class" / "net" / "bonding_masters") << "dmz\n";
  std::filesystem::create_directory_symlink("../../devices/eth0", root / "class" / "net" / "eth0");
  std::filesystem::create_symlink("../../devices/gone", root / "class" / "net" / "gone");
  std::vector<sysfs::DirEntry> e;
  ASSERT_TRUE(sysfs::list_dir((root / "class" / "net").string(), &e));
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].name, "bonding_masters");
  EXPECT_TRUE(e[0].is_regular);
  EXPECT_EQ(e[1].name, "dmz");
  EXPECT_TRUE(e[1].is_dir);
  EXPECT_EQ(e[2].name, "eth0");
  EXPECT_TRUE(e[2].is_dir && e[2].is_symlink);
  EXPECT_EQ(e[3].name, "gone");
  EXPECT_TRUE(e[3].is_symlink && !e[3].is_dir && !e[3].is_regular);
  // Not following links: symlinks are only symlinks, the rest as before.
  ASSERT_TRUE(sysfs::list_dir((root / "class" / "net").string(), &e, nullptr, false));
  ASSERT_EQ(e.size(), 4u);
  EXPECT_TRUE(e[0].is_regular && !e[0].is_symlink);
  EXPECT_TRUE(e[1].is_dir && !e[1].is_symlink);
  EXPECT_TRUE(e[2].is_symlink && !e[2].is_dir && !e[2].is_regular);
  EXPECT_TRUE(e[3].is_symlink && !e[3].is_dir && !e[3].is_regular);
  int err = 0;
  EXPECT_FALSE(sysfs::list_dir((root / "nope").string(), &e, &err));
  EXPECT_EQ(err, ENOENT);

  int dfd = ::open((root / "class" / "net" / "eth0").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  std::string buf;
  std::string_view v;
  ASSERT_TRUE(sysfs::read_attr_at(dfd, "mtu", &buf, &v, &err));
  EXPECT_EQ(v, "1500\n");
  EXPECT_FALSE(sysfs::read_attr_at(dfd, "speed", &buf, &v, &err));
  EXPECT_EQ(err, ENOENT);
  ::close(dfd);
  std::filesystem::remove_all(root);
}

TEST(Hwmon, ExplodeSensorFilename) {
  struct Case {
    const char* in;
    bool ok;
    const char* type;
    int num;
    const char* prop;
  } cases[] = {
      {"temp1_input", true, "temp", 1, "input"},
      {"temp1_crit_alarm", true, "temp", 1, "crit_alarm"},
      {"pwm1_auto_point1_pwm", true, "pwm", 1, "auto_point1_pwm"},
      {"in0", true, "in", 0, ""},
      {"beep_enable", true, "beep_enable", 0, ""},
      {"fan02_min", true, "fan", 2, "min"},
      {"ab_c1x", true, "ab", 0, "c1x"},  // the regex backtracks to a shorter type
      {"in0x", false, "", 0, ""},
      {"1abc", false, "", 0, ""},
      {"temp1_", false, "", 0, ""},
  };
  for (const auto& c : cases) {
    auto f = sysfs::explode_sensor_filename(c.in);
    ASSERT_EQ(f.has_value(), c.ok) << c.in;
    if (!f) continue;
    EXPECT_EQ(f->type, c.type) << c.in;
    EXPECT_EQ(f->num, c.num) << c.in;
    EXPECT_EQ(f->property, c.prop) << c.in;
  }
}

TEST(Hwmon, CleanMetricName) {
  EXPECT_EQ(sysfs::clean_metric_name("coretemp.0"), "coretemp_0");
  EXPECT_EQ(sysfs::clean_metric_name("Physical id 0"), "physical_id_0");
  EXPECT_EQ(sysfs::clean_metric_name("__x__"), "x");
  EXPECT_EQ(sysfs::clean_metric_name("..."), "");
}

TEST(Hwmon, MetricNaming) {
  struct Case {
    const char* type;
    const char* element;
    bool bare;
    const char* name;
    const char* help;
    double scale;
  } cases[] = {
      {"temp", "input", false, "node_hwmon_temp_celsius",
       "Hardware monitor for temperature (input)", 0.001},
      {"temp", "", false, "node_hwmon_temp_celsius", "Hardware monitor for temperature (input)",
       0.001},
      {"temp", "crit_alarm", false, "node_hwmon_temp_crit_alarm_celsius",
       "Hardware monitor for temperature (crit_alarm)", 0.001},
      {"fan", "input", false, "node_hwmon_fan_rpm",
       "Hardware monitor for fan revolutions per minute (input)", 1},
      {"fan", "alarm", false, "node_hwmon_fan_alarm", "Hardware sensor alarm status (fan)", 1},
      {"fan", "beep", false, "node_hwmon_fan_beep_enabled",
       "Hardware monitor sensor has beeping enabled", 1},
      {"fan", "manual", false, "node_hwmon_fan_manual", "Hardware monitor fan element manual", 1},
      {"in", "input", true, "node_hwmon_in_input_volts", "Hardware monitor for voltage (input)",
       0.001},
      {"power", "average_interval", false, "node_hwmon_power_average_interval_seconds",
       "Hardware monitor power usage update interval (average_interval)", 0.001},
      {"energy", "input", false, "node_hwmon_energy_joule_total",
       "Hardware monitor for joules used so far (input)", 1e-6},
  };
  for (const auto& c : cases) {
    sysfs::HwmonMetric m;
    ASSERT_TRUE(sysfs::hwmon_metric(c.type, c.element, c.bare, &m)) << c.type << c.element;
    EXPECT_EQ(m.name, c.name);
    EXPECT_EQ(m.help, c.help);
    EXPECT_DOUBLE_EQ(m.scale, c.scale);
  }
  sysfs::HwmonMetric m;
  EXPECT_FALSE(sysfs::hwmon_metric("temp", "label", false, &m));
  EXPECT_FALSE(sysfs::hwmon_metric("vrm", "", true, &m));
  EXPECT_TRUE(sysfs::is_hwmon_sensor_type("intrusion"));
  EXPECT_FALSE(sysfs::is_hwmon_sensor_type("name"));
}

TEST(Netclass, AttributesParseAndBadIntegerIsReported) {
  const auto& attrs = sysfs::netclass_attrs();
  auto idx = [&](std::string_view f) {
    for (size_t i = 0; i < attrs.size(); ++i) {
      if (attrs[i].file == f) return i;
    }
    ADD_FAILURE() << f;
    return size_t{0};
  };
  sysfs::NetClassIface n;
  std::string err;
  EXPECT_TRUE(sysfs::set_net_attr(n, idx("flags"), "0x1003", &err));
  EXPECT_EQ(n.flags, 4099);
  EXPECT_TRUE(sysfs::set_net_attr(n, idx("speed"), "-1", &err));
  EXPECT_EQ(n.speed, -1);
  EXPECT_TRUE(sysfs::set_net_attr(n, idx("operstate"), "up", &err));
  EXPECT_EQ(n.operstate, "up");
  EXPECT_FALSE(n.mtu);  // absent stays absent
  EXPECT_FALSE(sysfs::set_net_attr(n, idx("mtu"), "15x0", &err));
  EXPECT_EQ(err, "mtu: invalid integer \"15x0\"");
  EXPECT_FALSE(n.mtu);

  MetricSet out;
  sysfs::NetClassIface a = n;
  a.name = "eth0";
  a.carrier = 0;  // zero is not absent
  std::vector<sysfs::NetClassIface> v{a};
  sysfs::emit_netclass(v, true, out);
  bool carrier = false, speed = false;
  for (const auto& f : out.families()) {
    if (f.name() == "node_network_carrier") carrier = f.size() == 1 && f.samples()[0].value == 0;
    if (f.name() == "node_network_speed_bytes") speed = f.size() > 0;
  }
  EXPECT_TRUE(carrier);
  EXPECT_FALSE(speed);  // -1 is invalid and ignored with ignore_invalid_speed

  // Speed in bytes/s as node_exporter's int64 arithmetic gives it: -1 Mbit/s kept when not
  // ignored, and a speed whose product passes int64 (found by fuzz.sysfs) wrapped as Go wraps it.
  auto speeds = [](std::vector<int64_t> mbits) {
    std::vector<sysfs::NetClassIface> v;
    for (int64_t m : mbits) {
      v.emplace_back().name = "eth" + std::to_string(v.size());
      v.back().speed = m;
    }
    MetricSet o;
    sysfs::emit_netclass(v, false, o);
    std::vector<double> got;
    for (const auto& f : o.families()) {
      if (f.name() != "node_network_speed_bytes") continue;
      for (const auto& smp : f.samples()) got.push_back(smp.value);
    }
    return got;
  };
  EXPECT_EQ(speeds({-1, 10000, 88888888888888888}),
            (std::vector<double>{-125000, 1250000000, -746350289680154688.0}));
}

TEST(Diskstats, ParsesAllKernelLayouts) {
  auto d = procfs::parse_diskstats(
      "   8       0 sda 25354637 34367663 1003346126 18492372 28444756 11134226 505697032 "
      "63877960 0 9653880 82621804\n"
      "   8      16 sdb 326552 841 9657779 84 41822 2895 1972905 5007 0 60730 67070 68851 0 "
      "1925173784 11130\n"
      "   8      32 sdc 126552 141 1657779 14 11822 1895 172905 1007 0 10730 17070 18851 0 "
      "125173784 11130 1555 1944\n");
  ASSERT_TRUE(d.errors.empty()) << d.errors[0].text();
  ASSERT_EQ(d.disks.size(), 3u);
  EXPECT_EQ(d.disks[0].name, "sda");
  EXPECT_EQ(d.disks[0].count, 11);
  EXPECT_EQ(d.disks[1].count, 15);
  EXPECT_EQ(d.disks[2].count, 17);
  EXPECT_EQ(d.disks[2].major, 8u);
  EXPECT_EQ(d.disks[2].minor, 32u);
  EXPECT_DOUBLE_EQ(d.disks[2].stats[16], 1944);
  EXPECT_DOUBLE_EQ(d.disks[0].stats[8], 0);  // io_now 0 is present, not absent
}

TEST(Diskstats, MalformedLinesAreReportedOthersKept) {
  auto d = procfs::parse_diskstats(
      "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
      "8 1 sda1 1 2 3\n"
      "x 2 sda2 1 2 3 4 5 6 7 8 9 10 11\n"
      "8 3 sda3 1 2 3 4 5 6 7 8 9 10 zz\n"
      "8 4\n"
      "8 5 sda5 1 2 3 4 5 6 7 8 9 10 11\n");
  ASSERT_EQ(d.disks.size(), 2u);
  EXPECT_EQ(d.disks[1].name, "sda5");
  ASSERT_EQ(d.errors.size(), 4u);
  EXPECT_NE(d.errors[0].text().find("line 2: expected at least 11 counters, got 3"),
            std::string::npos)
      << d.errors[0].text();
  EXPECT_NE(d.errors[1].text().find("line 3: invalid device number"), std::string::npos)
      << d.errors[1].text();
  EXPECT_NE(d.errors[2].text().find("line 4: invalid counter \"zz\""), std::string::npos)
      << d.errors[2].text();
  EXPECT_NE(d.errors[3].text().find("line 5: expected major, minor and name"), std::string::npos)
      << d.errors[3].text();
}

TEST(Diskstats, UdevProperties) {
  auto p = procfs::parse_udev_properties(
      "S:disk/by-id/wwn-0x7c72382b8de36a64\nE:ID_MODEL=TOSHIBA_KSDB4U86\nE:DM_LV_LAYER=\n"
      "E:ID_FS_VERSION=LVM2 001\nE:BROKEN\nG:systemd\n");
  EXPECT_EQ(p.size(), 3u);
  EXPECT_EQ(p["ID_MODEL"], "TOSHIBA_KSDB4U86");
  EXPECT_EQ(p["ID_FS_VERSION"], "LVM2 001");
  EXPECT_TRUE(p.count("DM_LV_LAYER"));
  EXPECT_EQ(p["DM_LV_LAYER"], "");
}

TEST(Mdstat, StatesAndCounts) {
  auto m = procfs::parse_mdstat(
      "Personalities : [raid1] [raid6]\n"
      "md3 : active raid6 sda1[8] sdh1[7] sdd1[10](S) sdd2[11](S)\n"
      "      5853468288 blocks super 1.2 level 6, 64k chunk, algorithm 2 [8/8] [UUUUUUUU]\n"
      "\n"
      "md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]\n"
      "      195310144 blocks [2/1] [U_]\n"
      "      [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min\n"
      "\n"
      "md7 : active raid6 sdb1[0] sde1[3] sdd1[2] sdc1[1](F)\n"
      "      7813735424 blocks super 1.2 level 6, 512k chunk, algorithm 2 [4/3] [U_UU]\n"
      "      bitmap: 0/30 pages [0KB], 65536KB chunk\n"
      "\n"
      "md11 : active (auto-read-only) raid1 sdb2[0] sdc2[1] sdc3[2](F)\n"
      "      4190208 blocks super 1.2 [2/2] [UU]\n"
      "      resync=PENDING\n"
      "\n"
      "md10 : active raid0 sda1[0] sdb1[1]\n"
      "       314159265 blocks 64k chunks\n"
      "\n"
      "md219 : inactive sdb[2](S) sdc[1](S) sda[0](S)\n"
      "        7932 blocks super external:imsm\n"
      "\n"
      "unused devices: <none>\n");
  ASSERT_TRUE(m.errors.empty()) << m.errors[0].text();
  ASSERT_EQ(m.devices.size(), 6u);
  const auto& md3 = m.devices[0];
  EXPECT_EQ(md3.activity_state, "active");
  EXPECT_EQ(md3.disks_total, 8);
  EXPECT_EQ(md3.disks_active, 8);
  EXPECT_EQ(md3.disks_spare, 2);
  EXPECT_EQ(md3.blocks_synced, 5853468288);
  const auto& md6 = m.devices[1];
  EXPECT_EQ(md6.activity_state, "recovering");
  EXPECT_EQ(md6.disks_active, 1);
  EXPECT_EQ(md6.disks_failed, 1);
  EXPECT_EQ(md6.blocks_synced, 16775552);
  EXPECT_EQ(m.devices[2].activity_state, "active");  // the bitmap line is not a sync line
  EXPECT_EQ(m.devices[2].blocks_synced, 7813735424);
  EXPECT_EQ(m.devices[3].activity_state, "resyncing");
  EXPECT_EQ(m.devices[3].blocks_synced, 0);
  EXPECT_EQ(m.devices[4].disks_total, 2);  // raid0 counts its members
  EXPECT_EQ(m.devices[5].activity_state, "inactive");
  EXPECT_EQ(m.devices[5].disks_total, 0);
  EXPECT_EQ(m.devices[5].disks_spare, 3);
}

TEST(Mdstat, BadDeviceIsReportedOthersKept) {
  auto m = procfs::parse_mdstat(
      "md0 : active raid1 sda[0] sdb[1]\n"
      "      notanumber blocks [2/2] [UU]\n"
      "\n"
      "md1 : active raid1 sda[0] sdb[1]\n"
      "      100 blocks [2/2] [UU]\n"
      "\n"
      "md2 : active raid1 sda[0]\n"
      "      100 blocks no status\n"
      "\n"
      "md3 : active raid1 sda[0]\n"
      "      100 blocks [1/1] [U]\n"
      "      [=>..]  resync = 1% (garbage)\n"
      "\n"
      "unused devices: <none>\n");
  ASSERT_EQ(m.devices.size(), 1u);
  EXPECT_EQ(m.devices[0].name, "md1");
  ASSERT_EQ(m.errors.size(), 3u);
  EXPECT_NE(m.errors[0].text().find("line 1: invalid block count \"notanumber\" for md0"),
            std::string::npos)
      << m.errors[0].text();
  EXPECT_NE(m.errors[1].text().find("line 7: no [total/active] [U_] status for md2"),
            std::string::npos)
      << m.errors[1].text();
  EXPECT_NE(m.errors[2].text().find("line 10: invalid sync line"), std::string::npos)
      << m.errors[2].text();
}

TEST(Mounts, ParsesEscapesAndOptions) {
  auto m = procfs::parse_mounts(
      "/dev/vda / ext4 rw,relatime 0 0\n"
      "server:/x /mnt/with\\040space nfs4 ro,noatime 0 0\n"
      "broken line\n"
      "tmpfs /tab\\011ed tmpfs rw 0 0\n");
  ASSERT_EQ(m.mounts.size(), 3u);
  EXPECT_EQ(m.mounts[1].mount_point, "/mnt/with space");
  EXPECT_EQ(m.mounts[1].fs_type, "nfs4");
  EXPECT_EQ(m.mounts[2].mount_point, "/tab\ted");
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_NE(m.errors[0].text().find("line 3: malformed mount point information"),
            std::string::npos);
  EXPECT_TRUE(procfs::mount_read_only("ro,noatime"));
  EXPECT_TRUE(procfs::mount_read_only("noatime,ro"));
  EXPECT_FALSE(procfs::mount_read_only("rw,errors=remount-ro"));
  EXPECT_EQ(procfs::strip_rootfs("/host/var", "/host"), "/var");
  EXPECT_EQ(procfs::strip_rootfs("/host", "/host"), "/");
  EXPECT_EQ(procfs::strip_rootfs("/var", "/"), "/var");
}

TEST(OsRelease, QuotesEscapesAndErrors) {
  auto r = rootfs::parse_os_release(
      "NAME=\"Ubuntu\"\n"
      "# a comment\n"
      "\n"
      "ID=ubuntu\n"
      "PRETTY_NAME='Debian GNU/Linux 12 (bookworm)'\n"
      "VERSION=\"say \\\"hi\\\" \\\\ \\$x\"\n"
      "garbage line\n"
      "BAD=\"unterminated\n"
      "VERSION_ID=\"20.04\"\n");
  EXPECT_EQ(r.fields["NAME"], "Ubuntu");
  EXPECT_EQ(r.fields["ID"], "ubuntu");
  EXPECT_EQ(r.fields["PRETTY_NAME"], "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(r.fields["VERSION"], "say \"hi\" \\ $x");
  EXPECT_EQ(r.fields["VERSION_ID"], "20.04");
  EXPECT_FALSE(r.fields.count("BAD"));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].text().find("line 7: expected KEY=value"), std::string::npos)
      << r.errors[0].text();
  EXPECT_NE(r.errors[1].text().find("line 8: unterminated quote for BAD"), std::string::npos);
  EXPECT_DOUBLE_EQ(rootfs::os_version_number("20.04"), 20.04);
  EXPECT_DOUBLE_EQ(rootfs::os_version_number("12"), 12);
  EXPECT_DOUBLE_EQ(rootfs::os_version_number("22.04.1"), 22.04);
  EXPECT_DOUBLE_EQ(rootfs::os_version_number("rolling"), 0);
}

}  // namespace
}  // namespace vitals
