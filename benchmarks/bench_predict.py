"""predict / predict_proba throughput on CSR: sparsereg against SGDClassifier, same model.

sparsereg is fitted for one epoch on the synthetic CTR set (--rows x 2**--log2-features); an
SGDClassifier is then given exactly the same weights (coef_, intercept_), so both evaluate the
same model of the same size on the same CSR rows; the model exported from sparsereg
(``export_model``, its non-zero weights only) is timed too. Throughput is measured per batch size (1,
100, 5,000, 10,000, 50,000 rows and the whole --test-rows block): the small batches show the per-call overhead
a serving loop pays. Rows/s are medians of --reps interleaved runs (each run repeats the call
until it has taken >= 0.2 s).

    python benchmarks/bench_predict.py [--rows 1000000] [--log2-features 20] [--reps 5] [--quick]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _synthetic import load_ctr  # noqa: E402


def rate(fn, n_rows, min_seconds):
    calls, t0 = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            return calls * n_rows / elapsed


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--test-rows", type=int, default=200_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    min_seconds = 0.2
    if a.quick:
        a.rows, a.log2_features, a.test_rows, a.reps, min_seconds = 2000, 12, 500, 1, 0.01
    from sklearn.linear_model import SGDClassifier

    from sparsereg import SparseFTRLClassifier
    from sparsereg.export import export_model

    X, y, _ = load_ctr(a.rows, 2**a.log2_features)
    ftrl = SparseFTRLClassifier(
        penalty="l1", alpha=1.0, penalty_scale="sum", max_iter=1, tol=None, shuffle=False
    ).fit(X, y)
    sgd = SGDClassifier(loss="log_loss", max_iter=1, tol=None).fit(X[:100], y[:100])
    sgd.coef_ = np.asarray(ftrl.coef_, dtype=np.float64).reshape(1, -1).copy()
    sgd.intercept_ = np.asarray(ftrl.intercept_, dtype=np.float64).copy()
    exported = export_model(ftrl)
    Xt = X[-a.test_rows :]
    assert np.allclose(ftrl.predict_proba(Xt[:1000]), sgd.predict_proba(Xt[:1000]))
    nnz_w = int(np.count_nonzero(sgd.coef_))

    batches = [1, 100, 5_000, 10_000, 50_000, Xt.shape[0]] if not a.quick else [1, 100, Xt.shape[0]]
    cases = [
        (f"{name}.{method}", est, method, b)
        for b in batches
        for name, est in [("sparsereg", ftrl), ("SGDClassifier", sgd), ("exported", exported)]
        for method in ["predict", "predict_proba"]
    ]
    rates = {c[0] + f" @{c[3]}": [] for c in cases}
    for _ in range(a.reps):
        for label, est, method, b in cases:
            Xb = Xt[:b]
            fn = getattr(est, method)
            rates[label + f" @{b}"].append(rate(lambda fn=fn, Xb=Xb: fn(Xb), b, min_seconds))

    print(
        f"# predict on CSR, model of {X.shape[1]:,} columns with {nnz_w:,} non-zero weights "
        f"(sparsereg, one epoch on {X.shape[0]:,} rows), test rows with "
        f"{Xt.nnz / Xt.shape[0]:.1f} non-zeros each; medians of {a.reps} interleaved runs"
    )
    print(
        f"{'batch rows':>10} {'method':<14} {'sparsereg k rows/s':>19} {'SGD k rows/s':>13} "
        f"{'sparsereg / SGD':>16} {'exported k rows/s':>18} {'exported / SGD':>15}"
    )
    out = {}
    for b in batches:
        for method in ["predict", "predict_proba"]:
            s = float(np.median(rates[f"sparsereg.{method} @{b}"]))
            g = float(np.median(rates[f"SGDClassifier.{method} @{b}"]))
            e = float(np.median(rates[f"exported.{method} @{b}"]))
            out[(b, method)] = (s, g, e)
            print(
                f"{b:>10,} {method:<14} {s / 1e3:19.1f} {g / 1e3:13.1f} {s / g:16.2f} "
                f"{e / 1e3:18.1f} {e / g:15.2f}"
            )
    return out


if __name__ == "__main__":
    main()
