#!/usr/bin/env python3
"""Reference fixtures for the Models tests: ETS and ARIMA fits computed by statsforecast.

What it generates
    Tests/ModelsTests/Fixtures/ets_reference.json
        For each series: its values and season length; for the additive-error forms ANN, AAN,
        AAdN, ANA, AAA (seasonal forms only when the season length is > 1) the log-likelihood,
        AIC, AICc, BIC, sigma^2, smoothing parameters, initial states and the h=12 point forecasts
        with 95% intervals; and the form AutoETS chooses (over all forms it allows).
    Tests/ModelsTests/Fixtures/arima_reference.json
        For each series: the order AutoARIMA chooses (stepwise, AICc, KPSS for d, seasonal
        strength for D), its coefficients, log-likelihood, AIC/AICc, sigma^2 and the h=12
        forecasts with 95% intervals; the differencing orders ndiffs/nsdiffs pick; and a few
        fixed-order fits (coefficients, likelihood, forecasts).

Series (all small, so the JSON stays well under 200 KB each)
    synthetic_seasonal12   240 points, season 12: 20 + 3 sin(2 pi t / 12) + AR(1) noise (phi 0.6)
    synthetic_rw_drift     200 points, no season: random walk with drift 0.2 from 100
    synthetic_arma21       300 points, no season: ARMA(2,1), phi (0.5, -0.3), theta 0.4, mean 5
    nab_rds_cpu_5min       500 points, no season: realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv,
                           the first 500 five-minute values
    nab_exchange2_cpm_hourly 336 points, season 24: realAdExchange/exchange-2_cpm_results.csv,
                           the first 336 hourly values (two weeks)
    The synthetic series come from numpy's default_rng with the fixed seed below, so rerunning
    the script reproduces them exactly.

How to run (from the repository root)
    pip install statsforecast statsmodels
    python3 scripts/reference/make_fixtures.py [--data /work/shared/data/nab-dev]

Versions used for the committed fixtures: Python 3.11.7, statsforecast 2.1.1, numpy as
installed with it; the JSON records the versions it was made with.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import pandas as pd
import statsforecast
from statsforecast.arima import ndiffs, nsdiffs
from statsforecast.models import ARIMA, AutoARIMA, AutoETS

SEED = 20261123
HORIZON = 12
LEVEL = 95
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")


def synthetic_series():
    rng = np.random.default_rng(SEED)
    series = []

    n = 240
    noise = np.zeros(n)
    e = rng.normal(0, 1, n)
    for t in range(n):
        noise[t] = (0.6 * noise[t - 1] if t > 0 else 0) + e[t]
    t = np.arange(n)
    series.append(("synthetic_seasonal12", "20 + 3 sin(2 pi t/12) + AR(1) noise, phi 0.6, sd 1",
                   12, 20 + 3 * np.sin(2 * np.pi * t / 12) + noise))

    n = 200
    series.append(("synthetic_rw_drift", "100 + cumulative sum of N(0.2, 1)", 1,
                   100 + np.cumsum(0.2 + rng.normal(0, 1, n))))

    n, burn = 300, 100
    e = rng.normal(0, 1, n + burn)
    x = np.zeros(n + burn)
    for t in range(2, n + burn):
        x[t] = 0.5 * x[t - 1] - 0.3 * x[t - 2] + e[t] + 0.4 * e[t - 1]
    series.append(("synthetic_arma21", "5 + ARMA(2,1): phi (0.5, -0.3), theta 0.4, sd 1", 1,
                   5 + x[burn:]))
    return series


def nab_series(data):
    out = []
    rds = pd.read_csv(os.path.join(data, "realAWSCloudwatch", "rds_cpu_utilization_cc0c53.csv"))
    out.append(("nab_rds_cpu_5min", "NAB realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv, first 500 values",
                1, rds["value"].to_numpy(dtype=float)[:500]))
    ex = pd.read_csv(os.path.join(data, "realAdExchange", "exchange-2_cpm_results.csv"))
    out.append(("nab_exchange2_cpm_hourly", "NAB realAdExchange/exchange-2_cpm_results.csv, first 336 hourly values",
                24, ex["value"].to_numpy(dtype=float)[:336]))
    return out


def num(x):
    """A JSON-safe float (NaN and infinities become null)."""
    x = float(x)
    return x if math.isfinite(x) else None


def nums(xs):
    return [num(x) for x in xs]


def forecast_of(model):
    f = model.predict(h=HORIZON, level=[LEVEL])
    return {"h": HORIZON, "level": LEVEL / 100, "mean": nums(f["mean"]),
            "lower": nums(f[f"lo-{LEVEL}"]), "upper": nums(f[f"hi-{LEVEL}"])}


ETS_FORMS = {
    # name: (statsforecast model string, damped, needs a season)
    "ANN": ("ANN", False, False),
    "AAN": ("AAN", False, False),
    "AAdN": ("AAN", True, False),
    "ANA": ("ANA", False, True),
    "AAA": ("AAA", False, True),
}


def ets_entry(y, m, model, damped):
    fit = AutoETS(season_length=m, model=model, damped=damped).fit(y)
    mod = fit.model_
    par = mod["par"]
    trend = mod["components"][1] != "N"
    seasonal = mod["components"][2] != "N"
    start = 4
    level0 = par[start]
    trend0 = par[start + 1] if trend else None
    season0 = par[start + (2 if trend else 1):] if seasonal else []
    residuals = np.asarray(mod["residuals"], dtype=float)
    return {
        "method": mod["method"],
        "loglik": num(mod["loglik"]),
        "aic": num(mod["aic"]),
        "aicc": num(mod["aicc"]),
        "bic": num(mod["bic"]),
        "sigma2": num(mod["sigma2"]),
        "sse": num(np.sum(residuals ** 2)),
        "n_params": int(mod["n_params"]),
        "params": {"alpha": num(par[0]), "beta": num(par[1]), "gamma": num(par[2]), "phi": num(par[3])},
        "initial_states": {"level": num(level0), "trend": num(trend0) if trend0 is not None else None,
                           "seasonal": nums(season0)},
        "forecast": forecast_of(fit),
    }


def auto_ets(y, m, model):
    auto = AutoETS(season_length=m, model=model).fit(y).model_
    c = auto["components"]
    form = c[0] + c[1] + ("d" if c[3] == "D" else "") + c[2]
    return {"form": form, "method": auto["method"], "aicc": num(auto["aicc"])}


def make_ets(series):
    out = []
    for name, source, m, y in series:
        forms = {}
        for form, (model, damped, needs_season) in ETS_FORMS.items():
            if needs_season and m == 1:
                continue
            forms[form] = ets_entry(y, m, model, damped)
        out.append({"name": name, "source": source, "season_length": m, "values": nums(y),
                    "forms": forms, "auto": auto_ets(y, m, "ZZZ"), "auto_additive": auto_ets(y, m, "AZZ")})
    return {
        "generator": "scripts/reference/make_fixtures.py",
        "library": f"statsforecast {statsforecast.__version__}, AutoETS with a fixed model string "
                   "(a port of R forecast::ets; Nelder-Mead on the likelihood, initial states estimated)",
        "conventions": {
            "loglik": "R forecast::ets convention for additive errors: loglik = -0.5 * n * log(sse), "
                      "without the Gaussian constants. The full Gaussian log-likelihood at sigma^2 = sse/n "
                      "is loglik_full = -0.5 * n * (log(2 pi sse / n) + 1) = loglik - 0.5 * n * (log(2 pi / n) + 1).",
            "aic": "aic = -2 * loglik + 2 * (n_params), n_params counting smoothing parameters, initial "
                   "states and sigma^2 (statsforecast/R count); aicc = aic + 2 k (k + 1) / (n - k - 1) with "
                   "k = n_params; bic = aic + k (log n - 2)",
            "params": "error-correction form: l_t = l_{t-1} + phi b_{t-1} + alpha e_t, "
                      "b_t = phi b_{t-1} + beta e_t, s_t = s_{t-m} + gamma e_t; null when the form has no such "
                      "component (phi is null for undamped forms)",
            "initial_states.seasonal": "m values, most recent first: the first observation uses seasonal[m-1], "
                                       "the second seasonal[m-2], ... (R's order); they sum to ~0",
            "sigma2": "sse / (n - n_params - 1), as statsforecast reports it; sse is the sum of squared one-step residuals",
            "forecast": "h = 12 point forecasts after the last value, with the 95% interval (analytic, Gaussian)",
            "auto.form": "the form AutoETS picks over all forms it allows (by AICc), e.g. AAdN, ANA, MNM",
            "auto_additive.form": "the form AutoETS picks when errors must be additive (model 'AZZ')",
        },
        "series": out,
    }


def arima_entry(fit):
    mod = fit.model_
    p, q, P, Q, m, d, D = mod["arma"]
    coef = {k: num(v) for k, v in mod["coef"].items()}
    return {
        "order": [int(p), int(d), int(q)],
        "seasonal_order": [int(P), int(D), int(Q)],
        "season_length": int(m),
        "include_mean": "intercept" in coef,
        "include_drift": "drift" in coef,
        "coef": coef,
        "loglik": num(mod["loglik"]),
        "aic": num(mod["aic"]),
        "aicc": num(mod["aicc"]),
        "sigma2": num(mod["sigma2"]),
        "nobs": int(mod["nobs"]),
        "forecast": forecast_of(fit),
    }


def fixed_specs(m):
    specs = [
        {"order": (1, 1, 1), "seasonal_order": (0, 0, 0), "include_mean": False, "include_drift": False},
        {"order": (2, 0, 1), "seasonal_order": (0, 0, 0), "include_mean": True, "include_drift": False},
        {"order": (0, 1, 1), "seasonal_order": (0, 0, 0), "include_mean": False, "include_drift": True},
        {"order": (1, 0, 0), "seasonal_order": (0, 0, 0), "include_mean": True, "include_drift": False},
    ]
    if m > 1:
        specs.append({"order": (1, 0, 0), "seasonal_order": (0, 1, 1), "include_mean": False, "include_drift": False})
        specs.append({"order": (1, 0, 1), "seasonal_order": (1, 0, 0), "include_mean": True, "include_drift": False})
    return specs


def make_arima(series):
    out = []
    for name, source, m, y in series:
        auto = arima_entry(AutoARIMA(season_length=m).fit(y))
        fixed = []
        for spec in fixed_specs(m):
            fit = ARIMA(order=spec["order"], season_length=m, seasonal_order=spec["seasonal_order"],
                        include_mean=spec["include_mean"], include_drift=spec["include_drift"]).fit(y)
            fixed.append(arima_entry(fit))
        entry = {"name": name, "source": source, "season_length": m, "values": nums(y),
                 "ndiffs_kpss": int(ndiffs(y, test="kpss")),
                 "auto": auto, "fixed": fixed}
        if m > 1:
            entry["nsdiffs_seas"] = int(nsdiffs(y, period=m))
        out.append(entry)
    return {
        "generator": "scripts/reference/make_fixtures.py",
        "library": f"statsforecast {statsforecast.__version__}: ARIMA (method CSS-ML, a port of R stats::arima) "
                   "and AutoARIMA (stepwise Hyndman-Khandakar, ic aicc, KPSS for d, seasonal-strength test for D, "
                   "approximation off)",
        "conventions": {
            "coef": "R names: ar1.., ma1.., sar1.., sma1.., intercept (the mean of the differenced-free series), "
                    "drift (slope per step); the MA polynomial is 1 + theta_1 B + ... (R sign convention)",
            "loglik": "exact Gaussian log-likelihood of the differenced series (Kalman filter), with constants",
            "aic": "aic = -2 loglik + 2 (number of coefficients + 1); aicc = aic + 2 k (k + 1) / (nobs - k - 1), "
                   "k = number of coefficients + 1, nobs = length after differencing",
            "sigma2": "innovation variance as R reports it: sum of squared standardized residuals / (nobs - number of coefficients); the log-likelihood itself uses / nobs",
            "forecast": "h = 12 point forecasts after the last value, with the 95% Gaussian interval",
            "ndiffs_kpss": "d chosen by repeated KPSS tests at alpha 0.05 (max 2)",
            "nsdiffs_seas": "D chosen by the seasonal-strength test (strength > 0.64 means difference)",
        },
        "series": out,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/shared/data/nab-dev", help="the nab-dev folder")
    args = parser.parse_args()
    series = synthetic_series() + nab_series(args.data)
    meta = {"python": sys.version.split()[0], "statsforecast": statsforecast.__version__,
            "numpy": np.__version__, "seed": SEED}
    os.makedirs(FIXTURES, exist_ok=True)
    for file, doc in (("ets_reference.json", make_ets(series)), ("arima_reference.json", make_arima(series))):
        doc["versions"] = meta
        path = os.path.join(FIXTURES, file)
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")


if __name__ == "__main__":
    main()
