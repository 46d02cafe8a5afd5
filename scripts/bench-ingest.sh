#!/usr/bin/env bash
# Ingest benchmark (issue 2): the same remote write bodies (2,000 series of 8 labels per request,
# a 20k-series universe, timestamps advancing per pass) posted to a release Prescient and to
# Debian's VictoriaMetrics, each pinned to CPU 0 in turn, with the load generator on CPU 1.
# Prints samples/s for both and the ratio, then RSS per series with full windows at defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bin=.build/release/prescient
[ -x "$bin" ] || swift build -c release --product prescient
requests=${REQUESTS:-400}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# Five streams (connections), each owning 4,000 series: two full 2,000-series requests per pass.
# With two streams, once ingest got faster, Prescient sat idle about half the time waiting for
# the load generator's next request (CPU 0 ~50% idle); four or more keep the measured server's
# core busy (94-98%), as a Prometheus with several remote write shards does.
streams=${STREAMS:-5}
load() { taskset -c 1 "$bin" bench-ingest --streams "$streams" --requests "$requests" --offset 20 "$@"; }  # after the 20-request warm-up

# The rate test measures the receiver alone: modelling off (no rules), since the issue compares
# ingest with a store that does no modelling. The same run with the default modelling follows.
printf 'modeling:\n  rules: []\n' > "$work/ingest-only.yml"
# This machine's speed drifts by a third from minute to minute (the same build measured 0.81M
# and 1.33M samples/s a minute apart), so one run of each proves little: ROUNDS rounds alternate
# the two servers, and the ratio is each round's, with their median. Besides samples/s, each
# round reports the server's CPU time per sample (user + system, all threads, from /proc): the
# cost of a sample whether or not the load generator kept the server busy (it drifts with the
# machine's speed as much as samples/s does).
rounds=${ROUNDS:-3}
tick_ns=$(( 1000000000 / $(getconf CLK_TCK) ))
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() {  # measure URL PID -> "samples/s cpu_ns_per_sample"
  local t0 out rate sent
  t0=$(cpu_ticks "$2")
  out=$(load --url "$1")
  echo "$out" >&2
  rate=$(echo "$out" | sed -n 's/.*samples_per_second=\([0-9]*\).*/\1/p')
  sent=$(echo "$out" | sed -n 's/.*samples=\([0-9]*\).*/\1/p')
  echo "$rate $(( ($(cpu_ticks "$2") - t0) * tick_ns / sent ))"
}
echo "== ingest rate: ${rounds} rounds of ${requests} requests x ${streams} streams x 2000 series =="
ratios=()
for round in $(seq 1 "$rounds"); do
  taskset -c 0 "$bin" serve --listen 127.0.0.1:19201 --log-level warning --config "$work/ingest-only.yml" & pids+=($!); p=$!
  wait_up http://127.0.0.1:19201/-/ready 10
  load --url http://127.0.0.1:19201/api/v1/write --requests 20 --offset 0 >/dev/null   # warm-up: creates the series
  read -r ours ours_ns < <(measure http://127.0.0.1:19201/api/v1/write "$p")
  kill "$p"; wait "$p" 2>/dev/null || true

  rm -rf "$work/vm"
  GOMAXPROCS=1 taskset -c 0 victoria-metrics -storageDataPath "$work/vm" -httpListenAddr 127.0.0.1:18428 -loggerLevel ERROR & pids+=($!); v=$!
  wait_up http://127.0.0.1:18428/health 10
  load --url http://127.0.0.1:18428/api/v1/write --requests 20 --offset 0 >/dev/null
  read -r theirs theirs_ns < <(measure http://127.0.0.1:18428/api/v1/write "$v")
  kill "$v"; wait "$v" 2>/dev/null || true

  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  echo "round $round: prescient ${ours} samples/s (${ours_ns} ns CPU/sample), victoria-metrics ${theirs} samples/s (${theirs_ns} ns CPU/sample): ratio ${ratio}"
done

taskset -c 0 "$bin" serve --listen 127.0.0.1:19202 --log-level warning & pids+=($!); p=$!
wait_up http://127.0.0.1:19202/-/ready 10
load --url http://127.0.0.1:19202/api/v1/write --requests 20 --offset 0 >/dev/null
read -r modelled _ < <(measure http://127.0.0.1:19202/api/v1/write "$p")
kill "$p"; wait "$p" 2>/dev/null || true

echo "prescient:       ${ours} samples/s in the last round (1 core, modelling off)"
echo "prescient:       ${modelled} samples/s (1 core, default modelling of all 20k series on the same core)"
echo "victoria-metrics: ${theirs} samples/s in the last round (1 core, GOMAXPROCS=1)"
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END {
  printf "ratio prescient/victoria-metrics: median %.2f of %d rounds (%s .. %s) (target >= 2)\n", r[int((NR + 1) / 2)], NR, r[1], r[NR] }'

echo "== memory: 20,000 series with full windows at the default storage settings (7d at 5m, 1h raw), modelling off =="
taskset -c 0 "$bin" serve --listen 127.0.0.1:19201 --log-level warning --config "$work/ingest-only.yml" & pids+=($!); p=$!
wait_up http://127.0.0.1:19201/-/ready 10
empty=$(rss_kib "$p")
# 2,016 grid steps need 7 days at 5m; then the last hour at 15s fills the raw window.
taskset -c 1 "$bin" bench-ingest --url http://127.0.0.1:19201/api/v1/write --timeout 600 --fill --points 2100 --step-seconds 300 --recent-points 240 --recent-step-seconds 15 >/dev/null
full=$(rss_kib "$p")
active=$(curl -fs http://127.0.0.1:19201/metrics | awk '$1 == "prescient_series_active" {print $2}')
window=$(curl -fs http://127.0.0.1:19201/metrics | awk '$1 == "prescient_window_memory_bytes" {print $2}')
kill "$p"; wait "$p" 2>/dev/null || true
awk -v e="$empty" -v f="$full" -v n="$active" -v w="$window" 'BEGIN {
  printf "series=%d rss_empty=%.1fMiB rss_full=%.1fMiB rss_per_series=%.0f bytes window_bytes_per_series=%.0f\n", n, e/1024, f/1024, (f-e)*1024/n, w/n }'
