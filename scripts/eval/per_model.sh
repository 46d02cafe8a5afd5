#!/usr/bin/env bash
# The accuracy table per model: each of Prescient's models (and `auto`) replayed over the 31 real
# series at --level 0.95, scored on forecast_bench.py's 20-origin schedule (median MASE at
# h = 1, 6, 12, same origins and scale as statsforecast's rows of scripts/eval/forecast.sh), at
# every origin of the second half (dense_mase.py), and the 95% interval's coverage on the
# schedule. No statsforecast run: forecast.sh makes those rows (they take ~10 min).
#   scripts/eval/per_model.sh [PRESCIENT_BINARY] [MODEL...]
# Env: OUT (default /tmp/prescient-per-model), DATA, TOOLS, PYTHON (needs numpy, pandas),
#      JOBS (default 2), REUSE_AUTO (a replay directory of `auto` at 0.95 to score instead of
#      replaying it, e.g. forecast.sh's $OUT/replay-auto-0.95 from the same binary).
set -euo pipefail
BIN=${1:-prescient}; shift || true
MODELS=${*:-naive snaive matrend median median_regression ets arima trend_seasonal auto}
PYTHON=${PYTHON:-python3}
DATA=${DATA:-/work/shared/data/nab-dev}
TOOLS=${TOOLS:-/work/shared/tools}
OUT=${OUT:-/tmp/prescient-per-model}
HERE=$(cd "$(dirname "$0")" && pwd)
CATEGORIES=realAWSCloudwatch,realAdExchange,realTraffic,realTweets
mkdir -p "$OUT"
$PYTHON "$TOOLS/forecast_bench.py" --data-dir "$DATA" --categories "$CATEGORIES" --write-schedule "$OUT/schedule.csv" >/dev/null
printf '| model | MASE h=1 / 6 / 12 (20 origins) | dense median h=1 / 6 / 12 | coverage at 95%% | replay CPU |\n|---|---|---|---|---|\n' > "$OUT/table.md"
for model in $MODELS; do
  dir="$OUT/replay-$model"
  start=$(date +%s)
  if [ "$model" = auto ] && [ -n "${REUSE_AUTO:-}" ]; then
    dir=$REUSE_AUTO; cpu="(reused)"
  else
    rm -rf "$dir"; mkdir -p "$dir"
    export BIN DATA dir model
    cpu=$( { /usr/bin/time -f '%U' sh -c '
      (cd "$DATA" && ls realAWSCloudwatch/*.csv realAdExchange/*.csv realTraffic/*.csv realTweets/*.csv) |
        xargs -P "${JOBS:-2}" -I{} sh -c "mkdir -p \"$dir/\$(dirname {})\"; \"$BIN\" replay \"$DATA/{}\" --model $model --level 0.95 --output \"$dir/{}\" 2>/dev/null"
    ' ; } 2>&1 | tail -1)
    cpu="${cpu} s user"
  fi
  coverage=$($PYTHON "$HERE/replay_to_candidate.py" "$OUT/schedule.csv" "$dir" "$DATA" "$OUT/candidate-$model.csv" | grep -o '[0-9.]*%' | head -1)
  sparse=$($PYTHON "$TOOLS/forecast_bench.py" --data-dir "$DATA" --categories "$CATEGORIES" --models naive \
    --candidate "$OUT/candidate-$model.csv" --candidate-name "prescient-$model" | awk -v m="prescient-$model" '$0 ~ m {print}')
  mase=$(echo "$sparse" | tr -d '|' | awk '{printf "%s / %s / %s", $2, $3, $4}')
  dense=$($PYTHON "$HERE/dense_mase.py" "$dir" | awk 'NR == 2 {printf "%s / %s / %s", $(NF-5), $(NF-4), $(NF-3)}')
  echo "| $model | $mase | $dense | $coverage | $cpu |" | tee -a "$OUT/table.md"
done
echo "table: $OUT/table.md"
