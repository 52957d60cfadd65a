"""network_route, ethtool and qdisc (netlink and ethtool ioctl sources) side by side with
node_exporter 1.5.0 in a network namespace this test fills: two veth pairs, IPv4 and IPv6 routes
in the main table and in table 100 (one multipath, one blackhole, several protocols, one that
node_exporter calls "unknown"), and qdiscs (a root bfifo, a root htb with a class and a child
pfifo, an ingress qdisc, the veth's default noqueue: kinds this kernel has built in). Both run
under `ip netns exec`; vitals is scraped before and after node_exporter, so that each of
node_exporter's counters must lie between vitals' two reads and everything else must be
identical (families, HELP, TYPE, label sets, gauge values)."""

import os
import socket
import subprocess
import unittest

import test_netclass_netns as nn
from test_netclass_netns import NetnsAgent, NodeExporter, in_netns
from vitals_testlib import parse_exposition, require_tool, values_equal

NS = nn.NS
COLLECTORS = ["--collector.disable-defaults", "--collector.network_route", "--collector.ethtool",
              "--collector.qdisc"]
PREFIXES = ("node_network_", "node_ethtool_", "node_qdisc_")


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def ip(*args):
    return run("ip", "-n", NS, *args)


def tc(*args):
    return run("ip", "netns", "exec", NS, "tc", *args)


def families(agent, what):
    fams = parse_exposition(agent.scrape())
    for c in ("network_route", "ethtool", "qdisc"):
        ok = fams["node_scrape_collector_success"].samples[
            ("node_scrape_collector_success", frozenset({("collector", c)}))]
        if ok != 1.0:
            raise AssertionError(f"{what}: collector {c} failed:\n" + agent.output())
    return {n: f for n, f in fams.items() if n.startswith(PREFIXES)}


def compare(before, ne, after):
    """Problems between vitals' two reads and node_exporter's one read in between."""
    problems = []
    for name in sorted(set(before) | set(ne) | set(after)):
        if name not in before or name not in ne or name not in after:
            problems.append(f"{name}: in vitals {name in before}/{name in after}, "
                            f"node_exporter {name in ne}")
            continue
        g, w, a = before[name], ne[name], after[name]
        if (g.help, g.type) != (w.help, w.type):
            problems.append(f"{name}: HELP/TYPE {g.help!r} {g.type} != {w.help!r} {w.type}")
        if set(g.samples) != set(w.samples) or set(a.samples) != set(w.samples):
            problems.append(f"{name}: series differ: only vitals "
                            f"{sorted(set(g.samples) - set(w.samples), key=str)[:4]}, only "
                            f"node_exporter {sorted(set(w.samples) - set(g.samples), key=str)[:4]}")
            continue
        for k, v in w.samples.items():
            lo, hi = g.samples[k], a.samples[k]
            if values_equal(lo, v) or values_equal(hi, v) or min(lo, hi) <= v <= max(lo, hi):
                continue
            problems.append(f"{name}{dict(k[1])}: node_exporter {v}, vitals {lo} then {hi}")
    return problems


