"""One epoch over rows in file order against the same epoch shuffled (`shuffle=True`, the default).

A shuffled epoch reads the rows of X in a random order: each row's entries, its place in
`indptr` and its target lie anywhere in memory, where in file order the hardware streams them
in. The kernels fetch them some rows ahead (`ENTRIES_AHEAD`, `INDPTR_AHEAD` in
`sparsereg/_ftrl_fast.pyx`). Printed: each fit's median time over interleaved reps (one
process; every tool once per rep, in turn), shuffled / in order per tool, and sparsereg /
`SGDClassifier` for each order (SGD's `shuffle` does the same to its rows).

CTR-like synthetic rows (benchmarks/_synthetic.py: ~36 binary non-zeros per row, power-law
column popularity), logistic loss, L1, one epoch.

    flock /tmp/sparsereg-bench.lock python benchmarks/bench_shuffle.py [--rows 1000000]
        [--log2-features 20] [--reps 5] [--quick]

The figures of an older version: ``PYTHONPATH=<its checkout> python benchmarks/bench_shuffle.py``.
"""

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _synthetic import load_ctr  # noqa: E402


def tools():
    from sklearn.linear_model import SGDClassifier

    from sparsereg import SparseFTRLClassifier

    def ftrl(n_threads):
        return lambda shuffle: SparseFTRLClassifier(
            alpha=1e-6, max_iter=1, tol=None, shuffle=shuffle, random_state=0,
            state_store="dense", n_threads=n_threads,
        )  # fmt: skip

    def sgd(shuffle):
        return SGDClassifier(
            loss="log_loss", penalty="l1", alpha=1e-6, max_iter=1, tol=None, shuffle=shuffle,
            random_state=0,
        )  # fmt: skip

    return {"sparsereg, 1 thread": ftrl(1), "sparsereg, 2 threads": ftrl(2), "SGDClassifier": sgd}


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.rows, a.log2_features, a.reps = 20_000, 14, 1

    from sklearn.exceptions import ConvergenceWarning

    import sparsereg

    X, y, _ = load_ctr(a.rows, 2**a.log2_features)
    made = tools()
    seconds = {(name, shuffle): [] for name in made for shuffle in (False, True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for make in made.values():  # first-call imports and thread starts, untimed
            make(True).fit(X[:20_000], y[:20_000])
        for _ in range(a.reps):
            for name, shuffle in seconds:
                model = made[name](shuffle)
                t0 = time.perf_counter()
                model.fit(X, y)
                seconds[(name, shuffle)].append(time.perf_counter() - t0)
    median = {key: float(np.median(v)) for key, v in seconds.items()}

    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, sparsereg from "
        f"{Path(sparsereg.__file__).parent}; {X.shape[0]:,} CTR rows x 2^{a.log2_features} "
        f"({X.nnz:,} non-zeros), one epoch, medians of {a.reps} interleaved reps in one process"
    )
    print(f"# {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"{'tool':<22} {'in order s':>10} {'shuffled s':>10} {'shuffled / in order':>20}")
    for name in made:
        in_order, shuffled = median[(name, False)], median[(name, True)]
        print(f"{name:<22} {in_order:10.3f} {shuffled:10.3f} {shuffled / in_order:20.2f}")
    for name in ("sparsereg, 1 thread", "sparsereg, 2 threads"):
        print(
            f"{name} / SGDClassifier: in order "
            f"{median[(name, False)] / median[('SGDClassifier', False)]:.2f}, shuffled "
            f"{median[(name, True)] / median[('SGDClassifier', True)]:.2f}"
        )
    return median


if __name__ == "__main__":
    main()
