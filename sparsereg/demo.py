"""California housing on a one-minute latitude x longitude cross hashed into 2**28 columns.

    python -m sparsereg.demo [--out california_weights.png] [--no-plot]

Latitude and longitude are bucketed at one minute of arc and crossed: over the whole globe
that is ~10,800 x 21,600 cells, hashed here into 2**28 columns, of which the 17,000 training
block groups touch a few thousand. The same SparseFTRLRegressor is trained with L1 and with
L2 only: both reach a similar test RMSE, but L1 keeps far fewer weights, and the sparse
state store never allocates the 2**28-wide state. The data (the Google ML crash course split
of the 1990 census California housing set) ships with the package.
"""

import argparse
import os
import time

import numpy as np

from sparsereg import FeatureCrossHasher, SparseFTRLRegressor
from sparsereg._output_path import OutputPathError, check_output_path
from sparsereg.datasets import load_california_housing_mlcc
from sparsereg.sparsity import sparsity_report

N_FEATURES = 2**28
MINUTE = {"width": 1 / 60, "format": "deg"}
QUARTER_DEGREE = {"width": 0.25, "format": "deg"}
COLUMNS = [
    "latitude",
    "longitude",
    "latitude",
    "longitude",
    "median_income",
    "housing_median_age",
    "rooms_per_household",
]


def load(split):
    """``(features, target)`` of the bundled ``train`` or ``test`` split; target in $100k."""
    table, value = load_california_housing_mlcc(subset=split, return_X_y=True)
    longitude, latitude = table[:, 0], table[:, 1]
    rooms_per_household = table[:, 3] / table[:, 6]
    # columns 0-1 feed the one-minute cross, 2-3 a coarser cross that generalises between cells
    X = np.column_stack(
        [latitude, longitude, latitude, longitude, table[:, 7], table[:, 2], rooms_per_household]
    )
    return X, value / 1e5


def make_hasher():
    return FeatureCrossHasher(
        crosses=[(0, 1), (2, 3), 4, 5, 6, (4, 2)],
        buckets={
            0: MINUTE,
            1: MINUTE,
            2: QUARTER_DEGREE,
            3: QUARTER_DEGREE,
            4: [1, 2, 3, 4, 5, 6, 7, 8, 10],
            5: 10.0,
            6: [2, 3, 4, 5, 6, 7, 8],
        },
        n_features=N_FEATURES,
    )


def make_model(penalty):
    return SparseFTRLRegressor(
        penalty=penalty, alpha=3e-5, eta0=0.5, max_iter=40, tol=None, random_state=0
    )


def cell_weights(model, hasher, X):
    """Latitude, longitude and weight of each distinct one-minute cell of X."""
    cells = np.unique(np.floor(X[:, :2] * 60), axis=0)
    centres = (cells + 0.5) / 60
    only_cross = FeatureCrossHasher(
        crosses=[(0, 1)], buckets={0: MINUTE, 1: MINUTE}, n_features=N_FEATURES
    )
    # the cross is crosses[0] in both hashers, so it lands in the same column
    columns = only_cross.fit_transform(np.column_stack([centres, centres])[:, :2]).indices
    coef = model.coef_  # CSR with sorted columns: look the cells up without a 2**28-wide index
    if coef.nnz == 0:
        return centres[:, 0], centres[:, 1], np.zeros(len(columns))
    at = np.minimum(np.searchsorted(coef.indices, columns), coef.nnz - 1)
    weights = np.where(coef.indices[at] == columns, coef.data[at], 0.0)
    return centres[:, 0], centres[:, 1], weights


def weight_counts(model, hasher, X):
    """Non-zero weights of the model: in the one-minute cross's columns, elsewhere, in all.

    The map shows the one-minute latitude x longitude cells of X, the first of the hasher's
    six features; the printed count of non-zero weights covers all six. Returns a dict with
    ``cross`` (non-zero weights in the columns of the cells of X), ``other`` (in the columns
    of the other features) and ``total`` (``cross + other``, the printed count).
    """
    only_cross = FeatureCrossHasher(
        crosses=[(0, 1)], buckets={0: MINUTE, 1: MINUTE}, n_features=hasher.n_features
    )
    cross_columns = np.unique(only_cross.fit_transform(X[:, :2]).indices)
    coef = model.coef_
    columns = coef.indices[coef.data != 0]
    in_cross = int(np.isin(columns, cross_columns).sum())
    return {"cross": in_cross, "other": int(columns.size - in_cross), "total": int(columns.size)}


