#!/usr/bin/env python3
"""Prototype (session 37, not shipped): per series and horizon, convex weights over the
per-model replays' forecasts, fitted by least absolute deviations (a linear program) every
REFIT origins on the trailing WINDOW origins whose outcomes are known, and scored at every
origin of the second half as dense_mase.py scores, beside `auto`'s replay.

  combination_weights_prototype.py [DIR]   (DIR as per_model.sh makes it; default /tmp/pm)
Env: MODELS (first one is the fallback and the SHRINK target), WINDOW, REFIT, SHRINK."""
import math, os, statistics, sys
import numpy as np
from scipy.optimize import linprog
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dense_mase import read_rows, daily_period, mase_scale, DATA, CATEGORIES, HORIZONS

MODELS = os.environ.get("MODELS", "auto,median_regression,median,ets,arima,trend_seasonal,naive").split(",")
WINDOW = int(os.environ.get("WINDOW", "2016"))
REFIT = int(os.environ.get("REFIT", "288"))
SHRINK = float(os.environ.get("SHRINK", "0"))  # pull toward auto alone
REPLAYS = sys.argv[1] if len(sys.argv) > 1 else "/tmp/pm"

def lad_simplex(X, y):
    n, m = X.shape
    # variables: w (m), u (n), v (n); min sum(u+v) s.t. Xw + u - v = y, sum w = 1, all >= 0
    c = np.concatenate([np.zeros(m), np.ones(2 * n)])
    A_eq = np.hstack([X, np.eye(n), -np.eye(n)])
    A_eq = np.vstack([A_eq, np.concatenate([np.ones(m), np.zeros(2 * n)])])
    b_eq = np.concatenate([y, [1.0]])
    r = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    return r.x[:m] if r.success else None

res = {h: [] for h in HORIZONS}
base = {h: [] for h in HORIZONS}
names = []
for category in CATEGORIES:
    for name in sorted(os.listdir(os.path.join(DATA, category))):
        if not name.endswith(".csv"): continue
        data = read_rows(os.path.join(DATA, category, name))
        y = np.array([float(r["value"]) for r in data])
        scale = mase_scale(list(y), daily_period([r["timestamp"] for r in data]))
        n = len(y)
        names.append(name)
        F = {}
        for m in MODELS:
            out = read_rows(os.path.join(REPLAYS, f"replay-{m}", category, name))
            F[m] = {h: np.array([float(r[f"yhat_{h}"]) if r[f"yhat_{h}"] not in ("", "NaN", "nan") else np.nan for r in out]) for h in HORIZONS}
        origins = range(math.ceil(n / 2), n - max(HORIZONS) + 1)
        for h in HORIZONS:
            P = np.stack([F[m][h] for m in MODELS], axis=1)  # row t-1: forecast of y[t-1+h]
            # fallback where any is nan: use auto
            w = None
            last_fit = None
            errs, berrs = [], []
            for t in origins:
                row = t - 1
                if last_fit is None or t - last_fit >= REFIT:
                    # training rows r with r + h <= row (outcome known by row): r in [row-h-WINDOW+1, row-h]
                    lo, hi = max(0, row - h - WINDOW + 1), row - h
                    if hi - lo > 50:
                        X = P[lo:hi + 1]; yy = y[lo + h:hi + 1 + h]
                        ok = ~np.isnan(X).any(axis=1)
                        X, yy = X[ok], yy[ok]
                        if len(yy) > 50:
                            # subsample for LP size
                            step = max(1, len(yy) // 700)
                            w = lad_simplex(X[::step], yy[::step])
                            if w is not None and SHRINK > 0:
                                w = (1 - SHRINK) * w; w[0] += SHRINK
                    last_fit = t
                p = P[row]
                yhat = p[0] if (w is None or np.isnan(p).any()) else float(p @ w)
                errs.append(abs(y[row + h] - yhat)); berrs.append(abs(y[row + h] - p[0]))
            res[h].append(np.mean(errs) / scale); base[h].append(np.mean(berrs) / scale)
print("models", MODELS, "window", WINDOW, "refit", REFIT, "shrink", SHRINK)
for label, d in (("auto", base), ("qra", res)):
    print(f"{label:5s} med " + " ".join(f"{statistics.median(d[h]):.3f}" for h in HORIZONS)
          + "  gm " + " ".join(f"{statistics.geometric_mean(d[h]):.3f}" for h in HORIZONS))
for h in HORIZONS:
    better = sum(1 for a, b in zip(res[h], base[h]) if a < b * 0.99); worse = sum(1 for a, b in zip(res[h], base[h]) if a > b * 1.01)
    print(f"h={h}: better by >1% on {better}, worse by >1% on {worse}")
