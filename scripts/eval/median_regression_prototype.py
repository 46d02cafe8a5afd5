#!/usr/bin/env python3
"""Prototype of `median_regression` (session 22): a direct least-absolute-deviations regression
per horizon on rolling medians, means, the last value and the day before, in numpy, scored at
every origin of the second half as dense_mase.py scores a replay (rows as steps, refits every
REFIT rows on the last WINDOW rows). Prints per-series MASE at h = 1, 6, 12 and the median and
geometric mean over series; given a replay directory (e.g. of `auto`), also that replay's,
the better of the two per series in hindsight, and their 50/50 mean.

  median_regression_prototype.py [REPLAY_DIR]
Env: FEATS (comma-separated: last, medK, meanK, seas, seas5, hourK, daysK, seas5r, knnK; the default
below is the shipped set), WINDOW, REFIT, DATA and CATEGORIES as for dense_mase.py; TSMOOTH=K
trains on the median of the 2K+1 values around each target; LGB=1 fits LightGBM (L1 loss, NL
leaves, NT trees) instead; LOG=1 fits on log(y + 1% of the mean) (non-negative series); TAU=T
weights the fit's rows by exp(-age / T steps). About 4-8 minutes for the 31 real series.
  hourK   the median of the target's step in each of the last K hours (shipped: hour4)
  daysK   the median over the last K days of the 5-step median around the target's step
  seas5r  yesterday's move to the target's step (as seas5), as a ratio applied to today's level
  knnK    analogues: the median of what followed the K past 12-step stretches most like the
          latest (level removed), h steps on, within the last 4,032 steps
Session 29 tried daysK, seas5r, TSMOOTH=2 and WINDOW=8064; none helped (docs/models.md).
"""
import csv, math, os, statistics, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dense_mase import read_rows, daily_period, mase_scale, DATA, CATEGORIES, HORIZONS

WINDOW = int(os.environ.get("WINDOW", 4032))
REFIT = int(os.environ.get("REFIT", 288))
FEATS = os.environ.get("FEATS", "last,med4,med24,med48,med96,med288,mean12,mean48,seas5,hour4")

def rolling(y, k, fn):
    out = np.full(len(y), np.nan)
    for i in range(len(y)):
        lo = max(0, i - k + 1)
        out[i] = fn(y[lo:i + 1])
    return out

def lad(X, t, iters=40, prior=None):
    # IRLS for least absolute deviations; `prior` weights the rows (TAU: recency)
    w = np.ones(len(t))
    beta = np.linalg.lstsq(X, t, rcond=None)[0]
    for _ in range(iters):
        r = np.abs(t - X @ beta)
        w = 1.0 / np.maximum(r, 1e-6 * (np.median(r) + 1e-12) + 1e-12)
        if prior is not None: w = w * prior
        sw = np.sqrt(w)
        nb = np.linalg.lstsq(X * sw[:, None], t * sw, rcond=None)[0]
        if np.max(np.abs(nb - beta)) < 1e-9 * (1 + np.max(np.abs(beta))):
            beta = nb; break
        beta = nb
    return beta

