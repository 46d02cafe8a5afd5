#!/usr/bin/env python3
"""Scores NAB after transforming the anomaly scores of a replay: four prototypes that failed.

For docs/models.md ("Session 17"). NAB_REPLAY_DIR is the OUT directory of scripts/eval/nab.sh.

novelty: damp the score when the value itself is ordinary. `novelty` is how deep the value lies
inside the last N values: min(share below it, share above it), 0 beyond their range. The score
is multiplied by 1 / (1 + k * novelty) (`--gate hyperbolic`) or max(0, 1 - k * novelty)
(`--gate linear`). k = 0 is the replay as is.

  nab_transform_prototype.py novelty NAB_REPLAY_DIR [--window N] [--k 0,0.1,0.3] [--gate hyperbolic|linear]

holdoff: after a score above TRIGGER, scores of the next K rows are multiplied by DAMP.

  nab_transform_prototype.py holdoff NAB_REPLAY_DIR [--k 0,12,50] [--trigger 1,1.088] [--damp 0.5]

confirm (session 21): report row i's score D rows late, weighed by what followed it. With m the
largest score of the D rows after it, the score is multiplied by (C + m) / (C + 1)
(`--confirm scale`: a follow-up above 1 raises it) or by min(1, that) (`--confirm damp`).

  nab_transform_prototype.py confirm NAB_REPLAY_DIR [--delay 1,2,3] [--c 1,2,4,8] [--confirm damp|scale]

sustain (session 26): a row alone above the threshold needs K times the score of a row whose
predecessor is above it too: max(min(score, previous score), score / K).

  nab_transform_prototype.py sustain NAB_REPLAY_DIR [--k 1.1,1.2,1.5,2]
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


def held_off(scores, k, trigger, damp):
    """Each score, times `damp` when a score above `trigger` came at most `k` rows before it."""
    last, out = None, []
    for i, s in enumerate(scores):
        out.append(s * damp if last is not None and i - last <= k else s)
        if s > trigger:
            last = i
    return out


def confirmed(scores, delay, c, damp):
    """Row i carries the score of row i - delay, weighed by the largest score after it."""
    out = [0.0] * len(scores)
    for i in range(delay, len(scores)):
        factor = (c + max(scores[i - delay + 1:i + 1])) / (c + 1)
        out[i] = scores[i - delay] * (min(1.0, factor) if damp else factor)
    return out


def sustained(scores, k):
    """Each score, or score / k where the row before it scored lower."""
    return [max(min(s, p), s / k) for s, p in zip(scores, [0.0] + scores[:-1])]


def nab(files, label, windows=os.path.join(DATA, "windows.json")):
    """Writes {file: scores} with their rows' timestamps, scores them against `windows` (a
    windows.json, whose files are the ones scored), prints one line and returns the three
    profiles' scores."""
    with tempfile.TemporaryDirectory() as out:
        for f, (rows, scores) in files.items():
            os.makedirs(os.path.dirname(os.path.join(out, f)), exist_ok=True)
            with open(os.path.join(out, f), "w") as fh:
                fh.write("timestamp,anomaly_score\n")
                for r, s in zip(rows, scores):
                    fh.write(f"{r['timestamp']},{s}\n")
        scored = subprocess.run(["python3", os.path.join(TOOLS, "nab_score.py"), "--data", DATA,
                                 "--windows", windows, out, "--profile", "all"],
                                capture_output=True, text=True, check=True).stdout
    cols = [line.split() for line in scored.splitlines() if line.startswith(("standard", "reward"))]
    print(f"{label:40s} " + " | ".join(f"{c[1]} (TP {c[4]}, FP {c[6]})" for c in cols), flush=True)
    return [float(c[1]) for c in cols]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("transform", choices=["novelty", "holdoff", "confirm", "sustain"])
    p.add_argument("replays")
    p.add_argument("--window", type=int, default=288)
    p.add_argument("--k", default=None)
    p.add_argument("--gate", choices=["hyperbolic", "linear"], default="hyperbolic")
    p.add_argument("--trigger", default="1.088")
    p.add_argument("--damp", default="0.5")
    p.add_argument("--delay", default="1,2,3")
    p.add_argument("--c", default="1,2,4,8")
    p.add_argument("--confirm", choices=["damp", "scale"], default="damp")
    a = p.parse_args()
    rows = {f: list(csv.DictReader(open(os.path.join(a.replays, f))))
            for f in sorted(json.load(open(os.path.join(DATA, "windows.json"))))}
    scores = {f: [float(r["anomaly_score"]) for r in rs] for f, rs in rows.items()}
    if a.transform == "novelty":
        depth = {f: novelty([float(r["value"]) for r in rs], a.window) for f, rs in rows.items()}
        for k in (float(x) for x in (a.k or "0,0.1,0.3,1").split(",")):
            gate = (lambda n: 1 / (1 + k * n)) if a.gate == "hyperbolic" else (lambda n: max(0.0, 1 - k * n))
            nab({f: (rows[f], [s * gate(n) for s, n in zip(scores[f], depth[f])]) for f in rows},
                f"window {a.window} k {k} {a.gate}")
    elif a.transform == "confirm":
        for delay in (int(x) for x in a.delay.split(",")):
            for c in (float(x) for x in a.c.split(",")):
                nab({f: (rows[f], confirmed(scores[f], delay, c, a.confirm == "damp")) for f in rows},
                    f"delay {delay} c {c} {a.confirm}")
    elif a.transform == "sustain":
        for k in (float(x) for x in (a.k or "1.1,1.2,1.5,2").split(",")):
            nab({f: (rows[f], sustained(scores[f], k)) for f in rows}, f"sustain K {k}")
    else:
        for k in (int(x) for x in (a.k or "0,12,50,100,200").split(",")):
            for trigger in (float(x) for x in a.trigger.split(",")):
                for damp in (float(x) for x in a.damp.split(",")):
                    nab({f: (rows[f], held_off(scores[f], k, trigger, damp)) for f in rows},
                        f"K {k} trigger {trigger} damp {damp}")


if __name__ == "__main__":
    main()
