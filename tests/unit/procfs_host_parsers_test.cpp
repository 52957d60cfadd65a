// Table-driven tests of the /proc parsers behind the host collectors (arp, cgroups, conntrack,
// cpu, filefd, interrupts, netdev, netstat, pressure, processes, schedstat, sockstat, softnet,
// udp_queues, vmstat): good input, absent fields, and malformed lines (the bad line is reported
// with its number, the rest is kept).
#include <gtest/gtest.h>

#include "collectors/procfs/arp.h"
#include "collectors/procfs/cgroups.h"
#include "collectors/procfs/conntrack_stat.h"
#include "collectors/procfs/cpuinfo.h"
#include "collectors/procfs/interrupts.h"
#include "collectors/procfs/keyvalue.h"
#include "collectors/procfs/netdev.h"
#include "collectors/procfs/netmisc.h"
#include "collectors/procfs/netstat.h"
#include "collectors/procfs/pid_files.h"
#include "collectors/procfs/pressure.h"
#include "collectors/procfs/schedstat.h"

namespace vitals::procfs {
namespace {

bool has(const parse::ParseErrors& errors, size_t i, std::string_view part) {
  return i < errors.size() && errors[i].text().find(part) != std::string::npos;
}

TEST(Arp, CountsPerDeviceAndReportsBadLines) {
  auto a = parse_arp(
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "192.168.1.1    0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0\n"
      "192.168.1.4    0x1         0x2         dd:ee:ff:aa:bb:cc     *        eth1\n"
      "192.168.1.9    0x1         0x2\n"
      "192.168.1.2    0x1         0x2         bb:cc:dd:ee:ff:aa     *        eth0\n");
  ASSERT_EQ(a.devices.size(), 2u);
  EXPECT_EQ(a.devices[0].device, "eth0");
  EXPECT_EQ(a.devices[0].entries, 2);
  EXPECT_EQ(a.devices[1].device, "eth1");
  EXPECT_EQ(a.devices[1].entries, 1);
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_TRUE(has(a.errors, 0, "line 4: expected 6 fields, got 3")) << a.errors[0].text();
}

TEST(Arp, HeaderOnlyIsEmpty) {
  EXPECT_TRUE(parse_arp("IP address HW type Flags HW address Mask Device\n").devices.empty());
}

TEST(Cgroups, Parses) {
  auto c = parse_cgroups(
      "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
      "cpuset\t5\t47\t1\n"
      "memory\t7\t234\t0\n"
      "bad\t1\tx\t1\n"
      "short\t1\n");
  ASSERT_EQ(c.subsystems.size(), 2u);
  EXPECT_EQ(c.subsystems[1].subsys_name, "memory");
  EXPECT_EQ(c.subsystems[1].num_cgroups, 234);
  EXPECT_EQ(c.subsystems[1].enabled, 0);
  ASSERT_EQ(c.errors.size(), 2u);
  EXPECT_TRUE(has(c.errors, 0, "line 4: invalid number"));
  EXPECT_TRUE(has(c.errors, 1, "line 5: expected 4 fields"));
}

TEST(ConntrackStat, SumsHexColumnsByHeaderName) {
  auto s = parse_conntrack_stat(
      "entries  searched found new invalid ignore delete delete_list insert insert_failed drop "
      "early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
      "00000021  00000000 00000001 00000000 00000003 0000588a 00000000 00000000 00000000 "
      "00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n"
      "00000021  00000000 00000002 00000000 0000002f 00005688 00000000 00000000 00000000 "
      "00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000004\n");
  EXPECT_TRUE(s.errors.empty());
  EXPECT_EQ(*s.found, 3);
  EXPECT_EQ(*s.invalid, 3 + 0x2f);
  EXPECT_EQ(*s.ignore, 0x588a + 0x5688);
  EXPECT_EQ(*s.search_restart, 4);
  EXPECT_EQ(*s.drop, 0);  // zero, not absent
}

TEST(ConntrackStat, OldKernelColumnsAndBadLines) {
  // Older kernels have no search_restart column; it stays absent.
  auto s = parse_conntrack_stat(
      "entries found invalid\n"
      "00000001 00000002 00000003\n"
      "00000001 zz 00000003\n"
      "00000001 00000002\n"
      "00000001 00000005 00000001\n");
  EXPECT_EQ(*s.found, 7);
  EXPECT_EQ(*s.invalid, 4);
  EXPECT_FALSE(s.search_restart);
  ASSERT_EQ(s.errors.size(), 2u);
  EXPECT_TRUE(has(s.errors, 0, "line 3: expected 3 hex counters")) << s.errors[0].text();
  EXPECT_TRUE(has(s.errors, 1, "line 4"));
}

TEST(Cpuinfo, ParsesBlocksFlagsAndBugs) {
  auto c = parse_cpuinfo(
      "processor\t: 0\n"
      "vendor_id\t: GenuineIntel\n"
      "cpu family\t: 6\n"
      "model\t\t: 142\n"
      "model name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz\n"
      "stepping\t: 10\n"
      "microcode\t: 0xb4\n"
      "cache size\t: 8192 KB\n"
      "physical id\t: 0\n"
      "core id\t\t: 3\n"
      "flags\t\t: fpu vme aes avx2\n"
      "bugs\t\t: cpu_meltdown spectre_v1\n"
      "power management:\n"
      "\n"
      "processor\t: 1\n"
      "garbage line\n"
      "core id\t\t: 1\n");
  ASSERT_EQ(c.cpus.size(), 2u);
  EXPECT_EQ(c.cpus[0].model_name, "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz");
  EXPECT_EQ(c.cpus[0].cache_size, "8192 KB");
  EXPECT_EQ(c.cpus[0].core_id, "3");
  EXPECT_EQ(c.cpus[0].flags, (std::vector<std::string>{"fpu", "vme", "aes", "avx2"}));
  EXPECT_EQ(c.cpus[0].bugs, (std::vector<std::string>{"cpu_meltdown", "spectre_v1"}));
  EXPECT_EQ(c.cpus[1].processor, "1");
  EXPECT_EQ(c.cpus[1].core_id, "1");
  EXPECT_TRUE(c.cpus[1].vendor_id.empty());  // absent stays empty
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(has(c.errors, 0, "line 16: missing ':'"));
}

TEST(CpuList, Ranges) {
  struct Case {
    const char* text;
    std::vector<unsigned> want;
    bool ok;
  } cases[] = {
      {"1,3-5,9\n", {1, 3, 4, 5, 9}, true},
      {"\n", {}, true},
      {"0", {0}, true},
      {"5-3", {}, false},
      {"1,x", {}, false},
      {"1048575", {1048575}, true},
      {"1048576", {}, false},
      {"18446744073709551615", {}, false},  // fuzz.sysfs: never ended
      {"18446744073709551614-18446744073709551615", {}, false},
      {"4294967296", {}, false},  // not cut to 0
  };
  for (const auto& c : cases) {
    std::vector<unsigned> got;
    std::string err;
    EXPECT_EQ(parse_cpu_list(c.text, &got, &err), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(got, c.want) << c.text;
    } else {
      EXPECT_NE(err.find("invalid cpu range"), std::string::npos) << err;
    }
  }
}

TEST(Interrupts, SplitsInfoAndDevicesLikeNodeExporter) {
  auto in = parse_interrupts(
      "           CPU0       CPU1\n"
      "  0:         18          0  IR-IO-APIC-edge      timer\n"
      " 16:     328511     322879  IR-IO-APIC-fasteoi   ehci_hcd:usb1, mmc0\n"
      "NMI:         47       5031   Non-maskable interrupts\n"
      " 17:         12         zz  IR-IO-APIC-edge      bad\n"
      "ERR:          0\n");
  EXPECT_EQ(in.cpus, 2);
  ASSERT_EQ(in.lines.size(), 3u);
  EXPECT_EQ(in.lines[0].type, "0");
  EXPECT_EQ(in.lines[0].info, "IR-IO-APIC-edge");
  EXPECT_EQ(in.lines[0].devices, "timer");
  EXPECT_EQ(in.lines[1].devices, "ehci_hcd:usb1, mmc0");
  EXPECT_EQ(in.lines[1].counts[1], 322879);
  EXPECT_EQ(in.lines[2].type, "NMI");
  EXPECT_EQ(in.lines[2].info, "Non-maskable interrupts");
  EXPECT_EQ(in.lines[2].devices, "");
  ASSERT_EQ(in.errors.size(), 1u);  // ERR: (one total, no per-CPU columns) is skipped quietly
  EXPECT_TRUE(has(in.errors, 0, "line 5: invalid per-CPU count"));
}

TEST(NetDev, ParsesAndReportsBadLines) {
  NetDev d;
  parse_net_dev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:  195165     489    0    0    0     0          0         0   195165     489    0 "
      "   0    0     0       0          0\n"
      "  eth0: 56045655    1712    1    2    3     4          5         6    83034    1079    7 "
      "   8    9    10      11         12\n"
      "  bad0: 1 2 3\n"
      "nocolon 1 2\n",
      &d);
  ASSERT_EQ(d.devices.size(), 2u);
  EXPECT_EQ(d.devices[1].device, "eth0");
  EXPECT_EQ(d.devices[1].values[0], 56045655);  // receive_bytes
  EXPECT_EQ(d.devices[1].values[7], 6);         // receive_multicast
  EXPECT_EQ(d.devices[1].values[8], 83034);     // transmit_bytes
  EXPECT_EQ(d.devices[1].values[15], 12);       // transmit_compressed
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_TRUE(has(d.errors, 0, "line 5: expected a device name and 16 counters"));
  EXPECT_TRUE(has(d.errors, 1, "line 6: missing ':'"));
  // Reuse clears.
  parse_net_dev("h\nh\n", &d);
  EXPECT_TRUE(d.devices.empty());
  EXPECT_TRUE(d.errors.empty());
}

TEST(Netstat, HeaderValuePairs) {
  NetStats s;
  parse_netstat(
      "TcpExt: SyncookiesSent SyncookiesRecv\n"
      "TcpExt: 0 2\n"
      "Tcp: RtoAlgorithm MaxConn ActiveOpens\n"
      "Tcp: 1 -1 3556\n"
      "Udp: InDatagrams NoPorts\n"
      "Udp: 88542\n"
      "Ip: Forwarding\n"
      "Ip: 1\n",
      &s);
  ASSERT_EQ(s.values.size(), 6u);
  EXPECT_EQ(s.values[1].protocol, "TcpExt");
  EXPECT_EQ(s.values[1].name, "SyncookiesRecv");
  EXPECT_EQ(s.values[1].value, 2);
  EXPECT_EQ(s.values[3].value, -1);  // MaxConn
  EXPECT_EQ(s.values[5].protocol, "Ip");
  ASSERT_EQ(s.errors.size(), 1u);  // the Udp pair lost a value; Ip after it is kept
  EXPECT_TRUE(has(s.errors, 0, "line 6: values do not match")) << s.errors[0].text();
}

TEST(Netstat, MismatchedProtocolAndMissingValuesLine) {
  NetStats s;
  parse_netstat("Tcp: A B\nUdp: 1 2\nIp: Forwarding\n", &s);
  EXPECT_TRUE(s.values.empty());
  ASSERT_EQ(s.errors.size(), 2u);
  EXPECT_TRUE(has(s.errors, 0, "line 2: values line does not match its header"));
  EXPECT_TRUE(has(s.errors, 1, "header without a values line"));
}

TEST(Snmp6, SplitsAtTheProtocolsSix) {
  NetStats s;
  parse_snmp6(
      "Ip6InReceives                   \t12\n"
      "Icmp6InMsgs 3\n"
      "UdpLite6InErrors 0\n"
      "Icmp6InType1 x\n"
      "NoSixHere 5\n",
      &s);
  ASSERT_EQ(s.values.size(), 3u);
  EXPECT_EQ(s.values[0].protocol, "Ip6");
  EXPECT_EQ(s.values[0].name, "InReceives");
  EXPECT_EQ(s.values[2].protocol, "UdpLite6");
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_TRUE(has(s.errors, 0, "line 4: invalid counter"));
}

TEST(Pressure, SomeAndFull) {
  struct Case {
    const char* text;
    std::optional<double> some, full;
    const char* error;
  } cases[] = {
      {"some avg10=0.00 avg60=0.00 avg300=0.00 total=14036781\n", 14036781, std::nullopt, ""},
      {"some avg10=0.18 total=159886802\nfull avg10=0.18 total=159229614\n", 159886802, 159229614,
       ""},
      {"some avg10=0.00 total=0\nfull total=0\n", 0, 0, ""},
      {"some avg10=0.00\nfull total=5\n", std::nullopt, 5, "line 1: missing or invalid total="},
      {"weird total=1\nsome total=x\n", std::nullopt, std::nullopt,
       "line 1: unknown pressure line"},
  };
  for (const auto& c : cases) {
    auto p = parse_pressure(c.text);
    EXPECT_EQ(p.some_total_us, c.some) << c.text;
    EXPECT_EQ(p.full_total_us, c.full) << c.text;
    if (!*c.error) {
      EXPECT_TRUE(p.errors.empty()) << p.errors.message("pressure");
    } else {
      ASSERT_FALSE(p.errors.empty()) << c.text;
      EXPECT_NE(p.errors[0].text().find(c.error), std::string::npos) << c.text;
    }
  }
}

TEST(PidStat, StateAndThreads) {
  std::string err;
  auto s = parse_pid_stat(
      "1 (systemd) S 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 7 0 29 "
      "170000000 2000\n",
      &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->num_threads, 7);
  EXPECT_EQ(s->comm, "systemd");
  // A command name with spaces and parentheses.
  s = parse_pid_stat("42 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0 1 2 3\n", &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->num_threads, 3);
  EXPECT_EQ(s->comm, "a (b) c");
  struct Bad {
    const char* text;
    const char* error;
  } bad[] = {
      {"1 systemd S 0", "no (comm) field"},
      {"1 (x) S 0 1", "expected at least 24 fields, got 5"},
      {"1 (x) SS 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 2 3", "invalid state"},
      {"1 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 y 0 1 2 3", "field 20: invalid number"},
  };
  for (const auto& b : bad) {
    EXPECT_FALSE(parse_pid_stat(b.text, &err)) << b.text;
    EXPECT_NE(err.find(b.error), std::string::npos) << b.text << " -> " << err;
  }
}

TEST(Schedstat, CpuLines) {
  auto s = parse_schedstat(
      "version 15\n"
      "timestamp 15819019232\n"
      "cpu0 498494191 0 3533438552 2553969831 3853684107 2465731542 2045936778163039 "
      "343796328169361 4767485306\n"
      "domain0 00000000,00000003 212499247 210112015\n"
      "cpu1 1 2 3\n"
      "cpu2 1 2 3 4 5 6 7000000000 8 9\n");
  ASSERT_EQ(s.cpus.size(), 2u);
  EXPECT_EQ(s.cpus[0].cpu, "0");
  EXPECT_EQ(s.cpus[0].running_ns, 2045936778163039);
  EXPECT_EQ(s.cpus[0].waiting_ns, 343796328169361);
  EXPECT_EQ(s.cpus[0].timeslices, 4767485306);
  EXPECT_EQ(s.cpus[1].cpu, "2");
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_TRUE(has(s.errors, 0, "line 5: expected a cpu number and 9 counters"));
}

TEST(Sockstat, PairsPerProtocol) {
  auto s = parse_sockstat(
      "sockets: used 229\n"
      "TCP: inuse 4 orphan 0 tw 4 alloc 17 mem 1\n"
      "UDP: inuse x mem 0\n"
      "FRAG: inuse 0 memory 0\n"
      "NOCOLON inuse 1\n");
  ASSERT_EQ(s.values.size(), 8u);
  EXPECT_EQ(s.values[0].protocol, "sockets");
  EXPECT_EQ(s.values[0].key, "used");
  EXPECT_EQ(s.values[0].value, 229);
  EXPECT_EQ(s.values[5].key, "mem");
  EXPECT_EQ(s.values[7].protocol, "FRAG");
  ASSERT_EQ(s.errors.size(), 2u);
  EXPECT_TRUE(has(s.errors, 0, "line 3: expected name/number pairs"));
  EXPECT_TRUE(has(s.errors, 1, "line 5: missing ':'"));
}

TEST(Softnet, HexColumnsKeepCpuNumbering) {
  auto s = parse_softnet(
      "00049279 00000000 00000001 00000000 00000000\n"
      "zz 00000029 0000000a\n"
      "00551c3f 00000000 00000055 00000000\n");
  ASSERT_EQ(s.cpus.size(), 3u);
  EXPECT_EQ(s.cpus[0].processed, 0x49279);
  EXPECT_EQ(s.cpus[0].time_squeezed, 1);
  EXPECT_EQ(s.cpus[2].processed, 0x551c3f);
  EXPECT_EQ(s.cpus[2].time_squeezed, 0x55);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_TRUE(has(s.errors, 0, "line 2: expected at least 3 hex counters"));
}

TEST(KeyValues, Vmstat) {
  parse::KeyValues kv;
  parse::parse_key_values("nr_free_pages 12\npgfault 2320168809\nbroken\noom_kill x\nx 1 2\n", kv);
  ASSERT_EQ(kv.entries.size(), 2u);
  EXPECT_EQ(kv.entries[1].key, "pgfault");
  EXPECT_EQ(kv.entries[1].value, 2320168809.0);
  ASSERT_EQ(kv.errors.size(), 3u);
  EXPECT_TRUE(has(kv.errors, 0, "line 3: expected \"KEY VALUE\""));
  EXPECT_TRUE(has(kv.errors, 1, "line 4: invalid value"));
  EXPECT_TRUE(has(kv.errors, 2, "line 5"));
}

TEST(FileNr, Fields) {
  FileNr nr;
  std::string err;
  ASSERT_TRUE(parse_file_nr("1024\t0\t1631329\n", &nr, &err)) << err;
  EXPECT_EQ(nr.allocated, 1024);
  EXPECT_EQ(nr.maximum, 1631329);
  EXPECT_FALSE(parse_file_nr("1024 0\n", &nr, &err));
  EXPECT_EQ(err, "expected 3 fields");
  EXPECT_FALSE(parse_file_nr("1024 0 x\n", &nr, &err));
  EXPECT_EQ(err, "invalid number");
}

}  // namespace
}  // namespace vitals::procfs
