"""sockets and tcpstat collectors on real sockets: each test runs in a network namespace it creates
(so the host's sockets do not disturb the counts), opens listeners, connections, TIME_WAITs, a full
accept queue and unread UDP datagrams, and checks exact numbers from the netlink path, the
/proc/net path and node_exporter 1.5.0's tcpstat."""

import ctypes
import http.client
import os
import platform
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import traceback
import unittest

from vitals_testlib import VITALS_BIN, parse_exposition, wait_until

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
CLONE_NEWNET = 0x40000000
WEB_PORTS = (9100, 9101, 9102)
EXCLUDE_WEB = "--collector.sockets.port-exclude=9100-9102"


def in_new_netns(fn):
    """Runs fn() in a forked child inside a new network namespace with lo up; re-raises its
    failure here."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            fn()
        except BaseException:  # noqa: BLE001 - report everything to the parent
            os.write(w, traceback.format_exc().encode())
            code = 1
        os._exit(code)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise AssertionError("in the test namespace:\n" + b"".join(chunks).decode())


def proc_net(name):
    """Lines of /proc/self/net/<name> (this process's namespace) as field lists."""
    with open(f"/proc/self/net/{name}") as f:
        return [line.split() for line in f.read().splitlines()[1:] if line.strip()]


def accept_queue(port):
    """The accept queue length of the TCP listener on `port`, or None when there is none."""
    for name in ("tcp", "tcp6"):
        for f in proc_net(name):
            if f[3] == "0A" and int(f[1].split(":")[1], 16) == port:
                return int(f[4].split(":")[1], 16)
    return None


def listening(port):
    return accept_queue(port) is not None


def udp_queue(port):
    """(rx_queue, drops) of the UDP socket bound to `port`, read straight from /proc/net/udp*."""
    for name in ("udp", "udp6"):
        for f in proc_net(name):
            if int(f[1].split(":")[1], 16) == port and f[3] == "07":
                return int(f[4].split(":")[1], 16), int(f[12])
    raise AssertionError(f"no UDP socket on port {port}")


def netstat_tcpext(field):
    with open("/proc/self/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split()[1:], values.split()[1:]))[field])
    raise AssertionError("no TcpExt in /proc/net/netstat")


def deny_netlink_sockets():
    """preexec_fn: a seccomp filter making socket(AF_NETLINK, ...) fail with EAFNOSUPPORT, as in
    a sandbox without netlink (x86_64 only)."""
    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter))]

    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
    prog = (Filter * 8)(
        Filter(ld, 0, 0, 4), Filter(jeq, 0, 5, 0xC000003E),  # arch == x86_64, else allow
        Filter(ld, 0, 0, 0), Filter(jeq, 0, 3, 41),          # nr == socket, else allow
        Filter(ld, 0, 0, 16), Filter(jeq, 0, 1, socket.AF_NETLINK),  # domain == AF_NETLINK
        Filter(ret, 0, 0, 0x00050000 | 97),                  # SECCOMP_RET_ERRNO | EAFNOSUPPORT
        Filter(ret, 0, 0, 0x7FFF0000))                       # SECCOMP_RET_ALLOW
    fprog = Prog(len(prog), prog)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, MODE_FILTER
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