def figure(panels):
    """The map: one panel ``(title, latitude, longitude, weights, counts)`` per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # constrained layout keeps every label and title inside the figure
    fig, axes = plt.subplots(
        1, len(panels), figsize=(6.5 * len(panels), 7), sharey=True, layout="constrained"
    )
    for ax, (title, lat, lon, w, counts) in zip(axes, panels):
        zero = w == 0.0
        ax.scatter(lon[zero], lat[zero], s=2, c="0.85", label="weight exactly 0")
        limit = np.abs(w).max() or 1.0
        points = ax.scatter(
            lon[~zero], lat[~zero], s=3, c=w[~zero], cmap="coolwarm", vmin=-limit, vmax=limit
        )
        ax.set_title(
            f"{title}: {int((~zero).sum()):,} of {len(w):,} cells non-zero\n"
            f"non-zero weights: {counts['cross']:,} in this cross + {counts['other']:,} "
            f"in the 5 other features\n= {counts['total']:,}, the count printed "
            "for all features",
            fontsize=10,
        )
        ax.set_xlabel("longitude")
        ax.set_aspect(1.2)
        ax.legend(loc="upper right", markerscale=5)
        fig.colorbar(points, ax=ax, shrink=0.7, label="weight of the one-minute cell")
    axes[0].set_ylabel("latitude")
    fig.suptitle(
        "Learned weights of the latitude x longitude cross, one of the model's six "
        "features (2**28 hashed columns)"
    )
    return fig


def image_format(ap, path):
    """The image format of the map at ``path`` (its extension; 'png' without one), refused
    through ``ap`` before any work when matplotlib cannot write it or the path is no file:
    a folder (``--out /tmp`` wrote /tmp.png, an empty path .png, and both said the map was
    written there) or one in a missing folder (a traceback after the training)."""
    from matplotlib.backend_bases import FigureCanvasBase

    try:
        check_output_path(path)
    except OutputPathError as exc:
        ap.error(f"--out {path!r} {exc.reason}")
    extension = os.path.splitext(path)[1][1:].lower()
    supported = FigureCanvasBase.get_supported_filetypes()
    if extension and extension not in supported:
        ap.error(
            f"--out {path!r}: matplotlib cannot write a .{extension} image; use one of "
            f"{', '.join('.' + name for name in sorted(supported))}."
        )
    return extension or "png"


def plot(path, panels, image="png"):
    import matplotlib.pyplot as plt

    fig = figure(panels)
    # the format given, else savefig adds ".png" to a path without an extension; bbox and pad:
    # nothing cut at the edges
    fig.savefig(path, format=image, dpi=110, bbox_inches="tight", pad_inches=0.2)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", default="california_weights.png", help="PNG map of the cell weights")
    ap.add_argument("--no-plot", action="store_true", help="skip the PNG (no matplotlib needed)")
    args = ap.parse_args(argv)
    if not args.no_plot:
        try:  # before the training, not after it
            import matplotlib  # noqa: F401
        except ImportError:
            ap.error('the map needs matplotlib: pip install "sparsereg[examples]", or --no-plot')
        image = image_format(ap, args.out)

    X_train, y_train = load("train")
    X_test, y_test = load("test")
    hasher = make_hasher()
    start = time.perf_counter()
    Xt_train, Xt_test = hasher.fit_transform(X_train), hasher.transform(X_test)
    print(
        f"{X_train.shape[0]:,} training rows hashed into {N_FEATURES:,} columns "
        f"({Xt_train.nnz / X_train.shape[0]:.0f} per row) in {time.perf_counter() - start:.2f}s"
    )

    rows, panels = [], []
    for penalty in ["l1", "l2"]:
        model = make_model(penalty)
        start = time.perf_counter()
        model.fit(Xt_train, y_train)
        seconds = time.perf_counter() - start
        rmse = float(np.sqrt(np.mean((model.predict(Xt_test) - y_test) ** 2)))
        report = sparsity_report(model)
        rows.append((penalty.upper(), rmse * 1e5, report, seconds))
        counts = weight_counts(model, hasher, X_train)
        panels.append((penalty.upper(), *cell_weights(model, hasher, X_train), counts))

    print(
        f"\n{'penalty':<8} {'test RMSE':>10} {'non-zero':>9} {'coef dense':>11} "
        f"{'coef sparse':>12} {'FTRL state':>11} {'fit':>6}"
    )
    for name, rmse, report, seconds in rows:
        print(
            f"{name:<8} {f'${rmse:,.0f}':>10} {report.nonzero_union:>9,} "
            f"{report.coef_dense_bytes / 2**20:>9,.0f} MiB {report.coef_csr_bytes / 2**10:>8,.1f} KiB "
            f"{report.state_bytes / 2**20:>7,.1f} MiB {seconds:>5.1f}s"
        )
    l1, l2 = rows[0][2], rows[1][2]
    print(
        f"\nL1 keeps {l1.nonzero_union:,} weights where L2 keeps {l2.nonzero_union:,} "
        f"({l2.nonzero_union / max(l1.nonzero_union, 1):.1f}x as many) for a test RMSE within "
        f"{100 * abs(rows[0][1] / rows[1][1] - 1):.1f} %."
    )
    for name, _, _, _ in rows:
        counts = next(p[-1] for p in panels if p[0] == name)
        print(
            f"{name} non-zero weights: {counts['cross']:,} in the latitude x longitude cross "
            f"(the map) + {counts['other']:,} in the other features = {counts['total']:,}"
        )
    if not args.no_plot:
        plot(args.out, panels, image)
        print(f"map of the learned cell weights written to {args.out}")


if __name__ == "__main__":
    main()
