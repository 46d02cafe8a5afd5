#!/usr/bin/env bash
# Shutdown benchmark (README "Durability"): how long SIGTERM takes to exit, which is mostly the
# final snapshot, with SERIES series each modelled by `naive` and filled with 2,300 points at a
# 5-minute step plus 240 recent ones. Then ROUNDS restarts on the same directory: the time to
# /-/ready (snapshot and log), and again SIGTERM to exit. Needs about 90 KB of memory and 41 KB
# of disk per series.
#   scripts/bench-shutdown.sh [SERIES] [ROUNDS]       (default 20000 2)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bin=${BIN:-.build/release/prescient}
[ -x "$bin" ] || swift build -c release --product prescient
series=${1:-20000}; rounds=${2:-2}; port=${PORT:-19620}
work=$(mktemp -d "${DATA_PARENT:-/tmp}/prescient-bench-shutdown.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
# Every series modelled, however many (the default cap is 100k; past it the wait below would
# never end), and stored (storage's default cap is 1M).
cat > "$work/config.yml" <<YML
storage:
  max_series: $((series > 1000000 ? series : 1000000))
modeling:
  max_series: $series
  stale_after: 24h
  drop_after: 48h
  rules:
    - match: '{__name__=~".+"}'
      model: naive
YML
serve() { "$bin" serve --listen "127.0.0.1:$port" --log-level info --config "$work/config.yml" --data-dir "$work/data" > "$work/serve-$1.log" 2>&1 & pid=$!; }
stop() {  # SIGTERM, then the seconds until the process is gone, in $took (not run in $(...):
  # a subshell cannot wait for this shell's child)
  local start; start=$(date +%s.%N); kill -TERM "$pid"; wait "$pid" || true; pid=
  took=$(echo "$(date +%s.%N) - $start" | bc)
}

serve fill
wait_up "http://127.0.0.1:$port/-/ready" 600
"$bin" bench-ingest --url "http://127.0.0.1:$port/api/v1/write" --fill --series "$series" --points 2300 | tail -1
# Steady state: every series modelled (the loop has found them all and replayed each window)
# and no refit waiting. Reading only "awaiting first pass" raced the loop's discovery.
for _ in $(seq 1 1800); do
  [ "$(metric "$port" prescient_series_modelled)" = "$series" ] && [ "$(metric "$port" prescient_series_awaiting_first_pass)" = "0" ] \
    && [ "$(metric "$port" prescient_refits_pending)" = "0" ] && break
  sleep 2
done
echo "series $(metric "$port" prescient_series_active), resident $(metric "$port" process_resident_memory_bytes) bytes"
stop; echo "SIGTERM to exit: $took s; snapshot $(stat -c %s "$work/data/snapshot") bytes"
for r in $(seq 1 "$rounds"); do
  start=$(date +%s.%N); serve "$r"; wait_up "http://127.0.0.1:$port/-/ready" 600
  echo "round $r: start to /-/ready $(echo "$(date +%s.%N) - $start" | bc) s"
  sleep 5
  stop; echo "round $r: SIGTERM to exit $took s"
done
