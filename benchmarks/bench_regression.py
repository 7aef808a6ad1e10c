"""Regression on California housing with hashed crosses: sparsereg against SGDRegressor.

Features (FeatureCrossHasher, 2**20 columns, identical for both models): latitude x longitude
crossed at 1, 0.25 and 0.1 degree (the crash course's bucketed cross, coarse to fine), latitude
and longitude alone at 0.1 degree, every other numeric column cut at its train deciles, and
median income deciles x the 1-degree cell. Target: median_house_value in units of $100k (RMSE is
reported in dollars).

Each model's learning rate and penalty are chosen on a validation split (20 % of the train
file, seed 0) over a small grid, at --epochs passes; the chosen model is refitted on the whole
train file, and its test RMSE (california_housing_test.csv) reported. The time per epoch is the
median of --reps interleaved fits of the chosen configurations divided by the epochs run.

    python benchmarks/bench_regression.py [--epochs 10] [--reps 5] [--quick]

The data are the copy that ships with sparsereg (sparsereg.datasets.load_california_housing_mlcc).
"""

import argparse
import itertools
import time
import warnings

import numpy as np

SCALE = 1e5
NUMERIC = [
    "housing_median_age",
    "total_rooms",
    "total_bedrooms",
    "population",
    "households",
    "median_income",
]


def features(train, n_features=2**20):
    from sparsereg.crosses import FeatureCrossHasher

    deciles = {
        c: np.unique(np.quantile(train[c], np.linspace(0.1, 0.9, 9))).tolist() for c in NUMERIC
    }
    frame = train.copy()

    def with_copies(df):
        df = df.copy()
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
        *NUMERIC,
        ("median_income", "lat1", "lon1"),
    ]
    hasher = FeatureCrossHasher(crosses, buckets=buckets, n_features=n_features)
    hasher.fit(with_copies(frame))
    return lambda df: hasher.transform(with_copies(df))


def grid(quick):
    from sklearn.linear_model import SGDRegressor

    from sparsereg import SparseFTRLRegressor

    eta_s = [0.1, 0.3, 1.0] if not quick else [0.3]
    eta_g = [0.003, 0.01, 0.03] if not quick else [0.01]
    pens = [("l2", 1e-5), ("l1", 1e-6), ("l1", 1e-5)] if not quick else [("l1", 1e-6)]
    return {
        "sparsereg": [
            lambda e, p=p, al=al, eta=eta: SparseFTRLRegressor(
                penalty=p, alpha=al, eta0=eta, beta=1.0, max_iter=e, tol=None, random_state=0
            )
            for eta, (p, al) in itertools.product(eta_s, pens)
        ],
        "SGDRegressor": [
            lambda e, p=p, al=al, eta=eta: SGDRegressor(
                penalty=p, alpha=al, eta0=eta, max_iter=e, tol=None, random_state=0
            )
            for eta, (p, al) in itertools.product(eta_g, pens)
        ],
    }


def describe(est):
    return f"penalty={est.penalty!r}, alpha={est.alpha:g}, eta0={est.eta0:g}"


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument(
        "--quick", action="store_true", help="2,000 rows, one configuration each, 2 epochs"
    )
    a = ap.parse_args(argv)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    from sparsereg.datasets import load_california_housing_mlcc

    train = load_california_housing_mlcc(subset="train", as_frame=True).frame
    test = load_california_housing_mlcc(subset="test", as_frame=True).frame
    if a.quick:
        a.epochs, a.reps = 2, 1
        train, test = train.sample(2000, random_state=0), test.iloc[:500]
    transform = features(train)
    t0 = time.perf_counter()
    Xtr, Xte = transform(train), transform(test)
    hash_s = time.perf_counter() - t0
    ytr, yte = (
        train["median_house_value"].to_numpy() / SCALE,
        test["median_house_value"].to_numpy() / SCALE,
    )
    fit_idx, val_idx = train_test_split(np.arange(Xtr.shape[0]), test_size=0.2, random_state=0)

    def rmse(est, X, y):
        return float(np.sqrt(np.mean((est.predict(X) - y) ** 2))) * SCALE

    chosen = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, makers in grid(a.quick).items():
            scored = [
                (rmse(m(a.epochs).fit(Xtr[fit_idx], ytr[fit_idx]), Xtr[val_idx], ytr[val_idx]), i)
                for i, m in enumerate(makers)
            ]
            chosen[name] = makers[min(scored)[1]]
        times = {name: [] for name in chosen}
        models = {}
        for _ in range(a.reps):  # interleaved
            for name, make in chosen.items():
                est = make(a.epochs)
                t0 = time.perf_counter()
                est.fit(Xtr, ytr)
                times[name].append((time.perf_counter() - t0) / a.epochs)
                models[name] = est

    print(
        f"# California housing (mlcc split): train {Xtr.shape[0]:,} rows, test {Xte.shape[0]:,}, "
        f"{Xtr.shape[1]:,} hashed columns, {Xtr.nnz / Xtr.shape[0]:.0f} non-zeros per row "
        f"(hashing train+test: {hash_s:.2f} s); {a.epochs} epochs, shuffled; medians of {a.reps}"
    )
    mean_rmse = float(np.sqrt(np.mean((yte - ytr.mean()) ** 2))) * SCALE
    ref = np.median(times["sparsereg"])
    print(
        f"{'model':<14} {'ms / epoch':>10} {'vs sparsereg':>12} {'test RMSE $':>12} {'non-zeros':>10}  chosen on validation"
    )
    out = {}
    for name, est in models.items():
        med = float(np.median(times[name]))
        nnz = int(np.count_nonzero(est.coef_))
        out[name] = {"ms_per_epoch": 1e3 * med, "test_rmse": rmse(est, Xte, yte), "nnz": nnz}
        print(
            f"{name:<14} {1e3 * med:10.2f} {med / ref:12.2f} {out[name]['test_rmse']:12,.0f} "
            f"{nnz:10,}  {describe(est)}"
        )
    print(f"{'predict mean':<14} {'':>10} {'':>12} {mean_rmse:12,.0f}")
    return out


if __name__ == "__main__":
    main()
