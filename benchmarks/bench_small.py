"""Small data (issue #16): fit time per epoch on California housing against SGDRegressor.

Two feature sets of the California housing train file (17,000 rows; target in $100k):
``dense``, its 8 numeric columns standardised (a dense array), and ``crosses``, the hashed
crosses of bench_regression.py (2**20 columns, ~12 non-zeros per row, CSR). Both models run
--epochs epochs (tol=None, shuffled, random_state=0) with fixed parameters (alpha 1e-5,
sparsereg eta0 0.1, SGD eta0 0.01 on the crosses and its defaults on the dense set); the time is
the whole fit divided by the epochs, median of --reps interleaved fits in one process.

Uses only the public API, so that ``PYTHONPATH=<checkout>`` times another checkout.

    python benchmarks/bench_small.py [--epochs 5] [--reps 15] [--quick]
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_regression  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--quick", action="store_true", help="2,000 rows, 2 epochs, one rep")
    a = ap.parse_args(argv)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDRegressor
    from sklearn.preprocessing import StandardScaler

    from sparsereg import SparseFTRLRegressor
    from sparsereg.datasets import load_california_housing_mlcc

    train = load_california_housing_mlcc(subset="train", as_frame=True).frame
    if a.quick:
        a.epochs, a.reps = 2, 1
        train = train.sample(2000, random_state=0)
    y = train["median_house_value"].to_numpy() / bench_regression.SCALE
    sets = {
        "dense": StandardScaler().fit_transform(
            train.drop(columns="median_house_value").to_numpy()
        ),
        "crosses": bench_regression.features(train)(train),
    }
    models = {
        "sparsereg": lambda name: SparseFTRLRegressor(
            alpha=1e-5, eta0=0.1, max_iter=a.epochs, tol=None, random_state=0
        ),
        "SGDRegressor": lambda name: SGDRegressor(
            alpha=1e-5,
            max_iter=a.epochs,
            tol=None,
            random_state=0,
            **({"eta0": 0.01} if name == "crosses" else {}),
        ),
    }
    times = {(s, m): [] for s in sets for m in models}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(a.reps):
            for s, X in sets.items():
                for m, make in models.items():
                    est = make(s)
                    t0 = time.perf_counter()
                    est.fit(X, y)
                    times[(s, m)].append((time.perf_counter() - t0) / a.epochs)
    print(
        f"# California housing train ({len(y):,} rows), fit of {a.epochs} epochs, ms per epoch, "
        f"medians of {a.reps} interleaved reps"
    )
    print(
        f"{'features':<10} {'shape':>22} {'sparsereg ms':>13} {'SGD ms':>8} {'sparsereg / SGD':>16}"
    )
    out = {}
    for s, X in sets.items():
        ours = float(np.median(times[(s, "sparsereg")])) * 1e3
        theirs = float(np.median(times[(s, "SGDRegressor")])) * 1e3
        out[s] = (ours, theirs)
        shape = f"{X.shape[0]:,} x {X.shape[1]:,}"
        print(f"{s:<10} {shape:>22} {ours:13.2f} {theirs:8.2f} {ours / theirs:16.2f}")
    return out


if __name__ == "__main__":
    main()