@unittest.skipUnless(os.geteuid() == 0, "needs root to make a network namespace")
class NetlinkCollectorsNetns(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_tool("ip", "iproute2")
        require_tool("tc", "iproute2")
        subprocess.run(["ip", "netns", "add", NS], check=True)
        try:
            cls.setup_namespace()
        except BaseException:
            subprocess.run(["ip", "netns", "del", NS])
            raise

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["ip", "netns", "del", NS], check=True)

    @classmethod
    def setup_namespace(cls):
        ip("link", "set", "lo", "up")
        ip("link", "add", "va", "type", "veth", "peer", "name", "vb")
        # dm0: the end of a second veth pair (kernels without the dummy driver are common);
        # a static neighbour lets packets to 10.20.0.9 pass its qdisc without ARP.
        ip("link", "add", "dm0", "type", "veth", "peer", "name", "dm0p")
        for dev in ("va", "vb", "dm0", "dm0p"):
            run("ip", "netns", "exec", NS, "sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_ra=0")
            ip("link", "set", dev, "up")
        ip("addr", "add", "10.10.0.1/24", "dev", "va")
        ip("addr", "add", "10.10.0.2/24", "dev", "vb")
        ip("addr", "add", "10.20.0.1/24", "dev", "dm0")
        ip("addr", "add", "fd00::1/64", "dev", "va", "nodad")
        ip("neigh", "add", "10.20.0.9", "lladdr", "02:00:00:00:00:09", "dev", "dm0")
        ip("route", "add", "192.168.50.0/24", "via", "10.10.0.2", "dev", "va", "metric", "50")
        ip("route", "add", "172.16.0.0/16", "dev", "dm0", "table", "100", "src", "10.20.0.1")
        # The same route in the main table: the same label set twice, which node_exporter's
        # registry serves once (logging an error) and counts twice in node_network_routes.
        ip("route", "add", "172.16.0.0/16", "dev", "dm0", "src", "10.20.0.1")
        ip("route", "add", "198.51.100.0/24", "proto", "static", "nexthop", "via", "10.10.0.2",
           "dev", "va", "weight", "3", "nexthop", "via", "10.20.0.2", "dev", "dm0", "weight", "1")
        ip("route", "add", "203.0.113.0/24", "dev", "dm0", "proto", "99")  # openr: "unknown"
        ip("route", "add", "198.18.0.0/15", "dev", "dm0", "proto", "42")  # babel
        ip("route", "add", "198.20.0.0/16", "dev", "dm0", "proto", "16")  # dhcp
        ip("route", "add", "blackhole", "192.0.2.0/24")
        ip("-6", "route", "add", "2001:db8:1::/48", "via", "fd00::2", "dev", "va", "metric", "7")
        ip("-6", "route", "add", "default", "via", "fd00::2", "dev", "va", "table", "100")
        tc("qdisc", "add", "dev", "dm0", "root", "bfifo", "limit", "100000")
        tc("qdisc", "add", "dev", "va", "ingress")
        tc("qdisc", "add", "dev", "vb", "root", "handle", "1:", "htb", "default", "10")
        tc("class", "add", "dev", "vb", "parent", "1:", "classid", "1:10", "htb", "rate", "10mbit")
        tc("qdisc", "add", "dev", "vb", "parent", "1:10", "handle", "10:", "pfifo")

        def traffic():  # packets through dm0's bfifo (its peer drops them: not its MAC)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for i in range(20):
                    s.sendto(b"x" * (100 + i), ("10.20.0.9", 9))
        in_netns(traffic)

    def side_by_side(self, *flags):
        with NetnsAgent(*COLLECTORS, *flags) as v, NodeExporter(*COLLECTORS, *flags) as ne:
            before = families(v, "vitals")
            theirs = families(ne, "node_exporter")
            after = families(v, "vitals")
        self.assertEqual(compare(before, theirs, after), [])
        return before

    def test_same_as_node_exporter(self):
        got = self.side_by_side()
        info = got["node_network_route_info"].samples
        labels = [dict(k[1]) for k in info]
        by_dest = {}
        for l in labels:
            by_dest.setdefault(l["dest"], []).append(l)
        self.assertEqual(by_dest["192.168.50.0/24"],
                         [{"device": "va", "src": "", "dest": "192.168.50.0/24",
                           "gw": "10.10.0.2", "priority": "50", "proto": "boot", "weight": ""}])
        self.assertEqual(sorted((l["device"], l["weight"], l["gw"])
                                for l in by_dest["198.51.100.0/24"]),
                         [("dm0", "1", "10.20.0.2"), ("va", "3", "10.10.0.2")])
        self.assertEqual(len(by_dest["172.16.0.0/16"]), 1)  # in two tables, one series
        self.assertEqual(by_dest["172.16.0.0/16"][0]["src"], "10.20.0.1")
        self.assertEqual(by_dest["203.0.113.0/24"][0]["proto"], "unknown")
        self.assertEqual(by_dest["198.18.0.0/15"][0]["proto"], "babel")
        self.assertEqual(by_dest["198.20.0.0/16"][0]["proto"], "dhcp")
        self.assertEqual(by_dest["2001:db8:1::/48"][0]["priority"], "7")
        self.assertIn("default", by_dest)
        self.assertNotIn("192.0.2.0/24", by_dest)  # blackhole: not unicast
        routes = {dict(k[1])["device"]: v for k, v in got["node_network_routes"].samples.items()}
        self.assertGreaterEqual(routes["va"], 5)
        # ethtool: the veth's driver statistics and info, the dummy's info.
        peer = {dict(k[1])["device"]: v
                for k, v in got["node_ethtool_peer_ifindex"].samples.items()}
        self.assertEqual(set(peer), {"va", "vb", "dm0", "dm0p"})
        drivers = {dict(k[1])["device"]: dict(k[1])["driver"]
                   for k in got["node_ethtool_info"].samples}
        self.assertEqual(drivers, {"va": "veth", "vb": "veth", "dm0": "veth", "dm0p": "veth"})
        self.assertIn("node_network_autonegotiate", got)
        # qdisc: root qdiscs only, with dm0's packets counted.
        kinds = {dict(k[1])["device"]: dict(k[1])["kind"]
                 for k in got["node_qdisc_packets_total"].samples}
        self.assertEqual(kinds["dm0"], "bfifo")
        self.assertEqual(kinds["vb"], "htb")
        self.assertEqual(kinds["va"], "noqueue")
        pk = {dict(k[1])["device"]: v for k, v in got["node_qdisc_packets_total"].samples.items()}
        self.assertGreaterEqual(pk["dm0"], 20)

    def test_filters_same_as_node_exporter(self):
        got = self.side_by_side("--collector.ethtool.device-include=^v",
                                "--collector.ethtool.metrics-include=^(peer|rx_queue)")
        self.assertEqual({dict(k[1])["device"] for k in got["node_ethtool_info"].samples},
                         {"va", "vb"})  # not dm0, dm0p
        self.assertEqual({n for n in got if n.startswith("node_ethtool_")},
                         {"node_ethtool_info", "node_ethtool_peer_ifindex"} |
                         {n for n in got if n.startswith("node_ethtool_received_queue_0_")})
        self.assertNotIn("node_ethtool_transmitted_queue_0_xdp_xmit", got)

    def test_qdisc_device_exclude(self):
        # node_exporter 1.5.0 hands its qdisc filter the exclude pattern twice (as exclude and
        # as include), so any exclude drops every qdisc there; vitals applies it as documented
        # (docs/collectors.md, differences).
        with NetnsAgent(*COLLECTORS, "--collector.qdisk.device-exclude=^dm") as v:
            got = families(v, "vitals")
        self.assertEqual({dict(k[1])["device"] for k in got["node_qdisc_packets_total"].samples},
                         {"lo", "va", "vb"})

if __name__ == "__main__":
    from vitals_testlib import main
    main()
