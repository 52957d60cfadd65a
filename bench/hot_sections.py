#!/usr/bin/env python3
"""Writes agent/hot-sections.txt: the code sections of the vitals binary that run, in two tiers,
for the linker to put first (CMake option VITALS_HOT_LAYOUT, ld.gold --section-ordering-file).

The kernel maps an executable's pages 64 KiB at a time ("fault-around"), so a window holding
one function that runs is resident however much cold code shares it. Grouping the code that
runs (at start-up and in scrapes) keeps the windows that hold only cold code (APM decoding,
protobuf and OpenMetrics writers, collectors that are off, error paths) out of the resident set.

Tier 1 is what scrapes run with node_exporter's default collector set; tier 2 adds what they
run with vitals' own defaults (containers, sockets, APM listeners); tier 3 is what only runs at
start-up (its pages are unmapped once the agent is up: core/resident.h). Found by running
build/vitals under valgrind's callgrind and scraping it. Functions added later and not listed only end up among
the cold code (correct, just less compact): re-run this after larger changes.
  python3 bench/hot_sections.py            (needs valgrind; run after scripts/dev build)"""

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "vitals")
OUT = os.path.join(ROOT, "agent", "hot-sections.txt")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def executed_functions(flags, scrapes=4, startup=True):
    """Mangled names of the vitals functions that ran while the agent served `scrapes` scrapes
    in each exposition format, and (with `startup`) while it started."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--demangle=no",
                                 f"--instr-atstart={'yes' if startup else 'no'}",
                                 f"--callgrind-out-file={out}", BIN,
                                 f"--web.listen-address=127.0.0.1:{port}"] + flags,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                c.request("GET", "/-/ready")
                c.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    proc.kill()
                    raise SystemExit("vitals under valgrind did not start")
                time.sleep(0.5)
        if not startup:
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(scrapes):
            for accept in ("", "application/openmetrics-text; version=1.0.0",
                           "application/vnd.google.protobuf; proto=io.prometheus.client."
                           "MetricFamily; encoding=delimited"):
                for enc in ("gzip", ""):
                    headers = {"Accept-Encoding": enc} if enc else {}
                    if accept:
                        headers["Accept"] = accept
                    c.request("GET", "/metrics", headers=headers)
                    c.getresponse().read()
        c.request("GET", "/")
        c.getresponse().read()
        proc.terminate()
        proc.wait(120)
        return parse_callgrind(out)


def parse_callgrind(path):
    objs, fns, current, ran = {}, {}, None, set()
    pat = re.compile(r"^(c?ob|c?fn)=\((\d+)\)(?: (.*))?$")
    with open(path, errors="replace") as f:
        for line in f:
            m = pat.match(line.rstrip("\n"))
            if not m:
                continue
            kind, ident, name = m.groups()
            if kind in ("ob", "cob"):
                if name:
                    objs[ident] = name
                if kind == "ob":
                    current = objs.get(ident, "")
            else:
                if name:
                    fns[ident] = name
                if kind == "fn" and current and current.endswith("/build/vitals"):
                    ran.add(fns[ident])
    return ran


def section_names(fn):
    """The input sections (-ffunction-sections) that may hold function `fn`."""
    names = {fn}
    # Complete-object constructors and destructors (C1, D1) are aliases of the base-object
    # ones (C2, D2), whose names the sections carry.
    names.add(re.sub(r"([CD])1([EI])", r"\g<1>2\g<2>", fn))
    out = []
    for n in sorted(names):
        if n.endswith(".cold"):  # the cold part GCC split off a function
            out.append(".text.unlikely." + n[:-len(".cold")])
            continue
        # GCC puts main and functions that only run at start-up in .text.startup.*
        out += [".text." + n, ".text.startup." + n]
    return out


def main():
    if not os.path.exists(BIN):
        raise SystemExit("build/vitals is missing: run scripts/dev build first")
    node_set = ["--no-collector.containers", "--no-collector.sockets",
                "--apm.otlp.listen-address=", "--apm.zipkin.listen-address="]
    defaults = [f"--apm.otlp.listen-address=127.0.0.1:{free_port()}",
                f"--apm.zipkin.listen-address=127.0.0.1:{free_port()}"]
    tier1 = executed_functions(node_set, startup=False)
    tier2 = executed_functions(defaults, startup=False) - tier1
    tier3 = (executed_functions(node_set) | executed_functions(defaults)) - tier1 - tier2
    lines = ["# Written by bench/hot_sections.py: code sections of build/vitals that run, "
             "for ld.gold --section-ordering-file.",
             "# Tier 1: scrapes, node_exporter's default collector set.  Tier 2: scrapes, "
             "vitals' defaults.  Tier 3: start-up only."]
    seen = set()
    for tier in (tier1, tier2, tier3):
        for fn in sorted(tier):
            if fn.startswith("0x") or " " in fn:
                continue
            for name in section_names(fn):
                if name not in seen:
                    seen.add(name)
                    lines.append(name)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{OUT}: {len(tier1)}, {len(tier2)} and {len(tier3)} functions in tiers 1, 2, 3")


if __name__ == "__main__":
    sys.exit(main())
