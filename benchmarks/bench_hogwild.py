"""One model trained by several threads (``n_threads``, Hogwild!) against one thread and the C loop.

    flock /tmp/sparsereg-bench.lock python benchmarks/bench_hogwild.py [--rows 1000000]
        [--test-rows 250000] [--log2-features 20] [--threads 2] [--reps 5] [--c-limit PATH]
        [--json-out F] [--quick]
    python benchmarks/bench_hogwild.py --quality [--reps 3] [--threads 2]
    python benchmarks/bench_hogwild.py --quick --spread 30

CTR-like synthetic rows (benchmarks/_synthetic.py: ~35 binary non-zeros per row, power-law
column popularity): the first --rows rows train, the next --test-rows test. Logistic loss, L1
only, the paper's absolute lambda1 = 1 (penalty_scale='sum'), eta0 = 0.1, beta = 1, rows in
file order, one epoch. Measured interleaved, each in a fresh process per rep (rep 1 of every
tool, then rep 2...):
  fit 1 thread    SparseFTRLClassifier(n_threads=1).fit (validation included);
  fit N threads   the same with n_threads=--threads;
  ..., no icpt    both fits with fit_intercept=False (every row updates the intercept; each
                  thread keeps its own copy, so this should cost the threads nothing;
                  --no-intercept-peers skips them);
  C base, C aos+pf  the plain-C loop (ftrl_limit.py from --c-limit or $SPARSEREG_C_LIMIT), one
                  thread, the same loss and lambdas (lambda2 = 0), its own timer (no validation);
  C aos+pf, N parts  the same loop in N processes at once, each on 1/N of the rows with its own
                  state: the longest of their loop times (each a median of 3), over the
                  one-process loop time. How far N cores of this machine speed up this loop
                  when no state is shared (memory and the last-level cache are; each process
                  holds a whole state, N times one state's footprint); not a bound for the
                  threads, whose loop is faster and whose state is one.
Each fit's test log loss is computed after the timer, and its CPU time (all its threads) is
read with its wall time: 2 threads that had a core each would take about half their CPU time,
so CPU(N threads) / CPU(1 thread) shows what the threads cost in extra work (cache lines the
threads both write, moved between the cores), whatever the load; but under load the threads
rarely run at the same moment, which hides part of that cost. /proc/loadavg (1-minute load) is read
before and after each timed call, and the cores other processes kept busy during it (from
/proc/stat: the machine's busy CPU time less the call's own, over its wall time): with 2 cores, a second thread can only gain when the load
of the other processes leaves a core free, so every figure is printed with the load it ran
under. --quality: test MSE of regressions of 2**9 to 2**16 columns, N threads / 1 thread (no
timing). --quick: 40,000 rows x 2**12, one rep, in this process (a check that the script runs).
--spread REPS: how far the test log loss moves from fit to fit on the rows chosen (no timing).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _c_limit import c_limit_command  # noqa: E402
from _synthetic import WORK, load_ctr, save_array, save_csr  # noqa: E402

C_LIMIT = Path(os.environ["SPARSEREG_C_LIMIT"]) if os.environ.get("SPARSEREG_C_LIMIT") else None
ETA0, BETA, L1 = 0.1, 1.0, 1.0
NAMES = ("data", "indices", "indptr", "y")


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def busy_seconds():
    """CPU seconds the whole machine has spent busy (every process, every core), /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, _, _, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def huge_page_mib():
    """MiB of this process's memory in transparent huge pages (numpy asks for them on large
    arrays; the one-thread fit was ~8 % slower without them here: benchmarks/RESULTS.md, "Thirtieth session"), or -1
    where the kernel does not say."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return -1


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def estimator(n_threads, fit_intercept=True):
    from sparsereg import SparseFTRLClassifier

    return SparseFTRLClassifier(
        penalty="l1",
        alpha=L1,
        penalty_scale="sum",
        eta0=ETA0,
        beta=BETA,
        max_iter=1,
        tol=None,
        shuffle=False,
        random_state=0,
        state_store="dense",
        n_threads=n_threads,
        fit_intercept=fit_intercept,
    )


def load(folder, part, n_features):
    data, indices, indptr, y = (np.load(folder / f"{part}_{n}.npy") for n in NAMES)
    return sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, n_features)), y


def child(n_threads, folder, n_features, fit_intercept=True):
    """One timed fit and its test log loss (a fresh process per rep, except with --quick)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss

    X, y = load(folder, "train", n_features)
    X_test, y_test = load(folder, "test", n_features)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator(n_threads).fit(X[:64], y[:64])  # first-call imports, untimed
        est = estimator(n_threads, fit_intercept)
        load_before = loadavg()
        busy0, cpu0, t0 = busy_seconds(), cpu_seconds(), time.perf_counter()
        est.fit(X, y)
        seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
        others = max(busy_seconds() - busy0 - cpu, 0.0) / seconds
        load_after = loadavg()
    loss = log_loss(y_test, est.predict_proba(X_test)[:, 1])
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "test_log_loss": float(loss),
        "others_busy": others,
        "load_before": load_before,
        "load_after": load_after,
        "nonzero_weights": int(est.count_nonzero()[0]),
        "huge_page_mib": huge_page_mib(),
    }


