"""
=====================================================================
L1 removes weights, L2 only shrinks them: one spam filter, both ways
=====================================================================

SMS Spam Collection (5,574 messages, ``label<TAB>text``), words and word pairs hashed
into 2**18 columns by ``HashingVectorizer``, a ``SparseFTRLClassifier`` trained with
``partial_fit`` in batches of 250 messages for 5 passes, once with ``penalty='l1'`` and
once with ``penalty='l2'``, at comparable test accuracy. It draws the weights of the
columns that occur in training (L2: tens of thousands of small non-zeros; L1: most of
them exactly 0) and the non-zero count after every batch, and prints what each model
costs to ship (``sparsereg.sparsity``, ``sparsereg.export``).

Run from the repository root::

    python examples/l1_vs_l2.py [--out examples/l1_vs_l2.png] [--data-home DIR]

(``--out -`` draws the figure without writing it, as the documentation build does.)
The data come from ``sparsereg.datasets.fetch_sms_spam``: from ``--data-home``, or else the
folder named by ``SPARSEREG_DATA`` or the download cache, downloaded there if missing.
"""

import argparse
import io
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

from sparsereg import SparseFTRLClassifier
from sparsereg.datasets import fetch_sms_spam
from sparsereg.export import export_model, export_sizes, load_model
from sparsereg.sparsity import sparsity_report

N_FEATURES = 2**18
CLASSES = np.array(["ham", "spam"])
COLORS = {"l1": "#1f77b4", "l2": "#ff7f0e"}


def train(X, y, penalty, alpha, *, eta0, epochs, batch, seed):
    """partial_fit in shuffled batches; returns the model and (t, non-zeros) per batch."""
    clf = SparseFTRLClassifier(penalty=penalty, alpha=alpha, eta0=eta0, random_state=seed)
    rng = np.random.RandomState(seed)
    trace = [(0, 0)]
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch):
            rows = order[start : start + batch]
            clf.partial_fit(X[rows], y[rows], classes=CLASSES)
            trace.append((clf.t_, int(clf.count_nonzero()[0])))
    return clf, np.array(trace)


def columns_seen_over_time(X, epochs, batch, seed):
    """Distinct columns seen after each batch, in the order train() visits them."""
    rng = np.random.RandomState(seed)
    seen = np.zeros(X.shape[1], dtype=bool)
    counts = [0]
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch):
            seen[X[order[start : start + batch]].indices] = True
            counts.append(int(seen.sum()))
    return np.array(counts)


def weight_histogram(ax, weights, linthresh):
    """Histogram of weights on a symlog axis, with the exact zeros as one bar at 0."""
    edges = np.logspace(np.log10(linthresh), np.log10(30.0), 36)
    edges = np.concatenate([-edges[::-1], edges])
    for penalty, w in weights.items():
        nonzero = w[w != 0]
        # non-zeros smaller than linthresh are drawn in the innermost bins
        clipped = np.sign(nonzero) * np.maximum(np.abs(nonzero), linthresh * 1.0001)
        counts, _ = np.histogram(clipped, bins=edges)
        counts = np.where(np.abs(edges[:-1] + edges[1:]) < 1e-12, 0, counts)  # the gap at 0
        ax.stairs(
            counts,
            edges,
            color=COLORS[penalty],
            linewidth=1.8,
            label=f"{penalty.upper()}: {nonzero.size:,} non-zero",
        )
        n_zero = int(np.sum(w == 0))
        if n_zero:
            ax.bar(
                0.0,
                n_zero,
                width=1.2 * linthresh,
                color=COLORS[penalty],
                alpha=0.85,
                label=f"{penalty.upper()}: {n_zero:,} exactly 0",
            )
            ax.annotate(
                f"{n_zero:,} weights\nexactly 0 (L1)",
                (0.0, n_zero),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
                color=COLORS[penalty],
                fontweight="bold",
            )
    ax.set_xscale("symlog", linthresh=linthresh, linscale=0.6)
    ax.set_yscale("log")
    ax.set_ylim(0.8, 20 * max(len(w) for w in weights.values()))  # room for the labels
    ax.set_xlim(-30, 30)
    ax.set_xticks([-10, -1, -0.1, -0.01, 0, 0.01, 0.1, 1, 10])
    ax.set_xticklabels(["-10", "-1", "-0.1", "-0.01", "0", "0.01", "0.1", "1", "10"])
    ax.set_xlabel("weight (symmetric log scale)")
    ax.set_ylabel("number of columns (log scale)")


