#!/usr/bin/env python3
"""Scores NAB with the anomaly score damped when the value itself is ordinary.

A prototype for docs/models.md ("Session 17"). For each row, `novelty` is how deep the value
lies inside the last N values: min(share below it, share above it), 0 when it is beyond their
range. The replay's anomaly score is multiplied by 1 / (1 + k * novelty) (`--gate hyperbolic`) or
max(0, 1 - k * novelty) (`--gate linear`) and scored by nab_score.py. k = 0 is the replay as is.

  value_novelty_prototype.py NAB_REPLAY_DIR [--window N] [--k 0,0.1,0.3] [--gate hyperbolic|linear]
NAB_REPLAY_DIR: the outputs of scripts/eval/nab.sh (its OUT directory).
"""
import argparse
import bisect
import csv
import json
import os
import subprocess
import tempfile

DATA = os.environ.get("DATA", "/work/shared/data/nab-dev")
TOOLS = os.environ.get("TOOLS", "/work/shared/tools")


def novelty(values, window):
    recent, out = [], []
    for i, v in enumerate(values):
        if recent:
            below = bisect.bisect_left(recent, v) / len(recent)
            above = 1 - bisect.bisect_right(recent, v) / len(recent)
            out.append(min(below, above))
        else:
            out.append(0.0)
        bisect.insort(recent, v)
        if i >= window:
            del recent[bisect.bisect_left(recent, values[i - window])]
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("replays")
    p.add_argument("--window", type=int, default=288)
    p.add_argument("--k", default="0,0.1,0.3,1")
    p.add_argument("--gate", choices=["hyperbolic", "linear"], default="hyperbolic")
    a = p.parse_args()
    files = sorted(json.load(open(os.path.join(DATA, "windows.json"))))
    loaded = {}
    for f in files:
        rows = list(csv.DictReader(open(os.path.join(a.replays, f))))
        loaded[f] = (rows, novelty([float(r["value"]) for r in rows], a.window))
    for k in (float(x) for x in a.k.split(",")):
        with tempfile.TemporaryDirectory() as out:
            for f, (rows, nov) in loaded.items():
                os.makedirs(os.path.dirname(os.path.join(out, f)), exist_ok=True)
                with open(os.path.join(out, f), "w") as fh:
                    fh.write("timestamp,anomaly_score\n")
                    for r, n in zip(rows, nov):
                        g = 1 / (1 + k * n) if a.gate == "hyperbolic" else max(0.0, 1 - k * n)
                        fh.write(f"{r['timestamp']},{float(r['anomaly_score']) * g}\n")
            scored = subprocess.run(["python3", os.path.join(TOOLS, "nab_score.py"), "--data", DATA,
                                     "--windows", os.path.join(DATA, "windows.json"), out, "--profile", "all"],
                                    capture_output=True, text=True, check=True).stdout
        cols = [line.split() for line in scored.splitlines() if line.startswith(("standard", "reward"))]
        print(f"window {a.window} k {k:<4} {a.gate:10s} " + " | ".join(f"{c[1]} (TP {c[4]}, FP {c[6]})" for c in cols))


if __name__ == "__main__":
    main()
