"""One epoch's `fit` of two versions of sparsereg in one process, rep by rep (issue #16).

bench_epoch.py times one version against the plain-C loop; a change of a few percent in the
compiled epoch cannot be told from this shared machine's drift between runs. Here both
versions fit the same rows in the same process, in turn (which goes first alternates), and
the table gives each version's median and the median of the per-rep ratios now / before,
and whether the two fits gave the same coefficients (a change meant to leave the arithmetic
alone must say yes; with several threads the model is not reproducible and it says no).
The version of --before is imported as bench_calls_ab.py imports it.

    python benchmarks/bench_epoch_ab.py --before PATH [--rows 1000000] [--log2-features 20]
                                        [--reps 15] [--n-threads 1] [--state-store auto]
                                        [--shuffle] [--partial-fit-rows N] [--quick]

--partial-fit-rows N trains the same rows by ``partial_fit`` calls of N rows each (a stream's
chunks) instead of one ``fit``.

PATH: a checkout whose ``sparsereg/`` holds its built extension modules (``python setup.py
build_ext --inplace`` there). A copy of this very checkout as --before measures the noise:
its ratio is 1 up to the machine.
"""

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _synthetic import load_ctr  # noqa: E402
from bench_calls_ab import forget_before, import_before  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--before", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--n-threads", type=int, default=1)
    ap.add_argument("--state-store", choices=["auto", "dense", "sparse"], default="auto")
    ap.add_argument("--shuffle", action="store_true", help="a shuffled epoch (default: in order)")
    ap.add_argument(
        "--partial-fit-rows", type=int, default=0, help="partial_fit calls of N rows (0: fit)"
    )
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.rows, a.log2_features, a.reps = 5000, 14, 2

    import sparsereg

    X, y, _ = load_ctr(a.rows, 2**a.log2_features)
    with tempfile.TemporaryDirectory() as folder:
        before = import_before(a.before, folder)
        try:
            versions = {
                "now": sparsereg.SparseFTRLClassifier,
                "before": before.SparseFTRLClassifier,
            }
            seconds = {name: [] for name in versions}
            coef = {}
            for rep in range(a.reps):
                for name in ("now", "before") if rep % 2 else ("before", "now"):
                    est = versions[name](
                        random_state=0,
                        shuffle=a.shuffle,
                        max_iter=1,
                        tol=None,
                        n_threads=a.n_threads,
                        state_store=a.state_store,
                    )
                    t0 = time.perf_counter()
                    if a.partial_fit_rows > 0:
                        for start in range(0, X.shape[0], a.partial_fit_rows):
                            rows = slice(start, start + a.partial_fit_rows)
                            est.partial_fit(X[rows], y[rows], classes=[0, 1])
                    else:
                        est.fit(X, y)
                    seconds[name].append(time.perf_counter() - t0)
                    coef[name] = est.coef_.toarray() if sp.issparse(est.coef_) else est.coef_
        finally:
            forget_before(folder)
    ratios = np.array(seconds["now"]) / np.array(seconds["before"])
    same = bool(np.array_equal(coef["now"], coef["before"]))
    how = f"partial_fit calls of {a.partial_fit_rows:,} rows" if a.partial_fit_rows > 0 else "fit"
    print(
        f"# one epoch's {how}, SparseFTRLClassifier(n_threads={a.n_threads}, state_store="
        f"{a.state_store!r}, shuffle={a.shuffle}): now = sparsereg from "
        f"{Path(sparsereg.__file__).parent}, before = {a.before}; CTR synthetic {a.rows:,} rows "
        f"x 2**{a.log2_features} columns, {a.reps} reps, the versions in turn"
    )
    print(f"# {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"now {np.median(seconds['now']):.4f} s, before {np.median(seconds['before']):.4f} s")
    print(f"median per-rep ratio now / before {np.median(ratios):.4f}")
    print("per rep: " + " ".join(f"{r:.3f}" for r in ratios))
    print(f"same coefficients: {'yes' if same else 'no'}")
    return float(np.median(ratios)), same


if __name__ == "__main__":
    main()
