#!/bin/bash
# Agent CPU per scrape with APM series: starts BIN with no collectors and the OTLP/HTTP receiver,
# feeds it 4 s of spans with build/bench/apm_loadgen (20 services x 50 operations: ~2,000
# duration histograms), then scrapes N times as text and N times as Prometheus 2.42 asks
# (OpenMetrics, gzip), and prints the agent's CPU per scrape from /proc/PID/stat.
#   taskset -c 1 bench/apm_scrape_cost.sh build/vitals [N]
set -u
BIN=$1
N=${2:-150}
HERE=$(cd "$(dirname "$0")/.." && pwd)
P=19201
O=19202
"$BIN" --collector.disable-defaults --web.listen-address=127.0.0.1:$P \
  --apm.otlp.listen-address=127.0.0.1:$O --apm.otlp.grpc-listen-address= \
  --apm.zipkin.listen-address= > /dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null http://127.0.0.1:$P/metrics && break; sleep 0.1; done
"$HERE/build/bench/apm_loadgen" --port $O --pid $pid --connections 2 --seconds 4 > /dev/null 2>&1
series=$(curl -s http://127.0.0.1:$P/metrics | grep -c '^traces_span_metrics_duration_seconds_count')
bytes=$(curl -s http://127.0.0.1:$P/metrics | wc -c)
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
tck=$(getconf CLK_TCK)
om='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
a=$(cpu)
for _ in $(seq 1 "$N"); do curl -s -o /dev/null http://127.0.0.1:$P/metrics; done
b=$(cpu)
for _ in $(seq 1 "$N"); do
  curl -s -o /dev/null -H 'Accept-Encoding: gzip' -H "Accept: $om" http://127.0.0.1:$P/metrics
done
c=$(cpu)
echo "$BIN: $series histogram series, text $bytes B:" \
  "text $(echo "scale=2; ($b - $a) * 1000 / $tck / $N" | bc) ms/scrape," \
  "openmetrics+gzip $(echo "scale=2; ($c - $b) * 1000 / $tck / $N" | bc) ms/scrape"
