"""
=======================================================
One model trained on a Dask cluster
=======================================================

:class:`sparsereg.dask.DaskSparseFTRLClassifier` trains one FTRL model on data spread over a
Dask cluster. With ``mixing=None`` the blocks are trained one after another, the state
travelling from worker to worker, and the model equals ``partial_fit`` over the blocks in
order, to the bit. With ``mixing='average'`` (the default) a copy of the model trains on each
worker's shard at the same time and the copies' states are merged after each pass
(:func:`sparsereg.merge_ftrl_states`): the work runs in parallel, and the model is close to,
not equal to, the sequential one.

A two-worker ``LocalCluster`` of threads stands in for a real cluster here. Needs
``pip install "sparsereg[dask]"``.
"""

# %%
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from distributed import Client, LocalCluster
from sklearn.metrics import log_loss

from sparsereg import SparseFTRLClassifier
from sparsereg.dask import DaskSparseFTRLClassifier

# %%
# Sparse blocks on the cluster
# ----------------------------
rng = np.random.default_rng(0)
n_features, rows_per_block, n_blocks = 2**12, 1_000, 8
true_w = np.where(rng.uniform(size=n_features) < 0.05, rng.normal(0, 2, n_features), 0.0)


def block():
    X = sp.random(rows_per_block, n_features, density=0.005, format="csr", random_state=rng)
    X.data[:] = 1.0
    y = (rng.uniform(size=rows_per_block) < 1 / (1 + np.exp(-(X @ true_w)))).astype(int)
    return X, y


blocks = [block() for _ in range(n_blocks)]
X_test, y_test = block()
X = da.concatenate([da.from_array(Xb, chunks=Xb.shape, asarray=False) for Xb, _ in blocks])
y = da.concatenate([da.from_array(yb, chunks=rows_per_block) for _, yb in blocks])

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
client = Client(cluster)

# %%
# Sequential and mixed training
# -----------------------------
params = dict(penalty="l1", alpha=1e-4, eta0=0.5, random_state=0)
local = SparseFTRLClassifier(**params, shuffle=False)
for Xb, yb in blocks:
    local.partial_fit(Xb, yb, classes=[0, 1])

sequential = DaskSparseFTRLClassifier(
    **params, shuffle=False, mixing=None, max_iter=1, client=client
).fit(X, y)
print(
    "mixing=None equals partial_fit over the blocks:",
    np.array_equal(sequential.to_local().coef_, local.coef_),
)

losses = {}
for passes in (1, 2, 3):
    mixed = DaskSparseFTRLClassifier(**params, max_iter=passes, client=client).fit(X, y)
    losses[passes] = log_loss(y_test, mixed.to_local().predict_proba(X_test))
    print(
        f"mixing='average', {passes} pass(es): test log loss {losses[passes]:.4f}, "
        f"{int(mixed.to_local().count_nonzero()[0]):,} non-zeros"
    )
sequential_loss = log_loss(y_test, local.predict_proba(X_test))
client.close()
cluster.close()

# %%
# Test log loss
# -------------
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.plot(list(losses), list(losses.values()), "o-", label="mixing='average' (2 workers)")
ax.axhline(
    sequential_loss, color="tab:orange", linestyle="--", label="mixing=None = partial_fit, 1 pass"
)
ax.set_xlabel("passes (max_iter)")
ax.set_ylabel("test log loss")
ax.set_xticks(list(losses))
ax.legend()
fig.tight_layout()

plt.show()