def features(y, m, h, cache):
    n = len(y)
    base = cache["med12"]
    cols = []
    names = FEATS.split(",")
    for f in names:
        if f == "last": c = y - base
        elif f.startswith("med"): c = cache[f] - base
        elif f.startswith("mean"): c = cache[f] - base
        elif f == "seas":
            # value one day before the target, relative to the median a day before now
            c = np.full(n, 0.0)
            if m + 12 < n and h <= m:
                idx = np.arange(n) + h - m
                ok = idx >= 0
                c[ok] = y[idx[ok]] - np.concatenate([np.full(m, np.nan), base[:-m]])[ok]
                c[~ok] = 0; c = np.nan_to_num(c)
        elif f == "seas5":
            c = np.full(n, 0.0)
            if m + 12 < n and h + 2 <= m:
                med5 = np.array([np.median(y[max(0, i - 2):i + 3]) for i in range(n)])
                idx = np.arange(n) + h - m
                ok = idx >= 0
                c[ok] = med5[idx[ok]] - np.concatenate([np.full(m, np.nan), base[:-m]])[ok]
                c = np.nan_to_num(c)
        elif f == "seas5r":
            c = np.full(n, 0.0)
            if m + 12 < n and h + 2 <= m:
                med5 = cache.setdefault("med5c", np.array([np.median(y[max(0, i - 2):i + 3]) for i in range(n)]))
                idx = np.arange(n) + h - m
                ok = idx >= 0
                by = np.concatenate([np.full(m, np.nan), base[:-m]])
                with np.errstate(all="ignore"):
                    r = med5[idx[ok]] / by[ok]
                r = np.where(np.isfinite(r), np.clip(r, 0, 10), 1.0)
                c[ok] = base[ok] * (r - 1)
        elif f.startswith("days"):
            # median over the last K days of the 5-step median around the target's time of day
            K = int(f[4:]); c = np.full(n, 0.0)
            if m + 12 < n and h + 2 <= m:
                med5 = cache.setdefault("med5c", np.array([np.median(y[max(0, i - 2):i + 3]) for i in range(n)]))
                stack = []
                for j in range(1, K + 1):
                    idx = np.arange(n) + h - m * j
                    col = np.full(n, np.nan); ok = idx >= 0
                    col[ok] = med5[idx[ok]]
                    stack.append(col)
                st = np.vstack(stack)
                with np.errstate(all="ignore"):
                    import warnings; warnings.simplefilter("ignore")
                    c = np.nanmedian(st, axis=0) - base
                c = np.nan_to_num(c)
        elif f.startswith("hour"):
            K = int(f[4:]); per = m // 24
            c = np.full(n, 0.0)
            if per >= 2:
                j0 = -(-h // per)
                stack = []
                for j in range(j0, j0 + K):
                    sh = per * j - h  # value at s + h - per*j = s - sh
                    col = np.full(n, np.nan); col[sh:] = y[:n - sh] if sh > 0 else y
                    stack.append(col)
                c = np.nanmedian(np.vstack(stack), axis=0) - base
                c = np.nan_to_num(c)
        elif f.startswith("knn"):
            # analogues: the median of what followed (h steps on, relative to the level then)
            # the K past stretches of L steps most like the latest, level removed
            K = int(f[3:]); c = knn_feature(y, base, h, K, cache)
        cols.append(c)
    cols.append(np.ones(n))
    return np.column_stack(cols), base

def knn_feature(y, base, h, K, cache, L=12, back=4032):
    n = len(y)
    key = ("knnd", L)
    if key not in cache:
        # patterns: the last L values less the level, one row per end step
        P = np.full((n, L), np.nan)
        for j in range(L):
            P[L - 1:, j] = y[j:n - L + 1 + j] - base[L - 1:]
        cache[key] = P
    P = cache[key]
    fut = np.full(n, np.nan)
    fut[:n - h] = y[h:] - base[:n - h]
    c = np.zeros(n)
    for t in range(L - 1 + 200, n):
        lo = max(L - 1, t - back); hi = t - h  # analogues end at u <= t - h: their futures are known at t
        if hi - lo < 2 * K: continue
        d = np.sum((P[lo:hi + 1] - P[t]) ** 2, axis=1)
        d = np.where(np.isfinite(d), d, np.inf)
        idx = np.argpartition(d, K)[:K] + lo
        v = fut[idx]; v = v[np.isfinite(v)]
        if len(v): c[t] = np.median(v)
    return c

def run(y, m):
    y = np.asarray(y, float)
    # LOG=1: the same regression on log(y + c), mapped back. A median survives any monotone map,
    # so this still forecasts the median, but with multiplicative effects and level-proportional
    # noise (counts) made additive. Only for series that are never negative.
    if os.environ.get("LOG") and np.min(y) >= 0:
        c = max(0.01 * np.mean(y), 1e-9)
        return {h: np.exp(p) - c for h, p in run_on(np.log(y + c), m).items()}
    return run_on(y, m)

def run_on(y, m):
    n = len(y)
    cache = {"med12": rolling(y, 12, np.median), "mean12": rolling(y, 12, np.mean)}
    for f in FEATS.split(","):
        if f.startswith("med") and f not in cache:
            cache[f] = rolling(y, int(f[3:]), np.median)
        if f.startswith("mean") and f not in cache:
            cache[f] = rolling(y, int(f[4:]), np.mean)
    preds = {h: np.full(n, np.nan) for h in HORIZONS}
    start = math.ceil(n / 2)
    for h in HORIZONS:
        X, base = features(y, m, h, cache)
        beta = None
        for s in range(start - 1, n - h):
            if beta is None or (s - (start - 1)) % REFIT == 0:
                lo = max(0, s - WINDOW + 1)
                rows = np.arange(max(lo, 288), s - h + 1)  # targets s' + h <= s
                if os.environ.get("LGB"):
                    import lightgbm as lgb
                    sc = np.mean(np.abs(np.diff(y[lo:s+1]))) or 1.0
                    params = dict(objective="l1", learning_rate=0.05, num_leaves=int(os.environ.get("NL","15")), min_data_in_leaf=40, bagging_fraction=0.8, bagging_freq=1, feature_fraction=0.8, verbose=-1, num_threads=1)
                    beta = lgb.train(params, lgb.Dataset(X[rows] / sc, (y[rows + h] - base[rows]) / sc), num_boost_round=int(os.environ.get("NT","200")))
                    beta.sc = sc
                elif len(rows) > 50:
                    ts = int(os.environ.get("TSMOOTH", "0"))
                    if ts:
                        rows = rows[rows + h + ts <= s]
                        tgt = np.array([np.median(y[r + h - ts:r + h + ts + 1]) for r in rows])
                        beta = lad(X[rows], tgt - base[rows])
                    else:
                        tau = float(os.environ.get("TAU", "0"))
                        prior = np.exp(-(rows.max() - rows) / tau) if tau > 0 else None
                        beta = lad(X[rows], y[rows + h] - base[rows], prior=prior)
                else:
                    beta = np.zeros(X.shape[1])
            if os.environ.get("LGB"):
                preds[h][s] = base[s] + beta.predict(X[s:s+1] / beta.sc)[0] * beta.sc
            else:
                preds[h][s] = base[s] + X[s] @ beta
    return preds

def main():
    auto_dir = sys.argv[1] if len(sys.argv) > 1 else None
    res = {h: [] for h in HORIZONS}; ares = {h: [] for h in HORIZONS}; best = {h: [] for h in HORIZONS}; combo = {h: [] for h in HORIZONS}
    for category in CATEGORIES:
        for name in sorted(os.listdir(os.path.join(DATA, category))):
            if not name.endswith(".csv"): continue
            data = read_rows(os.path.join(DATA, category, name))
            y = [float(r["value"]) for r in data]
            m = daily_period([r["timestamp"] for r in data])
            scale = mase_scale(y, m)
            preds = run(y, m)
            n = len(y); origins = range(math.ceil(n / 2), n - max(HORIZONS) + 1)
            out = read_rows(os.path.join(auto_dir, category, name)) if auto_dir else None
            line = f"{name[:34]:34s}"
            for h in HORIZONS:
                e = statistics.fmean(abs(y[t - 1 + h] - preds[h][t - 1]) for t in origins) / scale
                res[h].append(e); line += f" {e:6.3f}"
                if out:
                    a = statistics.fmean(abs(y[t - 1 + h] - float(out[t - 1][f"yhat_{h}"])) for t in origins) / scale
                    ares[h].append(a); best[h].append(min(a, e)); line += f"/{a:6.3f}"
                    c = statistics.fmean(abs(y[t - 1 + h] - 0.5 * (preds[h][t - 1] + float(out[t - 1][f"yhat_{h}"]))) for t in origins) / scale
                    combo[h].append(c)
            print(line, flush=True)
    for label, r in [("lad", res), ("auto", ares), ("best-of", best), ("combo", combo)]:
        if r[1]:
            print(label, " ".join(f"{statistics.median(r[h]):.3f}" for h in HORIZONS), " gm ",
                  " ".join(f"{statistics.geometric_mean(r[h]):.3f}" for h in HORIZONS))

if __name__ == "__main__":
    main()
