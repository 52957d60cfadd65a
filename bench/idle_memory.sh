#!/usr/bin/env bash
# The agent's memory as users pay it, after a few scrapes: VmRSS, RssAnon (heap, stacks, written
# data: what only this process holds), USS (Private_Clean + Private_Dirty of smaps_rollup) and
# threads. Default flags: README's table line (node_exporter's collectors; no containers,
# sockets or HTTP span listeners; the OTLP/gRPC listener on, its default); more flags are passed
# on. MAP=1 also prints bench/memory_map.py's split of the anonymous memory.
#
#   nice -n 10 bench/idle_memory.sh [build/vitals] [--more.flags ...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-build/vitals}
shift || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --web.listen-address=127.0.0.1:$port --no-collector.containers --no-collector.sockets \
  --apm.otlp.listen-address= --apm.zipkin.listen-address= "$@" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/-/ready" && break; sleep 0.1; done
for _ in 1 2 3 4 5; do
  curl -s -H 'Accept-Encoding: gzip' -o /dev/null "http://127.0.0.1:$port/metrics"
  sleep 0.2
done
sleep 0.5
kib() { awk -v k="$1:" '$1 == k {print $2}' /proc/$pid/status; }
uss=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' /proc/$pid/smaps_rollup)
awk -v r="$(kib VmRSS)" -v a="$(kib RssAnon)" -v u="$uss" -v t="$(kib Threads)" \
  'BEGIN {printf "RSS %.2f MB, anon %.2f MB, USS %.2f MB, threads %d\n", r/1024, a/1024, u/1024, t}'
if [ -n "${MAP:-}" ]; then python3 "$here/memory_map.py" $pid; fi
