#!/usr/bin/env python3
"""Prototype (session 23, not adopted): the burst channel on one-step errors divided by a
time-of-day scale (the median |error| at the same time of day, +-2 steps, over the last 7 or 3
days, floored at a quarter of the recent mean error), against the shipped channel (quantile
0.85, cap 3, mean floor 1), each combined by max with the point score of a replay without
bursts, scored by nab_score.py (docs/models.md, "Where the remaining gap is").

    scripts/eval/nab.sh .build/release/prescient --burst-quantile 0    # writes /tmp/prescient-nab
    python3 scripts/eval/tod_burst_prototype.py /tmp/prescient-nab     # ~20 s; needs numpy
"""
import json, os, sys, tempfile, subprocess
from multiprocessing import Pool
from datetime import datetime
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import burst_prototype as bp

DATA, TOOLS = bp.DATA, bp.TOOLS

def period(ts):
    t = [datetime.fromisoformat(x[:19]).timestamp() for x in ts[:200]]
    d = np.diff(t); step = float(np.median(d))
    return max(2, int(round(86400 / step)))

def tod_scale(errors, P, days=7, w=2, floor=0.25):
    n = len(errors); out = np.ones(n)
    run_sum, run_n = 0.0, 0
    hist = []
    for t in range(n):
        vals = []
        for k in range(1, days + 1):
            lo, hi = t - k * P - w, t - k * P + w
            if lo < 0: break
            seg = errors[lo:hi + 1]
            vals.extend(seg[np.isfinite(seg)])
        recent = errors[max(0, t - 2000):t]
        recent = recent[np.isfinite(recent)]
        m = recent.mean() if len(recent) else 0.0
        s = np.median(vals) if len(vals) >= 10 else m
        s = max(s, floor * m)
        out[t] = s if s > 0 else 1.0
    return out

def burst_floor(errors, quantile=0.85, cap=3, floor=1.0):
    import bisect
    from collections import deque
    out = np.zeros(len(errors)); ordered, recent, blocks = [], deque(), deque()
    total, open_max, open_count, s = 0.0, 0.0, 0, 0.0
    for t, e in enumerate(errors):
        if not np.isfinite(e): continue
        if len(ordered) >= bp.MINIMUM:
            n = len(ordered)
            allowance = max(ordered[min(n - 1, int(quantile * n))], floor * s / n)
            total = max(0.0, total + min(e, cap * allowance) - allowance)
            reference = max(max(blocks, default=0.0), open_max)
            score = total / reference if reference > 0 and e > allowance else 0.0
            out[t] = score if n >= bp.SETTLING else 0.0
            open_max, open_count = max(open_max, total), open_count + 1
            if open_count == bp.BLOCK:
                blocks.append(open_max); open_max, open_count = 0.0, 0
                if len(blocks) > bp.SPAN // bp.BLOCK: blocks.popleft()
            if score > 1: total = 0.0
        bisect.insort(ordered, e); recent.append(e); s += e
        if len(recent) > bp.SPAN:
            old = recent.popleft(); s -= old
            ordered.pop(bisect.bisect_left(ordered, old))
    return out

def run(args):
    src, variant, work, files = args
    res = os.path.join(work, variant)
    for f in files:
        ts, score, errors = bp.load(src, f)
        if variant == "shipped":
            score = np.maximum(score, burst_floor(errors))
        elif variant.startswith("tod"):
            days = int(variant[3:])
            sc = tod_scale(errors, period(ts), days=days)
            score = np.maximum(score, burst_floor(errors / sc))
        os.makedirs(os.path.dirname(os.path.join(res, f)), exist_ok=True)
        with open(os.path.join(res, f), "w") as out:
            out.write("timestamp,anomaly_score\n")
            out.writelines(f"{t},{s:.6g}\n" for t, s in zip(ts, score))
    return variant, bp.nab(res, os.path.join(DATA, "windows.json"))

if __name__ == "__main__":
    src = sys.argv[1]
    files = sorted(json.load(open(f"{DATA}/windows.json")))
    work = tempfile.mkdtemp(prefix="tod-")
    with Pool(2) as p:
        for v, s in p.imap(run, [(src, v, work, files) for v in ("none", "shipped", "tod7", "tod3")]):
            print(v, s, flush=True)
