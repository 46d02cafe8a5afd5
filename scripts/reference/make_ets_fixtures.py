#!/usr/bin/env python3
"""Second reference for ETS: statsmodels' ETSModel, for the fits where statsforecast's optimiser
stops early (see ETSReferenceTests), and a long-season (m = 288) case.

What it generates
    Tests/ModelsTests/Fixtures/ets_statsmodels.json
        For each case: the series (from the statsforecast fixture ets_reference.json, or the first
        2016 points of a NAB file), the form (ANN, AAN, AAdN, ANA, AAA, AAdA: additive errors),
        the season length, statsmodels' log-likelihood restated in R's convention
        (-0.5 * n * log(sse), as our ETS reports `loglik`), the full Gaussian llf as statsmodels
        reports it, the smoothing parameters, and the h=12 point forecasts.

How statsmodels is run
    ETSModel(y, error="add", trend=..., damped_trend=..., seasonal=..., seasonal_periods=m)
    .fit(disp=False, maxiter=5000). Initial states are estimated ("estimated") for m <= 24 and
    taken from its heuristic decomposition ("heuristic") for m = 288, where estimating 288
    initial states is impractical -- our ETS does the same (decomposition seeds for m > 24).
    statsmodels bounds phi to [0.8, 0.98] and the smoothing parameters to [1e-4, 0.9999] here,
    to match the usual bounds our ETS and R's ets use.

How to run (from the repository root)
    pip install statsmodels pandas
    python3 scripts/reference/make_ets_fixtures.py [--data /work/shared/data/nab-dev]
"""

import argparse
import json
import os
import warnings

import numpy as np
import statsmodels
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
HORIZON = 12

FORMS = {
    # code: (trend, damped, seasonal)
    "ANN": (None, False, None),
    "AAN": ("add", False, None),
    "AAdN": ("add", True, None),
    "ANA": (None, False, "add"),
    "AAA": ("add", False, "add"),
    "AAdA": ("add", True, "add"),
}


def fit(y, code, m, init):
    trend, damped, seasonal = FORMS[code]
    model = ETSModel(y, error="add", trend=trend, damped_trend=damped, seasonal=seasonal,
                     seasonal_periods=m if seasonal else None, initialization_method=init)
    bounds = {"smoothing_level": (1e-4, 0.9999)}
    if trend:
        bounds["smoothing_trend"] = (1e-4, 0.9999)
    if damped:
        bounds["damping_trend"] = (0.8, 0.98)
    if seasonal:
        bounds["smoothing_seasonal"] = (1e-4, 0.9999)
    model.set_bounds(bounds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(disp=False, maxiter=5000)
    sse = float(np.sum(np.asarray(res.resid) ** 2))
    n = len(y)
    names = list(res.model.param_names)
    params = {k: float(v) for k, v in zip(names, res.params)}
    return {
        "form": code,
        "season_length": m,
        "initialization": init,
        "loglik_r": -0.5 * n * float(np.log(sse)),
        "llf": float(res.llf),
        "sse": sse,
        "params": {k: params.get(k) for k in ("smoothing_level", "smoothing_trend",
                                               "smoothing_seasonal", "damping_trend")},
        "forecast": [float(v) for v in np.asarray(res.forecast(HORIZON))],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/nab-dev")
    args = ap.parse_args()
    with open(os.path.join(FIXTURES, "ets_reference.json")) as f:
        sf = {s["name"]: s for s in json.load(f)["series"]}

    cases = []
    for name, codes in [("synthetic_seasonal12", ["ANA", "AAA", "AAdA"]),
                        ("nab_exchange2_cpm_hourly", ["ANA", "AAA", "AAdN"]),
                        ("synthetic_arma21", ["ANN"])]:
        s = sf[name]
        y = np.asarray(s["values"], dtype=float)
        for code in codes:
            entry = fit(y, code, s["season_length"], "estimated")
            entry.update({"name": name, "values": [float(v) for v in y]})
            cases.append(entry)

    path = os.path.join(args.data, "artificialNoAnomaly", "art_daily_small_noise.csv")
    values = []
    with open(path) as f:
        next(f)
        for line in f:
            values.append(float(line.strip().split(",")[1]))
    y = np.asarray(values[:2016])
    for code in ["ANA", "AAdA"]:
        entry = fit(y, code, 288, "heuristic")
        entry.update({"name": "art_daily_small_noise_2016", "values": [float(v) for v in y]})
        cases.append(entry)

    out = {
        "generator": "scripts/reference/make_ets_fixtures.py",
        "library": f"statsmodels {statsmodels.__version__} ETSModel, additive errors",
        "conventions": {
            "loglik_r": "-0.5 * n * log(sse), R's/statsforecast's convention, comparable with our ETS `loglik`",
            "llf": "statsmodels' full Gaussian log-likelihood",
            "forecast": "h = 1..12 point forecasts after the last value",
        },
        "versions": {"statsmodels": statsmodels.__version__, "numpy": np.__version__},
        "cases": cases,
    }
    with open(os.path.join(FIXTURES, "ets_statsmodels.json"), "w") as f:
        json.dump(out, f, indent=1)
    for c in cases:
        print(c["name"], c["form"], round(c["loglik_r"], 3), c["params"])


if __name__ == "__main__":
    main()
