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

drift (session 27): a two-sided CUSUM on the signed one-step errors (the value less the previous
row's yhat_1), in units of their mean absolute size (a moving mean over 2,000 errors):
S = max(0, S + e / scale - ALLOWANCE), one sum per sign. The larger sum over the largest of the
last 8,000 rows (from row 300 on) is the channel's score; after it passes 1 both sums restart.
It catches a forecast that stays on one side of the values, which neither the point score (one
error) nor the burst channel (sizes, not signs) is built for. Combined as max(score, channel / K).

  nab_second_opinion_prototype.py drift NAB_REPLAY_DIR [--allowance 0.5,1,2] [--k 1,1.2] [--two-fold]

--two-fold also scores every setting on two halves of the files (alternate files of each
category, as burst_prototype.py splits them), then scores the setting that is best on one half
on the other, against the shipped score there.

Needs numpy.
"""
import argparse
import csv
import json
import os

import numpy as np

import tempfile

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


def drift_channel(values, forecasts, allowance, cap=float("inf")):
    """Per row, the larger one-sided CUSUM of signed errors over its 8,000-row record."""
    n = len(values)
    out = np.zeros(n)
    sums = np.zeros(n)
    up = down = 0.0
    scale, seen = 0.0, 0
    for i in range(1, n):
        e = values[i] - forecasts[i - 1]
        if not np.isfinite(e):
            continue
        seen += 1
        scale += (abs(e) - scale) / min(seen, 2_000)
        if scale <= 0:
            continue
        units = max(-cap, min(cap, e / scale))
        up = max(0.0, up + units - allowance)
        down = max(0.0, down - units - allowance)
        sums[i] = max(up, down)
        if i >= SETTLE_ROWS:
            reference = sums[max(0, i - REFERENCE_ROWS):i].max()
            if reference > 0:
                out[i] = sums[i] / reference
                if out[i] > 1:
                    up = down = 0.0
    return out


def halves(files):
    """Two windows.json files, each naming alternate files of every category."""
    windows = json.load(open(os.path.join(DATA, "windows.json")))
    parts, work = [{}, {}], tempfile.mkdtemp(prefix="nab-halves-")
    by_category = {}
    for f in files:
        by_category.setdefault(f.split("/")[0], []).append(f)
    for names in by_category.values():
        for i, f in enumerate(names):
            parts[i % 2][f] = windows[f]
    paths = [os.path.join(work, f"half{i}.json") for i in (0, 1)]
    for path, part in zip(paths, parts):
        json.dump(part, open(path, "w"))
    return paths


def drift(a, files, rows, scores):
    split = halves(files) if a.two_fold else []
    shipped = [nab({f: (rows[f], scores[f]) for f in files}, f"shipped, half {i}", w)
               for i, w in enumerate(split)]
    results = {}
    for allowance, cap in ((float(x), float(c)) for x in a.allowance.split(",") for c in a.cap.split(",")):
        channel = {f: drift_channel(np.array([float(r["value"]) for r in rows[f]]),
                                    np.array([float(r["yhat_1"] or "nan") for r in rows[f]]), allowance, cap)
                   for f in files}
        nab({f: (rows[f], list(channel[f])) for f in files}, f"drift allowance {allowance} cap {cap} alone")
        for k in (float(x) for x in (a.k or "1,1.2").split(",")):
            combined = {f: (rows[f], [max(s, c / k) for s, c in zip(scores[f], channel[f])]) for f in files}
            label = f"drift allowance {allowance} cap {cap} K {k}"
            nab(combined, label)
            results[label] = [nab(combined, f"  half {i}", w) for i, w in enumerate(split)]
    for train, test in ((0, 1), (1, 0)) if split else ():
        best = max(results, key=lambda n: results[n][train][0])
        print(f"tuned on half {train}: {best} ({results[best][train][0]}) -> half {test}: "
              f"{results[best][test]} (shipped {shipped[test]})")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("opinion", choices=["models", "shape", "drift"])
    p.add_argument("replays")
    p.add_argument("other", nargs="?")
    p.add_argument("--combine", choices=["min", "max"], default="min")
    p.add_argument("--k", default=None)
    p.add_argument("--m", default="4,16,48")
    p.add_argument("--norm", choices=["raw", "z"], default="raw")
    p.add_argument("--allowance", default="0.5,1,2")
    p.add_argument("--cap", default="inf")
    p.add_argument("--two-fold", action="store_true")
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
    if a.opinion == "drift":
        drift(a, files, rows, scores)
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
