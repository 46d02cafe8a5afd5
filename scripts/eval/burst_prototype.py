#!/usr/bin/env python3
"""The prototype the anomaly burst channel (ErrorBurstDetector) was chosen with, kept so the
choice and its two-fold check can be re-run.

It reads `prescient replay` outputs made WITHOUT the burst channel, recomputes the channel from
each file's one-step errors (value minus the previous row's yhat_1) for every setting of a grid,
combines it with the replay's anomaly_score by max, and scores the result with nab_score.py:
on all files, and on two halves (each category's files split alternately) to see how a setting
tuned on one half does on the other.

    scripts/eval/nab.sh .build/release/prescient --burst-quantile 0     # writes /tmp/prescient-nab
    python3 scripts/eval/burst_prototype.py /tmp/prescient-nab

Needs numpy. Takes about 5 minutes on two cores. Differs from the Swift code in small ways
(the level-shift fade is not applied to the burst score here), so its scores come within about
half a point of a real replay with the same setting.
"""
import bisect
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import deque
from multiprocessing import Pool

import numpy as np

DATA = os.environ.get("DATA", "/work/shared/data/nab-dev")
TOOLS = os.environ.get("TOOLS", "/work/shared/tools")
SPAN, BLOCK, MINIMUM, SETTLING = 2000, 100, 30, 300


def load(src, name):
    rows = list(csv.DictReader(open(os.path.join(src, name))))
    value = np.array([float(r["value"]) for r in rows])
    yhat = np.array([float(r["yhat_1"]) if r["yhat_1"] not in ("", "nan", "NaN") else np.nan for r in rows])
    error = np.full(len(value), np.nan)
    error[1:] = np.abs(value[1:] - yhat[:-1])
    return [r["timestamp"] for r in rows], np.array([float(r["anomaly_score"]) for r in rows]), error


def burst_scores(errors, quantile, cap):
    """The channel as ErrorBurstDetector + SeriesModeler.burstScore compute it."""
    out = np.zeros(len(errors))
    ordered, recent, blocks = [], deque(), deque()
    total, open_max, open_count = 0.0, 0.0, 0
    for t, e in enumerate(errors):
        if not np.isfinite(e):
            continue
        if len(ordered) >= MINIMUM:
            n = len(ordered)
            allowance = ordered[min(n - 1, int(quantile * n))]
            total = max(0.0, total + min(e, cap * allowance) - allowance)
            reference = max(max(blocks, default=0.0), open_max)
            score = total / reference if reference > 0 and e > allowance else 0.0
            out[t] = score if n >= SETTLING else 0.0
            open_max, open_count = max(open_max, total), open_count + 1
            if open_count == BLOCK:
                blocks.append(open_max)
                open_max, open_count = 0.0, 0
                if len(blocks) > SPAN // BLOCK:
                    blocks.popleft()
            if score > 1:
                total = 0.0
        bisect.insort(ordered, e)
        recent.append(e)
        if len(recent) > SPAN:
            ordered.pop(bisect.bisect_left(ordered, recent.popleft()))
    return out


def nab(results, windows):
    out = subprocess.run([sys.executable, f"{TOOLS}/nab_score.py", "--data", DATA, "--windows", windows,
                          results, "--profile", "all"], capture_output=True, text=True, check=True).stdout
    return [float(line.split()[1]) for line in out.splitlines() if line.startswith(("standard", "reward"))]


def evaluate(args):
    src, setting, work, files = args
    name = "none" if setting is None else f"q{setting[0]}-cap{setting[1]}"
    results = os.path.join(work, name)
    for f in files:
        ts, score, errors = load(src, f)
        if setting is not None:
            score = np.maximum(score, burst_scores(errors, *setting))
        os.makedirs(os.path.dirname(os.path.join(results, f)), exist_ok=True)
        with open(os.path.join(results, f), "w") as out:
            out.write("timestamp,anomaly_score\n")
            out.writelines(f"{t},{s:.6g}\n" for t, s in zip(ts, score))
    return name, [nab(results, os.path.join(work, w)) for w in ("all.json", "half0.json", "half1.json")]


def main():
    src = sys.argv[1]
    windows = json.load(open(f"{DATA}/windows.json"))
    work = tempfile.mkdtemp(prefix="burst-prototype-")
    halves = [{}, {}]
    by_category = {}
    for f in sorted(windows):
        by_category.setdefault(f.split("/")[0], []).append(f)
    for files in by_category.values():
        for i, f in enumerate(files):
            halves[i % 2][f] = windows[f]
    for name, content in (("all.json", windows), ("half0.json", halves[0]), ("half1.json", halves[1])):
        json.dump(content, open(os.path.join(work, name), "w"))
    grid = [None] + [(q, c) for q in (0.7, 0.75, 0.8, 0.85, 0.9) for c in (2, 3, 4, 6)]
    scores = {}
    print("setting        all (standard, low FP, low FN)   half 0   half 1")
    with Pool(2) as pool:
        for name, (whole, h0, h1) in pool.imap(evaluate, [(src, s, work, sorted(windows)) for s in grid]):
            scores[name] = (whole, h0, h1)
            print(f"{name:14s} {whole}  {h0}  {h1}", flush=True)
    for train, test in ((1, 2), (2, 1)):
        best = max((n for n in scores if n != "none"), key=lambda n: scores[n][train][0])
        print(f"tuned on half {train - 1}: {best} ({scores[best][train][0]}) -> half {test - 1}: "
              f"{scores[best][test]} (without bursts {scores['none'][test]})")


if __name__ == "__main__":
    main()
