#!/usr/bin/env python3
"""Scores `prescient replay` outputs at every origin of each series' second half.

forecast_bench.py judges 20 origins per series, and its median over 31 series moves by several
per cent between builds whose forecasts differ only at a handful of those origins: too noisy to
choose between variants of `auto`. This scores the same replay outputs at every origin from
ceil(n/2) to n - max(h) (about 100 times as many) with the same MASE scale (the seasonal-naive
MAE of the first half at the daily period, else the naive MAE) and prints, per horizon, the
median and the geometric mean over series of the per-series MASE.

  dense_mase.py REPLAY_DIR [REPLAY_DIR...]
Env: DATA (default /work/shared/data/nab-dev), CATEGORIES (default the four real ones).
"""
import csv
import math
import os
import statistics
import sys
from datetime import datetime

DATA = os.environ.get("DATA", "/work/shared/data/nab-dev")
CATEGORIES = os.environ.get("CATEGORIES",
                            "realAWSCloudwatch,realAdExchange,realTraffic,realTweets").split(",")
HORIZONS = [1, 6, 12]


def read_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def daily_period(timestamps):
    """Steps per day from the median gap (288 when the gap does not divide a day)."""
    times = [datetime.fromisoformat(t) for t in timestamps]
    gaps = sorted((b - a).total_seconds() for a, b in zip(times, times[1:]))
    gap = gaps[len(gaps) // 2] if gaps else 0
    if gap > 0 and 86400 % gap == 0 and 86400 // gap >= 2:
        return int(86400 // gap)
    return 288


def mase_scale(y, m):
    first = y[: math.ceil(len(y) / 2)]
    if len(first) > 2 * m:
        s = statistics.fmean(abs(a - b) for a, b in zip(first[m:], first))
        if s > 0:
            return s
    return statistics.fmean(abs(a - b) for a, b in zip(first[1:], first))


def score(replay_dir):
    per_horizon = {h: [] for h in HORIZONS}
    for category in CATEGORIES:
        for name in sorted(os.listdir(os.path.join(DATA, category))):
            if not name.endswith(".csv"):
                continue
            data = read_rows(os.path.join(DATA, category, name))
            y = [float(r["value"]) for r in data]
            scale = mase_scale(y, daily_period([r["timestamp"] for r in data]))
            out = read_rows(os.path.join(replay_dir, category, name))
            n = len(y)
            # Origin T has seen rows 0..T-1; replay row T-1 holds its forecasts.
            origins = range(math.ceil(n / 2), n - max(HORIZONS) + 1)
            for h in HORIZONS:
                errors = [abs(y[t - 1 + h] - float(out[t - 1][f"yhat_{h}"])) for t in origins]
                per_horizon[h].append(statistics.fmean(errors) / scale)
    return per_horizon


def main():
    print(f"{'replay':40s} " + " ".join(f"med h{h:<2d}" for h in HORIZONS) + "  "
          + " ".join(f"gm h{h:<3d}" for h in HORIZONS))
    for replay_dir in sys.argv[1:]:
        per_horizon = score(replay_dir)
        medians = [statistics.median(per_horizon[h]) for h in HORIZONS]
        geometric = [statistics.geometric_mean(per_horizon[h]) for h in HORIZONS]
        print(f"{replay_dir[-40:]:40s} " + " ".join(f"{v:6.3f}" for v in medians) + "  "
              + " ".join(f"{v:6.3f}" for v in geometric))


if __name__ == "__main__":
    main()
