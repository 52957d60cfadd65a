#!/bin/sh
# CPU per scrape of the systemd collector on a host with many units: a private dbus-daemon with
# the test stand-in (tests/standin/dbus_standin.cpp) serving N generated units (60% services,
# 20% sockets, 10% timers, 10% mounts), vitals and node_exporter 1.5.0 side by side with only
# the systemd collector and all its enable-* options, one after the other (bench/scrape_cost.py).
# The stand-in's and dbus-daemon's CPU is not counted, only the exporters'. Columns as
# scrape_cost.py prints them: CPU ms/scrape, median ms, p99 ms, RSS, anon, USS MB, series.
# usage: bench/systemd_dbus.sh [UNITS] [SCRAPES]   (after building vitals and dbus_standin)
set -eu
units=${1:-2000}
scrapes=${2:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
cat > "$tmp/bus.conf" <<CONF
<busconfig>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$tmp/bus.conf" --nofork --print-address > "$tmp/address" &
pids="$pids $!"
while [ ! -s "$tmp/address" ]; do sleep 0.05; done
DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$tmp/address")
export DBUS_SYSTEM_BUS_ADDRESS
printf 'version 252.22-1~deb12u1\nsystem-state running\ngenerate %s\n' "$units" > "$tmp/units"
"$root/build/tests/dbus_standin" "$tmp/units" > "$tmp/ready" &
pids="$pids $!"
while [ ! -s "$tmp/ready" ]; do sleep 0.05; done
flags="--collector.disable-defaults --collector.systemd --collector.systemd.enable-task-metrics
 --collector.systemd.enable-restarts-metrics --collector.systemd.enable-start-time-metrics"
# One exporter at a time: node_exporter takes seconds per scrape here, longer than vitals keeps
# an idle keep-alive connection, so the alternating mode of scrape_cost.py cannot be used.
echo "vitals:"
# shellcheck disable=SC2086
python3 "$root/bench/scrape_cost.py" --scrapes "$scrapes" --vitals "$root/build/vitals" -- \
  $flags --apm.otlp.listen-address= --apm.zipkin.listen-address= | sed -n 2p
echo "node_exporter 1.5.0:"
# shellcheck disable=SC2086
python3 "$root/bench/scrape_cost.py" --scrapes "$scrapes" \
  --vitals "$(command -v prometheus-node-exporter)" -- $flags | sed -n 2p
