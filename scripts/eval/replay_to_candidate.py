#!/usr/bin/env python3
"""Turns `prescient replay` outputs into forecast_bench.py's candidate CSV.

Replay row i holds the forecasts made after seeing rows 0..i, i.e. forecast_bench's origin
T = i + 1; horizon h targets row T - 1 + h = i + h. Only the (series, origin, horizon) rows of
the schedule are written. Also prints the interval coverage of the replay outputs on the
schedule (at whatever level the replay ran), since forecast_bench judges coverage at 90%.

  replay_to_candidate.py SCHEDULE.csv REPLAY_DIR DATA_DIR OUT.csv
"""
import csv
import glob
import os
import sys

schedule_path, replay_dir, data_dir, out_path = sys.argv[1:5]
wanted = {}
with open(schedule_path) as f:
    for row in csv.DictReader(f):
        wanted.setdefault(row["series"], set()).add((int(row["origin_index"]), int(row["horizon"])))

stems = {}
for path in glob.glob(os.path.join(replay_dir, "*", "*.csv")):
    stems[os.path.splitext(os.path.basename(path))[0]] = path

hits = total = 0
with open(out_path, "w", newline="") as out:
    w = csv.writer(out)
    w.writerow(["series", "origin_index", "horizon", "yhat", "lower", "upper"])
    for series, pairs in sorted(wanted.items()):
        stem = os.path.splitext(os.path.basename(series))[0]
        if stem not in stems:
            print(f"missing replay output for {series}", file=sys.stderr)
            continue
        with open(stems[stem]) as f:
            rows = list(csv.DictReader(f))
        for origin, h in sorted(pairs):
            r = rows[origin - 1]
            yhat, lo, hi = r.get(f"yhat_{h}", ""), r.get(f"lower_{h}", ""), r.get(f"upper_{h}", "")
            w.writerow([series, origin, h, yhat, lo, hi])
            target = origin - 1 + h
            if lo and hi and target < len(rows) and rows[target]["value"] not in ("", "nan"):
                y = float(rows[target]["value"])
                total += 1
                hits += float(lo) <= y <= float(hi)
print(f"replay interval coverage on the schedule: {100 * hits / max(total, 1):.2f}% of {total}")
