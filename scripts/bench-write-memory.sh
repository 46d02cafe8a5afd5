#!/usr/bin/env bash
# Memory under many large writes at once (limits.max_inflight_body_bytes): peak RSS of a release
# `prescient serve` while N clients each post a 30 MB body at the same moment (random bytes, so
# each is read whole and then refused 400), with the limit at its default and with it set to
# 64 GiB (in effect off, as before the limit existed). ROUNDS rounds alternate the two.
#   scripts/bench-write-memory.sh [N] [ROUNDS]     (defaults 60 and 2; about 20 s)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/.build/release/prescient
[ -x "$bin" ] || swift build -c release --product prescient
N=${1:-60}; ROUNDS=${2:-2}; PORT=${PORT:-9309}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
head -c 30000000 /dev/urandom > "$work/body.bin"
printf 'limits:\n  max_inflight_body_bytes: 64GiB\n' > "$work/off.yml"
printf 'limits: {}\n' > "$work/default.yml"
for r in $(seq 1 "$ROUNDS"); do
  for mode in default off; do
    "$bin" serve --config "$work/$mode.yml" --listen "127.0.0.1:$PORT" > "$work/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "localhost:$PORT/-/ready" > /dev/null && break; sleep 0.1; done
    start=$(date +%s.%N)
    clients=()
    for _ in $(seq 1 "$N"); do
      curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/x-protobuf' -H 'Content-Encoding: snappy' \
        --data-binary @"$work/body.bin" "localhost:$PORT/api/v1/write" >> "$work/codes-$r-$mode" &
      clients+=($!)
    done
    wait "${clients[@]}"
    end=$(date +%s.%N)
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    printf 'round %s  %-7s  peak RSS %8d KB  wall %5.1f s  answers: %s\n' "$r" "$mode" "$hwm" \
      "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(sort "$work/codes-$r-$mode" | uniq -c | tr -s ' \n' ' ')"
  done
done
