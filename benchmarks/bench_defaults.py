"""How the defaults alpha=1e-4, eta0=0.1, beta=1 were chosen: a grid on two real data sets.

    python benchmarks/bench_defaults.py [--quick]

a9a (LIBSVM, 123 binary features; a9a.t is the test set) with SparseFTRLClassifier, and
California housing (the crash-course split; 8 numeric columns standardised on the training set,
target in $100k) with SparseFTRLRegressor. Each cell is the test score after `fit` with the
estimator's other defaults (up to max_iter=1000 epochs, tol=1e-3, shuffle, random_state=0):
log loss and AUC for a9a, RMSE for California. The defaults should sit at or near the best
cell of both grids; a line at the end says how far they are. The data come from
sparsereg.datasets (a9a is downloaded if it is neither in $SPARSEREG_DATA nor in the cache).
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.datasets import fetch_a9a, load_california_housing_mlcc

DEFAULT = (1e-4, 0.1)


def a9a():
    X, y = fetch_a9a(subset="train", return_X_y=True)
    Xt, yt = fetch_a9a(subset="test", return_X_y=True)
    return X, (y > 0).astype(int), Xt, (yt > 0).astype(int)


def california():
    X, y = load_california_housing_mlcc(subset="train", return_X_y=True)
    Xt, yt = load_california_housing_mlcc(subset="test", return_X_y=True)
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y / 1e5, scaler.transform(Xt), yt / 1e5


def grid(name, Est, data, alphas, etas, score):
    X, y, Xt, yt = data
    print(f"\n## {name}: test {score.__doc__}")
    print(f"{'alpha / eta0':>12} " + " ".join(f"{e:>14g}" for e in etas))
    results = {}
    for alpha in alphas:
        cells = []
        for eta in etas:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est = Est(alpha=alpha, eta0=eta, random_state=0).fit(X, y)
            results[alpha, eta] = score(est, Xt, yt)
            cells.append(results[alpha, eta])
        print(f"{alpha:>12g} " + " ".join(f"{c[0]:>8.4f} {c[1]:>5}" for c in cells))
    best = min(results, key=lambda k: results[k][0])
    print(
        f"best: alpha={best[0]:g}, eta0={best[1]:g} ({results[best][0]:.4f}); defaults "
        f"alpha={DEFAULT[0]:g}, eta0={DEFAULT[1]:g}: {results[DEFAULT][0]:.4f} "
        f"({100 * (results[DEFAULT][0] / results[best][0] - 1):+.2f} %)"
    )


def classifier_score(est, X, y):
    """log loss (lower is better), with the non-zero weights"""
    return log_loss(y, est.predict_proba(X)[:, 1]), int(est.count_nonzero()[0])


def regressor_score(est, X, y):
    """RMSE in $100k (lower is better), with the non-zero weights"""
    return float(np.sqrt(np.mean((est.predict(X) - y) ** 2))), int(est.count_nonzero()[0])


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="a 2 x 2 grid on subsets")
    a = ap.parse_args(argv)
    alphas = [1e-4, 1e-3] if a.quick else [1e-7, 1e-6, 1e-5, 1e-4, 1e-3]
    etas = [0.1, 1.0] if a.quick else [0.03, 0.1, 0.3, 1.0]
    start = time.perf_counter()
    data = a9a()
    if a.quick:
        data = (data[0][:3000], data[1][:3000], data[2][:1000], data[3][:1000])
    grid("a9a, SparseFTRLClassifier", SparseFTRLClassifier, data, alphas, etas, classifier_score)
    data = california()
    if a.quick:
        data = (data[0][:3000], data[1][:3000], data[2][:1000], data[3][:1000])
    grid(
        "California housing (standardised), SparseFTRLRegressor",
        SparseFTRLRegressor,
        data,
        alphas,
        etas,
        regressor_score,
    )
    print(f"\n({time.perf_counter() - start:.0f} s; python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
