#!/usr/bin/env bash
# Durability benchmark (issue 7): the ingest load of scripts/bench-ingest.sh (2,000 series of 8
# labels per request, 20k series, 2 streams; Prescient on CPU 0, the load generator on CPU 1,
# modelling off) against a release Prescient without --data-dir, with --data-dir and
# `fsync: always`, and with `fsync: 100ms`, in one run. Then the recovery time: the `always` run
# is killed with SIGKILL and restarted on its directory (snapshot + log replay), timed to /-/ready.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bin=${BIN:-.build/release/prescient}
[ -x "$bin" ] || swift build -c release --product prescient
requests=${REQUESTS:-400}
base=${PORT_BASE:-19510}
work=$(mktemp -d "${DATA_PARENT:-/tmp}/prescient-bench-durability.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
load() { taskset -c 1 "$bin" bench-ingest --requests "$requests" --offset 20 "$@"; }

run() {  # run NAME PORT [serve args...]: warm-up, measured load; prints samples/s
  local name=$1 port=$2; shift 2
  taskset -c 0 "$bin" serve --listen "127.0.0.1:$port" --log-level warning "$@" & pids+=($!); p=$!
  wait_up "http://127.0.0.1:$port/-/ready" 30
  load --url "http://127.0.0.1:$port/api/v1/write" --requests 20 --offset 0 >/dev/null
  rate=$(load --url "http://127.0.0.1:$port/api/v1/write" | tee /dev/stderr | sed -n 's/.*samples_per_second=\([0-9]*\).*/\1/p')
  echo "$name: $rate samples/s" >&2
}

printf 'modeling:\n  rules: []\n' > "$work/memory.yml"
printf 'modeling:\n  rules: []\ndurability:\n  fsync: always\n' > "$work/always.yml"
printf 'modeling:\n  rules: []\ndurability:\n  fsync: 100ms\n' > "$work/interval.yml"

run memory $((base + 1)) --config "$work/memory.yml"; memory=$rate
kill "$p"; wait "$p" 2>/dev/null || true
run interval $((base + 2)) --config "$work/interval.yml" --data-dir "$work/interval"; interval=$rate
kill "$p"; wait "$p" 2>/dev/null || true
run always $((base + 3)) --config "$work/always.yml" --data-dir "$work/always"; always=$rate
fsyncs=$(metric $((base + 3)) prescient_wal_fsync_duration_seconds_count)
records=$(metric $((base + 3)) prescient_wal_records_written_total)
walbytes=$(metric $((base + 3)) prescient_wal_bytes_written_total)
samples=$(metric $((base + 3)) prescient_samples_appended_total)
series=$(metric $((base + 3)) prescient_series_active)
kill -9 "$p"; wait "$p" 2>/dev/null || true
du_wal=$(du -sb "$work/always/wal" | cut -f1)

start=$(date +%s.%N)
taskset -c 0 "$bin" serve --listen 127.0.0.1:$((base + 4)) --log-level warning --config "$work/always.yml" --data-dir "$work/always" & pids+=($!); p=$!
wait_up http://127.0.0.1:$((base + 4))/-/ready 30
ready=$(date +%s.%N)
replayed=$(metric $((base + 4)) prescient_wal_replayed_samples_total)
recovery=$(metric $((base + 4)) prescient_wal_recovery_duration_seconds)
kill "$p"; wait "$p" 2>/dev/null || true   # SIGTERM: final snapshot
snapshot=$(stat -c %s "$work/always/snapshot")
start2=$(date +%s.%N)
taskset -c 0 "$bin" serve --listen 127.0.0.1:$((base + 5)) --log-level warning --config "$work/always.yml" --data-dir "$work/always" & pids+=($!); p=$!
wait_up http://127.0.0.1:$((base + 5))/-/ready 30
ready2=$(date +%s.%N)
restored=$(metric $((base + 5)) prescient_snapshot_restored_series)
recovery2=$(metric $((base + 5)) prescient_wal_recovery_duration_seconds)
kill "$p"; wait "$p" 2>/dev/null || true

echo "in memory only:           ${memory} samples/s"
echo "--data-dir, fsync 100ms:  ${interval} samples/s"
echo "--data-dir, fsync always: ${always} samples/s (${records} records, ${fsyncs} fdatasyncs, ${walbytes} bytes logged)"
awk -v a="$always" -v i="$interval" -v m="$memory" 'BEGIN { printf "ratio always/memory: %.2f, 100ms/memory: %.2f\n", a / m, i / m }'
awk -v s="$samples" -v b="$walbytes" 'BEGIN { printf "log bytes per stored sample: %.1f\n", b / s }'
awk -v st="$start" -v r="$ready" -v rec="$recovery" -v n="$replayed" -v w="$du_wal" -v ser="$series" 'BEGIN {
  printf "after SIGKILL: replayed %d samples of %d series from %.1f MiB of log in %.2f s (start to /-/ready %.2f s)\n", n, ser, w / 1048576, rec, r - st }'
awk -v st="$start2" -v r="$ready2" -v rec="$recovery2" -v n="$restored" -v sz="$snapshot" 'BEGIN {
  printf "after SIGTERM: restored %d series from a %.1f MiB snapshot in %.2f s (start to /-/ready %.2f s)\n", n, sz / 1048576, rec, r - st }'
