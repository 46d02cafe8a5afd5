#!/usr/bin/env bash
# Runs `prescient replay` over every nab-dev file and scores the anomaly scores with NAB's method
# (standard and reward-low-FP profiles, one threshold per profile across all files).
#   scripts/eval/nab.sh [PRESCIENT_BINARY] [extra replay options...]
# Env: DATA (default /work/shared/data/nab-dev), OUT (default /tmp/prescient-nab), JOBS (default 2).
set -euo pipefail
BIN=${1:-prescient}; shift || true
DATA=${DATA:-/work/shared/data/nab-dev}
OUT=${OUT:-/tmp/prescient-nab}
JOBS=${JOBS:-2}
TOOLS=${TOOLS:-/work/shared/tools}
rm -rf "$OUT"; mkdir -p "$OUT"
export BIN OUT DATA
# shellcheck disable=SC2016
(cd "$DATA" && ls */*.csv) | xargs -P "$JOBS" -I{} sh -c '
  mkdir -p "$OUT/$(dirname {})"
  "$BIN" replay "$DATA/{}" --output "$OUT/{}" "$@" 2>"$OUT/{}.log" || { echo "replay failed: {}" >&2; exit 1; }
' sh "$@"
# Row counts must match the input (one output row per input row).
for f in $(cd "$DATA" && ls */*.csv); do
  a=$(grep -c "" "$DATA/$f"); b=$(grep -c "" "$OUT/$f")
  [ "$a" = "$b" ] || { echo "row count mismatch in $f: $a vs $b" >&2; exit 1; }
done
python3 "$TOOLS/nab_score.py" --data "$DATA" --windows "$DATA/windows.json" "$OUT" \
  --profile all ${PER_FILE:+--per-file}
