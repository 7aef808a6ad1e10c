"""What 16-bit weights cost: test scores of float16 and q2.13 exports against float64.

    python benchmarks/bench_quantize.py [--quick] [--seeds 5] [--datasets a9a,sms,california]

Each model is trained once; `export_model(model, weights=...)` then stores its weights as
float64 (the reference), float16, and q2.13 (the paper's 16-bit fixed point with randomized
rounding, section 4.2; one export per `random_state` in `--seeds`, since the rounding is
random). The exported models score the test set:

- a9a (LIBSVM, a9a.t as test set): SparseFTRLClassifier with the defaults; log loss and AUC.
- SMS spam: HashingVectorizer (2**18 columns, 1-2 grams) and SparseFTRLClassifier (L1,
  alpha=1e-5, eta0=2, 5 epochs as in examples/l1_vs_l2.py), a stratified 25 % test split;
  log loss and AUC.
- California housing (the crash-course split): the demo's pipeline (latitude x longitude at one
  minute and other crosses hashed into 2**28 columns, SparseFTRLRegressor L1, target in $100k);
  RMSE. And "California $": the 8 numeric columns, a StandardScaler folded into the export
  and the target in dollars (SparseFTRLRegressor, eta0=1e4, 50 epochs), so weights far beyond
  q2.13's [-4, 4) (float16 would refuse weights beyond 65504); its columns' scales (~2 to
  ~2,200) differ too much for one q2.13 step per weight vector, which refuses the export.

Printed: the change of each score against float64 in % (goal: < 0.1 %), the largest change
of a prediction, and the bytes of the weights and of the whole .npz. No timing: no lock needed.
The data come from sparsereg.datasets (downloaded if not in $SPARSEREG_DATA or the cache).
"""

import argparse
import io
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor, export_model
from sparsereg.datasets import fetch_a9a, fetch_sms_spam, load_california_housing_mlcc

FORMATS = ("float64", "float16", "q2.13")


def a9a(quick):
    X, y = fetch_a9a(subset="train", return_X_y=True)
    Xt, yt = fetch_a9a(subset="test", return_X_y=True)
    if quick:
        X, y, Xt, yt = X[:3000], y[:3000], Xt[:2000], yt[:2000]
    model = SparseFTRLClassifier(max_iter=5 if quick else 1000, random_state=0)
    return model.fit(X, (y > 0).astype(int)), Xt, (yt > 0).astype(int), "classifier"


def sms(quick):
    texts, labels = fetch_sms_spam(return_X_y=True)
    if quick:
        texts, labels = texts[:1500], labels[:1500]
    train, test = train_test_split(
        np.arange(labels.size), test_size=0.25, random_state=0, stratify=labels
    )
    X = HashingVectorizer(n_features=2**18, ngram_range=(1, 2), alternate_sign=False).transform(
        texts
    )
    model = SparseFTRLClassifier(
        penalty="l1", alpha=1e-5, eta0=2.0, max_iter=5, tol=None, random_state=0
    )
    return model.fit(X[train], labels[train]), X[test], labels[test], "classifier"


def california(quick):
    from sparsereg import demo

    X, y = demo.load("train")
    Xt, yt = demo.load("test")
    if quick:
        X, y = X[:3000], y[:3000]
    model = make_pipeline(demo.make_hasher(), demo.make_model("l1"))
    if quick:
        model[-1].set_params(max_iter=5)
    return model.fit(X, y), Xt, yt, "regressor"


def california_dollars(quick):
    X, y = load_california_housing_mlcc(subset="train", return_X_y=True)
    Xt, yt = load_california_housing_mlcc(subset="test", return_X_y=True)
    if quick:
        X, y = X[:3000], y[:3000]
    # weights of ~1e5 dollars per standard deviation: a learning rate to match
    model = make_pipeline(
        StandardScaler(),
        SparseFTRLRegressor(alpha=1e-6, eta0=1e4, max_iter=5 if quick else 50, random_state=0),
    )
    return model.fit(X, y), Xt, yt, "regressor"


DATASETS = {
    "a9a": a9a,
    "sms": sms,
    "california": california,
    "california-dollars": california_dollars,
}
TITLES = {
    "a9a": "a9a",
    "sms": "SMS spam (hashed)",
    "california": "California (demo, $100k)",
    "california-dollars": "California $ (scaler folded)",
}


