"""
=======================================================
Streaming from a CSV file with progressive validation
=======================================================

:func:`sparsereg.stream.fit_stream` reads a file in batches, hashes each batch with the
Pipeline's :class:`~sparsereg.FeatureCrossHasher`, scores it with the model as it stands
(progressive validation) and then trains on it: memory holds one batch, whatever the size of
the file. Here a small click log is generated into a temporary folder; every 10th row is held
out, the run makes up to four passes, stops early when the holdout loss stops improving, and
saves a checkpoint a later run could resume from.

Reading files needs ``pip install "sparsereg[stream]"`` (pyarrow, pandas).
"""

# %%
# A generated click log
# ---------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.pipeline import make_pipeline

from sparsereg import FeatureCrossHasher, SparseFTRLClassifier
from sparsereg.stream import fit_stream

rng = np.random.RandomState(0)
n = 40_000
site = rng.choice([f"site{i}" for i in range(50)], n)
device = rng.choice(["ios", "android", "web"], n, p=[0.3, 0.5, 0.2])
hour = rng.randint(0, 24, n)
# each site x device pair has its own click rate; the hour adds a little
pair_logit = {(s, d): rng.normal(-2, 1) for s in np.unique(site) for d in np.unique(device)}
logit = np.array([pair_logit[p] for p in zip(site, device)]) + 0.03 * (hour - 12)
click = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)

temporary = tempfile.TemporaryDirectory()  # removed at the end
folder = Path(temporary.name)
path = folder / "clicks.csv.gz"
pd.DataFrame({"site": site, "device": device, "hour": hour, "click": click}).to_csv(
    path, index=False
)

# %%
# Train from the file
# -------------------
model = make_pipeline(
    FeatureCrossHasher([("site",), ("device",), ("hour",), ("site", "device")], n_features=2**20),
    SparseFTRLClassifier(penalty="l1", alpha=1e-6, eta0=0.2, penalty_scale="sum", random_state=0),
)
model, history = fit_stream(
    model,
    path,
    target="click",
    batch_rows=4_000,
    passes=4,
    holdout=10,
    early_stop=1,
    checkpoint=folder / "clicks.ckpt",
)
print(history.as_frame())

# %%
# Progressive and holdout loss
# ----------------------------
# The progressive loss of a pass is measured on rows before the model trains on them, so it is
# an honest estimate of the loss on new data, available without holding anything out.
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(history.curve_rows, history.curve_loss, label="progressive log loss (running mean)")
ends = np.cumsum(history.pass_rows)
ax.plot(ends, history.pass_holdout_loss, "o--", label="holdout log loss, end of pass")
base_rate = click.mean()
baseline = -(base_rate * np.log(base_rate) + (1 - base_rate) * np.log(1 - base_rate))
ax.axhline(baseline, color="0.6", linestyle=":", label="constant click rate")
ax.set_xlabel("rows trained on (all passes)")
ax.set_ylabel("log loss")
ax.set_title(
    f"{history.n_passes} passes over {path.name}"
    + (", stopped early" if history.stopped_early else "")
)
ax.legend()
fig.tight_layout()

plt.show()
temporary.cleanup()
