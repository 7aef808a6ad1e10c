"""Softmax FTRL (issue #15): multi_class='multinomial' against one-vs-rest and LogisticRegression.

Two multiclass problems:

- ``digits``: scikit-learn's ``load_digits`` (1,797 8x8 images, 10 classes), standardised
  (scaler fitted on the training part), a stratified 75/25 split (random_state=0), dense.
- ``ocean``: California housing (the hands-on copy, 20,640 block groups), predicting
  ``ocean_proximity`` (5 classes: <1H OCEAN, INLAND, NEAR OCEAN, NEAR BAY, ISLAND) from
  hashed features only: latitude x longitude crossed at 1, 0.25 and 0.1 degrees, the
  0.1-degree latitude and longitude alone, the deciles of housing_median_age,
  median_income and median_house_value, and median_income x the 1-degree cell, by
  :class:`~sparsereg.FeatureCrossHasher` into 2**18 columns (CSR, 9 non-zeros per row; at
  2**20 columns one LogisticRegression fit took 117 s here, too long for repetitions).
  A stratified 75/25 split (random_state=0); deciles from the training part. Needs the data
  (``SPARSEREG_DATA`` or the download cache; skipped when absent).

Models (fixed parameters, not tuned on the test set): ``SparseFTRLClassifier`` with
``multi_class='multinomial'`` and ``'ovr'`` (alpha 1e-4, L1, eta0 0.1, --epochs epochs,
tol=None, random_state=0), and ``LogisticRegression`` (lbfgs, L2, C=1, multinomial, up to
1,000 iterations). Reported: test log loss, test accuracy, non-zero weights (all classes), and
fit time, the median of --reps interleaved fits in one process (the order of the models is
rotated from one rep to the next), with BLAS limited to one thread (threadpoolctl) as FTRL
runs on one core.

Uses only the public API, so that ``PYTHONPATH=<checkout>`` times another checkout.

    python benchmarks/bench_multinomial.py [--epochs 10] [--reps 5] [--quick]
"""

import argparse
import time
import warnings

import numpy as np


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def ocean(n_features=2**18, train_rows=None):
    from sklearn.model_selection import train_test_split

    from sparsereg import FeatureCrossHasher
    from sparsereg.datasets import fetch_california_housing_handson

    frame = fetch_california_housing_handson(download_if_missing=False).frame
    y = frame["ocean_proximity"].to_numpy()
    train, test, y_train, y_test = train_test_split(
        frame, y, test_size=0.25, stratify=y, random_state=0
    )
    if train_rows is not None:
        train, y_train = train[:train_rows], y_train[:train_rows]
    numeric = ["housing_median_age", "median_income", "median_house_value"]
    deciles = {
        c: np.unique(np.quantile(train[c], np.linspace(0.1, 0.9, 9))).tolist() for c in numeric
    }

    def with_copies(df):
        df = df[["latitude", "longitude", *numeric]].copy()
        for w in ["1", "q", "t"]:
            df[f"lat{w}"], df[f"lon{w}"] = df["latitude"], df["longitude"]
        return df

    buckets = {
        "lat1": 1.0,
        "lon1": 1.0,
        "latq": 0.25,
        "lonq": 0.25,
        "latt": 0.1,
        "lont": 0.1,
        **deciles,
    }
    crosses = [
        ("lat1", "lon1"),
        ("latq", "lonq"),
        ("latt", "lont"),
        "latt",
        "lont",
        *numeric,
        ("median_income", "lat1", "lon1"),
    ]
    hasher = FeatureCrossHasher(crosses, buckets=buckets, n_features=n_features)
    hasher.fit(with_copies(train))
    return (
        hasher.transform(with_copies(train)),
        hasher.transform(with_copies(test)),
        y_train,
        y_test,
    )


def models(epochs):
    from sklearn.linear_model import LogisticRegression

    from sparsereg import SparseFTRLClassifier

    ftrl = dict(alpha=1e-4, eta0=0.1, max_iter=epochs, tol=None, random_state=0)
    return {
        "ftrl-multinomial": lambda: SparseFTRLClassifier(multi_class="multinomial", **ftrl),
        "ftrl-ovr": lambda: SparseFTRLClassifier(multi_class="ovr", **ftrl),
        "LogisticRegression": lambda: LogisticRegression(C=1.0, max_iter=1000),
    }


def nonzeros(est):
    coef = est.coef_
    return int(coef.nnz if hasattr(coef, "nnz") else np.count_nonzero(coef))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument(
        "--quick",
        action="store_true",
        help="2 epochs, one rep; ocean on 2,000 training rows and 2**12 columns",
    )
    a = ap.parse_args(argv)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, log_loss
    from threadpoolctl import threadpool_limits

    if a.quick:
        a.epochs, a.reps = 2, 1
    problems = {"digits": digits}
    try:
        data = ocean(2**12, 2000) if a.quick else ocean()
        problems["ocean"] = lambda: data
    except (FileNotFoundError, ImportError) as exc:
        print(f"# ocean skipped: {exc}")
    makers = models(a.epochs)
    results = {}
    for name, load in problems.items():
        X_train, X_test, y_train, y_test = load()
        times = {m: [] for m in makers}
        fitted = {}
        names = list(makers)
        # one BLAS thread: FTRL runs on one core, and on a loaded 2-core machine LogisticRegression's
        # BLAS threads spinning made a 0.2 s fit take 12 s
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            for rep in range(a.reps):
                for m in names[rep % len(names) :] + names[: rep % len(names)]:  # rotated order
                    est = makers[m]()
                    t0 = time.perf_counter()
                    est.fit(X_train, y_train)
                    times[m].append(time.perf_counter() - t0)
                    fitted[m] = est
        nnz_x = X_train.nnz / X_train.shape[0] if hasattr(X_train, "nnz") else X_train.shape[1]
        print(
            f"# {name}: {X_train.shape[0]:,} train x {X_train.shape[1]:,} columns "
            f"({nnz_x:.0f} non-zeros per row), {X_test.shape[0]:,} test rows, "
            f"{len(np.unique(y_train))} classes; fit of {a.epochs} epochs (FTRL), "
            f"medians of {a.reps} interleaved reps"
        )
        print(
            f"{'model':<20} {'test log loss':>13} {'accuracy':>9} {'non-zeros':>10} "
            f"{'fit s':>8} {'fit / multinomial':>18}"
        )
        base = float(np.median(times["ftrl-multinomial"]))
        results[name] = {}
        for m, est in fitted.items():
            proba = est.predict_proba(X_test)
            row = {
                "log_loss": float(log_loss(y_test, proba, labels=est.classes_)),
                "accuracy": float(accuracy_score(y_test, est.predict(X_test))),
                "nonzeros": nonzeros(est),
                "fit_s": float(np.median(times[m])),
            }
            results[name][m] = row
            print(
                f"{m:<20} {row['log_loss']:13.4f} {row['accuracy']:9.4f} {row['nonzeros']:10,} "
                f"{row['fit_s']:8.3f} {row['fit_s'] / base:18.2f}"
            )
    return results


if __name__ == "__main__":
    main()
