"""Memory that grows with the data, not the hash space: the sparse FTRL state store.

    python benchmarks/bench_memory.py [--quick] [--only california,stream,speed,inclusion]

Four questions, each answered in fresh subprocesses so that peak RSS means one thing
(--quick: tiny sizes, each answered in this process, which checks that the script runs and
what it reports but measures no memory):
  california  California housing, one-minute lat x long cross hashed into 2**28 columns:
              peak RSS of the whole fit process (imports included) and bytes of the state,
              sparse vs dense store; state vs (touched columns x 24 bytes per slot).
  stream      partial_fit over a synthetic stream on 2**31 columns with ~10M distinct columns:
              state bytes and RSS as the distinct columns grow.
  speed       one epoch on the 1M x 2**20 CTR set, sparse vs dense store, interleaved medians.
  inclusion   Poisson and Bloom inclusion on the 1M x 2**24 CTR set (80/20 split): columns held,
              state bytes and test log loss against no inclusion.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SLOT_BYTES = 24  # key + z + n, per column held in the sparse store


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(task, args, in_process=False):
    """Run one measurement in a fresh interpreter (``in_process``: in this one, where peak
    RSS is this process's); return its JSON answer."""
    if in_process:
        return json.loads(json.dumps(CHILDREN[task](args)))
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, "--child-args", json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# ------------------------------------------------------------------------- children
def child_california(a):
    before_imports = peak_rss()
    from sparsereg import SparseFTRLRegressor
    from sparsereg.demo import load, make_hasher

    X, y = load("train")
    Xt = make_hasher().fit_transform(X)
    before_fit = peak_rss()
    model = SparseFTRLRegressor(
        alpha=3e-5, eta0=0.5, max_iter=a["epochs"], tol=None, random_state=0, state_store=a["store"]
    ).fit(Xt, y)
    report = model.sparsity_report()
    return {
        "peak_rss": peak_rss(),
        "rss_before_fit": before_fit,
        "rss_at_start": before_imports,
        "state_bytes": report.state_bytes,
        "touched": int(report.touched[0]),
        "nnz": int(model.count_nonzero()[0]),
    }


def child_stream(a):
    import scipy.sparse as sp

    from sparsereg import SparseFTRLClassifier

    rng = np.random.default_rng(0)
    width, per_row, batch = 2**31, a["per_row"], a["batch"]
    clf = SparseFTRLClassifier(penalty_scale="sum", alpha=1.0, shuffle=False)
    rows = []
    seen = 0
    for b in range(a["batches"]):
        # heavy tail: half the entries from 1,000 popular columns, half from the whole 2**31 range
        popular = rng.integers(0, 1000, size=batch * per_row // 2)
        rare = rng.integers(0, width, size=batch * per_row - popular.size)
        cols = np.concatenate([popular, rare])
        rng.shuffle(cols)
        X = sp.csr_matrix(
            (np.ones(cols.size), cols.astype(np.int32), np.arange(0, cols.size + 1, per_row)),
            shape=(batch, width),
        )
        y = rng.integers(0, 2, size=batch)
        clf.partial_fit(X, y, classes=[0, 1])
        seen += batch
        if (b + 1) % a["every"] == 0:
            # FTRLState's own read API: get_ftrl_state() would copy ~10M columns mid-measurement
            rows.append(
                {
                    "rows": seen,
                    "columns_held": clf._state.n_held(0),
                    "state_bytes": clf._state.nbytes,
                    "peak_rss": peak_rss(),
                }
            )
    return {"rows": rows}


def child_speed(a):
    from _synthetic import load_ctr

    from sparsereg import SparseFTRLClassifier

    X, y, _ = load_ctr(a["rows"], 2 ** a["log2"])
    times = {"dense": [], "sparse": []}
    for _ in range(a["reps"]):
        for store in ["dense", "sparse"]:
            est = SparseFTRLClassifier(max_iter=1, tol=None, shuffle=False, state_store=store)
            t0 = time.perf_counter()
            est.fit(X, y)
            times[store].append(time.perf_counter() - t0)
    return {k: v for k, v in times.items()} | {"nnz": int(X.nnz)}


def child_inclusion(a):
    from _synthetic import load_ctr
    from sklearn.metrics import log_loss, roc_auc_score

    from sparsereg import SparseFTRLClassifier

    X, y, _ = load_ctr(a["rows"], 2 ** a["log2"])
    cut = int(0.8 * X.shape[0])
    est = SparseFTRLClassifier(
        inclusion=a["inclusion"],
        inclusion_p=a.get("p", 0.03),
        inclusion_count=a.get("n", 2),
        bloom_size=a["bloom_size"],
        state_store="sparse",
        penalty_scale="sum",
        alpha=1.0,
        max_iter=1,
        tol=None,
        shuffle=False,
        random_state=0,
    )
    est.fit(X[:cut], y[:cut])
    proba = est.predict_proba(X[cut:])[:, 1]
    state = est.get_ftrl_state()
    return {
        "columns_held": int(state["held"].sum()),
        "state_bytes": est.sparsity_report().state_bytes,
        "bloom_bytes": int(state["bloom"].nbytes),
        "log_loss": float(log_loss(y[cut:], proba)),
        "auc": float(roc_auc_score(y[cut:], proba)),
        "nnz": int(est.count_nonzero()[0]),
    }


CHILDREN = {
    "california": child_california,
    "stream": child_stream,
    "speed": child_speed,
    "inclusion": child_inclusion,
}


# ------------------------------------------------------------------------- reports
def mib(n):
    return f"{n / 2**20:,.1f} MiB"


def report_california(quick):
    print("\n## California housing, one-minute lat x long cross in 2**28 columns")
    print(
        f"{'store':<7} {'process peak RSS':>17} {'RSS before fit':>15} {'fit adds':>10} "
        f"{'state':>11} {'touched':>8} {'state / (touched x 24 B)':>25}"
    )
    results = {}
    for store in ["sparse"] if quick else ["sparse", "dense"]:
        r = child("california", {"store": store, "epochs": 2 if quick else 40}, quick)
        results[store] = r | {
            "state_per_touched_slot": r["state_bytes"] / (r["touched"] * SLOT_BYTES)
        }
        ratio = r["state_bytes"] / (r["touched"] * SLOT_BYTES)
        print(
            f"{store:<7} {mib(r['peak_rss']):>17} {mib(r['rss_before_fit']):>15} "
            f"{mib(r['peak_rss'] - r['rss_before_fit']):>10} {mib(r['state_bytes']):>11} "
            f"{r['touched']:>8,} {ratio:>25.2f}"
        )
    print("(dense: np.zeros maps 4 GiB of state lazily; RSS counts only the pages touched)")
    return results


def report_stream(quick):
    args = {
        "per_row": 10,
        "batch": 2_000 if quick else 100_000,
        "batches": 3 if quick else 20,
        "every": 1 if quick else 4,
    }
    print(
        f"\n## partial_fit stream over 2**31 columns ({args['batch']:,}-row batches, "
        f"{args['per_row']} non-zeros per row, half from 1,000 popular columns)"
    )
    r = child("stream", args, quick)
    print(
        f"{'rows seen':>10} {'columns held':>13} {'state':>11} {'bytes / column':>15} {'peak RSS':>11}"
    )
    for row in r["rows"]:
        print(
            f"{row['rows']:>10,} {row['columns_held']:>13,} {mib(row['state_bytes']):>11} "
            f"{row['state_bytes'] / row['columns_held']:>15.1f} {mib(row['peak_rss']):>11}"
        )
    return r["rows"]


def report_speed(quick):
    args = {
        "rows": 2_000 if quick else 1_000_000,
        "log2": 12 if quick else 20,
        "reps": 1 if quick else 5,
    }
    r = child("speed", args, quick)
    d, s = np.median(r["dense"]), np.median(r["sparse"])
    print(
        f"\n## one epoch, {args['rows']:,} rows x 2**{args['log2']} ({r['nnz']:,} non-zeros), "
        f"median of {args['reps']}, interleaved"
    )
    print(
        f"dense store {d:.3f} s ({r['nnz'] / d / 1e6:.1f} M nnz/s), sparse store {s:.3f} s "
        f"({r['nnz'] / s / 1e6:.1f} M nnz/s): sparse / dense = {s / d:.2f}"
    )
    return {"dense": d, "sparse": s}


def report_inclusion(quick):
    base = {
        "rows": 2_000 if quick else 1_000_000,
        "log2": 12 if quick else 24,
        "bloom_size": 2**14 if quick else 2**24,
    }
    variants = [("none", {"inclusion": None})]
    ps = [0.03] if quick else [0.01, 0.03, 0.1, 0.3]
    ns = [2] if quick else [2, 3, 5, 10]
    variants += [(f"poisson p={p}", {"inclusion": "poisson", "p": p}) for p in ps]
    variants += [(f"bloom n={n}", {"inclusion": "bloom", "n": n}) for n in ns]
    print(
        f"\n## probabilistic inclusion, {base['rows']:,}-row CTR set over 2**{base['log2']} "
        "columns (first 80 % train, last 20 % test; one epoch, lambda1 = 1; Bloom filter of "
        f"{base['bloom_size']:,} one-byte counters)"
    )
    print(
        f"{'inclusion':<15} {'columns held':>13} {'fewer':>7} {'state':>11} {'RAM saved':>10} "
        f"{'test log loss':>14} {'vs none':>8} {'AUC':>7}"
    )
    ref = None
    results = {}
    for name, extra in variants:
        r = results[name] = child("inclusion", base | extra, quick)
        # the Bloom filter's counters are part of the state; count them against the saving
        ref = ref or r
        saved = 1 - r["state_bytes"] / ref["state_bytes"]
        fewer = 1 - r["columns_held"] / ref["columns_held"]
        print(
            f"{name:<15} {r['columns_held']:>13,} {100 * fewer:>6.1f}% {mib(r['state_bytes']):>11} "
            f"{100 * saved:>9.1f}% "
            f"{r['log_loss']:>14.5f} {100 * (r['log_loss'] / ref['log_loss'] - 1):>+7.2f}% "
            f"{r['auc']:>7.4f}"
        )
    print(
        "(state: table keys and (z, n) slots, kept at most half full and grown by doubling, so it "
        "moves in steps; plus the Bloom counters)"
    )
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick", action="store_true", help="tiny sizes, in this process: measures no memory"
    )
    ap.add_argument("--only", default="california,stream,speed,inclusion")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-args", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(CHILDREN[a.child](json.loads(a.child_args))))
        return
    reports = {
        "california": report_california,
        "stream": report_stream,
        "speed": report_speed,
        "inclusion": report_inclusion,
    }
    if a.quick:
        print("# --quick: tiny sizes, measured in this process: the RSS figures mean nothing")
    return {name: reports[name](a.quick) for name in a.only.split(",")}


if __name__ == "__main__":
    main()
