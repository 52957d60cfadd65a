"""Netlink sock_diag dumps under a socket storm (issue 17, "netlink ENOBUFS and truncated dumps"):
the sockets and tcpstat collectors are scraped back to back in a private network namespace while
a helper process there opens and closes thousands of TCP connections on loopback. vitals runs
with its test hook VITALS_TEST_NETLINK_OVERRUN=1 (collectors/net/sock_diag.h: a 1-byte receive
buffer and the kernel's TCP-destroy notifications on the dump socket), which makes the kernel
report ENOBUFS mid-dump whenever sockets close during a dump. Asserted: every scrape is a 200;
each collector either succeeds or fails with the clear message (ENOBUFS, still after the last
of 3 attempts), never with anything else; the retries are counted in
vitals_netlink_dump_retries_total{reason="enobufs"} (and the given-up dumps in
vitals_netlink_dump_failures_total); the agent stays up. Then, in a quiet phase with a known
set of connections held open, node_tcp_connection_states and node_tcp_connections equal what
`ss -tan` shows in the namespace.

The same for rtnetlink: netdev scraped back to back while veth pairs are made and deleted in the
namespace (next to 50 pairs that stay, so that a dump takes several datagrams): the kernel flags
some RTM_GETLINK dumps NLM_F_DUMP_INTR; each is repeated and counted in
vitals_netlink_dump_retries_total{reason="interrupted"}, none is published, and once the churn
stops the devices are exactly the namespace's links."""

import http.client
import os
import socket
import subprocess
import sys
import unittest
from collections import Counter

import test_netclass_netns as nn
from test_netclass_netns import NetnsAgent, in_netns
from vitals_testlib import VITALS_BIN, parse_exposition, require_tool, wait_until

NS = nn.NS = f"vitals-nlfault-{os.getpid()}"
COLLECTORS = ["--collector.disable-defaults", "--collector.sockets", "--collector.tcpstat",
              "--collector.sockets.source=netlink", "--collector.tcpstat.source=netlink"]
STORM_CONNECTIONS = 3000
HELD = 40
LINK_CHURN = 80
BASE_LINKS = 50

# Opens and closes connections to a listener of its own as fast as it can, half closed with a
# reset (SO_LINGER 0: no TIME_WAIT), half with a FIN (the client side then waits in TIME_WAIT).
STORM = r"""
import socket, struct, sys
n = int(sys.argv[1])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4096)
addr = srv.getsockname()
for i in range(n):
    c = socket.socket()
    c.connect(addr)
    s, _ = srv.accept()
    if i % 2:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    s.close()
print(n, addr[1], flush=True)
"""

SS_STATES = {"ESTAB": "established", "SYN-SENT": "syn_sent", "SYN-RECV": "syn_recv",
             "FIN-WAIT-1": "fin_wait1", "FIN-WAIT-2": "fin_wait2", "TIME-WAIT": "time_wait",
             "UNCONN": "close", "CLOSE-WAIT": "close_wait", "LAST-ACK": "last_ack",
             "LISTEN": "listen", "CLOSING": "closing"}


