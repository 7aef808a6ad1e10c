"""How fast is FeatureCrossHasher, alone and next to scikit-learn's FeatureHasher?

Two questions, medians of ``--repeats`` runs each:

1. rows/s of a latitude x longitude cross at one-minute resolution
   (n_features=2**28), alone and with the two single columns (3 entries a row);
2. rows/s on 3 string columns with a few thousand distinct values each, versus
   ``FeatureHasher(input_type="string")`` on the same tokens. FeatureHasher gets
   its per-row token lists prebuilt outside its timer; the variant including
   building them (what a user pays) is reported too.

    python benchmarks/bench_crosses.py           # 1M rows
    python benchmarks/bench_crosses.py --quick   # tiny, a few seconds
"""

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from sklearn.feature_extraction import FeatureHasher

from sparsereg.crosses import FeatureCrossHasher


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def token_lists(df):
    cols = [(name + "=" + df[name].astype(object)).tolist() for name in df.columns]
    return [list(row) for row in zip(*cols)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--distinct", type=int, default=3000, help="distinct values per string column"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20k rows, 3 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeats = 20_000, min(args.repeats, 3)
    n, rng = args.rows, np.random.default_rng(0)

    geo = pd.DataFrame(
        {"latitude": rng.uniform(-90, 90, n), "longitude": rng.uniform(-180, 180, n)}
    )
    minute = {"width": 1 / 60, "format": "deg"}
    buckets = {"latitude": minute, "longitude": minute}
    cross = FeatureCrossHasher([("latitude", "longitude")], buckets=buckets, n_features=2**28)
    three = FeatureCrossHasher(
        ["latitude", "longitude", ("latitude", "longitude")], buckets=buckets, n_features=2**28
    )
    geo_np = geo.to_numpy()
    cross_np = FeatureCrossHasher([(0, 1)], buckets={0: minute, 1: minute}, n_features=2**28)

    vocab = np.array([f"v{i:05d}" for i in range(args.distinct)], dtype=object)
    strings = pd.DataFrame({c: vocab[rng.integers(0, args.distinct, n)] for c in "abc"})
    strings = strings.astype(str)  # pandas' string dtype, as read_csv gives
    ours = FeatureCrossHasher(["a", "b", "c"], n_features=2**20, alternate_sign=True)
    theirs = FeatureHasher(n_features=2**20, input_type="string")
    tokens = token_lists(strings)  # outside FeatureHasher's timer

    ours_out, theirs_out = ours.transform(strings), theirs.transform(tokens)
    assert ours_out.shape == theirs_out.shape and ours_out.nnz <= 3 * n

    rows = [
        ("lat x lon cross, DataFrame", median_time(lambda: cross.transform(geo), args.repeats)),
        ("lat x lon cross, ndarray", median_time(lambda: cross_np.transform(geo_np), args.repeats)),
        ("lat, lon, lat x lon (3 / row)", median_time(lambda: three.transform(geo), args.repeats)),
    ]
    t_ours = median_time(lambda: ours.transform(strings), args.repeats)
    t_fh = median_time(lambda: theirs.transform(tokens), args.repeats)
    t_fh_build = median_time(lambda: theirs.transform(token_lists(strings)), args.repeats)
    rows += [
        ("3 str cols, FeatureCrossHasher", t_ours),
        ("3 str cols, FeatureHasher (lists prebuilt)", t_fh),
        ("3 str cols, FeatureHasher (+ build lists)", t_fh_build),
    ]

    print(f"{n:,} rows, median of {args.repeats} runs; {args.distinct} distinct strings per column")
    print(f"{'case':<44} {'seconds':>9} {'M rows/s':>9}")
    for name, t in rows:
        print(f"{name:<44} {t:>9.4f} {n / t / 1e6:>9.2f}")
    print(
        f"speed-up vs FeatureHasher: {t_fh / t_ours:.1f}x (lists prebuilt), "
        f"{t_fh_build / t_ours:.1f}x (including building the lists)"
    )
    return {
        "rows_per_s_cross": n / rows[0][1],
        "ratio_prebuilt": t_fh / t_ours,
        "ratio_with_build": t_fh_build / t_ours,
    }


if __name__ == "__main__":
    main()