def prepare(rows, test_rows, log2_features):
    """Train and test arrays (the first ``rows`` and the next ``test_rows`` of one synthetic
    set), and the training set as the C loop reads it, made once under benchmarks/_work/."""
    n_features = 2**log2_features
    folder = WORK / f"hogwild_{rows}_{test_rows}_{log2_features}"
    if not (folder / "X.npz").exists():
        X, y, _ = load_ctr(rows + test_rows, n_features)
        folder.mkdir(parents=True, exist_ok=True)
        for part, rows_of in (("train", slice(0, rows)), ("test", slice(rows, rows + test_rows))):
            Xp, yp = X[rows_of], y[rows_of]
            for name, arr in zip(NAMES, (Xp.data, Xp.indices, Xp.indptr, yp)):
                save_array(folder / f"{part}_{name}.npy", arr)
        Xt, yt = load(folder, "train", n_features)
        save_array(folder / "y.npy", yt)
        save_csr(folder / "X.npz", Xt)  # (written last: it says that all are there)
    return folder, n_features


def run_child(n_threads, folder, n_features, quick, fit_intercept=True):
    if quick:
        return child(n_threads, folder, n_features, fit_intercept)
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(n_threads),
            "--folder",
            str(folder),
            "--n-features",
            str(n_features),
        ]
        + ([] if fit_intercept else ["--child-no-intercept"]),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def c_command(folder, variants, reps):
    return c_limit_command(C_LIMIT, folder, variants, reps, alpha=ETA0, beta=BETA, l1=L1, l2=0)


def run_c(folder, parts=()):
    """The C loop's variants on the whole training set, one process, one rep; with
    ``parts`` (the folders of 1/N of the rows each), also aos+prefetch in N processes at
    once, one per part (``c_parts_seconds``: 3 reps each, so that the loops overlap though
    the processes load their data at their own pace). The load and the other processes'
    share are read around the one-process run only."""
    load_before = loadavg()
    busy0, t0 = busy_seconds(), time.perf_counter()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        c_command(folder, "base,aos+prefetch", 1), check=True, capture_output=True, text=True
    ).stdout
    recs = {r["variant"]: r for r in map(json.loads, out.strip().splitlines())}
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = sum(getattr(children1, f) - getattr(children0, f) for f in ("ru_utime", "ru_stime"))
    # over the whole call (the script writes the data out before its timer), not the loop only
    others = max(busy_seconds() - busy0 - own, 0.0) / (time.perf_counter() - t0)
    load_after = loadavg()
    if parts:
        recs["parts"] = {"median_s": c_parts_seconds(parts)}
    return {
        v: {
            "seconds": recs[v]["median_s"],
            "load_before": load_before,
            "others_busy": others,
            "load_after": load_after,
        }
        for v in recs
    }


