#!/usr/bin/env python3
"""Scores NAB after combining the shipped anomaly score with a second opinion: two prototypes
that failed (docs/models.md, "Session 26"). NAB_REPLAY_DIR is the OUT directory of
scripts/eval/nab.sh for the default model; OTHER_REPLAY_DIR the same for another `--model`.

models: row by row, min(score, K x other) (`--combine min`: alarm only where both models are
surprised) or max(score, other / K) (`--combine max`: alarm where either is).

  nab_second_opinion_prototype.py models NAB_REPLAY_DIR OTHER_REPLAY_DIR [--combine min|max] [--k 1,1.5,2]

shape: a shape-novelty channel, as pattern detectors such as ARTime or matrix-profile discords
look for. For the newest M values, the distance to the nearest earlier M values among the last
4,000 windows (none overlapping it); `--norm z` compares z-normalised shapes, `--norm raw` the
values less the newest one, in units of the mean absolute step. That distance over the largest
of the last 8,000 rows (from row 300 on) is the channel's score; it is combined as max(score,
channel / K).

  nab_second_opinion_prototype.py shape NAB_REPLAY_DIR [--m 4,16,48] [--norm raw|z] [--k 1,1.2]

Needs numpy.
"""
import argparse
import csv
import json
import os

import numpy as np

from nab_transform_prototype import DATA, nab

LOOKBACK_WINDOWS, REFERENCE_ROWS, SETTLE_ROWS = 4_000, 8_000, 300


def nearest_earlier_distance(values, m, norm):
    """Per row, the distance of the last m values to the nearest earlier window of m values."""
    y = np.where(np.isfinite(values), values, 0.0)
    windows = np.lib.stride_tricks.sliding_window_view(y, m)  # windows[k] ends at row k + m - 1
    if norm == "z":
        sd = np.maximum(windows.std(1, keepdims=True), 1e-3 * (np.abs(y).mean() + 1e-12))
        shapes = (windows - windows.mean(1, keepdims=True)) / sd
    else:
        shapes = (windows - windows[:, -1:]) / (np.abs(np.diff(y)).mean() + 1e-12)
    out = np.zeros(len(y))
    for i in range(2 * m, len(y)):
        k = i - m + 1
        lo, hi = max(0, k - LOOKBACK_WINDOWS), k - m + 1
        if hi > lo:
            out[i] = np.sqrt(((shapes[lo:hi] - shapes[k]) ** 2).sum(1).min())
    return out


def record_ratio(distances, start):
    """Each distance over the largest of the REFERENCE_ROWS before it; 0 before `start`."""
    out = np.zeros(len(distances))
    for i in range(SETTLE_ROWS + start, len(distances)):
        reference = distances[max(start, i - REFERENCE_ROWS):i].max()
        out[i] = distances[i] / reference if reference > 0 else 0.0
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("opinion", choices=["models", "shape"])
    p.add_argument("replays")
    p.add_argument("other", nargs="?")
    p.add_argument("--combine", choices=["min", "max"], default="min")
    p.add_argument("--k", default=None)
    p.add_argument("--m", default="4,16,48")
    p.add_argument("--norm", choices=["raw", "z"], default="raw")
    a = p.parse_args()
    files = sorted(json.load(open(os.path.join(DATA, "windows.json"))))
    rows = {f: list(csv.DictReader(open(os.path.join(a.replays, f)))) for f in files}
    scores = {f: [float(r["anomaly_score"]) for r in rs] for f, rs in rows.items()}
    if a.opinion == "models":
        other = {f: [float(r["anomaly_score"]) for r in csv.DictReader(open(os.path.join(a.other, f)))]
                 for f in files}
        for k in (float(x) for x in (a.k or "1,1.5,2").split(",")):
            pick = (lambda s, o: min(s, k * o)) if a.combine == "min" else (lambda s, o: max(s, o / k))
            nab({f: (rows[f], [pick(s, o) for s, o in zip(scores[f], other[f])]) for f in files},
                f"{a.combine} K {k}")
        return
    for m in (int(x) for x in a.m.split(",")):
        channel = {f: record_ratio(nearest_earlier_distance(
            np.array([float(r["value"]) for r in rows[f]]), m, a.norm), 2 * m) for f in files}
        nab({f: (rows[f], list(channel[f])) for f in files}, f"shape M {m} {a.norm} alone")
        for k in (float(x) for x in (a.k or "1,1.2").split(",")):
            nab({f: (rows[f], [max(s, c / k) for s, c in zip(scores[f], channel[f])]) for f in files},
                f"shape M {m} {a.norm} K {k}")


if __name__ == "__main__":
    main()
