"""Where does `fit`'s time over the plain-C loop go? The kernel alone, with and without a warm state.

    python benchmarks/bench_kernel.py [--rows 1000000] [--log2-features 20] [--reps 7]
        [--c-limit PATH] [--quick]

Interleaved per rep: the C loop (`aos+prefetch`, which zeroes its state before its timer),
sparsereg's compiled epoch on a state whose pages were touched before the timer (the same
conditions), the compiled epoch on a fresh `np.zeros` state (first-touch page faults inside, as
in `fit`), and the whole `fit`. Medians; ratios to the C loop, which is the ftrl_limit.py given
by --c-limit or the SPARSEREG_C_LIMIT environment variable (skipped with a message if absent).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_epoch  # noqa: E402
from _synthetic import load_ctr, save_array, save_csr  # noqa: E402
from bench_epoch import c_limit_missing, sparsereg_estimator, time_c_limit  # noqa: E402

from sparsereg._epoch import UNWEIGHTED, Batch, Hyper, run_epoch  # noqa: E402
from sparsereg._state import FTRLState  # noqa: E402


def time_kernel(X, y, warm_state):
    """One compiled epoch through the kernel's entry point, on a dense state."""
    hyper = Hyper.from_params(sparsereg_estimator().get_params())
    batch = Batch(X, np.where(y > 0, 1.0, -1.0), UNWEIGHTED, int(np.diff(X.indptr).max()))
    state = FTRLState(1, X.shape[1], table=False)
    state.zn[0] = np.zeros((X.shape[1], 2))  # fresh pages: first touch inside the timer
    if warm_state:
        state.zn[0].fill(0.0)  # touch every page before the timer, as the C loop's memset does
    start = time.perf_counter()
    run_epoch(batch, state, 0, hyper)
    return time.perf_counter() - start


def time_fit(X, y):
    est = sparsereg_estimator()
    start = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument(
        "--c-limit",
        type=Path,
        default=bench_epoch.C_LIMIT,
        help="path of the plain-C loop's ftrl_limit.py (default: $SPARSEREG_C_LIMIT)",
    )
    ap.add_argument(
        "--quick", action="store_true", help="tiny sizes, one rep: checks the script runs"
    )
    a = ap.parse_args(argv)
    bench_epoch.C_LIMIT = a.c_limit  # time_c_limit runs the loop found there
    if a.quick:
        a.rows, a.log2_features, a.reps = 2000, 12, 1
    X, y, folder = load_ctr(a.rows, 2**a.log2_features)
    if not (folder / "X.npz").exists():  # (written last: it says that both are there)
        save_array(folder / "y.npy", y)
        save_csr(folder / "X.npz", X)
    time_fit(X[:64], y[:64])  # imports and first-call dispatch outside the timers
    times = {"C aos+prefetch": [], "kernel, warm state": [], "kernel, fresh state": [], "fit": []}
    for _ in range(a.reps):
        if not c_limit_missing(a.c_limit):
            times["C aos+prefetch"].append(
                time_c_limit(folder, "aos+prefetch")["aos+prefetch"]["median_s"]
            )
        times["kernel, warm state"].append(time_kernel(X, y, warm_state=True))
        times["kernel, fresh state"].append(time_kernel(X, y, warm_state=False))
        times["fit"].append(time_fit(X, y))
    print(
        f"# one epoch, {X.shape[0]:,} rows x 2**{a.log2_features} ({X.nnz:,} non-zeros), logistic, "
        f"medians of {a.reps} interleaved reps"
    )
    ref = np.median(times["C aos+prefetch"]) if times["C aos+prefetch"] else None
    print(f"{'':<22} {'median s':>9} {'M nnz/s':>8} {'/ C loop':>9}")
    for name, ts in times.items():
        if not ts:
            print(f"{name:<22} skipped: {c_limit_missing(a.c_limit)}")
            continue
        med = float(np.median(ts))
        ratio = f"{med / ref:9.2f}" if ref else f"{'n/a':>9}"
        print(f"{name:<22} {med:9.3f} {X.nnz / med / 1e6:8.1f} {ratio}")
    return times


if __name__ == "__main__":
    main()
