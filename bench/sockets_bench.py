#!/usr/bin/env python3
"""Benchmark of the sockets and tcpstat collectors (not a ctest test; run as root).

In a network namespace of its own (so the host's sockets and the other users of this machine are
not counted, and nothing here disturbs them) it opens 20,000 and then 100,000 established loopback
connections, held by several processes (at most 5,000 connections, 10,000 descriptors, each), and
at each size measures the CPU time (user + system, from /proc/<pid>/stat or getrusage: not wall
time, since the machine may be busy) per scrape or run of:

  floor             bench/sock_diag_floor.cpp: nothing but the netlink dump tcpstat does
  vitals tcpstat    /metrics?collect[]=tcpstat
  vitals sockets    /metrics?collect[]=sockets
  vitals (nothing)  /metrics of a vitals with no collector: the HTTP and framework share
  node_exporter     node_exporter 1.5.0 --collector.tcpstat only
  ss -s, ss -tan    one run each (process start included), output to /dev/null

and the memory of vitals (sockets + tcpstat) and of node_exporter before any connection and at
the largest size: RSS (VmRSS), anonymous (RssAnon) and private (USS = Private_Clean +
Private_Dirty of smaps_rollup). Each measurement is repeated
in three interleaved rounds and the median reported (the rounds go to stderr).

    sudo python3 bench/sockets_bench.py [--vitals build/vitals] [--sizes 20000,100000]
"""

import argparse
import ctypes
import http.client
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLONE_NEWNET = 0x40000000
PER_HOLDER = 5000
ROUNDS = 3
TICK = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"


def hold(port, n):
    """Holder process: a listener on `port` and n connections to it, both ends kept open."""
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(4096)
    keep = []
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port))
        s, _ = lst.accept()
        keep += [c, s]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the benchmark closes our stdin


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def memory_kib(pid):
    """(RSS, anonymous, private) KiB of a process."""
    m = {"USS": 0}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                m[k] = int(v.split()[0])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Private_Clean", "Private_Dirty"):
                m["USS"] += int(v.split()[0])
    return m["VmRSS"], m["RssAnon"], m["USS"]


def listening(port):
    for name in ("tcp", "tcp6"):
        with open(f"/proc/self/net/{name}") as f:
            for line in f.read().splitlines()[1:]:
                p = line.split()
                if p[3] == "0A" and int(p[1].split(":")[1], 16) == port:
                    return True
    return False


class Server:
    def __init__(self, port, argv):
        self.port = port
        self.proc = subprocess.Popen(argv + [f"--web.listen-address=127.0.0.1:{port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not listening(port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{argv[0]} did not start")
            time.sleep(0.05)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path):
        try:
            self.conn.request("GET", path)
            r = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()  # an idle keep-alive connection the server closed; open another
            self.conn.request("GET", path)
            r = self.conn.getresponse()
        body = r.read().decode()
        if r.status != 200:
            raise SystemExit(f"GET {path}: {r.status} {body[:200]}")
        return body

    def per_scrape(self, path, min_cpu=2.0, min_n=5, max_n=50):
        """CPU seconds of the server per GET of path (utime+stime, averaged)."""
        self.get(path)  # warm up
        start, n = cpu_of(self.proc.pid), 0
        while n < min_n or (cpu_of(self.proc.pid) - start < min_cpu and n < max_n):
            body = self.get(path)
            n += 1
        return (cpu_of(self.proc.pid) - start) / n, body

    def stop(self):
        self.conn.close()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def per_run(argv, min_cpu=2.0, min_n=5, max_n=50):
    start, n = children_cpu(), 0
    while n < min_n or (children_cpu() - start < min_cpu and n < max_n):
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        n += 1
    return (children_cpu() - start) / n


def floor(binary):
    out = subprocess.run([binary, "3"], capture_output=True, text=True, check=True).stdout
    one = float(out.split("cpu_per_dump_us=")[1]) / 1e6
    n = max(5, min(200, int(2.0 / max(one, 1e-4))))
    out = subprocess.run([binary, str(n)], capture_output=True, text=True, check=True).stdout
    f = dict(kv.split("=") for kv in out.split())
    return float(f["cpu_per_dump_us"]) / 1e6, int(f["sockets"])


