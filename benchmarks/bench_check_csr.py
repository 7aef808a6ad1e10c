"""What do the CSR checks before training cost, next to reading the values once?

    python benchmarks/bench_check_csr.py [--npz PATH | --rows 1000000 --log2-features 20]
        [--reps 15] [--baseline [LABEL=]PATH ...] [--quick]

Times ``csr_index_summary``, ``largest_magnitude`` and ``csr_summary`` of the compiled module
``_ftrl_scores`` (and of each other build given by --baseline: the .so of ``_ftrl_scores``, or of
``_ftrl_fast`` before the kernel was split, e.g. one built from an older commit, for a
before/after in one run), ``check_csr`` in one thread and in two (as a fit with
``n_threads=2`` checks a matrix of 2**20 non-zeros or more; smaller ones in one thread either
way) and ``X.data.sum()`` (about the cost of reading the values from memory), interleaved per
rep; prints medians and minima in ms. The matrix is the .npz given (scipy.sparse.save_npz) or
the synthetic CTR set of that size.
"""

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic import load_ctr  # noqa: E402

from sparsereg import _ftrl_scores  # noqa: E402
from sparsereg._validation import check_csr  # noqa: E402


def load_build(path):
    """Another build's module of the checks (a .so file) as a module of its own."""
    name = Path(path).name.split(".")[0]  # its init function's name: _ftrl_scores or _ftrl_fast
    spec = importlib.util.spec_from_file_location(f"baseline_{abs(hash(path))}.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def calls(X):
    d, ix, ip = X.data, X.indices, X.indptr
    return {
        "csr_index_summary": lambda m: m.csr_index_summary(ip, ix),
        "largest_magnitude": lambda m: m.largest_magnitude(d),
        "csr_summary": lambda m: m.csr_summary(d, ix, ip, X.shape[1]),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--npz", type=Path, help="a CSR matrix saved by scipy.sparse.save_npz")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument(
        "--baseline",
        action="append",
        default=[],
        help="[LABEL=]PATH of another build's _ftrl_scores (or older _ftrl_fast) .so",
    )
    ap.add_argument(
        "--quick", action="store_true", help="tiny sizes, one rep: checks the script runs"
    )
    a = ap.parse_args(argv)
    if a.quick:
        a.rows, a.log2_features, a.reps = 2000, 12, 1
    X = sp.load_npz(a.npz).tocsr() if a.npz else load_ctr(a.rows, 2**a.log2_features)[0]
    builds = {"this build": _ftrl_scores}
    for given in a.baseline:
        label, _, path = given.rpartition("=")
        builds[label or path] = load_build(path)
    cases = calls(X)
    for name, call in cases.items():  # first calls outside the timers
        answers = {label: call(m) for label, m in builds.items()}
        if len({repr(v) for v in answers.values()}) > 1:
            print(f"# {name} answers differ: {answers}")
    times = {}
    for _ in range(a.reps):
        for name, call in cases.items():
            for label, m in builds.items():
                start = time.perf_counter()
                call(m)
                times.setdefault((name, label), []).append(time.perf_counter() - start)
        for name, call in [
            ("check_csr", lambda: check_csr(X)),
            ("check_csr, 2 threads", lambda: check_csr(X, threads=2)),
            ("X.data.sum()", X.data.sum),
        ]:
            start = time.perf_counter()
            call()
            times.setdefault((name, "this build"), []).append(time.perf_counter() - start)
    print(
        f"# {X.shape[0]:,} x {X.shape[1]:,}, {X.nnz:,} non-zeros, {X.data.dtype} values, "
        f"{X.indices.dtype} indices; medians of {a.reps} interleaved reps"
    )
    width = max(len(label) for label in builds)
    print(f"{'':<20} {'build':<{width}} {'median ms':>9} {'min ms':>9}")
    for (name, label), ts in times.items():
        med, low = 1e3 * statistics.median(ts), 1e3 * min(ts)
        print(f"{name:<20} {label:<{width}} {med:9.4f} {low:9.4f}")
    return times


if __name__ == "__main__":
    main()
