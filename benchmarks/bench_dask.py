"""Data-parallel FTRL: what mixing the states of shards costs against one sequential run.

    python benchmarks/bench_dask.py [--rows 1000000] [--log2-features 20] [--quick]
        [--shards 2,4,8,16,64] [--no-cluster]

On the synthetic CTR set (``_synthetic.load_ctr``; the last 20 % of rows held out), the
estimator of ``bench_epoch.py`` (logistic, absolute lambda1 = lambda2 = 1, rows in order):

1. simulation: the training rows cut into k contiguous shards, a copy per shard trained from
   the mixed state, the copies merged with ``merge_ftrl_states`` after every pass (what
   ``DaskSparseFTRLClassifier`` does with k workers), for each k of ``--shards``: held-out log
   loss and non-zero weights against the sequential run after 1 and 3 passes, and the bytes
   of the states that travel per mixing (k copies' states in, one merged state out), at
   2**log2 columns and with the same rows spread over 2**28 columns (an odd multiplier of the
   column index: a bijection, so the model is the same up to relabelling);
2. unless ``--no-cluster``: ``DaskSparseFTRLClassifier`` on a 2-worker ``LocalCluster``
   (each worker loads its partitions from the cached arrays), wall time of ``fit`` against the
   sequential in-process ``fit``, and its held-out log loss and non-zeros.
"""

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _synthetic import load_ctr  # noqa: E402
from bench_epoch import sparsereg_estimator  # noqa: E402

WIDE = 2**28
SPREAD = 2654435761  # odd: column -> column * SPREAD mod 2**28 is a bijection


def log_loss(estimator, X, y):
    from sklearn.metrics import log_loss as score

    return float(score(y, estimator.predict_proba(X)[:, 1], labels=[0, 1]))


def state_bytes(state):
    return int(sum(np.asarray(a).nbytes for a in state.values()))


def simulate(X, y, n_shards, passes, estimator):
    """The mixing of ``DaskSparseFTRLClassifier`` with ``n_shards`` workers, in one process."""
    from sklearn.base import clone

    from sparsereg import merge_ftrl_states

    bounds = np.linspace(0, X.shape[0], n_shards + 1).astype(int)
    state, moved = None, []
    for _ in range(passes):
        copies = []
        for lo, hi in zip(bounds, bounds[1:]):
            copy = clone(estimator)
            if state is not None:
                copy.set_ftrl_state(state)
            copy.partial_fit(X[lo:hi], y[lo:hi], classes=[0, 1])
            copies.append((copy.get_ftrl_state(), hi - lo))
        merged = merge_ftrl_states(
            [s for s, _ in copies], weights=[r for _, r in copies], base=state
        )
        moved.append(sum(state_bytes(s) for s, _ in copies) + state_bytes(merged))
        state = merged
    return clone(estimator).set_ftrl_state(state), int(np.median(moved))


def widen(X):
    columns = (X.indices.astype(np.int64) * SPREAD) % WIDE
    wide = sp.csr_matrix((X.data, columns, X.indptr.astype(np.int64)), shape=(X.shape[0], WIDE))
    wide.sort_indices()
    return wide


def _partition(folder, n_features, lo, hi):
    data, indices, indptr, y = (
        np.load(folder / f"{n}.npy", mmap_mode="r") for n in ["data", "indices", "indptr", "y"]
    )
    start, end = int(indptr[lo]), int(indptr[hi])
    X = sp.csr_matrix(
        (
            np.array(data[start:end]),
            np.array(indices[start:end]),
            np.array(indptr[lo : hi + 1]) - start,
        ),
        shape=(hi - lo, n_features),
    )
    return X, np.array(y[lo:hi])


