#!/usr/bin/env bash
# Refits against HTTP (README "How it runs"): fills SERIES series of 2,300 points, each modelled by
# `auto`, then probes /-/healthy four times a second until every series is modelled and no refit
# waits. Prints the time that took, the process's CPU seconds, and the median and slowest probe.
# Compare two builds by running it for each in turn:
#   scripts/bench-refit-isolation.sh [BIN] [WORKERS] [SERIES]      (default release build, 2, 1500)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bin=${1:-.build/release/prescient}; workers=${2:-2}; series=${3:-1500}; port=${PORT:-19750}
[ -x "$bin" ] || swift build -c release --product prescient
work=$(mktemp -d /tmp/prescient-bench-refits.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cat > "$work/config.yml" <<YML
modeling:
  refit_workers: $workers
  stale_after: 24h
  drop_after: 48h
  rules:
    - match: '{__name__=~".+"}'
      model: auto
YML
"$bin" serve --listen "127.0.0.1:$port" --log-level warning --config "$work/config.yml" > "$work/serve.log" 2>&1 & pid=$!
wait_up "http://127.0.0.1:$port/-/ready" 60
"$bin" bench-ingest --url "http://127.0.0.1:$port/api/v1/write" --fill --series "$series" --points 2300 > /dev/null
start=$(date +%s.%N)
while :; do
  curl -s -o /dev/null -w '%{time_total}\n' --max-time 120 "http://127.0.0.1:$port/-/healthy" >> "$work/probes"
  [ "$(metric "$port" prescient_series_modelled)" = "$series" ] && [ "$(metric "$port" prescient_series_awaiting_first_pass)" = "0" ] \
    && [ "$(metric "$port" prescient_refits_pending)" = "0" ] && break
  sleep 0.25
done
drained=$(echo "$(date +%s.%N) - $start" | bc)
sort -n "$work/probes" | awk -v b="$(basename "$bin")" -v w="$workers" -v s="$series" -v d="$drained" -v c="$(ps -o times= -p "$pid" | tr -d ' ')" \
  '{a[NR]=$1} END {printf "%s workers=%s series=%s drained_s=%.1f cpu_s=%s probes=%d median_s=%.4f slowest_s=%.4f\n", b, w, s, d, c, NR, a[int((NR+1)/2)], a[NR]}'