def scores(kind, exported, X, y):
    if kind == "classifier":
        proba = exported.predict_proba(X)
        positive = proba[:, 1]
        return {
            "log loss": log_loss(y, proba, labels=exported.classes_),
            "AUC": roc_auc_score(y == exported.classes_[1], positive),
        }, positive
    pred = exported.predict(X)
    return {"RMSE": float(np.sqrt(np.mean((pred - y) ** 2)))}, pred


def run(name, quick, seeds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model, X, y, kind = DATASETS[name](quick)
    results = []
    reference = None
    for fmt in FORMATS:
        for seed in seeds if fmt == "q2.13" else [0]:
            try:
                exported = export_model(model, weights=fmt, random_state=seed)
            except ValueError as exc:
                results.append({"format": fmt, "seed": seed, "refused": str(exc)})
                continue
            values, pred = scores(kind, exported, X, y)
            buffer = io.BytesIO()
            exported.save(buffer)
            buffer.seek(0)
            with np.load(buffer, allow_pickle=False) as npz:  # the weights as the file holds them
                weight_bytes = int(npz["coef_data"].nbytes)
            row = {
                "format": fmt,
                "seed": seed,
                "scores": values,
                "weight_bytes": weight_bytes,
                "file_bytes": exported.file_bytes(),
                "nonzero": int(exported.coef_.nnz),
                "scale": None
                if exported.weights_scale_ is None
                else float(exported.weights_scale_.max()),
                "pred": pred,
            }
            if fmt == "float64":
                reference = row
            results.append(row)
    reference_pred = reference["pred"]
    for row in results:
        if "scores" in row:
            row["change_pct"] = {
                k: 100 * (v / reference["scores"][k] - 1) for k, v in row["scores"].items()
            }
            row["max_pred_change"] = float(np.abs(row.pop("pred") - reference_pred).max())
    return {"dataset": name, "kind": kind, "rows": int(X.shape[0]), "results": results}


def print_table(result):
    print(f"\n## {TITLES[result['dataset']]} ({result['rows']:,} test rows)")
    print(
        f"{'weights':<16}{'score':<34}{'change vs float64':<28}{'max |pred diff|':>16}"
        f"{'weight bytes':>14}{'.npz bytes':>12}{'non-zero':>10}"
    )
    q_rows = [r for r in result["results"] if r["format"] == "q2.13" and "scores" in r]
    for row in result["results"]:
        label = row["format"] + (f" s{row['seed']}" if row["format"] == "q2.13" else "")
        if "refused" in row:
            print(f"{label:<16}refused: {row['refused'][:90]}")
            continue
        score = ", ".join(f"{k} {v:.6g}" for k, v in row["scores"].items())
        change = ", ".join(f"{v:+.4f} %" for v in row["change_pct"].values())
        print(
            f"{label:<16}{score:<34}{change:<28}{row['max_pred_change']:>16.3g}"
            f"{row['weight_bytes']:>14,}{row['file_bytes']:>12,}{row['nonzero']:>10,}"
            + (f"  (scale {row['scale']:g})" if row["scale"] not in (None, 1.0) else "")
        )
    if len(q_rows) > 1:
        worst = {k: max(abs(r["change_pct"][k]) for r in q_rows) for k in q_rows[0]["change_pct"]}
        print(
            f"q2.13 over {len(q_rows)} seeds, largest |change|: "
            + ", ".join(f"{k} {v:.4f} %" for k, v in worst.items())
        )


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="subsets and few epochs (for the tests)")
    ap.add_argument("--seeds", type=int, default=5, help="q2.13 exports (random_state 0..N-1)")
    ap.add_argument(
        "--datasets", default=",".join(DATASETS), help=f"comma-separated, of {sorted(DATASETS)}"
    )
    a = ap.parse_args(argv)
    names = [n for n in a.datasets.split(",") if n]
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        ap.error(f"unknown data sets {unknown}; known: {sorted(DATASETS)}")
    if a.seeds < 1:
        ap.error("--seeds must be at least 1")
    out = []
    for name in names:
        result = run(name, a.quick, list(range(a.seeds)))
        print_table(result)
        sys.stdout.flush()
        out.append(result)
    return out


if __name__ == "__main__":
    main()
