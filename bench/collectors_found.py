#!/usr/bin/env python3
"""The collectors that find something on this machine: those both node_exporter 1.5.0 and vitals
implement that report node_scrape_collector_success 1 in both with every such collector enabled,
and for which vitals alone makes at least one family of its own (not node_scrape_*, the process
or HTTP handler families). Prints them space-separated, for bench/host_collectors.sh.

usage: bench/collectors_found.py [--vitals BIN] [--node-exporter BIN] [--ne-args "..."]"""

import argparse
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from scrape_cost import free_port  # noqa: E402

OWN = re.compile(r"^(node_scrape_collector_|go_|process_|promhttp_|vitals_|node_exporter_)")


def scrape(argv):
    port = free_port()
    p = subprocess.Popen(argv + [f"--web.listen-address=127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
                    return r.read().decode()
            except OSError:
                if time.monotonic() > deadline or p.poll() is not None:
                    raise SystemExit(f"{argv[0]} did not start")
                time.sleep(0.05)
    finally:
        p.terminate()
        p.wait(10)


def succeeded(text):
    return {m.group(1) for m in re.finditer(
        r'^node_scrape_collector_success\{collector="([^"]+)"\} 1$', text, re.M)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vitals", default="build/vitals")
    ap.add_argument("--node-exporter", default="/usr/bin/prometheus-node-exporter")
    ap.add_argument("--ne-args", default="")
    a = ap.parse_args()
    h = subprocess.run([a.node_exporter, "--help"], capture_output=True, text=True)
    ne = set(re.findall(r"--(?:\[no-\])?collector\.([a-z_0-9]+)\s+Enable the", h.stdout + h.stderr))
    listed = subprocess.run([a.vitals, "--list-collectors"], capture_output=True, text=True,
                            check=True).stdout.split("\n")
    vitals = {l.split()[0] for l in listed if l.endswith(" implemented")}
    both = sorted(ne & vitals)
    flags = ["--collector.disable-defaults"] + [f"--collector.{c}" for c in both]
    ok = succeeded(scrape([a.node_exporter] + a.ne_args.split() + flags)) & \
        succeeded(scrape([a.vitals] + flags))
    found = []
    for c in sorted(ok):
        text = scrape([a.vitals, "--collector.disable-defaults", f"--collector.{c}"])
        if any(l and not l.startswith("#") and not OWN.match(l) for l in text.splitlines()):
            found.append(c)
    print(" ".join(found))


if __name__ == "__main__":
    main()
