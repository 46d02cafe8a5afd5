#!/usr/bin/env bash
# Forecast-accuracy table: `prescient replay` (one model, default auto) against forecast_bench.py's
# baselines (naive, snaive, matrend, statsforecast AutoETS/AutoARIMA) on the same origins:
# median MASE at h = 1, 6, 12 and interval coverage. forecast_bench judges coverage at 90%, so
# the candidate runs at --level 0.9; a second replay at 0.95 reports 95% coverage.
#   scripts/eval/forecast.sh [PRESCIENT_BINARY] [MODEL] [extra forecast_bench options...]
# Needs: pip install numpy pandas statsforecast (set PYTHON to that interpreter).
set -euo pipefail
BIN=${1:-prescient}; MODEL=${2:-auto}; shift 2 || shift $# || true
PYTHON=${PYTHON:-python3}
DATA=${DATA:-/work/shared/data/nab-dev}
TOOLS=${TOOLS:-/work/shared/tools}
OUT=${OUT:-/tmp/prescient-forecast}
HERE=$(cd "$(dirname "$0")" && pwd)
CATEGORIES=${CATEGORIES:-realAWSCloudwatch,realAdExchange,realTraffic,realTweets}
mkdir -p "$OUT"
$PYTHON "$TOOLS/forecast_bench.py" --data-dir "$DATA" --categories "$CATEGORIES" --write-schedule "$OUT/schedule.csv" "$@" >/dev/null
for level in 0.9 0.95; do
  dir="$OUT/replay-$MODEL-$level"; rm -rf "$dir"; mkdir -p "$dir"
  export BIN DATA dir MODEL level
  (cd "$DATA" && ls $(echo "$CATEGORIES" | tr , ' ' | sed 's|\([^ ]*\)|\1/*.csv|g')) | xargs -P "${JOBS:-2}" -I{} sh -c '
    mkdir -p "$dir/$(dirname {})"
    "$BIN" replay "$DATA/{}" --model "$MODEL" --level "$level" --output "$dir/{}" 2>/dev/null'
  echo "level $level:"
  $PYTHON "$HERE/replay_to_candidate.py" "$OUT/schedule.csv" "$dir" "$DATA" "$OUT/candidate-$MODEL-$level.csv"
done
$PYTHON "$TOOLS/forecast_bench.py" --data-dir "$DATA" --categories "$CATEGORIES" \
  --candidate "$OUT/candidate-$MODEL-0.9.csv" --candidate-name "prescient-$MODEL" \
  --out-md "$OUT/table-$MODEL.md" "$@"
