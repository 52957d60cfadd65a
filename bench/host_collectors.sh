#!/usr/bin/env bash
# Issue 3's benchmark: vitals and node_exporter 1.5.0 side by side with node_exporter's default
# collector set, scraped alternately, plus the floor (the CPU time to merely read the files
# node_exporter reads in one scrape, found with strace), vitals with all of its defaults, and
# both with all the collectors that find something on this machine (bench/collectors_found.py).
#   bench/host_collectors.sh [SCRAPES]     (run from the repo root after scripts/dev build)
set -euo pipefail
cd "$(dirname "$0")/.."
scrapes=${1:-200}
ne=/usr/bin/prometheus-node-exporter
command -v strace >/dev/null || { echo "needs strace (apt-get install strace)"; exit 2; }
[ -x build/bench/read_floor ] || cmake --build build --target read_floor >/dev/null
tmp=$(mktemp -d)
trap 'kill $nepid 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
$ne --web.listen-address=127.0.0.1:$port >/dev/null 2>&1 &
nepid=$!
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$port/metrics && break; sleep 0.1; done
strace -f -qq -e trace=openat -o "$tmp/trace" -p $nepid &
spid=$!
sleep 1
curl -sf -o /dev/null http://127.0.0.1:$port/metrics
sleep 0.5
kill $spid; wait $spid 2>/dev/null || true
grep -oE 'openat\([^"]*"[^"]+"' "$tmp/trace" | sed -E 's/.*"([^"]+)"/\1/' | grep -E '^/(proc|sys|etc|usr|var|run)' \
  | sort -u > "$tmp/files"
kill $nepid; wait $nepid 2>/dev/null || true
echo "== floor: reading the $(wc -l < "$tmp/files") files node_exporter opened in one scrape"
build/bench/read_floor 200 < "$tmp/files"
# Debian's package patches node_exporter's defaults: it turns the systemd collector on and
# excludes mounts under /run. Run it with upstream 1.5.0's defaults, as vitals has them.
# The all-collectors row names systemd itself (kingpin refuses a flag given twice), so it gets
# only the mount exclusion.
ne_mounts=("--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)(\$|/)")
ne_upstream=(--no-collector.systemd "${ne_mounts[@]}")
echo
echo "== side by side: node_exporter's default collector set on both (node_exporter with upstream defaults)"
echo "   (vitals without its own extras: containers, sockets, the APM span listeners)"
python3 bench/scrape_cost.py --scrapes "$scrapes" --node-exporter $ne --ne-args="${ne_upstream[*]}" -- \
  --no-collector.containers --no-collector.sockets \
  --apm.otlp.listen-address= --apm.zipkin.listen-address=
echo
echo "== for reference: vitals with all of its defaults (adds containers, sockets, APM listeners)"
python3 bench/scrape_cost.py --scrapes "$scrapes" --node-exporter $ne --ne-args="${ne_upstream[*]}"
echo
echo "== side by side: all collectors that find something on this machine"
echo "   (both implement them; node_scrape_collector_success 1 in both and at least one family)"
found=$(python3 bench/collectors_found.py --ne-args="${ne_mounts[*]}")
echo "   collectors: $found"
flags=(--collector.disable-defaults)
for c in $found; do flags+=("--collector.$c"); done
python3 bench/scrape_cost.py --scrapes "$scrapes" --node-exporter $ne \
  --ne-args="${ne_mounts[*]} ${flags[*]}" -- "${flags[@]}" \
  --apm.otlp.listen-address= --apm.zipkin.listen-address=
echo
echo "== the same without slabinfo and tcpstat: the two collectors whose cost is mostly a kernel walk"
echo "   both exporters pay (every partial slab of every cache; the 262,144-bucket TCP table)"
rest=(--collector.disable-defaults)
for c in $found; do
  case $c in slabinfo | tcpstat) ;; *) rest+=("--collector.$c") ;; esac
done
python3 bench/scrape_cost.py --scrapes "$scrapes" --node-exporter $ne \
  --ne-args="${ne_mounts[*]} ${rest[*]}" -- "${rest[@]}" \
  --apm.otlp.listen-address= --apm.zipkin.listen-address=