def c_parts_seconds(parts):
    """The longest of the C loop's own loop times (each process's median of 3 reps, loading
    left out) when one process per folder of ``parts`` runs at once."""
    running = []
    try:
        for part in parts:
            running.append(
                subprocess.Popen(
                    c_command(part, "aos+prefetch", 3), stdout=subprocess.PIPE, text=True
                )
            )
        outs = [p.communicate()[0] for p in running]
    finally:  # none left running if one fails to start or Ctrl-C lands meanwhile
        for p in running:
            if p.poll() is None:
                p.kill()
                p.wait()
    if any(p.returncode for p in running):
        raise SystemExit("the C loop failed on a part of the rows")
    return max(json.loads(o.strip().splitlines()[-1])["median_s"] for o in outs)


def c_parts(folder, n_parts):
    """Folders of the training set cut into ``n_parts`` runs of consecutive rows, as the C
    loop reads them (made once)."""
    X, y = sp.load_npz(folder / "X.npz"), np.load(folder / "y.npy")
    bounds = np.linspace(0, X.shape[0], n_parts + 1).astype(int)
    out = []
    for i in range(n_parts):
        part = folder / f"part_{i}_of_{n_parts}"
        if not (part / "X.npz").exists():
            part.mkdir(exist_ok=True)
            save_array(part / "y.npy", y[bounds[i] : bounds[i + 1]])
            save_csr(part / "X.npz", X[bounds[i] : bounds[i + 1]])  # (last: both are there)
        out.append(part)
    return out


def quality(reps, n_threads):
    """Test MSE of SparseFTRLRegressor, N threads / 1 thread, on random sparse regressions of
    several widths: the fewer the columns, the more often the threads update the same ones."""
    from sparsereg import SparseFTRLRegressor

    print(
        f"# regression quality: 100,000 rows (80 % train), 20 uniform non-zeros per row, "
        f"y = Xw + N(0, 0.1); eta0=0.5, 3 shuffled epochs; test MSE of {n_threads} threads / "
        f"1 thread over {reps} fits (1 thread is reproducible)"
    )
    out = {}
    for log2 in (9, 12, 14, 16):
        rng = np.random.RandomState(0)
        n, d, per = 100_000, 2**log2, 20
        cols = rng.randint(d, size=(n, per))
        X = sp.csr_matrix(
            (rng.rand(n * per), cols.ravel(), np.arange(0, n * per + 1, per)), shape=(n, d)
        )
        X.sum_duplicates()
        y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)

        def mse(threads, X=X, y=y):
            reg = SparseFTRLRegressor(
                n_threads=threads, eta0=0.5, max_iter=3, tol=None, random_state=0
            ).fit(X[:80_000], y[:80_000])
            return float(np.mean((reg.predict(X[80_000:]) - y[80_000:]) ** 2))

        one = mse(1)
        ratios = [mse(n_threads) / one for _ in range(reps)]
        out[log2] = ratios
        print(
            f"2^{log2:<3} columns: 1-thread MSE {one:.5f}; {n_threads} threads / 1: "
            + " ".join(f"{r:.3f}" for r in ratios),
            flush=True,
        )
    return out


