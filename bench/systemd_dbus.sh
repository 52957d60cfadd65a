#!/bin/sh
# CPU per scrape of the systemd collector on a host with many units: a private dbus-daemon with
# the test stand-in (tests/standin/dbus_standin.cpp) serving N generated units (60% services,
# 20% sockets, 10% timers, 10% mounts), vitals and node_exporter 1.5.0 side by side with only
# the systemd collector and all its enable-* options, scraped alternately (bench/scrape_cost.py).
# The stand-in's and dbus-daemon's CPU is not counted, only the exporters'.
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
# shellcheck disable=SC2086
python3 "$root/bench/scrape_cost.py" --scrapes "$scrapes" --vitals "$root/build/vitals" \
  --node-exporter "$(command -v prometheus-node-exporter)" --ne-args "$(echo $flags)" -- \
  $flags --apm.otlp.listen-address= --apm.zipkin.listen-address=