def cluster_run(folder, n_features, n_train, X_test, y_test, passes, n_partitions, processes=True):
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    from sparsereg.dask import DaskSparseFTRLClassifier

    bounds = np.linspace(0, n_train, n_partitions + 1).astype(int)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        parts = [
            dask.delayed(_partition)(folder, n_features, lo, hi)
            for lo, hi in zip(bounds, bounds[1:])
        ]
        dX = da.concatenate(
            [
                da.from_delayed(
                    p[0],
                    shape=(hi - lo, n_features),
                    dtype=np.float64,
                    meta=sp.csr_matrix((0, n_features)),
                )
                for p, lo, hi in zip(parts, bounds, bounds[1:])
            ]
        )
        dy = da.concatenate(
            [
                da.from_delayed(p[1], shape=(hi - lo,), dtype=np.float64)
                for p, lo, hi in zip(parts, bounds, bounds[1:])
            ]
        )
        dX, dy = dX.persist(), dy.persist()  # read once, where the partitions will stay
        client.run(lambda: __import__("sparsereg.linear_model"))  # imports outside the timer
        params = sparsereg_estimator().get_params()
        params["max_iter"] = passes
        model = DaskSparseFTRLClassifier(client=client, **params)
        start = time.perf_counter()
        model.fit(dX, dy, classes=[0.0, 1.0])
        seconds = time.perf_counter() - start
        local = model.to_local()
    return seconds, log_loss(local, X_test, y_test), int(local.count_nonzero()[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--log2-features", type=int, default=20)
    parser.add_argument(
        "--shards",
        default="2,4,8,16,64",
        help="shard counts to simulate (the first also measures 2**28 columns)",
    )
    parser.add_argument("--no-cluster", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="cluster fits (median)")
    parser.add_argument(
        "--quick", action="store_true", help="20,000 rows, 2 and 4 shards, workers as threads"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.log2_features, args.shards = 20_000, 14, "2,4"
    shard_counts = [int(k) for k in args.shards.split(",")]
    n_features = 2**args.log2_features
    X, y, folder = load_ctr(args.rows, n_features)
    n_train = int(0.8 * X.shape[0])
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    print(
        f"# CTR synthetic, {n_train:,} training rows x 2**{args.log2_features} "
        f"({X_train.nnz:,} non-zeros), {X.shape[0] - n_train:,} held out; logistic, "
        f"absolute lambda1 = lambda2 = 1; {platform.processor() or platform.machine()}"
    )
    results = {"sequential": {}, "shards": {}}
    for passes in (1, 3):
        seq = sparsereg_estimator(max_iter=passes)
        start = time.perf_counter()
        seq.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        results["sequential"][passes] = {
            "log_loss": log_loss(seq, X_test, y_test),
            "nonzero": int(seq.count_nonzero()[0]),
            "seconds": seconds,
        }
    print("\n## simulation: k shards mixed after every pass, against one sequential run")
    print(
        f"{'shards':>6} {'passes':>6} {'log loss':>9} {'/ seq':>7} {'non-zeros':>10} {'/ seq':>6} "
        f"{'MiB moved per mixing':>21}"
    )
    for passes in (1, 3):
        ref = results["sequential"][passes]
        print(
            f"{'1':>6} {passes:>6} {ref['log_loss']:9.5f} {1:7.4f} {ref['nonzero']:>10,} "
            f"{1:6.3f} {'-':>21}"
        )
        for k in shard_counts:
            model, moved = simulate(X_train, y_train, k, passes, sparsereg_estimator())
            row = {
                "log_loss": log_loss(model, X_test, y_test),
                "nonzero": int(model.count_nonzero()[0]),
                "bytes_moved": moved,
            }
            results["shards"][(k, passes)] = row
            print(
                f"{k:>6} {passes:>6} {row['log_loss']:9.5f} {row['log_loss'] / ref['log_loss']:7.4f} "
                f"{row['nonzero']:>10,} {row['nonzero'] / ref['nonzero']:6.3f} "
                f"{moved / 2**20:21.1f}"
            )
    k = shard_counts[0]
    wide_estimator = sparsereg_estimator()
    wide_estimator.set_params(state_store="sparse")
    _, moved_wide = simulate(widen(X_train), y_train, k, 1, wide_estimator)
    moved_narrow = results["shards"][(k, 1)]["bytes_moved"]
    results["bytes_moved_wide"] = moved_wide
    print(
        f"\n## bytes moved per mixing, {k} shards, one pass: 2**{args.log2_features} columns "
        f"{moved_narrow / 2**20:.1f} MiB, the same rows over 2**28 columns "
        f"{moved_wide / 2**20:.1f} MiB (ratio {moved_wide / moved_narrow:.2f}; the width grew "
        f"{WIDE / n_features:,.0f}x)"
    )
    if not args.no_cluster:
        print(
            "\n## DaskSparseFTRLClassifier, 2-worker LocalCluster, 3 passes, mixed every pass "
            "(median fit time of --repeats fresh clusters)"
        )
        runs = [
            # --quick: worker threads, not processes (a worker process starts in ~2 s and
            # imports scikit-learn and sparsereg in ~5 s: most of a smoke test's time)
            cluster_run(
                folder,
                n_features,
                n_train,
                X_test,
                y_test,
                3,
                8 if not args.quick else 4,
                processes=not args.quick,
            )
            for _ in range(1 if args.quick else args.repeats)
        ]
        seconds = float(np.median([r[0] for r in runs]))
        _, loss, nonzero = runs[0]
        ref = results["sequential"][3]
        results["cluster"] = {"seconds": seconds, "log_loss": loss, "nonzero": nonzero}
        print(
            f"fit {seconds:.2f} s (sequential in-process fit {ref['seconds']:.2f} s, ratio "
            f"{seconds / ref['seconds']:.2f}); log loss {loss:.5f} "
            f"({loss / ref['log_loss']:.4f} of sequential); non-zeros {nonzero:,} "
            f"({nonzero / ref['nonzero']:.3f} of sequential)"
        )
    two = results["shards"].get((2, 3))
    if two:
        print(
            "\nissue #13 goals (2 shards, 3 passes): log loss ratio "
            f"{two['log_loss'] / results['sequential'][3]['log_loss']:.4f} (goal <= 1.005), "
            f"non-zeros ratio {two['nonzero'] / results['sequential'][3]['nonzero']:.3f} "
            "(goal <= 1.1)"
        )
    return results


if __name__ == "__main__":
    main()
