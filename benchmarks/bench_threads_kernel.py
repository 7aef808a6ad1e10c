"""Where a 2-thread fit's epoch goes (issue #16): the threads' kernel in one thread and in two,
against the one-thread kernel, in one process.

    flock /tmp/sparsereg-bench.lock python benchmarks/bench_threads_kernel.py [--reps 7]
        [--rows 1000000] [--log2-features 20] [--quick]

bench_hogwild.py's training set and estimator (CTR-like rows, logistic, L1, one epoch in file
order). Each rep fits three estimators in turn (interleaved, so that all see the same load) and
times only the epoch, not the checks before it:
  1 thread           ``n_threads=1``: the one-thread kernel (``_epoch.run_epoch``);
  kernel, 1 thread   ``n_threads=2`` with the second thread never started, so that the calling
                     thread trains every chunk alone with the threads' kernel (its look-up of
                     the held columns, its ring of rows resolved ahead, its exchanges);
  2 threads          ``n_threads=2``.
Printed: each kind's median epoch and the medians of its per-rep ratios to the one-thread
epoch. ``2 threads / (kernel, 1 thread / 2)`` says how fast each of the two threads runs
against the threads' kernel alone (1.0: as fast as alone; the rest of the gap to 0.5 is the
kernel's own cost). Also whether the threads' kernel in one thread gives the one-thread model
to the bit (every number it holds a copy of is changed by that thread alone: it must).
The machine is shared and its speed moves by 1.5x within minutes: only ratios within a rep
mean anything.
"""

import argparse
import sys
import threading
import time
import warnings
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_hogwild import estimator, load, prepare  # noqa: E402

KINDS = ("1 thread", "kernel, 1 thread", "2 threads")


@contextmanager
def timed_epochs(times, chunks, kind):
    """A context in which the package's epoch functions add their times to ``times[kind]``
    and the threads' kernel counts its calls (chunks) by thread in ``chunks[kind]``; for
    "kernel, 1 thread", the threads' epoch starts no second thread."""
    import sparsereg._base as base
    import sparsereg._hogwild as hogwild

    def timing(f):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                times[kind].append(time.perf_counter() - start)

        return timed

    def counted(*args, kernel=hogwild.ftrl_epoch_shared):
        ident = threading.get_ident()
        chunks[kind][ident] = chunks[kind].get(ident, 0) + 1
        return kernel(*args)

    replaced = [
        (base, "run_epoch", timing(base.run_epoch)),
        (base, "run_epoch_threads", timing(base.run_epoch_threads)),
        (hogwild, "ftrl_epoch_shared", counted),
    ]
    if kind == "kernel, 1 thread":
        # the second thread taken as started, never run: the caller trains every chunk
        replaced.append((hogwild, "thread_started", lambda function, args: True))
    with ExitStack() as stack:
        for owner, name, value in replaced:
            stack.enter_context(mock.patch.object(owner, name, value))
        yield


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.rows, a.log2_features, a.reps = 40_000, 12, 1
    folder, n_features = prepare(a.rows, a.rows // 4, a.log2_features)
    X, y = load(folder, "train", n_features)
    times = {kind: [] for kind in KINDS}
    chunks = {kind: {} for kind in KINDS}  # the threads' kernel's calls, by thread
    models = {}
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (one epoch: ConvergenceWarning)
        estimator(2).fit(X[:64], y[:64])  # first-call imports, untimed
        for _ in range(a.reps):
            for kind in KINDS:
                est = estimator(1 if kind == "1 thread" else 2)
                with timed_epochs(times, chunks, kind):
                    est.fit(X, y)
                models[kind] = est.get_ftrl_state()
    one = np.array(times["1 thread"])
    print(
        f"# {started}; {a.rows:,} rows x 2^{a.log2_features} ({X.nnz:,} non-zeros), one epoch "
        f"in file order; epoch times only, {a.reps} interleaved reps in one process"
    )
    print(f"{'kind':<17} {'median ms':>9} {'/ 1 thread':>10}  per rep")
    ratios = {}
    for kind in KINDS:
        t = np.array(times[kind])
        ratios[kind] = float(np.median(t / one))
        per_rep = " ".join(f"{r:.3f}" for r in t / one)
        print(f"{kind:<17} {1000 * np.median(t):9.1f} {ratios[kind]:10.3f}  {per_rep}")
    pace = float(
        np.median(np.array(times["2 threads"]) / (np.array(times["kernel, 1 thread"]) / 2))
    )
    same = all(
        np.array_equal(models["1 thread"][name], models["kernel, 1 thread"][name])
        for name in models["1 thread"]
    )
    print(
        f"2 threads / (kernel, 1 thread / 2): {pace:.3f} (1.0: each thread as fast as alone)\n"
        f"the threads' kernel in one thread gives the one-thread state to the bit: "
        f"{'yes' if same else 'NO'}"
    )
    per_thread = {kind: sorted(c.values()) for kind, c in chunks.items()}
    print(f"chunks of the threads' kernel, by thread, over the reps: {per_thread}")
    return {
        "started": started,
        "times": times,
        "ratios": ratios,
        "pace": pace,
        "same": same,
        "chunks": per_thread,
    }


if __name__ == "__main__":
    main()
