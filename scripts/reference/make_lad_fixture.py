#!/usr/bin/env python3
"""Reference fixture for `LeastAbsoluteDeviations` (median regression, used by `MedianRegression`):
coefficients from statsmodels' QuantReg at q = 0.5.

Writes Tests/ModelsTests/Fixtures/lad_reference.json with two problems:
    synthetic_outliers  300 rows: an intercept and three regressors (numpy default_rng, the seed
                        below), Laplace noise, and 10% of the targets pushed up by 50: least
                        squares is dragged by them, the median regression is not.
    nab_rds_cpu_ar2     the first 500 five-minute values of
                        realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv, y[t] on an intercept,
                        y[t-1] and y[t-2]: a real series' median autoregression.
Each problem holds its design (rows), targets and QuantReg's coefficients.

How to run (from the repository root)
    pip install statsmodels numpy
    python3 scripts/reference/make_lad_fixture.py [--data /work/shared/data/nab-dev]
"""
import argparse
import csv
import json
import os

import numpy as np
import statsmodels
from statsmodels.regression.quantile_regression import QuantReg

SEED = 20261205


def quantreg(X, y):
    fit = QuantReg(y, X).fit(q=0.5, max_iter=20000, p_tol=1e-10)
    return [float(b) for b in fit.params]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/work/shared/data/nab-dev")
    parser.add_argument("--out", default="Tests/ModelsTests/Fixtures/lad_reference.json")
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    n = 300
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(-2, 2, size=n), rng.normal(size=n) * 3])
    y = X @ np.array([5.0, 2.0, -1.5, 0.5]) + rng.laplace(scale=1.0, size=n)
    y[rng.choice(n, size=n // 10, replace=False)] += 50

    with open(os.path.join(args.data, "realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv")) as f:
        values = [float(r["value"]) for r in csv.DictReader(f)][:500]
    v = np.array(values)
    A = np.column_stack([np.ones(len(v) - 2), v[1:-1], v[:-2]])
    t = v[2:]

    problems = {}
    for name, (design, target) in {"synthetic_outliers": (X, y), "nab_rds_cpu_ar2": (A, t)}.items():
        problems[name] = {
            "rows": [[round(float(x), 12) for x in row] for row in design],
            "targets": [round(float(x), 12) for x in target],
            "coefficients": quantreg(design, target),
            "least_squares": [float(b) for b in np.linalg.lstsq(design, target, rcond=None)[0]],
        }
    out = {
        "generator": "scripts/reference/make_lad_fixture.py",
        "statsmodels": statsmodels.__version__,
        "conventions": "coefficients minimise sum |rows . b - targets| (QuantReg q=0.5); least_squares for contrast",
        "problems": problems,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
