#!/usr/bin/env bash
# Model benchmarks: fit time per model on a 2,016-point window, update time per point, the time of
# one 12-step forecast with an interval, and streaming replay throughput (divide 4,032 points by
# the replay wall clock for points/s).
# Uses ordo-one/package-benchmark (resolved with `traits: []`, i.e. without jemalloc, which is
# not installed here; malloc counters are therefore not reported).
set -euo pipefail
cd "$(dirname "$0")"
swift package --disable-sandbox benchmark --format markdown "$@"
