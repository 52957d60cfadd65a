"""The wifi collector's live nl80211 source side by side with Debian's node_exporter 1.5.0 on this
machine, both with only --collector.wifi: the same node_scrape_collector_success and the same
node_wifi_* families and label sets.

On a host without the nl80211 generic netlink family (no cfg80211: no WiFi hardware, the module
not loaded, as on the build machines and containers this suite runs on) both must report "no
data" (success 0, node_exporter's ErrNoData) and no node_wifi_* family at all; the test checks
the kernel's answer itself with its own CTRL_CMD_GETFAMILY request. Where cfg80211 exists the
families are compared instead. The parsing of real nl80211 replies is covered by
tests/unit/nl80211_test.cpp on hand-built messages."""

import errno
import socket
import struct
import subprocess
import unittest

from vitals_testlib import Agent, free_port, http_request, parse_exposition, require_tool
from vitals_testlib import wait_until

NE = "prometheus-node-exporter"
FLAGS = ["--collector.disable-defaults", "--collector.wifi"]

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
NLMSG_ERROR = 2
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_NAME = 2


def nl80211_family_exists():
    """Asks the generic netlink controller for "nl80211" (true: the kernel has cfg80211)."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC) as s:
        s.settimeout(5)
        name = b"nl80211\0"
        attr = struct.pack("=HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
        attr += b"\0" * (-len(attr) % 4)
        body = struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0) + attr
        s.sendto(struct.pack("=IHHII", 16 + len(body), GENL_ID_CTRL, 1, 1, 0) + body, (0, 0))
        reply = s.recv(65536)
    _, kind = struct.unpack_from("=IH", reply)
    if kind == NLMSG_ERROR:
        (err,) = struct.unpack_from("=i", reply, 16)
        assert err == -errno.ENOENT, f"CTRL_CMD_GETFAMILY nl80211: error {-err}"
        return False
    return kind == GENL_ID_CTRL


def wifi_families(fams):
    return {n: set(f.samples) for n, f in fams.items() if n.startswith("node_wifi_") and f.samples}


def success(fams):
    return fams["node_scrape_collector_success"].samples[
        ("node_scrape_collector_success", frozenset({("collector", "wifi")}))]


class WifiLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ne = require_tool(NE, "prometheus-node-exporter")
        port = free_port()
        cls.ne = subprocess.Popen([ne, f"--web.listen-address=127.0.0.1:{port}"] + FLAGS,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.agent = Agent(*FLAGS)
        wait_until(lambda: http_request(port, "/metrics", timeout=5).status == 200, timeout=30,
                   what="node_exporter up")
        cls.v = parse_exposition(cls.agent.scrape())
        cls.n = parse_exposition(http_request(port, "/metrics").text)
        cls.has_nl80211 = nl80211_family_exists()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        cls.ne.terminate()
        cls.ne.wait(10)

    def test_same_success_and_families_as_node_exporter(self):
        self.assertEqual(success(self.v), success(self.n))
        self.assertEqual(wifi_families(self.v), wifi_families(self.n))
        for name in wifi_families(self.n):
            self.assertEqual((self.v[name].type, self.v[name].help),
                             (self.n[name].type, self.n[name].help), name)

    def test_no_cfg80211_is_no_data(self):
        if self.has_nl80211:
            self.skipTest("this kernel has the nl80211 family (cfg80211): compared above")
        # No cfg80211 here: node_exporter's ErrNoData, vitals' NoDataError. Both report the
        # collector unsuccessful and write no node_wifi_* family.
        self.assertEqual(success(self.n), 0)
        self.assertEqual(success(self.v), 0)
        self.assertEqual(wifi_families(self.n), {})
        self.assertEqual(wifi_families(self.v), {})
        failures = self.v["vitals_collector_failures_total"].samples
        self.assertGreaterEqual(failures[("vitals_collector_failures_total",
                                          frozenset({("collector", "wifi"),
                                                     ("kind", "no_data")}))], 1)
        self.assertEqual(failures[("vitals_collector_failures_total",
                                   frozenset({("collector", "wifi"), ("kind", "error")}))], 0)
        self.assertIn("no nl80211 generic netlink family", self.agent.output())


if __name__ == "__main__":
    from vitals_testlib import main
    main()
