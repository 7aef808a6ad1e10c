"""
=======================================================
The sparsity-accuracy frontier: FTRL-Proximal vs SGD
=======================================================

How many non-zero weights does a model need for a given accuracy? McMahan et al. (2013,
Table 1) found that FTRL-Proximal reaches a given accuracy with far fewer non-zeros than online
gradient descent with L1. This example sweeps ``alpha`` for
:class:`~sparsereg.SparseFTRLRegressor` and for :class:`~sklearn.linear_model.SGDRegressor`
(both ``penalty='l1'``, the same number of passes over the same rows) on California housing
with hashed latitude x longitude crosses, and draws test RMSE against non-zero weights. The
lower-left envelope of each method is its frontier.

``benchmarks/bench_frontier.py`` in the source repository does the same on a9a, SMS spam and a
synthetic click log, with more methods and a table.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import SGDRegressor

from sparsereg import FeatureCrossHasher, SparseFTRLRegressor
from sparsereg.datasets import load_california_housing_mlcc

train = load_california_housing_mlcc(subset="train", as_frame=True).frame
test = load_california_housing_mlcc(subset="test", as_frame=True).frame
minute = {"width": 1 / 60}
hasher = FeatureCrossHasher(
    crosses=[("latitude", "longitude"), ("lat", "lon"), "median_income", "housing_median_age"],
    buckets={
        "latitude": minute,
        "longitude": minute,
        "lat": 0.25,
        "lon": 0.25,
        "median_income": [1, 2, 3, 4, 5, 6, 7, 8, 10],
        "housing_median_age": 10.0,
    },
    n_features=2**18,
)


def features(frame):
    return hasher.transform(frame.assign(lat=frame["latitude"], lon=frame["longitude"]))


X_train, X_test = features(train), features(test)
y_train, y_test = train["median_house_value"] / 1e5, test["median_house_value"] / 1e5
EPOCHS = 5

# %%
# Sweep the regularisation strength
# ---------------------------------
# Each method gets two learning rates (``eta0``: FTRL's per-coordinate scale, SGD's initial
# rate of its default ``'invscaling'`` schedule); its frontier is the envelope over both.
results = {"FTRL-Proximal (sparsereg)": [], "SGD with L1 (scikit-learn)": []}
for eta0 in (0.1, 0.5):
    for alpha in np.logspace(-6, -3, 7):
        ftrl = SparseFTRLRegressor(
            penalty="l1", alpha=alpha, eta0=eta0, max_iter=EPOCHS, tol=None, random_state=0
        )
        sgd = SGDRegressor(
            penalty="l1", alpha=alpha, eta0=eta0, max_iter=EPOCHS, tol=None, random_state=0
        )
        for name, model in zip(results, (ftrl, sgd)):
            model.fit(X_train, y_train)
            rmse = float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))
            results[name].append((int(np.count_nonzero(model.coef_)), rmse))

for name, points in results.items():
    best = min(points, key=lambda p: p[1])
    print(f"{name:<28} best test RMSE ${1e5 * best[1]:,.0f} with {best[0]:,} non-zeros")


def frontier(points):
    """The points no other point beats on both counts, by increasing non-zeros."""
    kept, best = [], np.inf
    for nonzero, rmse in sorted(points):
        if rmse < best:
            kept.append((nonzero, rmse))
            best = rmse
    return np.array(kept)


# %%
# The frontier
# ------------
# Lower and further left is better: the same test error with fewer weights.
fig, ax = plt.subplots(figsize=(7, 4.5))
for (name, points), color in zip(results.items(), ("tab:blue", "tab:orange")):
    nonzero, rmse = np.array(points).T
    ax.scatter(nonzero, 1e5 * rmse, s=14, color=color, alpha=0.4)
    line = frontier(points)
    ax.plot(line[:, 0], 1e5 * line[:, 1], marker="o", color=color, label=name)
ax.set_xscale("log")
ax.set_xlabel("non-zero weights (log scale)")
ax.set_ylabel("test RMSE ($)")
ax.set_title(f"California housing, hashed crosses, {EPOCHS} passes; alpha 1e-6 .. 1e-3")
ax.legend()
fig.tight_layout()

plt.show()
