#!/usr/bin/env python3
"""Robust exponential smoothing (Gelper, Fried & Croux, 2010) scored beside `auto`, at every origin.

A prototype for docs/models.md ("Session 17"): the level moves by alpha times the one-step error
clipped at c times a robust scale (the median absolute first difference of the first half), and
forecasts flat. alpha and c are chosen by grid on the first half of each series, minimising the
mean absolute error over h = 1, 6, 12; the second half is then scored at every origin with the
MASE scale of `dense_mase.py`. Prints each series against `auto`'s replay, then the medians and
geometric means of both and of the better of the two per series (a bound for adding the family
to `auto`).

  robust_ses_prototype.py AUTO_REPLAY_DIR
"""
import importlib.util
import math
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("dense_mase", os.path.join(HERE, "dense_mase.py"))
dense = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dense)

HORIZONS = dense.HORIZONS
ALPHAS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8]
CLIPS = [0.5, 1, 2, 4, math.inf]


def levels(y, alpha, clip, scale):
    """levels[t]: the smoothed level after seeing y[0..t]."""
    level, limit, out = y[0], clip * scale, []
    for v in y:
        level += alpha * max(-limit, min(limit, v - level))
        out.append(level)
    return out


def mean_abs_error(y, level, start):
    errors = [abs(y[t + h] - level[t]) for h in HORIZONS for t in range(start, len(y) - h)]
    return statistics.fmean(errors)


def main():
    auto = dense.score(sys.argv[1])
    ours = {h: [] for h in HORIZONS}
    index = 0
    for category in dense.CATEGORIES:
        for name in sorted(os.listdir(os.path.join(dense.DATA, category))):
            if not name.endswith(".csv"):
                continue
            rows = dense.read_rows(os.path.join(dense.DATA, category, name))
            y = [float(r["value"]) for r in rows]
            n, half = len(y), math.ceil(len(y) / 2)
            mase_scale = dense.mase_scale(y, dense.daily_period([r["timestamp"] for r in rows]))
            steps = [abs(b - a) for a, b in zip(y[:half], y[1:half])]
            scale = statistics.median(steps) or statistics.fmean(steps) or 1
            _, alpha, clip = min((mean_abs_error(y[:half], levels(y[:half], a, c, scale), half // 3), a, c)
                                 for a in ALPHAS for c in CLIPS)
            level = levels(y, alpha, clip, scale)
            origins = range(half, n - max(HORIZONS) + 1)
            for h in HORIZONS:
                ours[h].append(statistics.fmean(abs(y[t - 1 + h] - level[t - 1]) for t in origins) / mase_scale)
            print(f"{name[:28]:28s} alpha={alpha:<5} clip={clip:<4} "
                  + " ".join(f"h{h} {ours[h][index]:.3f}/{auto[h][index]:.3f}" for h in HORIZONS))
            index += 1
    for label, per_h in (("robust SES", ours), ("auto", auto),
                         ("better of the two", {h: [min(a, b) for a, b in zip(ours[h], auto[h])] for h in HORIZONS})):
        print(f"{label:18s} median " + " / ".join(f"{statistics.median(per_h[h]):.3f}" for h in HORIZONS)
              + "   geometric mean " + " / ".join(f"{statistics.geometric_mean(per_h[h]):.3f}" for h in HORIZONS))


if __name__ == "__main__":
    main()
