#!/usr/bin/env bash
# How much forecast_bench.py's 20-origin medians depend on where its origins fall: scores one
# replay directory (e.g. per_model.sh's $OUT/replay-auto) against statsforecast's AutoETS and
# AutoARIMA on the default grid (--warmup 0.5) and on grids moved later by 0.5% of each series
# at a time (the same 20 origins per series, shifted a few dozen steps), and prints per grid and
# horizon the candidate's median MASE, the better baseline's and how much lower the candidate
# is (the issue's target: at least 10%). About a minute per grid on 2 cores.
#   scripts/eval/shifted_grids.sh REPLAY_DIR [WARMUP...]
# Env: DATA, TOOLS, PYTHON (needs numpy, pandas, statsforecast), ORIGINS (default 20), STEP (every
# STEP-th origin instead of ORIGINS per series; STEP=6 takes ~30 min), REFIT_EVERY (statsforecast's
# refits, in origins; forecast_bench's default 5), JOBS (default 2).
set -euo pipefail
REPLAY=$1; shift
WARMUPS=${*:-0.5 0.505 0.51 0.515 0.52 0.525 0.53}
PYTHON=${PYTHON:-python3}
DATA=${DATA:-/work/shared/data/nab-dev}
TOOLS=${TOOLS:-/work/shared/tools}
HERE=$(cd "$(dirname "$0")" && pwd)
CATEGORIES=realAWSCloudwatch,realAdExchange,realTraffic,realTweets
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
printf '| warm-up | candidate h=1 / 6 / 12 | best of AutoETS, AutoARIMA | lower by |\n|---|---|---|---|\n'
for w in $WARMUPS; do
  common=(--data-dir "$DATA" --categories "$CATEGORIES" --warmup "$w")
  if [ -n "${STEP:-}" ]; then common+=(--step "$STEP"); else common+=(--max-origins "${ORIGINS:-20}"); fi
  [ -n "${REFIT_EVERY:-}" ] && common+=(--refit-every "$REFIT_EVERY")
  $PYTHON "$TOOLS/forecast_bench.py" "${common[@]}" --write-schedule "$WORK/schedule.csv" >/dev/null
  $PYTHON "$HERE/replay_to_candidate.py" "$WORK/schedule.csv" "$REPLAY" "$DATA" "$WORK/candidate.csv" >/dev/null
  $PYTHON "$TOOLS/forecast_bench.py" "${common[@]}" --models autoets,autoarima --jobs "${JOBS:-2}" \
    --candidate "$WORK/candidate.csv" --candidate-name candidate | tr -d '|' |
    awk -v w="$w" '
      $1 == "candidate" { for (k = 1; k <= 3; k++) c[k] = $(k + 1) }
      $1 == "autoets" || $1 == "autoarima" { for (k = 1; k <= 3; k++) if (!(k in b) || $(k + 1) < b[k]) b[k] = $(k + 1) }
      END {
        printf "| %s | %s / %s / %s | %s / %s / %s |", w, c[1], c[2], c[3], b[1], b[2], b[3]
        for (k = 1; k <= 3; k++) printf " %.1f%%%s", 100 * (1 - c[k] / b[k]), k < 3 ? " /" : " |\n"
      }'
done
