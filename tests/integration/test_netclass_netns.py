"""netclass from its netlink source (one RTM_GETLINK dump, ethtool, cached sysfs files) against
its sysfs source and node_exporter 1.5.0, in a network namespace this test fills with interfaces
in varied states: a veth pair (one end up as a bridge port, the other down), a dummy (or ifb where
the kernel has no dummy driver) with promisc, allmulti, an alias, a custom MTU, txqueuelen, group
and MAC, a tap without carrier, a macvlan, a bridge and the loopback. vitals and node_exporter run
under `ip netns exec`, which also mounts that namespace's /sys; this process scrapes them from a
thread switched into the namespace."""

import ctypes
import json
import os
import subprocess
import tempfile
import threading
import unittest

from vitals_testlib import (VITALS_BIN, Agent, family_diff, free_port, http_request,
                            parse_exposition, wait_until)
from vitals_testlib import require_tool

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
CLONE_NEWNET = 0x40000000
NS = f"vitals-netclass-{os.getpid()}"
ONLY_NETCLASS = ["--collector.disable-defaults", "--collector.netclass"]
MAC = "02:11:22:33:44:55"
PROMISC, ALLMULTI = 0x100, 0x200


def ip(*args, check=True):
    p = subprocess.run(["ip", "-n", NS] + list(args), capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p


def links():
    """{name: link} from iproute2's JSON view of the namespace."""
    return {l["ifname"]: l for l in json.loads(ip("-j", "-d", "link", "show").stdout)}


def in_netns(fn):
    """Runs fn() on a thread switched into the test namespace (sockets it opens live there);
    returns its result or re-raises its exception."""
    out = {}

    def run():
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(f"/run/netns/{NS}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


class NetnsAgent(Agent):
    """build/vitals under `ip netns exec`, scraped from inside the namespace."""

    def __init__(self, *args, binary=None, drop_apm_flags=False):
        # Agent adds --apm.* flags for vitals; node_exporter would refuse them.
        drop = 'for a do shift; case "$a" in --apm.*) ;; *) set -- "$@" "$a";; esac; done\n'
        self.wrapper = tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False)
        self.wrapper.write("#!/bin/sh\n" + (drop if drop_apm_flags else "")
                           + f'exec ip netns exec {NS} {binary or VITALS_BIN} "$@"\n')
        self.wrapper.close()
        os.chmod(self.wrapper.name, 0o755)
        in_netns(lambda: Agent.__init__(self, *args, binary=self.wrapper.name))

    def get(self, path="/metrics", **kw):
        return in_netns(lambda: http_request(self.port, path, **kw))

    def stop(self, timeout=10):
        rc = super().stop(timeout)
        if os.path.exists(self.wrapper.name):
            os.unlink(self.wrapper.name)
        return rc


class NodeExporter(NetnsAgent):
    """node_exporter 1.5.0 the same way (it has no /-/ready: readiness is a 200 on /metrics)."""

    def __init__(self, *args):
        super().__init__(*args, binary=NODE_EXPORTER, drop_apm_flags=True)

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("node_exporter exited:\n" + self.output())
        return http_request(self.port, "/metrics", timeout=2).status == 200


def network_families(agent):
    fams = parse_exposition(agent.scrape())
    ok = fams["node_scrape_collector_success"].samples[
        ("node_scrape_collector_success", frozenset({("collector", "netclass")}))]
    if ok != 1.0:
        raise AssertionError("netclass failed:\n" + agent.output())
    return {n: f for n, f in fams.items() if n.startswith("node_network_")}


def value(fams, family, device):
    for (_, labels), v in fams[family].samples.items():
        if dict(labels).get("device") == device:
            return v
    return None


def info(fams, device):
    for (_, labels), _v in fams["node_network_info"].samples.items():
        if dict(labels)["device"] == device:
            return dict(labels)
    return None


def diff(got, want):
    problems = []
    for name in sorted(set(got) | set(want)):
        if name not in got or name not in want:
            problems.append(f"{name}: only in {'want' if name not in got else 'got'}")
            continue
        problems += [f"{name}: {d}" for d in family_diff(got[name], want[name])]
    return problems


@unittest.skipUnless(os.geteuid() == 0, "needs root to make a network namespace")
class NetclassNetns(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_tool("ip", "iproute2")
        subprocess.run(["ip", "netns", "add", NS], check=True)
        try:
            cls.make_interfaces()
        except BaseException:
            subprocess.run(["ip", "netns", "del", NS])
            raise

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["ip", "netns", "del", NS], check=True)

    @classmethod
    def make_interfaces(cls):
        ip("link", "set", "lo", "up")
        # veth pair: va up as a bridge port (the bridge makes it promiscuous in dev->flags,
        # which ifi_flags does not show), vb down.
        ip("link", "add", "va", "type", "veth", "peer", "name", "vb")
        ip("link", "add", "br0", "type", "bridge")
        ip("link", "set", "va", "master", "br0")
        ip("link", "set", "va", "up")
        ip("link", "set", "br0", "up")
        # The configured device: a dummy, or on kernels built without the dummy driver one end
        # of a second veth pair (its peer up, so it has a carrier).
        cls.kind = "dummy"
        if ip("link", "add", "dm0", "type", "dummy", check=False).returncode != 0:
            cls.kind = "veth"
            ip("link", "add", "dm0", "type", "veth", "peer", "name", "dm0p")
            ip("link", "set", "dm0p", "up")
        ip("link", "set", "dm0", "address", MAC, "mtu", "9000", "txqueuelen", "4242", "group",
           "7", "promisc", "on", "allmulticast", "on", "alias", "uplink to core")
        ip("link", "set", "dm0", "up")
        # A tap nobody has open: up, no carrier, but its driver reports a speed.
        ip("tuntap", "add", "tap0", "mode", "tap")
        ip("link", "set", "tap0", "up")
        ip("link", "add", "mv0", "link", "vb", "type", "macvlan")
        ip("link", "set", "mv0", "up")
        ip("link", "add", "down0", "type", "ifb")  # stays down
        want = {"lo": "UNKNOWN", "va": "LOWERLAYERDOWN", "vb": "DOWN", "br0": "DOWN",
                "tap0": "DOWN", "mv0": "LOWERLAYERDOWN", "down0": "DOWN",
                "dm0": "UNKNOWN" if cls.kind == "dummy" else "UP"}
        # Operational states settle asynchronously (linkwatch): wait for them.
        wait_until(lambda: all(links()[n]["operstate"] == s for n, s in want.items()),
                   timeout=10, what=f"operstates {want}")

    def test_netlink_and_sysfs_sources_are_identical(self):
        with NetnsAgent(*ONLY_NETCLASS, "--collector.netclass.source=netlink") as nl, \
                NetnsAgent(*ONLY_NETCLASS, "--collector.netclass.source=sysfs") as fs:
            got, want = network_families(nl), network_families(fs)
            self.assertEqual(diff(got, want), [])
            self.assertGreaterEqual(len(got), 18)
            lk = links()

            # The configured device.
            self.assertEqual(value(got, "node_network_mtu_bytes", "dm0"), 9000)
            self.assertEqual(value(got, "node_network_transmit_queue_length", "dm0"), 4242)
            self.assertEqual(value(got, "node_network_net_dev_group", "dm0"), 7)
            self.assertEqual(value(got, "node_network_address_assign_type", "dm0"), 3)  # SET
            self.assertEqual(value(got, "node_network_iface_id", "dm0"), lk["dm0"]["ifindex"])
            flags = int(value(got, "node_network_flags", "dm0"))
            self.assertEqual(flags & (PROMISC | ALLMULTI | 1), PROMISC | ALLMULTI | 1)
            i = info(got, "dm0")
            self.assertEqual(i["address"], MAC)
            self.assertEqual(i["broadcast"], "ff:ff:ff:ff:ff:ff")
            self.assertEqual(i["ifalias"], "uplink to core")
            self.assertEqual(value(got, "node_network_carrier", "dm0"), 1)
            if self.kind == "dummy":  # no get_link_ksettings
                self.assertIsNone(value(got, "node_network_speed_bytes", "dm0"))
                self.assertEqual(i["duplex"], "")
            else:
                self.assertEqual(value(got, "node_network_speed_bytes", "dm0"), 1250000000)
                self.assertEqual(i["duplex"], "full")
                self.assertEqual(i["operstate"], "up")
                self.assertEqual(value(got, "node_network_up", "dm0"), 1)

            # The bridge port: promiscuous in dev->flags although ip(8) does not show it.
            self.assertNotIn("PROMISC", lk["va"]["flags"])
            self.assertTrue(int(value(got, "node_network_flags", "va")) & PROMISC)
            self.assertEqual(value(got, "node_network_speed_bytes", "va"), 10000 * 1000 * 1000 / 8)
            self.assertEqual(info(got, "va")["duplex"], "full")
            self.assertEqual(value(got, "node_network_carrier", "va"), 0)  # peer down
            self.assertEqual(value(got, "node_network_iface_link", "va"), lk["vb"]["ifindex"])
            self.assertEqual(info(got, "va")["operstate"], "lowerlayerdown")
            self.assertEqual(value(got, "node_network_up", "va"), 0)

            # The down end: sysfs refuses speed, duplex, carrier and dormant.
            for fam in ("node_network_speed_bytes", "node_network_carrier",
                        "node_network_dormant"):
                self.assertIsNone(value(got, fam, "vb"), fam)
            self.assertEqual(info(got, "vb")["duplex"], "")
            self.assertEqual(info(got, "vb")["operstate"], "down")
            self.assertEqual(value(got, "node_network_mtu_bytes", "vb"), 1500)

            # tap without carrier: up, carrier 0, and a speed (10 Gb/s) from its driver.
            self.assertEqual(value(got, "node_network_carrier", "tap0"), 0)
            self.assertEqual(value(got, "node_network_dormant", "tap0"), 0)
            self.assertEqual(value(got, "node_network_speed_bytes", "tap0"), 1250000000)

            # loopback: UP|LOOPBACK (RUNNING is not in dev->flags), no broadcast address.
            self.assertEqual(value(got, "node_network_flags", "lo"), 0x9)
            self.assertEqual(info(got, "lo")["operstate"], "unknown")
            self.assertEqual(value(got, "node_network_up", "lo"), 0)

            devices = {dict(k[1])["device"] for k in got["node_network_info"].samples}
            self.assertEqual(devices, set(lk))  # every interface, nothing else

    def test_changes_between_scrapes_and_ignored_devices(self):
        args = ONLY_NETCLASS + ["--collector.netclass.ignored-devices=^(vb|tap0)$"]
        ip("link", "add", "tmp0", "type", "veth", "peer", "name", "tmp0p")
        try:
            with NetnsAgent(*args, "--collector.netclass.source=netlink") as nl, \
                    NetnsAgent(*args, "--collector.netclass.source=sysfs") as fs:
                got = network_families(nl)
                self.assertEqual(diff(got, network_families(fs)), [])
                self.assertIsNone(info(got, "vb"))
                self.assertIsNone(info(got, "tap0"))
                self.assertEqual(value(got, "node_network_address_assign_type", "tmp0"), 1)
                self.assertEqual(value(got, "node_network_name_assign_type", "tmp0"), 3)

                # A new address makes addr_assign_type NET_ADDR_SET (3); a rename makes
                # name_assign_type NET_NAME_RENAMED (4): the netlink source's cache follows.
                ip("link", "set", "tmp0", "address", "02:00:00:00:00:99")
                got = network_families(nl)
                self.assertEqual(diff(got, network_families(fs)), [])
                self.assertEqual(info(got, "tmp0")["address"], "02:00:00:00:00:99")
                self.assertEqual(value(got, "node_network_address_assign_type", "tmp0"), 3)
                self.assertEqual(value(got, "node_network_name_assign_type", "tmp0"), 3)

                ip("link", "set", "tmp0", "name", "ren0")
                got = network_families(nl)
                self.assertEqual(diff(got, network_families(fs)), [])
                self.assertIsNone(info(got, "tmp0"))
                self.assertEqual(value(got, "node_network_address_assign_type", "ren0"), 3)
                self.assertEqual(value(got, "node_network_name_assign_type", "ren0"), 4)

                ip("link", "del", "ren0")
                got = network_families(nl)
                self.assertEqual(diff(got, network_families(fs)), [])
                self.assertIsNone(info(got, "ren0"))
                self.assertIsNone(info(got, "tmp0p"))
        finally:
            ip("link", "del", "tmp0", check=False)
            ip("link", "del", "ren0", check=False)

    def test_same_as_node_exporter(self):
        require_tool(NODE_EXPORTER, "prometheus-node-exporter")
        with NetnsAgent(*ONLY_NETCLASS, "--collector.netclass.source=netlink") as nl, \
                NodeExporter(*ONLY_NETCLASS) as ne:
            got, want = network_families(nl), network_families(ne)
        self.assertEqual(diff(got, want), [])
        self.assertEqual(info(got, "dm0")["address"], MAC)


class NetclassSourceOption(unittest.TestCase):
    def startup_error(self, *args):
        p = subprocess.run([VITALS_BIN, f"--web.listen-address=127.0.0.1:{free_port()}"] + ONLY_NETCLASS
                           + list(args), capture_output=True, text=True, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        return p.stdout + p.stderr

    def test_netlink_needs_the_live_sys(self):
        with tempfile.TemporaryDirectory() as tree:
            out = self.startup_error(f"--path.sysfs={tree}", "--collector.netclass.source=netlink")
            self.assertIn("the netlink source of netclass needs --path.sysfs to be a sysfs of vitals", out)
            out = self.startup_error(f"--path.sysfs={tree}", "--collector.netclass.netlink")
            self.assertIn("the netlink source of netclass needs --path.sysfs to be a sysfs of vitals", out)

    def test_bad_values(self):
        out = self.startup_error("--collector.netclass.source=proc")
        self.assertIn('--collector.netclass.source: want auto, netlink or sysfs, got "proc"', out)
        out = self.startup_error("--collector.netclass.source=sysfs", "--collector.netclass.netlink")
        self.assertIn("contradicts", out)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
