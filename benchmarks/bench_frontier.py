"""The sparsity-accuracy frontier: non-zero weights against test log loss (and AUC).

McMahan et al. (2013, Table 1) report that FTRL-Proximal reaches a given accuracy with far fewer
non-zero weights than online gradient descent with L1. This script sweeps the regularisation
strength of each method on the same train/test arrays and compares the frontiers:

  sparsereg sum    SparseFTRLClassifier(penalty='l1', penalty_scale='sum'): the paper's constant
                   lambda1 = alpha (absolute), beta=1, each eta0 of --eta0 (the frontier is the
                   envelope over them: eta0 is FTRL's one learning-rate knob);
  sparsereg mean   the same with penalty_scale='mean' (lambda1 = alpha * t, scikit-learn's alpha);
  SGD l1, SGD en   SGDClassifier(loss='log_loss', penalty='l1' / 'elasticnet' (l1_ratio=0.15)),
                   the default 'optimal' learning rate (what users pick), sweeping alpha;
  batch L1         LogisticRegression(l1_ratio=1, solver='liblinear'), sweeping C: the exact
                   optimum of the L1-penalised objective (a lower envelope, not an online method).

The online methods all make the same number of passes (--epochs, default "1,5"), rows shuffled
with random_state=0. Data sets: a9a (a9a / a9a.t), SMS spam hashed with HashingVectorizer at
2**18 columns (70/30 stratified split, seed 0), and the synthetic CTR set (first --ctr-rows rows
of the 1M x 2**20 set for training, its last 100k rows for testing). a9a and SMS spam come from
sparsereg.datasets (downloaded if neither in $SPARSEREG_DATA nor in the cache).

At each target test log loss (the batch optimum's best loss x 1.01, 1.02, 1.05, 1.10) the table
gives the non-zeros each method needs, read off its lower frontier (interpolated linearly in
log(non-zeros) between neighbouring frontier points), and "+%": how many more than sparsereg
(the better of its two scalings at that epoch count), as in the paper's table.

    python benchmarks/bench_frontier.py [--datasets a9a,sms,ctr] [--epochs 1,5] [--png F] [--quick]
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
LEVELS = (1.01, 1.02, 1.05, 1.10)


def load(name, quick, ctr_rows):
    if name == "a9a":
        from sparsereg.datasets import fetch_a9a

        # CSR with int32 indices, which SGDClassifier needs
        Xtr, ytr = fetch_a9a(subset="train", return_X_y=True)
        Xte, yte = fetch_a9a(subset="test", return_X_y=True)
        ytr, yte = (ytr > 0).astype(int), (yte > 0).astype(int)
        if quick:
            Xtr, ytr, Xte, yte = Xtr[:2000], ytr[:2000], Xte[:1000], yte[:1000]
        return Xtr, ytr, Xte, yte
    if name == "sms":
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.model_selection import train_test_split

        from sparsereg.datasets import fetch_sms_spam

        texts, labels = fetch_sms_spam(return_X_y=True)
        y = (labels == "spam").astype(int)
        X = HashingVectorizer(n_features=2**18).transform(texts)
        if quick:
            X, y = X[:1500], y[:1500]
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
        return Xtr.tocsr(), ytr, Xte.tocsr(), yte
    from _synthetic import load_ctr

    X, y, _ = load_ctr(2000, 2**12) if quick else load_ctr(1_000_000, 2**20)
    n_test = X.shape[0] // 10
    rows = X.shape[0] - n_test if quick else ctr_rows
    return X[:rows], y[:rows].astype(int), X[-n_test:], y[-n_test:].astype(int)


def grids(name, n_train, quick):
    """Regularisation grids: wide enough that every method spans dense to nearly empty."""
    k = 3 if quick else 13
    return {
        "sparsereg sum": np.logspace(-2, 2.5, k) if name != "ctr" else np.logspace(-0.5, 3.5, k),
        "sparsereg mean": np.logspace(-7, -2.5, k),
        "SGD l1": np.logspace(-7, -2.5, k),
        "SGD en": np.logspace(-7, -2, k),
        "batch L1": (
            np.logspace(-2, 0, k)
            if quick
            else np.logspace(-3, 1.5, k)
            if name != "ctr"
            else np.logspace(-3.5, 0, k)
        ),
    }


def make(method, reg, epochs, eta0):
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    from sparsereg import SparseFTRLClassifier

    if method.startswith("sparsereg"):
        return SparseFTRLClassifier(
            penalty="l1",
            alpha=reg,
            penalty_scale=method.split()[1],
            eta0=eta0,
            beta=1.0,
            max_iter=epochs,
            tol=None,
            shuffle=True,
            random_state=0,
        )
    if method.startswith("SGD"):
        return SGDClassifier(
            loss="log_loss",
            penalty="l1" if method == "SGD l1" else "elasticnet",
            alpha=reg,
            max_iter=epochs,
            tol=None,
            shuffle=True,
            random_state=0,
        )
    return LogisticRegression(l1_ratio=1.0, C=reg, solver="liblinear", max_iter=1000)


def evaluate(est, Xte, yte):
    from sklearn.metrics import log_loss, roc_auc_score

    p = est.predict_proba(Xte)[:, 1]
    return float(log_loss(yte, p, labels=[0, 1])), float(roc_auc_score(yte, p))


def frontier(points):
    """Lower-left Pareto frontier of (nnz, loss): nnz ascending, loss strictly decreasing."""
    out = []
    for nnz, loss in sorted(points):
        if not out or loss < out[-1][1]:
            out.append((nnz, loss))
    return out


def nnz_at(points, level):
    """Non-zeros needed to reach test loss <= level on the frontier, interpolated in log nnz."""
    f = frontier([(max(n, 1), loss) for n, loss in points])
    for i, (n, loss) in enumerate(f):
        if loss <= level:
            if i == 0:
                return float(n)
            (n0, l0) = f[i - 1]
            frac = (l0 - level) / (l0 - loss)
            return float(np.exp(np.log(n0) + frac * (np.log(n) - np.log(n0))))
    return None


def run(name, a):
    Xtr, ytr, Xte, yte = load(name, a.quick, a.ctr_rows)
    print(
        f"\n## {name}: train {Xtr.shape[0]:,} x {Xtr.shape[1]:,} ({Xtr.nnz:,} non-zeros), "
        f"test {Xte.shape[0]:,}"
    )
    results = []
    from sklearn.exceptions import ConvergenceWarning

    for method, regs in grids(name, Xtr.shape[0], a.quick).items():
        for epochs in [None] if method == "batch L1" else a.epochs:
            for reg, eta0 in (
                (r, e) for r in regs for e in (a.eta0 if method.startswith("sparsereg") else [None])
            ):
                est = make(method, float(reg), epochs, eta0)
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    est.fit(Xtr, ytr)
                seconds = time.perf_counter() - t0
                loss, auc = evaluate(est, Xte, yte)
                nnz = int(np.count_nonzero(est.coef_))
                results.append(
                    {
                        "method": method,
                        "epochs": epochs,
                        "reg": float(reg),
                        "nnz": nnz,
                        "log_loss": loss,
                        "auc": auc,
                        "seconds": seconds,
                        "eta0": eta0,
                    }
                )
    return {"name": name, "shape": list(Xtr.shape), "results": results}


def summarise(res):
    rs = res["results"]
    batch = [r for r in rs if r["method"] == "batch L1"]
    best = min(r["log_loss"] for r in batch)
    lines = [
        f"best test log loss of the batch L1 optimum: {best:.4f} "
        f"(at {min(batch, key=lambda r: r['log_loss'])['nnz']:,} non-zeros)"
    ]
    header = (
        "| method | epochs | " + " | ".join(f"loss <= {best * f:.4f} (x{f})" for f in LEVELS) + " |"
    )
    lines += [header, "|---|---:|" + "---:|" * len(LEVELS)]
    curves = sorted({(r["method"], r["epochs"] or 0) for r in rs}, key=lambda c: (c[1], c[0]))
    need = {
        c: [
            nnz_at(
                [(r["nnz"], r["log_loss"]) for r in rs if (r["method"], r["epochs"] or 0) == c],
                best * f,
            )
            for f in LEVELS
        ]
        for c in curves
    }
    summary = {}
    for method, epochs in curves:
        ref = (
            [
                min([v for v in vals if v is not None], default=None)
                for vals in zip(
                    need.get(("sparsereg sum", epochs), [None] * len(LEVELS)),
                    need.get(("sparsereg mean", epochs), [None] * len(LEVELS)),
                )
            ]
            if epochs
            else [None] * 4
        )
        cells = []
        for v, r in zip(need[(method, epochs)], ref):
            if v is None:
                cells.append("not reached")
            elif r and not method.startswith("sparsereg"):
                cells.append(f"{v:,.0f} ({100 * (v / r - 1):+.0f} %)")
            else:
                cells.append(f"{v:,.0f}")
        lines.append(f"| {method} | {epochs or 'batch'} | " + " | ".join(cells) + " |")
        summary[f"{method} / {epochs or 'batch'}"] = need[(method, epochs)]
    res["levels"] = [best * f for f in LEVELS]
    res["needed"] = summary
    return "\n".join(lines)


def plot(all_res, png):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {
        "sparsereg sum": "tab:blue",
        "sparsereg mean": "tab:cyan",
        "SGD l1": "tab:orange",
        "SGD en": "tab:red",
        "batch L1": "black",
    }
    fig, axes = plt.subplots(2, len(all_res), figsize=(5 * len(all_res), 8), squeeze=False)
    for j, res in enumerate(all_res):
        rs = res["results"]
        curves = sorted({(r["method"], r["epochs"] or 0) for r in rs}, key=lambda c: (c[1], c[0]))
        for i, metric in enumerate(["log_loss", "auc"]):
            ax = axes[i, j]
            for method, epochs in curves:
                pts = sorted(
                    (max(r["nnz"], 1), r[metric])
                    for r in rs
                    if (r["method"], r["epochs"] or 0) == (method, epochs)
                )
                # the lower (log loss) / upper (AUC) envelope, so that each curve reads as a frontier
                sign = 1 if metric == "log_loss" else -1
                env = frontier([(n, sign * v) for n, v in pts])
                style = "-" if epochs in (0, 1) else "--"
                label = f"{method}, {'batch' if not epochs else f'{epochs} ep'}"
                ax.plot(
                    [p[0] for p in pts], [p[1] for p in pts], ".", color=colors[method], alpha=0.35
                )
                ax.plot(
                    [n for n, _ in env],
                    [sign * v for _, v in env],
                    style,
                    marker="o",
                    ms=3,
                    color=colors[method],
                    label=label,
                )
            ax.set_xscale("log")
            ax.set_xlabel("non-zero weights")
            ax.set_ylabel("test log loss" if metric == "log_loss" else "test AUC")
            if metric == "log_loss":
                best = min(r["log_loss"] for r in rs if r["method"] == "batch L1")
                ax.set_ylim(best * 0.98, best * 1.35)
                ax.axhline(best * 1.02, color="gray", lw=0.6, ls=":")
            else:
                top = max(r["auc"] for r in rs)
                ax.set_ylim(top - 0.08, top + 0.005)
            ax.set_title(f"{res['name']} ({res['shape'][0]:,} x {res['shape'][1]:,})", fontsize=10)
            ax.grid(alpha=0.3)
        axes[0, j].legend(fontsize=7, loc="upper right")
    fig.suptitle(
        "Sparsity vs accuracy (lower-left is better for log loss; dotted: batch best x 1.02)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    print(f"wrote {png}")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--datasets", default="a9a,sms,ctr")
    ap.add_argument(
        "--epochs", default="1,5", help="comma list of epoch counts for the online methods"
    )
    ap.add_argument(
        "--eta0", default="0.1,0.5,2", help="sparsereg's learning-rate scales (comma list)"
    )
    ap.add_argument("--ctr-rows", type=int, default=200_000)
    ap.add_argument("--png", help="default benchmarks/frontier.png (none with --quick)")
    ap.add_argument("--json-out")
    ap.add_argument("--quick", action="store_true", help="tiny subsets, 3-point grids, 1 epoch")
    a = ap.parse_args(argv)
    a.epochs = [int(e) for e in a.epochs.split(",")]
    a.eta0 = [float(e) for e in a.eta0.split(",")]
    if a.quick:
        a.epochs, a.eta0 = [1], a.eta0[:1]
    elif a.png is None:
        a.png = str(HERE / "frontier.png")
    all_res = []
    for name in a.datasets.split(","):
        res = run(name, a)
        print(summarise(res))
        all_res.append(res)
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(all_res, indent=1))
    if all_res and a.png:
        plot(all_res, a.png)
    return all_res


if __name__ == "__main__":
    main()