def ss_sockets():
    """[(state, local port, peer port)] of every TCP socket in the namespace (IPv4 and IPv6)."""
    out = subprocess.run(["ip", "netns", "exec", NS, "ss", "-tanH"], capture_output=True,
                         text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        rows.append((SS_STATES[f[0]], int(f[3].rsplit(":", 1)[1]), int(f[4].rsplit(":", 1)[1])
                     if f[4].rsplit(":", 1)[1] != "*" else 0))
    return sorted(rows)


def truth(rows):
    """What tcpstat and sockets should report for these sockets: ({state: n},
    {(direction, port, state): n})."""
    states = Counter(s for s, _, _ in rows)
    listening = {lp for s, lp, _ in rows if s == "listen"}
    conns = Counter()
    for port in listening:
        conns[("inbound", str(port), "established")] += 0  # always shown for a listening port
    for s, lp, pp in rows:
        if s == "listen":
            continue
        if lp in listening:
            conns[("inbound", str(lp), s)] += 1
        else:
            conns[("outbound", str(pp), s)] += 1
    return dict(states), dict(conns)


def reported(fams):
    states = {dict(k[1])["state"]: v for k, v in fams["node_tcp_connection_states"].samples.items()
              if dict(k[1])["state"] not in ("rx_queued_bytes", "tx_queued_bytes")}
    conns = {}
    if "node_tcp_connections" in fams:
        for k, v in fams["node_tcp_connections"].samples.items():
            lab = dict(k[1])
            conns[(lab["direction"], lab["port"], lab["state"])] = v
    return states, conns


def success(fams, collector):
    return fams["node_scrape_collector_success"].samples[
        ("node_scrape_collector_success", frozenset({("collector", collector)}))]


def counter_sum(fams, name, reason=None):
    f = fams.get(name)
    if not f:
        return 0.0
    return sum(v for k, v in f.samples.items()
               if reason is None or dict(k[1]).get("reason") == reason)


@unittest.skipUnless(os.geteuid() == 0, "needs root to make a network namespace")
class NetlinkFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_tool("ip", "iproute2")
        require_tool("ss", "iproute2")
        subprocess.run(["ip", "netns", "add", NS], check=True)
        try:
            subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
        except BaseException:
            subprocess.run(["ip", "netns", "del", NS])
            raise

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["ip", "netns", "del", NS], check=True)

    def test_socket_storm_then_exact_totals(self):
        # The known connections of the quiet phase, opened first (sockets made on a thread in
        # the namespace stay there): one listener with HELD accepted connections.
        def hold():
            srv = socket.socket()
            srv.bind(("127.0.0.1", 0))
            srv.listen(HELD)
            conns = []
            for _ in range(HELD):
                c = socket.create_connection(srv.getsockname())
                s, _ = srv.accept()
                conns += [c, s]
            return [srv] + conns
        held = in_netns(hold)
        agent = NetnsAgent(*COLLECTORS,
                           binary=f"env VITALS_TEST_NETLINK_OVERRUN=1 {VITALS_BIN}")
        try:
            # Storm phase: scrape back to back while the helper runs.
            storm = subprocess.Popen(["ip", "netns", "exec", NS, sys.executable, "-c", STORM,
                                      str(STORM_CONNECTIONS)], stdout=subprocess.PIPE, text=True)
            scrapes, failed = 0, Counter()
            while storm.poll() is None or scrapes < 3:
                fams = parse_exposition(agent.scrape())  # asserts the 200
                scrapes += 1
                for c in ("sockets", "tcpstat"):
                    ok = success(fams, c)
                    self.assertIn(ok, (0.0, 1.0))
                    failed[c] += ok == 0.0
            out, _ = storm.communicate(timeout=30)
            self.assertEqual(storm.returncode, 0, out)
            self.assertEqual(int(out.split()[0]), STORM_CONNECTIONS)
            self.assertIsNone(agent.proc.poll(), "vitals exited:\n" + agent.output())
            fams = parse_exposition(agent.scrape())
            retries = counter_sum(fams, "vitals_netlink_dump_retries_total", "enobufs")
            given_up = counter_sum(fams, "vitals_netlink_dump_failures_total")
            print(f"storm: {STORM_CONNECTIONS} connections, {scrapes} scrapes, collector "
                  f"failures {dict(failed)}, enobufs retries {retries:.0f}, dumps given up "
                  f"{given_up:.0f}", file=sys.stderr)
            self.assertGreater(retries, 0, "no ENOBUFS retry counted:\n" + agent.output())
            # Each collector failure was a dump still overrun after the last attempt, counted.
            self.assertEqual(given_up, counter_sum(
                fams, "vitals_netlink_dump_failures_total", "enobufs"))
            self.assertGreaterEqual(given_up, max(failed.values()))
            for line in agent.output().splitlines():
                if "collector failed" not in line:
                    continue
                self.assertRegex(line, r"name=(sockets|tcpstat)")
                self.assertRegex(line, r"No buffer space available.*\(attempt 3 of 3\)")

            # Quiet phase: the totals equal `ss -tan` read before and after the scrape (a
            # TIME_WAIT socket expiring in between only makes us look again). The scrapes go over
            # one kept-alive connection made in the namespace, so that they add no socket.
            conn = in_netns(lambda: http.client.HTTPConnection("127.0.0.1", agent.port,
                                                               timeout=30))
            in_netns(conn.connect)

            def scrape():
                conn.request("GET", "/metrics")
                r = conn.getresponse()
                body = r.read().decode()
                self.assertEqual(r.status, 200, body[:300])
                return parse_exposition(body)

            def exact():
                before = ss_sockets()
                fams = scrape()
                after = ss_sockets()
                if before != after:
                    return False
                self.assertEqual(success(fams, "tcpstat"), 1.0, agent.output())
                self.assertEqual(success(fams, "sockets"), 1.0, agent.output())
                exact.last = (reported(fams), truth(before))
                return exact.last[0] == exact.last[1]
            exact.last = None
            try:
                wait_until(exact, timeout=20, what="totals equal to ss -tan")
            except AssertionError:
                self.assertEqual(exact.last[0], exact.last[1])
                raise
            conn.close()
            states, conns = exact.last[0]
            # The held listener and vitals' own; the held connections and the scrape's.
            self.assertEqual(states.get("listen"), 2.0)
            self.assertEqual(states.get("established"), 2.0 * HELD + 2)
            self.assertIn("time_wait", states, "the storm's FIN-closed clients wait in TIME_WAIT")
        finally:
            agent.stop()
            for s in held:
                s.close()

    def test_link_churn_then_exact_links(self):
        """RTM_GETLINK dumps flagged NLM_F_DUMP_INTR while links come and go (about one dump in
        five here): netdev repeats them and never publishes one; then exact devices."""
        agent = NetnsAgent("--collector.disable-defaults", "--collector.netdev",
                           "--collector.netdev.device-exclude=^$")
        try:
            # Enough links that a dump takes several datagrams: the kernel can flag a change only
            # between two of them.
            base = "".join(f"link add base{i} type veth peer name basep{i}\n"
                           for i in range(BASE_LINKS))
            subprocess.run(["ip", "-n", NS, "-batch", "-"], input=base, text=True, check=True)
            churn = "".join(f"link add churn{i} type veth peer name churnp{i}\nlink del churn{i}\n"
                            for i in range(LINK_CHURN))
            p = subprocess.Popen(["ip", "-n", NS, "-force", "-batch", "-"], stdin=subprocess.PIPE,
                                 text=True)
            p.stdin.write(churn)
            p.stdin.close()
            scrapes, failed = 0, 0
            while p.poll() is None or scrapes < 3:
                fams = parse_exposition(agent.scrape())
                scrapes += 1
                ok = success(fams, "netdev")
                self.assertIn(ok, (0.0, 1.0))
                failed += ok == 0.0
            self.assertEqual(p.wait(), 0)
            fams = parse_exposition(agent.scrape())
            retries = counter_sum(fams, "vitals_netlink_dump_retries_total", "interrupted")
            given_up = counter_sum(fams, "vitals_netlink_dump_failures_total")
            print(f"link churn: {LINK_CHURN} veth pairs made and deleted, {scrapes} scrapes, "
                  f"netdev failures {failed}, interrupted retries {retries:.0f}, dumps given up "
                  f"{given_up:.0f}", file=sys.stderr)
            self.assertGreater(retries, 0, "no NLM_F_DUMP_INTR retry counted")
            self.assertEqual(given_up, counter_sum(
                fams, "vitals_netlink_dump_failures_total", "interrupted"))
            self.assertGreaterEqual(given_up, failed)
            for line in agent.output().splitlines():
                if "collector failed" in line:
                    self.assertRegex(line, r"NLM_F_DUMP_INTR.*\(attempt 3 of 3\)")
            # Quiet: exactly the namespace's links (lo, the base pairs; the churn left nothing).
            links = {l.split(":")[1].strip().split("@")[0] for l in subprocess.run(
                ["ip", "-n", NS, "-o", "link", "show"], capture_output=True, text=True,
                check=True).stdout.splitlines()}
            fams = parse_exposition(agent.scrape())
            self.assertEqual(success(fams, "netdev"), 1.0, agent.output())
            devices = {dict(k[1])["device"]
                       for k in fams["node_network_receive_bytes_total"].samples}
            self.assertEqual(devices, links)
        finally:
            agent.stop()


if __name__ == "__main__":
    from vitals_testlib import main
    main()
