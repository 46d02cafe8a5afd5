#!/usr/bin/env bash
# Soak benchmark (issue 7): measures the maximum ingest rate of a release Prescient pinned to
# CPU 0 (load generator on CPU 1, as scripts/bench-ingest.sh), then sends at 80% of it for
# SOAK_SECONDS (default 1800) with the WAL on (fsync: always), sampling Prescient's RSS every
# 10 s. STREAMS (default 16) concurrent senders, as a Prometheus with several shards: with the
# WAL each request waits for an fdatasync, which concurrent requests share (group commit).
# Pass: zero failed requests and RSS within ±10% of its median once the windows are full
# (the first WARMUP_SECONDS, default 300, are excluded).
#
# The load's timestamps advance one 15 s scrape per pass over the 20k series, about 90 s of
# sample time per second at this rate. Windows are sized to fill within the warm-up (a 1 h raw
# window and a 1 h grid at 15 s): the default 7 d grid would take two hours of soak to fill, and
# RSS would grow all along. Modelling is off: with time running ~90x fast every series would
# need a step and a refit ~90x as often as in a real fleet (its cost is measured by
# `prescient bench-exporter`, issue 4).
#   scripts/soak.sh            # 30 minutes
#   SOAK_SECONDS=120 WARMUP_SECONDS=30 scripts/soak.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bin=${BIN:-.build/release/prescient}
[ -x "$bin" ] || swift build -c release --product prescient
soak=${SOAK_SECONDS:-1800}
warmup=${WARMUP_SECONDS:-300}
streams=${STREAMS:-16}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
url=http://127.0.0.1:19301

# max_future off: the load's timestamps advance a scrape interval per pass, far faster than the clock.
printf 'storage:\n  step: 15s\n  window: 1h\n  raw_retention: 1h\n  max_future: 0\nmodeling:\n  rules: []\n' > "$work/soak.yml"
taskset -c 0 "$bin" serve --listen 127.0.0.1:19301 --log-level warning --config "$work/soak.yml" --data-dir "$work/data" & pids+=($!); p=$!
wait_up "$url/-/ready" 20
start_ms=$(( $(date +%s) * 1000 ))
# Maximum rate: what the paced sender achieves for MAX_SECONDS (default 60) when asked for far
# more than the server can take, i.e. the sustained maximum with the WAL syncing and the windows
# full. (A short burst of pre-built bodies measured twice this: it ends before the log and the
# windows reach their steady cost.)
max_seconds=${MAX_SECONDS:-60}
max=$(taskset -c 1 "$bin" bench-ingest --url "$url/api/v1/write" --streams "$streams" --duration "$max_seconds" --rate 100000000 \
  --offset 0 --start-ms "$start_ms" --timeout 30 | sed -n 's/^soak .*samples_per_second=\([0-9]*\).*/\1/p')
offset=$(( max * max_seconds / 20000 + 10 ))   # requests each stream sent (a pass of the 20k series each), and a few more
rate=$((max * 8 / 10))
echo "max ingest rate ${max} samples/s; soaking at ${rate} samples/s (80%) for ${soak} s"

( while kill -0 "$p" 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/ {print $2}' /proc/$p/status)"; sleep 10
  done ) > "$work/rss" & pids+=($!)
start=$(date +%s)
status=0
taskset -c 1 "$bin" bench-ingest --url "$url/api/v1/write" --streams "$streams" --duration "$soak" --rate "$rate" --offset "$offset" --start-ms "$start_ms" --timeout 30 | tee "$work/load" || status=$?
curl -fs "$url/metrics" > "$work/metrics"
kill "$p"; wait "$p" 2>/dev/null || true
cp "$work/rss" "${RSS_LOG:-/tmp/prescient-soak-rss.txt}"   # kept: the temporary folder goes

echo "== prescient's own counters at the end =="
grep -E '^prescient_(samples_received_total|samples_rejected_total|write_request_errors_total|series_active|wal_|http_requests_total\{[^}]*code="[45])' "$work/metrics" | head -40 || true
awk -v start="$start" -v warm="$warmup" '$1 - start >= warm { print $2 }' "$work/rss" | sort -n > "$work/rss-steady"
n=$(wc -l < "$work/rss-steady")
[ "$n" -gt 0 ] || { echo "no RSS samples after warm-up" >&2; exit 1; }
awk -v n="$n" '{ v[NR] = $1 } END {
  med = v[int((n + 1) / 2)]; lo = v[1]; hi = v[n]
  printf "rss after warm-up: samples=%d min=%.1fMiB median=%.1fMiB max=%.1fMiB spread=%+.1f%%/%+.1f%% of median\n",
    n, lo/1024, med/1024, hi/1024, (lo-med)*100/med, (hi-med)*100/med
  if ((hi-med)/med > 0.10 || (med-lo)/med > 0.10) { print "RSS NOT flat within 10%"; exit 1 } }' "$work/rss-steady"
[ "$status" -eq 0 ] || { echo "load generator saw failed requests" >&2; exit 1; }
echo "soak passed: 0 failed requests, RSS flat within 10%"
