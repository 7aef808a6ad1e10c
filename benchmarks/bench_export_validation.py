"""What the exported model's input validation costs: its share of predict_proba's time.

A SparseFTRLClassifier is fitted for one epoch on the synthetic CTR set (--rows x
2**--log2-features) and exported. ``ExportedLinearModel.predict_proba`` on the CSR block
(checked and scored in one compiled pass since issue 16: ``_decision.LinearWeights.plain_scores``)
is timed against the same scoring without any check: ``linear_scores`` on the same weight
layout, then the same probabilities; the checks alone (``plain_csr``: a compiled walk of the
indices and values, what the fused pass checks) are timed too. Times are medians of --reps interleaved runs; the share printed is the validation's
median over the validated median, and ``(validated - unvalidated) / validated`` (noisier:
a difference of two large times). Issue 12 asks for at most 10 %.

    python benchmarks/bench_export_validation.py [--rows 200000] [--log2-features 20] [--reps 15] [--quick]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _synthetic import load_ctr  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.rows, a.log2_features, a.reps = 2000, 12, 7  # (medians of 7: microseconds)
    from sparsereg import SparseFTRLClassifier
    from sparsereg._ftrl_scores import linear_scores
    from sparsereg._losses import one_vs_rest_probabilities
    from sparsereg._validation import plain_csr
    from sparsereg.export import export_model

    X, y, _ = load_ctr(a.rows, 2**a.log2_features)
    clf = SparseFTRLClassifier(
        penalty="l1", alpha=1.0, penalty_scale="sum", max_iter=1, tol=None, shuffle=False
    ).fit(X, y)
    exported = export_model(clf)
    listed, columns, _, weights = exported._linear._layout(X.shape[1], X.shape[0])

    def validated():
        return exported.predict_proba(X)

    def unvalidated():
        scores = np.empty((X.shape[0], 1))
        linear_scores(X.data, X.indices, X.indptr, columns, listed, weights, scores)
        scores += exported.intercept_
        return one_vs_rest_probabilities(scores.reshape(-1), "log_loss")

    def validation():  # what predict_proba does to a CSR X before scoring it
        assert plain_csr(X, exported.n_features_in_) is not None

    assert np.array_equal(validated(), unvalidated())
    runs = (("validated", validated), ("unvalidated", unvalidated), ("validation only", validation))
    times = {name: [] for name, _ in runs}
    for _ in range(a.reps):  # interleaved, so that drifts of the machine hit all alike
        for name, fn in runs:
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {name: float(np.median(t)) for name, t in times.items()}
    share = (med["validated"] - med["unvalidated"]) / med["validated"]
    direct = med["validation only"] / med["validated"]
    print(
        f"{X.shape[0]:,} rows x 2**{a.log2_features} columns, {X.nnz:,} non-zeros; "
        f"{exported.support_.size:,} weights; median of {a.reps} interleaved runs"
    )
    for name, _ in runs:
        print(
            f"  {name:<16} {med[name] * 1e3:8.2f} ms  {X.shape[0] / med[name] / 1e6:6.2f} M rows/s"
        )
    print(
        f"validation share of predict_proba time: {direct:.1%} timed alone, {share:.1%} as the "
        "difference of the medians (target <= 10%)"
    )
    print(
        "(since issue 16 the checks run in the scoring pass: the difference is their cost, the "
        "time alone an upper bound)"
    )
    return {
        "rows": X.shape[0],
        "median_seconds": med,
        "validation_share": direct,
        "difference_share": share,
    }


if __name__ == "__main__":
    main()
