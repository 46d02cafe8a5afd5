#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ with AddressSanitizer (LeakSanitizer included) and runs
# each for FUZZ_RUNS executions, one after the other, starting from its committed seed corpus.
# Usage: scripts/fuzz.sh [build|run]   (default: build, then run)
# Settings (environment): FUZZ_RUNS (default 200000 per target), FUZZ_TARGETS (space separated,
# default all six), FUZZ_MAX_LEN (bytes, default 65536; 4096 for FuzzConfig, whose YAML parse
# slows to a crawl as inputs grow towards 64 KB), FUZZ_TIMEOUT (seconds per input,
# default 10), FUZZ_RSS_MB (default 2048), FUZZ_ARGS (more libFuzzer flags).
# A crash, leak, timeout or out-of-memory input is written to .build-fuzz/artifacts/TARGET/ and
# the script exits non-zero; replay it with `.build-fuzz/release/TARGET FILE`. Inputs that once
# failed are kept in Fuzz/regressions/TARGET/ and replayed before each run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scratch="$root/.build-fuzz"
runs="${FUZZ_RUNS:-200000}"
targets=(${FUZZ_TARGETS:-FuzzRemoteWriteV1 FuzzRemoteWriteV2 FuzzRemoteRead FuzzConfig FuzzModelState FuzzSnapshot})
mode="${1:-all}"

if [ "$mode" = build ] || [ "$mode" = all ]; then
  # Release build: optimised as the server runs, instrumented for coverage (fuzzer) and checked
  # by ASan. SwiftPM's --sanitize applies to C targets too (protoc-c output, Yams' libyaml).
  swift build -c release --package-path Fuzz --scratch-path "$scratch" --sanitize fuzzer --sanitize address \
    -Xswiftc -sanitize=fuzzer,address
fi
[ "$mode" = build ] && exit 0

# Swift's crash backtracer would catch ASan's and libFuzzer's signals before they report.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
status=0
for t in "${targets[@]}"; do
  work="$scratch/corpus/$t"        # what the fuzzer finds; the committed seeds stay untouched
  artifacts="$scratch/artifacts/$t/"
  mkdir -p "$work" "$artifacts"
  dict=()
  [ -f "Fuzz/dictionaries/$t.dict" ] && dict=(-dict="Fuzz/dictionaries/$t.dict")
  # Inputs that once crashed (Tests/RemoteAdapterTests/FuzzRegressionTests.swift) run first.
  regressions=(Fuzz/regressions/"$t"/*)
  if [ -e "${regressions[0]}" ] && ! "$scratch/release/$t" "${regressions[@]}" >"$scratch/$t.regressions.log" 2>&1; then
    status=1
    echo "!! $t: a regression input fails again; see $scratch/$t.regressions.log" >&2
  fi
  max_len="${FUZZ_MAX_LEN:-65536}"
  [ "$t" = FuzzConfig ] && max_len="${FUZZ_MAX_LEN:-4096}"
  echo "== $t: $runs runs"
  # shellcheck disable=SC2086
  if ! "$scratch/release/$t" "$work" "Fuzz/corpus/$t" "${dict[@]}" \
      -runs="$runs" -max_len="$max_len" -timeout="${FUZZ_TIMEOUT:-10}" \
      -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -artifact_prefix="$artifacts" -print_final_stats=1 \
      ${FUZZ_ARGS:-} 2>"$scratch/$t.log"; then
    status=1
    echo "!! $t failed; see $scratch/$t.log and $artifacts" >&2
  fi
  # The last status line (coverage, features, corpus, exec/s, rss) and the totals.
  grep -E '^#[0-9]+' "$scratch/$t.log" | tail -1 || true
  grep -E '^Done |stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$scratch/$t.log" || true
done
exit $status
