#!/usr/bin/env python3
"""Where a running process's anonymous memory is: RssAnon split by kind of mapping, from
/proc/PID/smaps, with thread stacks named by their threads (a blocked thread's stack pointer is
in /proc/PID/task/TID/syscall; reading it needs root or the same user).

  bench/memory_map.py PID

Kinds: [heap] (the main malloc arena), thread stacks (per thread name: count, anon KiB, mapping
size), malloc arenas of other threads and other unnamed anonymous mappings, libraries' written
data (.data, .bss, relocated RELRO), the main stack. Private_Clean/Private_Dirty totals of
smaps_rollup (USS) are printed too."""

import collections
import os
import re
import sys


def mappings(pid):
    rows, cur = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split(None, 5)
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                cur = {"lo": lo, "hi": hi, "perm": parts[1],
                       "name": parts[5].strip() if len(parts) > 5 else ""}
                rows.append(cur)
            else:
                k, _, v = line.partition(":")
                if k in ("Anonymous", "Private_Clean", "Private_Dirty", "Rss"):
                    cur[k] = int(v.split()[0])
    return rows


def thread_stack_pointers(pid):
    sps = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                fields = f.read().split()
        except OSError:
            continue
        if len(fields) >= 3 and fields[0] != "running":
            sps.append((int(fields[-2], 16), name))
    return sps


def main():
    pid = int(sys.argv[1])
    rows = mappings(pid)
    sps = thread_stack_pointers(pid)
    kinds = collections.defaultdict(lambda: [0, 0, 0])  # anon KiB, mappings, size KiB
    for r in rows:
        anon = r.get("Anonymous", 0)
        if r["name"] == "[heap]":
            kind = "[heap] (main malloc arena)"
        elif r["name"] == "[stack]":
            kind = "[stack] (main thread)"
        elif r["name"].startswith("/"):
            kind = "libraries' and binary's written data (.data, .bss, RELRO)"
        elif r["name"]:
            kind = r["name"]
        else:
            owners = [n for sp, n in sps if r["lo"] <= sp < r["hi"]]
            if owners:
                # Threads inherit their creator's name: the mapping size tells std::thread's
                # default 8 MiB stacks from civetweb's own.
                kind = f"thread stack: {owners[0]}, {(r['hi'] - r['lo']) // 1024} KiB mapping"
            else:
                kind = "other anonymous (malloc arenas of threads, mmap'd blocks, guard pages)"
        if anon == 0 and not kind.startswith("thread stack"):
            continue
        k = kinds[kind]
        k[0] += anon
        k[1] += 1
        k[2] += (r["hi"] - r["lo"]) // 1024
    total = sum(k[0] for k in kinds.values())
    print(f"{'anon KiB':>9} {'maps':>5} {'size KiB':>9}  kind")
    for kind, (anon, n, size) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        print(f"{anon:>9} {n:>5} {size:>9}  {kind}")
    print(f"{total:>9}        total anonymous")
    roll = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Rss", "Private_Clean", "Private_Dirty", "Anonymous"):
                roll[k] = int(v.split()[0])
    print(f"RSS {roll['Rss']} KiB, USS {roll['Private_Clean'] + roll['Private_Dirty']} KiB "
          f"(Private_Clean {roll['Private_Clean']}, Private_Dirty {roll['Private_Dirty']})")


if __name__ == "__main__":
    main()