def spread(folder, n_features, reps, n_threads):
    """How much the test log loss of one classification problem moves from fit to fit: N
    threads (Hogwild!'s interleavings) and one thread on the rows shuffled (another order),
    both over the one thread's in file order, and one thread on the first half of the rows
    (what losing half the training costs). No timing."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss

    X, y = load(folder, "train", n_features)
    X_test, y_test = load(folder, "test", n_features)

    def loss(n_threads, rows):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = estimator(n_threads).fit(X[rows], y[rows])
        return log_loss(y_test, est.predict_proba(X_test)[:, 1])

    everything = np.arange(X.shape[0])
    one = loss(1, everything)
    rng = np.random.default_rng(0)
    out = {
        f"{n_threads} threads": [loss(n_threads, everything) / one - 1 for _ in range(reps)],
        "1 thread, rows shuffled": [
            loss(1, rng.permutation(X.shape[0])) / one - 1 for _ in range(reps)
        ],
        "1 thread, first half of the rows": [loss(1, everything[: X.shape[0] // 2]) / one - 1],
    }
    print(
        f"# test log loss over the one thread's in file order ({one:.6f}), - 1, in %; "
        f"{X.shape[0]:,} train rows x 2^{n_features.bit_length() - 1}, {reps} fits each, sorted"
    )
    for name, values in out.items():
        print(f"{name:<33} " + " ".join(f"{100 * v:+.3f}" for v in sorted(values)))
    return out


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of fits")
    return value


def main(argv=None):
    global C_LIMIT
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--test-rows", type=int, default=250_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--c-limit", type=Path, default=C_LIMIT)
    ap.add_argument("--json-out")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--quality",
        action="store_true",
        help="only the regression quality check (test MSE, no timing)",
    )
    ap.add_argument(
        "--spread",
        type=positive_int,
        metavar="REPS",
        help="only the test log loss's spread from fit to fit (threads, shuffled rows), "
        "REPS fits each, on the rows chosen (--quick: 40,000); no timing",
    )
    ap.add_argument(
        "--no-intercept-peers", action="store_true", help="skip the two fits without intercept"
    )
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-no-intercept", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--n-features", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child is not None:
        return print(
            json.dumps(child(a.child, Path(a.folder), a.n_features, not a.child_no_intercept))
        )
    if a.threads < 2:
        raise SystemExit("--threads must be at least 2")
    if a.quality:
        return quality(a.reps, a.threads)
    if a.quick:
        a.rows, a.test_rows, a.log2_features, a.reps = 40_000, 10_000, 12, 1
    if a.spread is not None:
        return spread(*prepare(a.rows, a.test_rows, a.log2_features), a.spread, a.threads)
    C_LIMIT = a.c_limit
    use_c = C_LIMIT is not None and C_LIMIT.is_file()
    if not use_c:
        print(
            "skipping the plain-C loop: give the path of ftrl_limit.py with --c-limit PATH "
            "or SPARSEREG_C_LIMIT"
        )
    folder, n_features = prepare(a.rows, a.test_rows, a.log2_features)
    tools = ["fit 1 thread", f"fit {a.threads} threads"]
    if not a.no_intercept_peers:
        tools += ["1 thread, no icpt", f"{a.threads} threads, no icpt"]
    parts_tool = f"C aos+pf, {a.threads} parts"
    tools += ["C base", "C aos+pf", parts_tool] if use_c else []
    parts = c_parts(folder, a.threads) if use_c else ()
    runs = {t: [] for t in tools}
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    for rep in range(a.reps):  # interleaved: one rep of every tool, then the next rep
        runs["fit 1 thread"].append(run_child(1, folder, n_features, a.quick))
        runs[f"fit {a.threads} threads"].append(run_child(a.threads, folder, n_features, a.quick))
        if not a.no_intercept_peers:
            runs["1 thread, no icpt"].append(run_child(1, folder, n_features, a.quick, False))
            runs[f"{a.threads} threads, no icpt"].append(
                run_child(a.threads, folder, n_features, a.quick, False)
            )
        if use_c:
            c = run_c(folder, parts)
            runs["C base"].append(c["base"])
            runs["C aos+pf"].append(c["aos+prefetch"])
            runs[parts_tool].append(c["parts"])
        print(
            f"rep {rep + 1}: "
            + ", ".join(
                f"{t} {runs[t][-1]['seconds']:.3f}s (load {runs[t][-1]['load_before']:.2f}"
                f"->{runs[t][-1]['load_after']:.2f}, other processes {runs[t][-1]['others_busy']:.2f} "
                "cores"
                + (
                    f", {runs[t][-1]['huge_page_mib']} MiB in huge pages"
                    if "huge_page_mib" in runs[t][-1]
                    else ""
                )
                + ")"
                for t in tools
            ),
            flush=True,
        )

    X_nnz = int(np.load(folder / "train_indptr.npy", mmap_mode="r")[-1])
    print(
        f"# {started}, {os.cpu_count()} cores; {a.rows:,} train rows x 2^{a.log2_features} "
        f"({X_nnz:,} non-zeros), {a.test_rows:,} test rows; logistic, L1 lambda1={L1} (sum), "
        f"eta0={ETA0}, beta={BETA}, one epoch in file order; medians of {a.reps} interleaved reps"
    )
    med = {t: float(np.median([r["seconds"] for r in runs[t]])) for t in tools}
    one, many = med["fit 1 thread"], med[f"fit {a.threads} threads"]
    print(
        f"{'tool':<19} {'median s':>9} {'M nnz/s':>8} {'vs 1 thread':>11} {'test log loss':>13} "
        f"{'nnz w':>7}  cores busy with other processes during each rep"
    )
    for t in tools:
        rs = runs[t]
        loss = (
            f"{np.median([r['test_log_loss'] for r in rs]):13.6f}"
            if "test_log_loss" in rs[0]
            else f"{'':>13}"
        )
        nzw = f"{rs[-1]['nonzero_weights']:7d}" if "nonzero_weights" in rs[0] else f"{'':>7}"
        loads = " ".join(f"{r['others_busy']:.2f}" for r in rs)
        print(
            f"{t:<19} {med[t]:9.3f} {X_nnz / med[t] / 1e6:8.1f} {med[t] / one:11.3f} {loss} "
            f"{nzw}  {loads}"
        )
    losses = {t: [r["test_log_loss"] for r in runs[t]] for t in tools[:2]}
    loss_ratio = np.median(losses[tools[1]]) / np.median(losses[tools[0]])
    paired = [m["seconds"] / o["seconds"] for o, m in zip(runs[tools[0]], runs[tools[1]])]
    print(f"{a.threads} threads / 1 thread, per rep: " + " ".join(f"{v:.2f}" for v in paired))
    cpu = {t: float(np.median([r["cpu_seconds"] for r in runs[t]])) for t in tools[:2]}
    print(
        f"CPU seconds (median): 1 thread {cpu[tools[0]]:.3f}, {a.threads} threads "
        f"{cpu[tools[1]]:.3f} (x{cpu[tools[1]] / cpu[tools[0]]:.2f}); with a free core per "
        f"thread, {a.threads} threads would take ~{cpu[tools[1]] / a.threads / cpu[tools[0]]:.2f}x "
        "the time of 1 thread (CPU(N) / N / CPU(1))"
    )
    result = {
        "started": started,
        "rows": a.rows,
        "nnz": X_nnz,
        "reps": a.reps,
        "threads": a.threads,
        "medians": med,
        "runs": runs,
        "threads_over_one": many / one,
        "per_rep_threads_over_one": paired,
        "test_log_loss_ratio": float(loss_ratio),
        "cpu_medians": cpu,
    }
    print(
        f"goals (issue #16): {a.threads} threads / 1 thread {many / one:.3f} (<= 0.6: "
        f"{'met' if many / one <= 0.6 else 'NOT met'}); test log loss {a.threads} threads / 1 "
        f"thread - 1 = {100 * (loss_ratio - 1):+.3f} % (within 0.2 %: "
        f"{'met' if abs(loss_ratio - 1) <= 0.002 else 'NOT met'})"
    )
    if not a.no_intercept_peers:
        ratio = med[f"{a.threads} threads, no icpt"] / med["1 thread, no icpt"]
        result["threads_over_one_no_intercept"] = ratio
        print(
            f"  without intercept (each thread keeps its own: should change nothing): "
            f"{a.threads} threads / 1 thread {ratio:.3f}, with it {many / one:.3f}"
        )
    if use_c:
        fastest_c = min(med["C base"], med["C aos+pf"])
        result["threads_over_c"] = many / fastest_c
        print(
            f"  {a.threads} threads / fastest C loop {many / fastest_c:.3f} (< 1: "
            f"{'met' if many < fastest_c else 'NOT met'}); 1 thread / fastest C loop "
            f"{one / fastest_c:.3f}"
        )
        c_scaling = [
            p["seconds"] / w["seconds"] for w, p in zip(runs["C aos+pf"], runs[parts_tool])
        ]
        result["c_parts_over_c"] = float(np.median(c_scaling))
        print(
            f"  the machine's own scaling: the C loop in {a.threads} processes at once, each on "
            f"1/{a.threads} of the rows with its own state (longest loop time), / the C loop on "
            f"all rows: {np.median(c_scaling):.3f} (per rep: "
            + " ".join(f"{v:.2f}" for v in c_scaling)
            + ")"
        )
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