def tcp_sockets(metrics_text):
    total = 0
    for line in metrics_text.splitlines():
        if line.startswith("node_tcp_connection_states{") and "queued_bytes" not in line:
            total += int(float(line.split()[-1]))
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vitals", default=os.path.join(HERE, "..", "build", "vitals"))
    ap.add_argument("--sizes", default="20000,100000")
    ap.add_argument("--hold", nargs=2, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.hold:
        return hold(*args.hold)
    if os.geteuid() != 0:
        raise SystemExit("run as root (the benchmark makes a network namespace)")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise SystemExit("unshare(CLONE_NEWNET) failed: errno %d" % ctypes.get_errno())
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
        f.write("10000 65000")

    tmp = tempfile.mkdtemp()
    floor_bin = os.path.join(tmp, "sock_diag_floor")
    subprocess.run(["g++", "-O2", "-std=c++20", "-o", floor_bin,
                    os.path.join(HERE, "sock_diag_floor.cpp")], check=True)

    # Without the APM span listeners: two agents would both claim their ports.
    no_apm = ["--apm.otlp.listen-address=", "--apm.zipkin.listen-address="]
    vitals = [args.vitals, "--collector.disable-defaults", "--collector.sockets",
              "--collector.tcpstat", "--web.disable-exporter-metrics"] + no_apm
    v = Server(19100, vitals)
    empty = Server(19101, [args.vitals, "--collector.disable-defaults",
                           "--web.disable-exporter-metrics"] + no_apm)
    ne = Server(19102, [NODE_EXPORTER, "--collector.disable-defaults", "--collector.tcpstat",
                        "--web.disable-exporter-metrics"])
    v.get("/metrics")
    ne.get("/metrics")
    mem_before = {"vitals": memory_kib(v.proc.pid), "node_exporter": memory_kib(ne.proc.pid)}
    holders = []
    held = 0
    rows = []
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            while held < size:
                n = min(PER_HOLDER, size - held)
                held += n
                h = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--hold",
                                      str(6000 + len(holders)), str(n)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                if h.stdout.readline().strip() != "ready":
                    raise SystemExit("holder failed")
                holders.append(h)
            sockets = tcp_sockets(v.get("/metrics?collect[]=tcpstat"))
            # Interleaved rounds, the median of each: load from other users of the machine
            # then weighs on every tool alike.
            runs = {k: [] for k in ("floor", "tcpstat", "sockets", "base", "ne", "ss_s", "ss_tan")}
            for _ in range(ROUNDS):
                runs["floor"].append(floor(floor_bin)[0])
                runs["tcpstat"].append(v.per_scrape("/metrics?collect[]=tcpstat")[0])
                runs["sockets"].append(v.per_scrape("/metrics?collect[]=sockets")[0])
                runs["base"].append(empty.per_scrape("/metrics", max_n=2000)[0])
                runs["ne"].append(ne.per_scrape("/metrics")[0])
                runs["ss_s"].append(per_run(["ss", "-s"]))
                runs["ss_tan"].append(per_run(["ss", "-tan"]))
            m = {k: statistics.median(v) for k, v in runs.items()}
            print(f"{size} connections, {sockets} TCP sockets: " +
                  ", ".join(f"{k} {[round(x * 1e3, 1) for x in v]}" for k, v in runs.items()),
                  file=sys.stderr)
            rows.append((size, sockets, 0, m["floor"], m["tcpstat"], m["sockets"], m["base"],
                         m["ne"], m["ss_s"], m["ss_tan"]))
        mem_after = {"vitals": memory_kib(v.proc.pid), "node_exporter": memory_kib(ne.proc.pid)}
    finally:
        for h in holders:
            h.stdin.close()
        for h in holders:
            h.wait()
        for s in (v, empty, ne):
            s.stop()
        shutil.rmtree(tmp)

    print("CPU time (utime+stime) per scrape or run, in ms; us/socket in brackets; "
          "ratio to the floor after the slash.")
    print()
    print("| connections | TCP sockets | floor | vitals tcpstat | vitals sockets | vitals, no "
          "collector | node_exporter tcpstat | ss -s | ss -tan |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size, sockets, _, fl, tcpstat, sock, base, ne_cpu, ss_s, ss_tan in rows:
        def cell(sec):
            return f"{sec * 1e3:.1f} [{sec / sockets * 1e6:.2f}] / {sec / fl:.2f}x"
        print(f"| {size:,} | {sockets:,} | {fl * 1e3:.1f} [{fl / sockets * 1e6:.2f}] | "
              f"{cell(tcpstat)} | {cell(sock)} | {base * 1e3:.2f} | {cell(ne_cpu)} | "
              f"{ss_s * 1e3:.1f} | {cell(ss_tan)} |")
    print()
    for size, _, _, fl, tcpstat, sock, _, ne_cpu, _, _ in rows:
        print(f"{size:,} connections: vitals sockets = {sock / fl:.2f}x floor, "
              f"{sock / ne_cpu:.2f}x node_exporter tcpstat; vitals tcpstat = "
              f"{tcpstat / fl:.2f}x floor, {tcpstat / ne_cpu:.2f}x node_exporter tcpstat")
    if len(rows) >= 2:
        (_, s0, _, f0, t0, k0, _, n0, _, _), (_, s1, _, f1, t1, k1, _, n1, _, _) = rows[0], rows[-1]
        per = lambda a, b: (b - a) / (s1 - s0) * 1e6  # noqa: E731
        print(f"marginal CPU per TCP socket between the sizes: floor {per(f0, f1):.2f} us, "
              f"vitals tcpstat {per(t0, t1):.2f} us, vitals sockets {per(k0, k1):.2f} us, "
              f"node_exporter tcpstat {per(n0, n1):.2f} us")
    print()
    print(f"| KiB | RSS before | anon before | USS before | RSS at {rows[-1][0]:,} | anon at "
          f"{rows[-1][0]:,} | USS at {rows[-1][0]:,} |")
    print("|---|---|---|---|---|---|---|")
    for name in ("vitals", "node_exporter"):
        print(f"| {name} | " + " | ".join(str(x) for x in mem_before[name] + mem_after[name]) + " |")


if __name__ == "__main__":
    main()
