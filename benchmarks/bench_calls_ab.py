"""Per-call cost of two versions of sparsereg in one process, call by call (issue #16).

bench_calls.py times one version; on this shared machine its medians move by 10-50 % from
one run to the next, so a change of a few microseconds a call cannot be told from the
load. Here both versions run in the same process: the package of --before (a checkout
built in place) is copied under another name, and each call goes to one version and
then the same call to the other (which goes first alternates), so that both see the same
load. Printed per case: each version's median call and the median of the paired
differences (this version - before), and whether the two models trained on the same
stream hold the same coefficients to the bit (a change meant to leave the arithmetic
alone must say yes).

The data and batches are bench_calls.py's (2**--log2-features columns, ~36 non-zeros per
row, warmed on --warm rows; partial_fit goes on through the rows after the warm-up).

    python benchmarks/bench_calls_ab.py --before PATH [--calls 3000] [--quick]

PATH: a checkout whose ``sparsereg/`` holds its built extension modules
(``python setup.py build_ext --inplace`` there); e.g. ``git worktree add /tmp/old HEAD~1``.
Since the kernel's modules share Cython's utility code (``sparsereg._cyutility``, imported by
that name), a copy of a version that has it runs on this version's: memoryview plumbing, not
arithmetic, and the same only when both were built by the same Cython.
"""

import argparse
import importlib
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _synthetic import load_ctr  # noqa: E402
from bench_calls import predict_then_learn, stream_batches  # noqa: E402

BEFORE_NAME = "sparsereg_before"


def compiled_modules(folder):
    """The names of the compiled modules (``_ftrl_fast``, ...) in a package's folder."""
    folder = Path(folder)
    return sorted({p.name.split(".")[0] for p in [*folder.glob("*.so"), *folder.glob("*.pyd")]})


def own_compiled_modules(package):
    """Import ``package``'s compiled modules; refuse if one is not from its folder."""
    home = Path(package.__file__).parent
    for name in compiled_modules(home):
        module = importlib.import_module(f"{package.__name__}.{name}")
        if Path(module.__file__).parent != home:
            raise SystemExit(
                f"{package.__name__}.{name} was loaded from {module.__file__}: import "
                f"sparsereg before any copy of it"
            )


def import_before(checkout, folder):
    """The package of ``checkout`` imported as ``sparsereg_before`` from a copy in ``folder``
    (its modules import one another relatively, so the copy runs as it is)."""
    import sparsereg

    # A Cython module also enters sys.modules under the name it was compiled with
    # (sparsereg._ftrl_fast) when that name is free: this version's compiled modules are
    # imported first, or this version would run the copy's kernel. If a copy came first
    # anyway, refuse: the A/B would compare one kernel with itself.
    own_compiled_modules(sparsereg)
    source = Path(checkout).resolve() / "sparsereg"
    if "_ftrl_fast" not in compiled_modules(source):
        raise SystemExit(
            f"{source} has no built kernel: run `python setup.py build_ext --inplace` there"
        )
    shutil.copytree(
        source, Path(folder) / BEFORE_NAME, ignore=shutil.ignore_patterns("__pycache__")
    )
    sys.path.insert(0, str(folder))
    try:
        before = importlib.import_module(BEFORE_NAME)
        own_compiled_modules(before)
    except BaseException:
        forget_before(folder)
        raise
    return before


def forget_before(folder):
    """Undo ``import_before``'s imports and path (the copy's files go with ``folder``)."""
    if str(folder) in sys.path:
        sys.path.remove(str(folder))
    for name in [m for m in sys.modules if m.split(".")[0] == BEFORE_NAME]:
        del sys.modules[name]


def paired(fn_now, fn_before, batches):
    """``(median now, median before, median of now - before)`` in seconds, each batch given
    to both in turn (the first alternating)."""
    now, before = [], []
    for i, batch in enumerate(batches):
        order = (
            ((fn_now, now), (fn_before, before)) if i % 2 else ((fn_before, before), (fn_now, now))
        )
        for fn, times in order:
            t0 = time.perf_counter()
            fn(*batch)
            times.append(time.perf_counter() - t0)
    now, before = np.array(now), np.array(before)
    return float(np.median(now)), float(np.median(before)), float(np.median(now - before))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--before", required=True, help="a checkout built in place")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--warm", type=int, default=20_000)
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.rows, a.log2_features, a.warm, a.calls = 2000, 12, 500, 20

    import sparsereg
    from sparsereg.export import export_model

    with tempfile.TemporaryDirectory() as folder:
        old = import_before(a.before, folder)
        try:
            from sparsereg_before.export import export_model as export_before

            X, y, _ = load_ctr(a.rows, 2**a.log2_features)
            classes = np.array([0.0, 1.0])
            models = {}
            for name, module in (("now", sparsereg), ("before", old)):
                model = module.SparseFTRLClassifier(random_state=0)
                model.partial_fit(X[: a.warm], y[: a.warm], classes=classes)
                models[name] = model
            exported = {
                "now": export_model(models["now"]),
                "before": export_before(models["before"]),
            }

            def row_batches(size, offset):
                return stream_batches(X, y, a.warm, a.calls, size, offset)

            single_rows = [(x,) for x, _ in row_batches(1, 13)]
            cases = [  # (case, the method's name, on the exported model, batches)
                ("partial_fit, 1 row", "partial_fit", False, row_batches(1, 0)),
                (
                    "predict_proba + partial_fit, 1 row",
                    predict_then_learn,
                    False,
                    row_batches(1, 29),
                ),
                ("partial_fit, 100 rows", "partial_fit", False, row_batches(100, 7)),
                ("predict_proba, 1 row", "predict_proba", False, single_rows),
                ("decision_function, 1 row", "decision_function", False, single_rows),
                ("exported predict_proba, 1 row", "predict_proba", True, single_rows),
            ]
            print(
                f"# per-call medians (us), SparseFTRLClassifier: now = sparsereg from "
                f"{Path(sparsereg.__file__).parent}, before = {Path(a.before).resolve()}; CTR synthetic "
                f"{X.shape[1]:,} columns, {X.nnz / X.shape[0]:.1f} non-zeros per row, warmed on "
                f"{a.warm:,} rows; {a.calls} calls per case, each given to both versions in turn"
            )
            print(
                f"# {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}"
            )
            print(f"{'call':<35} {'now us':>8} {'before us':>10} {'now - before us':>16}")
            out = {}
            for case, method, on_export, batches in cases:
                owner = exported if on_export else models
                now, before = (
                    method(owner[v]) if callable(method) else getattr(owner[v], method)
                    for v in ("now", "before")
                )
                now, before, diff = paired(now, before, batches)
                out[case] = (now * 1e6, before * 1e6, diff * 1e6)
                print(f"{case:<35} {now * 1e6:8.1f} {before * 1e6:10.1f} {diff * 1e6:+16.2f}")
            same = bool(np.array_equal(models["now"].coef_, models["before"].coef_))
            same = same and bool(
                np.array_equal(models["now"].intercept_, models["before"].intercept_)
            )
            print(f"same coefficients after {models['now'].t_:,} rows: {'yes' if same else 'NO'}")
        finally:
            forget_before(folder)
    return out, same


if __name__ == "__main__":
    main()
