"""Time of one bulk ``predict_proba`` call (estimator and export) in two versions of
sparsereg, in pairs of fresh processes that alternate (issue #16).

Calls of 5,000 rows and more are scored in threads; a change to how the threads are handed
their blocks shows in calls of 5,000-20,000 rows, where it is a share of the call. Each
process imports one version (``PYTHONPATH``), fits a model on --rows CTR rows over
2**--log2-features columns, and times calls of each size (medians of many calls); the
versions alternate process by process, so that both see the same load. Printed: each
version's median over its processes, and the ratio.

    python benchmarks/bench_bulk_calls_ab.py --before PATH [--pairs 6] [--quick]

PATH: a checkout whose ``sparsereg/`` holds its built extension modules
(``python setup.py build_ext --inplace`` there); e.g. ``git worktree add /tmp/old HEAD~1``.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _synthetic import load_ctr  # noqa: E402

SIZES = (5_000, 20_000, 200_000)


def child(rows, log2_features, sizes):
    """Median microseconds of a call, per model and size, in this process's sparsereg."""
    import sparsereg
    from sparsereg import SparseFTRLClassifier
    from sparsereg.export import export_model

    X, y, _ = load_ctr(rows + max(sizes), 2**log2_features)
    est = SparseFTRLClassifier(random_state=0).fit(X[:rows], y[:rows])
    models = {"estimator": est, "export": export_model(est)}
    out = {"package": str(Path(sparsereg.__file__).parent)}
    for n in sizes:
        A = X[rows : rows + n]
        for name, model in models.items():
            model.predict_proba(A)
            times = []
            for _ in range(max(10, 1_000_000 // n)):
                start = time.perf_counter()
                model.predict_proba(A)
                times.append(time.perf_counter() - start)
            out[f"{name} {n}"] = float(np.median(times)) * 1e6
    return out


def run_child(path, rows, log2_features, sizes):
    env = dict(os.environ, PYTHONPATH=str(path))
    args = [sys.executable, __file__, "--child", "--rows", str(rows)]
    args += ["--log2-features", str(log2_features), "--sizes", ",".join(map(str, sizes))]
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def which_package(path):
    """The folder of the sparsereg that a process with ``PYTHONPATH=path`` would import
    (found without importing it)."""
    probe = "import importlib.util; print(importlib.util.find_spec('sparsereg').origin)"
    env = dict(os.environ, PYTHONPATH=str(path))
    origin = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,  # (as the timed processes: this script's folder first on the path, not the caller's)
    ).stdout.strip()
    return str(Path(origin).resolve().parent)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--before", type=Path, help="a checkout of the other version, built")
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",")]
    if a.child:
        print(json.dumps(child(a.rows, a.log2_features, sizes)))
        return None
    if a.before is None:
        ap.error("--before PATH is needed")
    if a.quick:
        a.pairs, a.rows, a.log2_features, sizes = 1, 2_000, 12, [5_000]
    now = HERE.parent
    for version, path in (("now", now), ("before", a.before)):
        found = which_package(path)
        if found != str(Path(path).resolve() / "sparsereg"):
            raise SystemExit(f"the {version} processes would import {found}, not {path}")
    runs = {"now": [], "before": []}
    for pair in range(a.pairs):
        order = ("now", "before") if pair % 2 == 0 else ("before", "now")
        for version in order:
            path = now if version == "now" else a.before
            run = run_child(path, a.rows, a.log2_features, sizes)
            if run["package"] != str(Path(path).resolve() / "sparsereg"):
                raise SystemExit(f"the {version} process imported {run['package']}, not {path}")
            runs[version].append(run)
    print(
        f"# bulk predict_proba, median us per call; {a.pairs} pairs of processes, alternating; "
        f"CTR synthetic, model fitted on {a.rows:,} rows x 2**{a.log2_features}"
    )
    print(f"# now = {now}, before = {a.before}")
    print(f"{'call':<20} {'now us':>10} {'before us':>10} {'now / before':>13}")
    out = {}
    for key in runs["now"][0]:
        if key == "package":
            continue
        mine = float(np.median([r[key] for r in runs["now"]]))
        theirs = float(np.median([r[key] for r in runs["before"]]))
        out[key] = (mine, theirs)
        print(f"{key:<20} {mine:>10.0f} {theirs:>10.0f} {mine / theirs:>13.3f}")
    return out


if __name__ == "__main__":
    main()
