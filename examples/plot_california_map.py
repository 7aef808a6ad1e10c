"""
=======================================================
California housing: a one-minute map learned with L1
=======================================================

Latitude and longitude are cut into cells of one minute of arc and crossed by
:class:`~sparsereg.FeatureCrossHasher`: over the whole globe that is ~2.3e8 cells, hashed here
into 2**28 columns. A :class:`~sparsereg.SparseFTRLRegressor` with ``penalty='l1'`` learns a
weight for each cell the training block groups touch, and sets most of them to exactly 0: the
map keeps the cells whose price differs from what the coarser features already say. The sparse
state store holds only the columns seen, so the 2**28-wide model trains in a few MB.

The data (the Google ML crash course split of the 1990 census California housing set) ship
with the package: :func:`sparsereg.datasets.load_california_housing_mlcc`.
"""

# %%
# Hash the cells
# --------------
# One cross of one-minute cells, one of quarter-degree cells (which generalises between
# neighbouring cells), and bucketed income, age and rooms.
import matplotlib.pyplot as plt
import numpy as np

from sparsereg import FeatureCrossHasher, SparseFTRLRegressor, sparsity_report
from sparsereg.datasets import load_california_housing_mlcc

train = load_california_housing_mlcc(subset="train", as_frame=True).frame
test = load_california_housing_mlcc(subset="test", as_frame=True).frame
for frame in (train, test):
    frame["rooms_per_household"] = frame["total_rooms"] / frame["households"]
    frame["lat"], frame["lon"] = frame["latitude"], frame["longitude"]  # a second, coarser cross

minute = {"width": 1 / 60, "format": "deg"}
quarter = {"width": 0.25, "format": "deg"}
hasher = FeatureCrossHasher(
    crosses=[
        ("latitude", "longitude"),
        ("lat", "lon"),
        "median_income",
        "housing_median_age",
        "rooms_per_household",
    ],
    buckets={
        "latitude": minute,
        "longitude": minute,
        "lat": quarter,
        "lon": quarter,
        "median_income": [1, 2, 3, 4, 5, 6, 7, 8, 10],
        "housing_median_age": 10.0,
        "rooms_per_household": [2, 3, 4, 5, 6, 7, 8],
    },
    n_features=2**28,
)
X_train, X_test = hasher.fit_transform(train), hasher.transform(test)
y_train, y_test = train["median_house_value"] / 1e5, test["median_house_value"] / 1e5
print(
    f"{X_train.shape[0]:,} rows x {X_train.shape[1]:,} columns, "
    f"{X_train.nnz // X_train.shape[0]} non-zeros per row"
)

# %%
# Train with L1
# -------------
model = SparseFTRLRegressor(
    penalty="l1", alpha=3e-5, eta0=0.5, max_iter=20, tol=None, random_state=0
).fit(X_train, y_train)
rmse = np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2))
print(f"test RMSE ${1e5 * rmse:,.0f}")
print(sparsity_report(model))

# %%
# The weight of each cell
# -----------------------
# Hash the centre of every one-minute cell of the training data with the cross alone (it is
# ``crosses[0]`` in both hashers, so it lands in the same column) and read its weight.
cells = np.unique(np.floor(train[["latitude", "longitude"]].to_numpy() * 60), axis=0)
centres = (cells + 0.5) / 60
only_cross = FeatureCrossHasher(crosses=[(0, 1)], buckets={0: minute, 1: minute}, n_features=2**28)
columns = only_cross.fit_transform(centres).indices
coef = model.coef_  # CSR (sparse store): look the columns up without a 2**28-wide array
at = np.minimum(np.searchsorted(coef.indices, columns), coef.nnz - 1)
weights = np.where(coef.indices[at] == columns, coef.data[at], 0.0)

fig, ax = plt.subplots(figsize=(6.5, 6.5))
zero = weights == 0
ax.scatter(centres[zero, 1], centres[zero, 0], s=2, c="0.85", label="weight exactly 0")
limit = np.abs(weights).max()
points = ax.scatter(
    centres[~zero, 1],
    centres[~zero, 0],
    s=4,
    c=weights[~zero],
    cmap="coolwarm",
    vmin=-limit,
    vmax=limit,
)
fig.colorbar(points, ax=ax, shrink=0.7, label="weight of the one-minute cell ($100k)")
ax.set(
    xlabel="longitude",
    ylabel="latitude",
    aspect=1.2,
    title=f"L1 keeps {int((~zero).sum()):,} of {zero.size:,} cells",
)
ax.legend(loc="upper right", markerscale=5)

# %%
# Which cells weigh most: explain()
# ---------------------------------
# Hashed columns have no names; :meth:`~sparsereg.FeatureCrossHasher.explain` finds the
# readable cells of a batch that landed in given columns.
heaviest = np.argsort(-np.abs(coef.data))[:6]
named = hasher.explain(train, coef.indices[heaviest])
for weight, column in zip(coef.data[heaviest], coef.indices[heaviest]):
    print(f"{weight:+.3f}  {named[int(column)]}")

plt.show()
