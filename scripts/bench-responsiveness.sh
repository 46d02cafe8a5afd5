#!/usr/bin/env bash
# Long work against HTTP (README "How it runs", docs/remote-read.md): how long /-/healthy waits
# while the server is busy. Compare two builds by running it for each in turn.
#
#   scripts/bench-responsiveness.sh refits [BIN] [WORKERS] [SERIES]     (default release build, 2, 1500)
# Fills SERIES series of 2,300 points, each modelled by `auto`, then probes four times a second
# until every series is modelled and no refit waits. Prints that time, the process's CPU
# seconds, and the median and slowest probe.
#
#   scripts/bench-responsiveness.sh reads [BIN] [samples|streamed]      (default release build, samples)
# Fills 20,000 series of 240 points, then runs four clients, each reading every series six
# times in a row (4.8M samples a read), while probing four times a second (40 probes).
# Prints the reads' median and slowest time, and the median and slowest probe.
#
#   scripts/bench-responsiveness.sh scrapes [BIN] [SERIES]             (default release build, 20000)
# Fills SERIES series of 2,300 points, each modelled by `naive`, then runs four clients, each
# scraping /metrics gzip-compressed six times in a row, while probing as above.
#
#   scripts/bench-responsiveness.sh api [BIN] [SERIES]                 (default release build, 20000)
# The same with two clients each asking /api/v1/forecasts (every series' forecasts) six times.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
mode=${1:?refits, reads or scrapes}; bin=${2:-.build/release/prescient}; port=${PORT:-19750}
[ -x "$bin" ] || swift build -c release --product prescient
work=$(mktemp -d /tmp/prescient-bench-responsiveness.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
probe() { curl -s -o /dev/null -w '%{time_total}\n' --max-time 120 "http://127.0.0.1:$port/-/healthy"; }
# modelling_config MODEL SETTING: every series modelled by MODEL, with one more `modeling:` line.
modelling_config() {
  printf 'modeling:\n  %s\n  stale_after: 24h\n  drop_after: 48h\n  rules:\n    - match: %s\n      model: %s\n' \
    "$2" "'{__name__=~\".+\"}'" "$1" > "$work/config.yml"
}
summary() { sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {printf "%s=%d median_s=%.4f slowest_s=%.4f", p, NR, a[int((NR+1)/2)], a[NR]}'; }

case $mode in
refits)
  workers=${3:-2}; series=${4:-1500}
  modelling_config auto "refit_workers: $workers"
  "$bin" serve --listen "127.0.0.1:$port" --log-level warning --config "$work/config.yml" > "$work/serve.log" 2>&1 & pid=$!
  wait_up "http://127.0.0.1:$port/-/ready" 60
  "$bin" bench-ingest --url "http://127.0.0.1:$port/api/v1/write" --fill --series "$series" --points 2300 > /dev/null
  start=$(date +%s.%N)
  while :; do
    probe >> "$work/probes"
    [ "$(metric "$port" prescient_series_modelled)" = "$series" ] && [ "$(metric "$port" prescient_series_awaiting_first_pass)" = "0" ] \
      && [ "$(metric "$port" prescient_refits_pending)" = "0" ] && break
    sleep 0.25
  done
  printf '%s workers=%s series=%s drained_s=%.1f cpu_s=%s ' "$(basename "$bin")" "$workers" "$series" \
    "$(echo "$(date +%s.%N) - $start" | bc)" "$(ps -o times= -p "$pid" | tr -d ' ')"
  summary "$work/probes" probes; echo
  ;;
reads)
  accept=${3:-samples}
  printf 'modeling:\n  rules: []\n' > "$work/config.yml"
  "$bin" serve --listen "127.0.0.1:$port" --log-level warning --config "$work/config.yml" > "$work/serve.log" 2>&1 & pid=$!
  wait_up "http://127.0.0.1:$port/-/ready" 60
  now=$(( $(date +%s) * 1000 ))
  "$bin" bench-read --fill "http://127.0.0.1:$port/api/v1/write" --series 20000 --points 240 --end-ms "$now" > /dev/null
  "$bin" bench-read --request "$work/request" --accept "$accept" --series 20000 --points 240 --end-ms "$now" > /dev/null
  readers=()
  for _ in 1 2 3 4; do
    (for _ in 1 2 3 4 5 6; do
      curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Encoding: snappy' -H 'Content-Type: application/x-protobuf' \
        -H 'X-Prometheus-Remote-Read-Version: 0.1.0' --data-binary @"$work/request" "http://127.0.0.1:$port/api/v1/read"
    done >> "$work/reads") & readers+=($!)
  done
  sleep 0.5
  for _ in $(seq 40); do probe >> "$work/probes"; sleep 0.25; done
  wait "${readers[@]}"
  printf '%s %s ' "$(basename "$bin")" "$accept"; summary "$work/reads" reads; printf ' '; summary "$work/probes" probes; echo
  ;;
scrapes|api)
  series=${3:-20000}
  if [ "$mode" = api ]; then url=/api/v1/forecasts; clients=2; else url=/metrics; clients=4; fi
  modelling_config naive "max_series: $series"
  "$bin" serve --listen "127.0.0.1:$port" --log-level warning --config "$work/config.yml" > "$work/serve.log" 2>&1 & pid=$!
  wait_up "http://127.0.0.1:$port/-/ready" 60
  "$bin" bench-ingest --url "http://127.0.0.1:$port/api/v1/write" --fill --series "$series" --points 2300 > /dev/null
  until [ "$(metric "$port" prescient_series_modelled)" = "$series" ] && [ "$(metric "$port" prescient_refits_pending)" = "0" ]; do sleep 1; done
  scrapers=()
  for _ in $(seq "$clients"); do
    (for _ in 1 2 3 4 5 6; do
      curl -s -o /dev/null -w '%{time_total}\n' -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$url"
    done >> "$work/scrapes") & scrapers+=($!)
  done
  sleep 0.5
  for _ in $(seq 40); do probe >> "$work/probes"; sleep 0.25; done
  wait "${scrapers[@]}"
  printf '%s %s series=%s bytes=%s ' "$(basename "$bin")" "$url" "$series" "$(curl -s "http://127.0.0.1:$port$url" | wc -c)"
  summary "$work/scrapes" scrapes; printf ' '; summary "$work/probes" probes; echo
  ;;
*) echo "unknown mode $mode: refits, reads, scrapes or api" >&2; exit 2 ;;
esac
