"""Without its optional extras (dask, pooch, pyarrow, pandas, tqdm) the package imports and
trains, and each extra's feature says what to install: in a fresh interpreter where importing
any of them fails as it does when it is not installed. (Where it is not installed,
``importlib.util.find_spec`` returns None; here it raises: the package never asks it.)"""

import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).parents[1])

WITHOUT_EXTRAS = """
import os, sys, tempfile

EXTRAS = ("dask", "distributed", "dask_ml", "pooch", "pyarrow", "pandas", "tqdm")


class NotInstalled:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in EXTRAS:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled)
import numpy as np

import sparsereg, sparsereg.datasets, sparsereg.export, sparsereg.sparsity, sparsereg.stream
import sparsereg.cli, sparsereg.demo, sparsereg.weights
from sparsereg import SparseFTRLClassifier

print("mlcc", sparsereg.datasets.load_california_housing_mlcc().data.shape)
X, y = np.eye(4), [0, 1, 0, 1]
print("score", SparseFTRLClassifier().fit(X, y).score(X, y))
print("extras imported", sorted(m for m in sys.modules if m.partition(".")[0] in EXTRAS))
try:
    import sparsereg.dask
except ImportError as exc:
    print("dask:", exc)
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "rows.csv")
    with open(path, "w") as f:
        f.write("x,y\\n1,0\\n2,1\\n")
    try:
        sparsereg.stream.fit_stream(SparseFTRLClassifier(), path, target="y")
    except ImportError as exc:
        print("stream:", exc)
try:
    sparsereg.datasets.load_california_housing_mlcc(as_frame=True)
except ImportError as exc:
    print("as_frame:", exc)
# batches of arrays train without pandas; the history's frame needs it
_, history = sparsereg.stream.fit_stream(SparseFTRLClassifier(), [(X, y)], classes=[0, 1])
try:
    history.as_frame()
except ImportError as exc:
    print("as_frame:", exc)
"""


def test_without_the_extras_the_package_trains_and_each_extra_says_what_to_install():
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # the bundled data set needs no pooch, and nothing imported an extra
    assert lines[:3] == ["mlcc (17000, 8)", "score 1.0", "extras imported []"]
    assert lines[3].startswith("dask: ") and "pip install 'sparsereg[dask]'" in lines[3]
    assert lines[4].startswith("stream: ") and 'pip install "sparsereg[stream]"' in lines[4]
    assert lines[5].startswith("as_frame: ") and 'pip install "sparsereg[datasets]"' in lines[5]
    assert lines[6].startswith("as_frame: ") and 'pip install "sparsereg[stream]"' in lines[6]
    assert len(lines) == 7
