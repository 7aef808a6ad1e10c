"""Per-call cost of small calls (issue #16): partial_fit on 1 and 100 rows, prediction on one row.

A model is first trained with partial_fit on --warm rows of the synthetic CTR set (2**--log2-features
columns, ~36 non-zeros per row); SGDClassifier gets the same warm-up. Then each case times
--calls consecutive calls, each call timed alone (perf_counter), on rows taken in turn from the
rows after the warm-up; a rep runs every case once, in turn (interleaved), and the table gives,
per case, the median over --reps of each rep's median call. partial_fit cases go on training the
model (a stream), prediction cases read it; the last case is an online loop's event, predicting
a row and then training on it (after each training call, the weights a prediction reads are new).

The script uses only the public API, so that the same file times another checkout:
``PYTHONPATH=<checkout> python benchmarks/bench_calls.py`` (the "before" numbers).

    python benchmarks/bench_calls.py [--log2-features 20] [--reps 7] [--calls 300] [--dtype float32]
                                      [--dense] [--frame] [--quick]
"""

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _synthetic import load_ctr  # noqa: E402

GOALS_US = {
    "partial_fit, 1 row": 50,
    "partial_fit, 100 rows": 100,
    "predict_proba, 1 row": 50,
    "predict, 1 row": 50,
    "decision_function, 1 row": 50,
    "exported predict_proba, 1 row": 20,
    # an event of an online loop: predict the row, then learn it (the two goals above)
    "predict_proba + partial_fit, 1 row": 100,
}


def stream_batches(X, y, warm, calls, size, offset):
    """``calls`` batches of ``size`` rows after the first ``warm``, in turn, wrapping around."""
    out = []
    for i in range(calls):
        start = warm + (offset + i * size) % (X.shape[0] - warm - size)
        out.append((X[start : start + size], y[start : start + size]))
    return out


def predict_then_learn(est):
    """One event of an online loop (progressive validation): predict the row, then train on it."""

    def event(X, y):
        est.predict_proba(X)
        est.partial_fit(X, y)

    return event


