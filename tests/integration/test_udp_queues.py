"""udp_queues on the live host: the netlink sock_diag source (default) and the /proc/net/udp
source give the same sums, and they equal the sums of /proc/net/udp's queue columns, with a
socket holding unread datagrams so the receive queue is not zero."""

import socket
import unittest

from vitals_testlib import Agent, parse_exposition, wait_until


def proc_sums(path):
    tx = rx = 0
    with open(path) as f:
        next(f)
        for line in f:
            t, r = line.split()[4].split(":")
            tx += int(t, 16)
            rx += int(r, 16)
    return tx, rx


def scraped(agent):
    f = parse_exposition(agent.scrape("/metrics?collect[]=udp_queues"))["node_udp_queues"]
    val = lambda q: f.samples[("node_udp_queues", frozenset({("ip", "v4"), ("queue", q)}))]
    return val("tx"), val("rx")


class UdpQueues(unittest.TestCase):
    def test_netlink_equals_procfs_and_the_file(self):
        rcv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rcv.bind(("127.0.0.1", 0))
        snd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(5):
            snd.sendto(b"x" * 100, rcv.getsockname())
        try:
            with Agent() as nl, Agent("--collector.udp_queues.source=procfs") as pf:
                def agree():
                    a, b, c = scraped(nl), scraped(pf), proc_sums("/proc/net/udp")
                    return a == b == c and a[1] > 0 and (a, c)
                (got, want) = wait_until(agree, timeout=30, what="netlink, procfs and file agree")
                self.assertEqual(got, want)
        finally:
            rcv.close()
            snd.close()


if __name__ == "__main__":
    from vitals_testlib import main
    main()