def positive_int(text):
    """An argparse type: --epochs 0 or --batch 0 failed after loading (NotFittedError, range())."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="L1 removes weights, L2 only shrinks them: one spam filter, both ways."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("examples") / "l1_vs_l2.png",
        help="PNG to write (default: examples/l1_vs_l2.png; '-': none)",
    )
    parser.add_argument(
        "--data-home",
        type=Path,
        default=None,
        help="folder holding sms_spam_collection/, or to download it to (default: "
        "$SPARSEREG_DATA, then scikit-learn's data home)",
    )
    parser.add_argument("--l1-alpha", type=float, default=1e-5)
    parser.add_argument("--l2-alpha", type=float, default=1e-6)
    parser.add_argument("--eta0", type=float, default=2.0)
    parser.add_argument("--epochs", type=positive_int, default=5)
    parser.add_argument("--batch", type=positive_int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if str(args.out) != "-" and (args.out.is_dir() or args.out.suffix.lower() != ".png"):
        # (a folder was written as <folder>.png, "wrote <folder>" printed)
        parser.error(f"--out {args.out}: give the path of a .png file to write.")

    texts, labels = fetch_sms_spam(data_home=args.data_home, return_X_y=True)
    start = time.perf_counter()
    train_rows, test_rows = train_test_split(
        np.arange(labels.size), test_size=0.25, random_state=args.seed, stratify=labels
    )
    vectorizer = HashingVectorizer(n_features=N_FEATURES, ngram_range=(1, 2), alternate_sign=False)
    X = vectorizer.transform(texts)
    X_train, y_train = X[train_rows], labels[train_rows]
    X_test, y_test = X[test_rows], labels[test_rows]
    seen = np.unique(X_train.indices)  # columns that occur in training

    models, traces, rows = {}, {}, []
    for penalty, alpha in [("l1", args.l1_alpha), ("l2", args.l2_alpha)]:
        clf, trace = train(
            X_train,
            y_train,
            penalty,
            alpha,
            eta0=args.eta0,
            epochs=args.epochs,
            batch=args.batch,
            seed=args.seed,
        )
        models[penalty], traces[penalty] = clf, trace
        report = sparsity_report(clf)
        exported = export_model(clf)
        buffer = io.BytesIO()
        exported.save(buffer)
        buffer.seek(0)
        served = load_model(buffer)  # what a server would load: no pickle, no training state
        assert np.array_equal(served.predict_proba(X_test), clf.predict_proba(X_test))
        sizes = export_sizes(clf, exported)
        rows.append(
            {
                "model": f"FTRL {penalty.upper()} (alpha={alpha:g})",
                "accuracy": accuracy_score(y_test, clf.predict(X_test)),
                "log loss": log_loss(y_test, clf.predict_proba(X_test), labels=CLASSES),
                "non-zero": report.n_nonzero,
                "coef dense": report.coef_dense_bytes,
                "coef CSR": report.coef_csr_bytes,
                "export .npz": sizes.export_file_bytes,
                "pickle": sizes.estimator_pickle_bytes,
            }
        )

    def kib(n):
        return f"{n / 1024:,.1f} KiB"

    header = (
        f"{'model':<24}{'test acc':>9}{'log loss':>10}{'non-zero':>10}{'coef dense':>13}"
        f"{'coef CSR':>12}{'export .npz':>13}{'pickled est.':>14}"
    )
    print(
        f"SMS spam, {labels.size:,} messages, {N_FEATURES:,} hashed columns "
        f"({seen.size:,} occur in the {train_rows.size:,} training messages), "
        f"{args.epochs} passes of partial_fit({args.batch} rows)"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['model']:<24}{100 * r['accuracy']:>8.2f}%{r['log loss']:>10.4f}"
            f"{r['non-zero']:>10,}{kib(r['coef dense']):>13}{kib(r['coef CSR']):>12}"
            f"{kib(r['export .npz']):>13}{kib(r['pickle']):>14}"
        )
    print()
    print(sparsity_report(models["l1"]))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.25, 1]}
    )
    weight_histogram(left, {p: models[p].coef_[0][seen] for p in ("l2", "l1")}, linthresh=1e-3)
    left.set_title(f"Weights of the {seen.size:,} columns seen in training")
    left.legend(loc="upper left", fontsize=9, frameon=False)

    seen_counts = columns_seen_over_time(X_train, args.epochs, args.batch, args.seed)
    t = traces["l1"][:, 0]
    for r, penalty in zip(rows, ("l1", "l2")):
        right.plot(
            traces[penalty][:, 0],
            traces[penalty][:, 1],
            color=COLORS[penalty],
            linewidth=2.4,
            label=f"{penalty.upper()}: {100 * r['accuracy']:.1f} % test accuracy",
        )
    right.plot(
        t,
        seen_counts,
        color="black",
        linestyle=(0, (2, 3)),
        linewidth=1.2,
        zorder=5,
        label="columns seen so far",
    )
    for epoch in range(1, args.epochs):
        right.axvline(epoch * train_rows.size, color="0.9", linewidth=0.8, zorder=0)
    right.set_xlabel(f"messages seen (partial_fit batches of {args.batch}; grey lines: passes)")
    right.set_ylabel("non-zero weights")
    right.set_title("Non-zero weights during training")
    right.set_xlim(0, t[-1])
    right.set_ylim(0, 1.12 * seen_counts[-1])
    for axis in (right.xaxis, right.yaxis):
        axis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    right.legend(loc="center right", fontsize=9, frameon=False)

    l1, l2 = rows
    fig.suptitle(
        f"Same spam filter, {l2['non-zero'] / l1['non-zero']:.0f}x fewer weights: "
        f"L1 sets weights to exactly 0, L2 only shrinks them\n"
        f"SMS Spam Collection, {N_FEATURES:,} hashed columns, FTRL-Proximal; "
        f"export to serve: L1 {kib(l1['export .npz'])}, L2 {kib(l2['export .npz'])} "
        f"(pickled estimator {kib(l1['pickle'])})",
        fontsize=12,
    )
    fig.tight_layout()
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.out, format="png", dpi=110)
        print(f"\nwrote {args.out} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    main()  # not sys.exit(main()): the documentation build runs this file in its own process