class Exporter:
    """vitals or node_exporter in the test namespace. Readiness is seen in /proc/net/tcp, not by
    connecting, and scrapes reuse one keep-alive connection, so the exporter's own sockets are
    exactly one listener and one connection (two sockets)."""

    def __init__(self, port, *args, binary=VITALS_BIN, preexec_fn=None):
        self.port = port
        self.log = tempfile.TemporaryFile()
        extra = []
        if binary == VITALS_BIN:  # no APM listeners: their sockets would be counted too
            extra = ["--apm.otlp.listen-address=", "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address="]
        self.proc = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", *extra,
                                      *args],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec_fn)
        wait_until(lambda: self._alive() and listening(port), what=f"{binary} listening on {port}")
        self.conn = None

    def _alive(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError(f"exited {self.proc.returncode}: {self.log.read().decode()}")
        return True

    def connect(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.conn.connect()
        # Until the exporter calls accept(), the connection sits in its listener's queue.
        wait_until(lambda: accept_queue(self.port) == 0, what=f"port {self.port} to accept")

    def scrape(self, path="/metrics"):
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read().decode()
        assert r.status == 200, f"{path}: {r.status} {body[:300]}"
        return parse_exposition(body)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode()

    def stop(self):
        if self.conn:
            self.conn.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def series(fams, name, drop=()):
    """{frozenset(labels): value} of one family ({} when absent), without the labels in `drop`."""
    if name not in fams:
        return {}
    return {frozenset((k, v) for k, v in labels if k not in drop): value
            for (_, labels), value in fams[name].samples.items()}


def L(**kw):
    return frozenset(kw.items())


def success(fams, collector):
    return series(fams, "node_scrape_collector_success").get(L(collector=collector))


def tcp_listener(addr, port, backlog, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def connect_wait(addr, port, family=socket.AF_INET):
    """A connection that completed its handshake (the server end is in the accept queue)."""
    c = socket.socket(family, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex((addr, port))
    _, w, _ = select.select([], [c], [], 10)
    assert w and c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0, f"connect to {port}"
    return c


def connect_nowait(addr, port):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex((addr, port))
    return c


class Scenario:
    """The sockets every namespace test opens, with the numbers they must produce."""

    def __init__(self):
        self.keep = []
        # 8080: three clients, all accepted.
        l8080 = tcp_listener("127.0.0.1", 8080, 16)
        self.keep.append(l8080)
        for _ in range(3):
            self.keep.append(connect_wait("127.0.0.1", 8080))
            self.keep.append(l8080.accept()[0])
        # 8443 (IPv6 only): two clients never accepted.
        l8443 = tcp_listener("::1", 8443, 32, socket.AF_INET6)
        self.keep.append(l8443)
        for _ in range(2):
            self.keep.append(connect_wait("::1", 8443, socket.AF_INET6))
        # 3306: backlog 3, never accepts. Four connections fill the queue (backlog + 1); the next
        # three SYNs are dropped, so those clients stay in SYN_SENT and ListenOverflows grows.
        self.overflows_before = netstat_tcpext("ListenOverflows")
        l3306 = tcp_listener("0.0.0.0", 3306, 3)
        self.keep.append(l3306)
        for _ in range(4):
            self.keep.append(connect_wait("127.0.0.1", 3306))
        for _ in range(3):
            self.keep.append(connect_nowait("127.0.0.1", 3306))
        # 7000: two connections the clients close first: their ends wait in TIME_WAIT.
        l7000 = tcp_listener("127.0.0.1", 7000, 128)
        self.keep.append(l7000)
        pairs = []
        for _ in range(2):
            c = connect_wait("127.0.0.1", 7000)
            pairs.append((c, l7000.accept()[0]))
        for c, _ in pairs:
            c.close()
        for _, s in pairs:
            s.close()
        # UDP 5353: three unread 100-byte datagrams. 5354: a tiny receive buffer that drops.
        u5353 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u5353.bind(("127.0.0.1", 5353))
        u5354 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u5354.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        u5354.bind(("127.0.0.1", 5354))
        u5355 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u5355.bind(("::1", 5355))
        self.keep += [u5353, u5354, u5355]
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # connected: not a listener
        sender.connect(("127.0.0.1", 5353))
        for _ in range(3):
            sender.send(b"x" * 100)
        sender.connect(("127.0.0.1", 5354))
        for _ in range(60):
            sender.send(b"y" * 1000)
        self.keep.append(sender)
        self.comm = open("/proc/self/comm").read().strip()

    def close(self):
        for s in self.keep:
            s.close()

    def expected_connections(self):
        return {
            L(direction="inbound", port="8080", state="established"): 3,
            L(direction="inbound", port="8443", state="established"): 2,
            L(direction="inbound", port="3306", state="established"): 4,
            L(direction="inbound", port="7000", state="established"): 0,
            L(direction="outbound", port="8080", state="established"): 3,
            L(direction="outbound", port="8443", state="established"): 2,
            L(direction="outbound", port="3306", state="established"): 4,
            L(direction="outbound", port="3306", state="syn_sent"): 3,
            L(direction="outbound", port="7000", state="time_wait"): 2,
        }

    def expected_listeners(self):
        """{family: {labels: value}} (without process), drops checked separately."""
        def k(proto, addr, port):
            return L(protocol=proto, address=addr, port=str(port))
        rx5353, drops5353 = udp_queue(5353)
        rx5354, drops5354 = udp_queue(5354)
        return {
            "node_tcp_listen_queue_length": {
                k("tcp", "127.0.0.1", 8080): 0, k("tcp6", "::1", 8443): 2,
                k("tcp", "0.0.0.0", 3306): 4, k("tcp", "127.0.0.1", 7000): 0},
            "node_tcp_listen_queue_max": {
                k("tcp", "127.0.0.1", 8080): 16, k("tcp6", "::1", 8443): 32,
                k("tcp", "0.0.0.0", 3306): 3, k("tcp", "127.0.0.1", 7000): 128},
            "node_udp_listen_receive_queue_bytes": {
                k("udp", "127.0.0.1", 5353): rx5353, k("udp", "127.0.0.1", 5354): rx5354,
                k("udp6", "::1", 5355): 0},
            "node_udp_listen_drops_total": {
                k("udp", "127.0.0.1", 5353): drops5353, k("udp", "127.0.0.1", 5354): drops5354,
                k("udp6", "::1", 5355): 0},
        }


def time_wait_settled(exporter):
    """Scrapes until the 7000 connections have finished closing (server ends gone)."""
    def done():
        fams = exporter.scrape()
        c = series(fams, "node_tcp_connections")
        ok = (c.get(L(direction="outbound", port="7000", state="time_wait")) == 2
              and not any(dict(k)["port"] == "7000" and dict(k)["state"] != "established"
                          and dict(k)["direction"] == "inbound" for k in c))
        return fams if ok else None
    return wait_until(done, what="TIME_WAIT on port 7000 to settle")


class SocketsTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to create a network namespace")

    def test_exact_counts_netlink_procfs_and_node_exporter_agree(self):
        def run():
            sc = Scenario()
            common = ["--collector.disable-defaults", "--collector.sockets", "--collector.tcpstat",
                      EXCLUDE_WEB, "--collector.sockets.processes"]
            nl = Exporter(9100, *common, "--collector.sockets.source=netlink",
                          "--collector.tcpstat.source=netlink")
            pf = Exporter(9101, *common, "--collector.sockets.source=procfs",
                          "--collector.tcpstat.source=procfs")
            ne = Exporter(9102, "--collector.disable-defaults", "--collector.tcpstat",
                          binary=NODE_EXPORTER)
            try:
                for e in (nl, pf, ne):
                    e.connect()
                got_nl = time_wait_settled(nl)
                got_pf, got_ne = pf.scrape(), ne.scrape()
                # Listeners' per-socket drops and ListenOverflows, read right after the scrape.
                overflows = netstat_tcpext("ListenOverflows") - sc.overflows_before
                listen_drops = netstat_tcpext("ListenDrops")
                want_listeners = sc.expected_listeners()
                got_nl2 = nl.scrape()  # the UDP queues, read again at the same moment as /proc
            finally:
                for e in (nl, pf, ne):
                    e.stop()
                sc.close()

            for fams, name in ((got_nl, "netlink"), (got_pf, "procfs")):
                self.assertEqual(success(fams, "sockets"), 1, name)
                self.assertEqual(success(fams, "tcpstat"), 1, name)
                self.assertEqual(series(fams, "node_tcp_connections"), sc.expected_connections(),
                                 name)
                for fam in ("node_tcp_listen_queue_length", "node_udp_listen_drops_total"):
                    self.assertEqual(series(fams, fam, drop=("process",)), want_listeners[fam],
                                     f"{name} {fam}")
                # process attribution: this test process holds every listener
                for labels in series(fams, "node_tcp_listen_queue_length"):
                    self.assertEqual(dict(labels)["process"], sc.comm, f"{name} {labels}")
            for fam in ("node_tcp_listen_queue_max", "node_udp_listen_receive_queue_bytes"):
                self.assertEqual(series(got_nl2, fam, drop=("process",)), want_listeners[fam], fam)
            self.assertEqual(series(got_pf, "node_udp_listen_receive_queue_bytes", ("process",)),
                             series(got_nl, "node_udp_listen_receive_queue_bytes", ("process",)))
            self.assertGreaterEqual(want_listeners["node_udp_listen_receive_queue_bytes"][
                L(protocol="udp", address="127.0.0.1", port="5353")], 300)
            self.assertGreater(want_listeners["node_udp_listen_drops_total"][
                L(protocol="udp", address="127.0.0.1", port="5354")], 0)
            # /proc/net/tcp has no backlog and no TCP drops: those families are netlink-only.
            self.assertNotIn("node_tcp_listen_queue_max", got_pf)
            self.assertNotIn("node_tcp_listen_drops_total", got_pf)
            drops = series(got_nl, "node_tcp_listen_drops_total", drop=("process",))
            d3306 = drops.pop(L(protocol="tcp", address="0.0.0.0", port="3306"))
            self.assertGreaterEqual(d3306, 3)
            self.assertLessEqual(d3306, listen_drops)
            self.assertEqual(set(drops.values()), {0})
            self.assertGreaterEqual(overflows, 3)

            # tcpstat: test sockets plus three exporters, each with one listener and one
            # keep-alive connection (two established sockets).
            want_tcp = {"established": 3 * 2 + 2 * 2 + 4 * 2 + 3 * 2, "listen": 4 + 3,
                        "syn_sent": 3, "time_wait": 2, "rx_queued_bytes": 2 + 4}
            tc_nl = {dict(k)["state"]: v for k, v in series(got_nl, "node_tcp_connection_states").items()}
            tc_pf = {dict(k)["state"]: v for k, v in series(got_pf, "node_tcp_connection_states").items()}
            tc_ne = {dict(k)["state"]: v for k, v in series(got_ne, "node_tcp_connection_states").items()}
            tx = tc_nl.pop("tx_queued_bytes")
            self.assertEqual(tc_nl, want_tcp)
            # netlink reports a listener's backlog as its tx queue; /proc/net/tcp shows 0 there.
            # A socket in SYN_SENT has its SYN (one sequence number) unacknowledged.
            self.assertEqual(tc_pf.pop("tx_queued_bytes"), 3)
            self.assertEqual(tc_pf, want_tcp)
            self.assertEqual(tc_ne.pop("tx_queued_bytes"), tx)
            self.assertEqual(tc_ne, want_tcp)
            backlogs = 16 + 32 + 3 + 128
            self.assertGreater(tx, backlogs)  # plus the exporters' own listen backlogs
            # Same HELP and TYPE as node_exporter.
            self.assertEqual(got_nl["node_tcp_connection_states"].help,
                             got_ne["node_tcp_connection_states"].help)
            self.assertEqual(got_nl["node_tcp_connection_states"].type,
                             got_ne["node_tcp_connection_states"].type)

        in_new_netns(run)

    def test_max_ports_and_port_filters(self):
        def run():
            keep = []
            for i, port in enumerate((8001, 8002, 8003, 8004)):
                listener = tcp_listener("127.0.0.1", port, 64)
                keep.append(listener)
                for _ in range(i + 1):
                    keep.append(connect_wait("127.0.0.1", port))
                    keep.append(listener.accept()[0])
            capped = Exporter(9100, "--collector.disable-defaults", "--collector.sockets",
                              EXCLUDE_WEB, "--collector.sockets.max-ports=2")
            only = Exporter(9101, "--collector.disable-defaults", "--collector.sockets",
                            "--collector.sockets.port-include=8003,8004")
            try:
                capped.connect()
                only.connect()
                got_capped, got_only = capped.scrape(), only.scrape()
            finally:
                capped.stop()
                only.stop()
                for s in keep:
                    s.close()
            # Connections: the two busiest ports keep their series, the rest sum into "other".
            want = {}
            for d in ("inbound", "outbound"):
                want[L(direction=d, port="8004", state="established")] = 4
                want[L(direction=d, port="8003", state="established")] = 3
                want[L(direction=d, port="other", state="established")] = 1 + 2
            self.assertEqual(series(got_capped, "node_tcp_connections"), want)
            # Listeners: the two lowest ports, the rest folded.
            self.assertEqual(series(got_capped, "node_tcp_listen_queue_max"), {
                L(protocol="tcp", address="127.0.0.1", port="8001"): 64,
                L(protocol="tcp", address="127.0.0.1", port="8002"): 64,
                L(protocol="tcp", address="", port="other"): 128})
            # port-include: only 8003 and 8004, both directions (web port 9101 left out too).
            want_only = {k: v for k, v in want.items() if dict(k)["port"] != "other"}
            self.assertEqual(series(got_only, "node_tcp_connections"), want_only)
            self.assertEqual(set(dict(k)["port"] for k in
                                 series(got_only, "node_tcp_listen_queue_length")),
                             {"8003", "8004"})

        in_new_netns(run)


    @unittest.skipUnless(platform.machine() == "x86_64", "the seccomp filter is for x86_64")
    def test_auto_falls_back_to_procfs_without_netlink(self):
        def run():
            keep = []
            listener = tcp_listener("127.0.0.1", 8080, 8)
            keep.append(listener)
            for _ in range(2):
                keep.append(connect_wait("127.0.0.1", 8080))
            keep.append(listener.accept()[0])  # the second stays in the accept queue
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1", 5353))
            keep.append(u)
            args = ["--collector.disable-defaults", "--collector.sockets", "--collector.tcpstat",
                    EXCLUDE_WEB]
            nl = Exporter(9100, *args, "--collector.sockets.source=netlink")
            auto = Exporter(9101, *args, preexec_fn=deny_netlink_sockets)
            try:
                nl.connect()
                auto.connect()
                got_nl, got_auto = nl.scrape(), auto.scrape()
                log = auto.output()
            finally:
                nl.stop()
                auto.stop()
                for s in keep:
                    s.close()
            self.assertIn("netlink sock_diag unavailable, reading /proc/net instead", log)
            self.assertIn("Address family not supported", log)
            self.assertEqual(success(got_auto, "sockets"), 1)
            self.assertEqual(success(got_auto, "tcpstat"), 1)
            want = {L(direction="inbound", port="8080", state="established"): 2,
                    L(direction="outbound", port="8080", state="established"): 2}
            self.assertEqual(series(got_nl, "node_tcp_connections"), want)
            self.assertEqual(series(got_auto, "node_tcp_connections"), want)
            for fam in ("node_tcp_listen_queue_length", "node_udp_listen_receive_queue_bytes",
                        "node_udp_listen_drops_total"):
                self.assertEqual(series(got_auto, fam), series(got_nl, fam), fam)
                self.assertTrue(series(got_auto, fam), fam)
            self.assertEqual(series(got_auto, "node_tcp_listen_queue_length"),
                             {L(protocol="tcp", address="127.0.0.1", port="8080"): 1})
            self.assertIn("node_tcp_listen_queue_max", got_nl)
            self.assertNotIn("node_tcp_listen_queue_max", got_auto)
            states = {dict(k)["state"]: v for k, v in
                      series(got_auto, "node_tcp_connection_states").items()}
            self.assertEqual(states["established"], 2 * 2 + 2 * 2)  # + both exporters' conns
            self.assertEqual(states["listen"], 3)

        in_new_netns(run)


class MalformedProcNet(unittest.TestCase):
    """A bad /proc/net/tcp line fails the collector and publishes no count (a count missing one
    socket would be wrong)."""

    def test_bad_line_fails_collector(self):
        root = tempfile.mkdtemp()
        try:
            os.makedirs(os.path.join(root, "net"))
            good = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
                    "   uid  timeout inode\n"
                    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000002 00:00000000 00000000"
                    "     0        0 1001 1 0000000000000000 100 0 0 10 0\n"
                    "   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000"
                    "     0        0 1002 1 0000000000000000 20 4 30 10 -1\n")
            for name in ("tcp6", "udp", "udp6"):
                with open(os.path.join(root, "net", name), "w") as f:
                    f.write(good.splitlines()[0] + "\n")
            with open(os.path.join(root, "net", "tcp"), "w") as f:
                f.write(good)
            from vitals_testlib import Agent
            args = [f"--path.procfs={root}", "--collector.disable-defaults", "--collector.sockets",
                    "--collector.tcpstat", "--collector.sockets.source=procfs",
                    "--collector.tcpstat.source=procfs"]
            with Agent(*args) as agent:
                fams = parse_exposition(agent.scrape())
                self.assertEqual(success(fams, "sockets"), 1)
                self.assertEqual(series(fams, "node_tcp_connections"), {
                    L(direction="inbound", port="8080", state="established"): 0,
                    L(direction="outbound", port="8080", state="established"): 1})
                self.assertEqual(series(fams, "node_tcp_listen_queue_length"), {
                    L(protocol="tcp", address="127.0.0.1", port="8080"): 2})
                self.assertEqual(series(fams, "node_tcp_connection_states"), {
                    L(state="listen"): 1, L(state="established"): 1,
                    L(state="rx_queued_bytes"): 2, L(state="tx_queued_bytes"): 0})
                with open(os.path.join(root, "net", "tcp"), "a") as f:
                    f.write("   2: 0100007F:9C41 0100007F:1F90 01 zz:00000000 00:00000000 0 0 0 9\n")
                fams = parse_exposition(agent.scrape())
                self.assertEqual(success(fams, "sockets"), 0)
                self.assertEqual(success(fams, "tcpstat"), 0)
                self.assertNotIn("node_tcp_connections", fams)
                self.assertNotIn("node_tcp_connection_states", fams)
                log = agent.output()
            self.assertIn("net/tcp:4: invalid tx_queue:rx_queue", log)
        finally:
            shutil.rmtree(root)

    def test_bad_flags_refused_at_startup(self):
        for flag in ("--collector.sockets.port-include=80,x", "--collector.sockets.source=nope",
                     "--collector.sockets.max-ports=-1"):
            r = subprocess.run([VITALS_BIN, flag, "--web.listen-address=127.0.0.1:1"],
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0, flag)
            self.assertIn("collector.sockets", r.stdout + r.stderr, flag)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
