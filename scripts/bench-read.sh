#!/usr/bin/env bash
# Remote read benchmark: 10,000 series with one hour of samples at 15 s (2.4M samples), written
# with the same remote write bodies to a release Prescient and to Prometheus 2.42
# (--web.enable-remote-write-receiver), then read back whole through each one's /api/v1/read:
# streamed XOR chunks from both, SAMPLES from both. Servers run pinned to CPU 0 (Prometheus with
# GOMAXPROCS=1), the client (curl, timing only the HTTP exchange) on CPU 1. Prints samples/s per
# server and response type, and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bin=.build/release/prescient
[ -x "$bin" ] || swift build -c release --product prescient
runs=${RUNS:-5}
series=${SERIES:-10000}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

step=15000
end=$(( $(date +%s) * 1000 / step * step ))
start=$(( end - 239 * step ))

# Two hours of raw retention (the default keeps one); no modelling, so only reads use the core.
cat > "$work/prescient.yml" <<YAML
storage:
  raw_retention: 2h
modeling:
  max_series: 0
YAML
echo "global: {scrape_interval: 1h}" > "$work/prometheus.yml"

taskset -c 0 "$bin" serve --config "$work/prescient.yml" --listen 127.0.0.1:19301 --log-level warning & pids+=($!)
GOMAXPROCS=1 taskset -c 0 prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --web.listen-address=127.0.0.1:19390 --web.enable-remote-write-receiver --log.level=warn & pids+=($!)
wait_up http://127.0.0.1:19301/-/ready 30
wait_up http://127.0.0.1:19390/-/ready 30

echo "== filling both with ${series} series x 240 samples at 15 s =="
taskset -c 1 "$bin" bench-read --fill http://127.0.0.1:19301/api/v1/write --series "$series" --end-ms "$end"
taskset -c 1 "$bin" bench-read --fill http://127.0.0.1:19390/api/v1/write --series "$series" --end-ms "$end"
for type in streamed samples; do
  "$bin" bench-read --request "$work/req-$type.bin" --accept "$type" --start-ms "$start" --end-ms "$end"
done

# Median seconds of $runs reads (after one warm-up), and the samples in the response.
measure() { # url type
  local url=$1 type=$2 times=()
  for i in $(seq 0 "$runs"); do
    t=$(taskset -c 1 curl -s -o "$work/resp.bin" -w '%{time_total}' --data-binary @"$work/req-$type.bin" \
        -H 'Content-Type: application/x-protobuf' -H 'Content-Encoding: snappy' \
        -H 'X-Prometheus-Remote-Read-Version: 0.1.0' "$url")
    [ "$i" -gt 0 ] && times+=("$t")
  done
  counted=$("$bin" bench-read --count "$work/resp.bin" --accept "$type")
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  samples=$(echo "$counted" | sed -n 's/.*samples=\([0-9]*\).*/\1/p')
  awk -v s="$samples" -v t="$median" -v c="$counted" -v n="$3" 'BEGIN { printf "%-28s %s median=%.3fs samples_per_second=%.0f\n", n, c, t, s / t }' >&2
  awk -v s="$samples" -v t="$median" 'BEGIN { printf "%.0f", s / t }'
}

echo "== reading every series, 1 hour range, ${runs} runs each (median) =="
ps=$(measure http://127.0.0.1:19301/api/v1/read streamed "prescient streamed")
pp=$(measure http://127.0.0.1:19390/api/v1/read streamed "prometheus streamed")
ss=$(measure http://127.0.0.1:19301/api/v1/read samples "prescient samples")
sp=$(measure http://127.0.0.1:19390/api/v1/read samples "prometheus samples")
echo "prescient  streamed XOR chunks: ${ps} samples/s (1 core)"
echo "prometheus streamed XOR chunks: ${pp} samples/s (1 core, GOMAXPROCS=1)"
echo "prescient  SAMPLES:             ${ss} samples/s"
echo "prometheus SAMPLES:             ${sp} samples/s"
awk -v a="$ps" -v b="$pp" -v c="$ss" -v d="$sp" 'BEGIN {
  printf "ratio prescient/prometheus: streamed %.2f, samples %.2f\n", a / b, c / d }'
