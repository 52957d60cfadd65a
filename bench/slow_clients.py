#!/usr/bin/env python3
"""Memory and scrape time of the agent idle and with 512 hostile connections (half send half a
request header and wait, half send nothing), on the metrics port and on the OTLP port.

  bench/slow_clients.py [build/vitals]

Runs the agent with its defaults (the span listeners on free loopback ports instead of 4318 and
9411). Prints VmRSS and RssAnon (/proc/PID/status) and the time of one scrape for:
  idle                      after 5 scrapes
  4 sources x 128           512 connections to the metrics port from 127.0.0.2-5
  + OTLP 1 source x 512     and 512 more to the OTLP port from 127.0.0.6
  512 sources x 1           512 connections from 512 addresses (beyond what per-source
                            limits can help with: parked by the header gate)
  + OTLP 512 sources x 1    and 512 more to the OTLP port from 512 other addresses
"""

import http.client
import os
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "Threads"):
                out[k] = int(v.split()[0])
    return out


def scrape(port, timeout=120):
    t = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", "/metrics")
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 200
    return time.monotonic() - t


def hostile(port, sources, n=512):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind((sources[i % len(sources)], 0))
        s.connect(("127.0.0.1", port))
        if i % 2 == 0:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: slow")
        socks.append(s)
    return socks


def report(what, pid, secs):
    s = status(pid)
    print(f"{what:28s} VmRSS {s['VmRSS'] / 1024:6.1f} MB  RssAnon {s['RssAnon'] / 1024:6.1f} MB  "
          f"threads {s['Threads']:4d}  scrape {secs:7.3f} s", flush=True)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/vitals"
    port, otlp, zipkin = free_port(), free_port(), free_port()
    p = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}",
                          f"--apm.otlp.listen-address=localhost:{otlp}",
                          f"--apm.zipkin.listen-address=localhost:{zipkin}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                scrape(port, timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        for _ in range(5):
            secs = scrape(port)
        report("idle", p.pid, secs)
        a = hostile(port, [f"127.0.0.{i}" for i in range(2, 6)])
        time.sleep(1)  # let the agent accept them (this is a benchmark, not a test)
        report("4 sources x 128", p.pid, scrape(port))
        b = hostile(otlp, ["127.0.0.6"])
        time.sleep(1)
        report("+ OTLP 1 source x 512", p.pid, scrape(port))
        for s in a + b:
            s.close()
        time.sleep(6)  # past the header timeout: every held connection is gone
        c = hostile(port, [f"127.0.{1 + i // 250}.{2 + i % 250}" for i in range(512)])
        time.sleep(1)
        report("512 sources x 1", p.pid, scrape(port))
        d = hostile(otlp, [f"127.0.{11 + i // 250}.{2 + i % 250}" for i in range(512)])
        time.sleep(1)
        report("+ OTLP 512 sources x 1", p.pid, scrape(port))
        for s in c + d:
            s.close()
    finally:
        p.terminate()
        p.wait()


if __name__ == "__main__":
    main()