def call_times(fn, batches):
    """``(median, mean)`` of the calls' times: the mean counts the rare slow call (a stream
    pays for every call), which the median leaves out."""
    times = []
    for batch in batches:
        t0 = time.perf_counter()
        fn(*batch)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.mean(times))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--warm", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--dtype", choices=["float64", "float32"], default="float64", help="X's values (and coef_)"
    )
    ap.add_argument(
        "--dense",
        action="store_true",
        help="give every call its rows as a dense NumPy array (for narrow widths: 2**8 columns)",
    )
    ap.add_argument(
        "--frame",
        action="store_true",
        help="give every call (the warm-up's too) its rows as a pandas DataFrame with named "
        "columns and its targets as a Series (for narrow widths: 2**8 columns)",
    )
    a = ap.parse_args(argv)
    if a.quick:
        a.rows, a.log2_features, a.warm, a.reps, a.calls = 2000, 12, 500, 1, 5
    from sklearn.linear_model import SGDClassifier

    import sparsereg
    from sparsereg import SparseFTRLClassifier
    from sparsereg.export import export_model

    X, y, _ = load_ctr(a.rows, 2**a.log2_features)
    X = X.astype(a.dtype)
    classes = np.array([0.0, 1.0])
    ftrl = SparseFTRLClassifier(random_state=0)
    sgd = SGDClassifier(loss="log_loss", random_state=0)
    as_frame = as_series = None
    if a.frame:
        import pandas as pd

        names = [f"c{j}" for j in range(X.shape[1])]

        def as_frame(rows):
            return pd.DataFrame(rows.toarray(), columns=names)

        as_series = pd.Series
    for est in (ftrl, sgd):
        if a.frame:
            est.partial_fit(as_frame(X[: a.warm]), as_series(y[: a.warm]), classes=classes)
        else:
            est.partial_fit(X[: a.warm], y[: a.warm], classes=classes)
    exported = export_model(ftrl)

    def row_batches(size, offset):
        return stream_batches(X, y, a.warm, a.calls, size, offset)

    ones, hundreds, events = row_batches(1, 0), row_batches(100, 7), row_batches(1, 29)
    single_rows = [(x,) for x, _ in row_batches(1, 13)]
    if a.dense:
        ones, hundreds, events = (
            [(x.toarray(), *rest) for x, *rest in batches] for batches in (ones, hundreds, events)
        )
        single_rows = [(x.toarray(),) for (x,) in single_rows]
    if a.frame:
        ones, hundreds, events = (
            [(as_frame(x), as_series(t)) for x, t in batches]
            for batches in (ones, hundreds, events)
        )
        single_rows = [(as_frame(x),) for (x,) in single_rows]
    cases = [  # (case, tool, function, batches)
        ("partial_fit, 1 row", "sparsereg", ftrl.partial_fit, ones),
        ("partial_fit, 1 row", "SGD", sgd.partial_fit, ones),
        ("partial_fit, 100 rows", "sparsereg", ftrl.partial_fit, hundreds),
        ("partial_fit, 100 rows", "SGD", sgd.partial_fit, hundreds),
        ("predict_proba, 1 row", "sparsereg", ftrl.predict_proba, single_rows),
        ("predict_proba, 1 row", "SGD", sgd.predict_proba, single_rows),
        ("predict, 1 row", "sparsereg", ftrl.predict, single_rows),
        ("predict, 1 row", "SGD", sgd.predict, single_rows),
        ("decision_function, 1 row", "sparsereg", ftrl.decision_function, single_rows),
        ("decision_function, 1 row", "SGD", sgd.decision_function, single_rows),
        ("exported predict_proba, 1 row", "sparsereg", exported.predict_proba, single_rows),
        ("predict_proba + partial_fit, 1 row", "sparsereg", predict_then_learn(ftrl), events),
        ("predict_proba + partial_fit, 1 row", "SGD", predict_then_learn(sgd), events),
    ]
    medians = {(case, tool): [] for case, tool, _, _ in cases}
    means = {(case, tool): [] for case, tool, _, _ in cases}
    for _ in range(a.reps):
        for case, tool, fn, batches in cases:
            median, mean = call_times(fn, batches)
            medians[(case, tool)].append(median)
            means[(case, tool)].append(mean)

    print(
        f"# per-call medians (us), SparseFTRLClassifier (sparsereg {sparsereg.__version__} from "
        f"{Path(sparsereg.__file__).parent}) and SGDClassifier(log_loss), CTR synthetic "
        f"{X.shape[1]:,} columns ({X.dtype}{', dense rows' if a.dense else ''}"
        f"{', DataFrames and Series' if a.frame else ''}), "
        f"{X.nnz / X.shape[0]:.1f} non-zeros per row, warmed on "
        f"{a.warm:,} rows; {a.calls} calls per case per rep, medians of {a.reps} interleaved reps"
        " (mean: the median over the reps of each rep's mean call)"
    )
    print(f"# {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(
        f"{'call':<35} {'sparsereg us':>12} {'mean us':>9} {'SGD us':>9} {'SGD / sparsereg':>16} "
        f"{'goal us':>8}"
    )
    out = {}
    for case in dict.fromkeys(c for c, _, _, _ in cases):
        ours = float(np.median(medians[(case, "sparsereg")])) * 1e6
        mean = float(np.median(means[(case, "sparsereg")])) * 1e6
        theirs = medians.get((case, "SGD"))
        theirs = float(np.median(theirs)) * 1e6 if theirs else float("nan")
        out[case] = (ours, theirs)
        ratio = f"{theirs / ours:16.1f}" if theirs == theirs else f"{'':>16}"
        print(f"{case:<35} {ours:12.1f} {mean:9.1f} {theirs:9.1f} {ratio} {GOALS_US[case]:8d}")
    return out


if __name__ == "__main__":
    main()
