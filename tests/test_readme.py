"""The README's code example runs as written (on a small made-up click log)."""

import re
from pathlib import Path

import numpy as np
import pandas as pd

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"lat": rng.uniform(32, 42, 500), "lon": rng.uniform(-124, -114, 500),
                          "device": rng.choice(["ios", "android", "web"], 500)})
    clicked = (frame["device"] == "ios") | (frame["lat"] > 40)
    monkeypatch.chdir(tmp_path)
    namespace = {"frame": frame, "clicked": clicked}
    exec(compile(code, str(README), "exec"), namespace)
    model = namespace["model"]
    assert (tmp_path / "ctr.npz").exists()
    from sparsereg import load_model

    np.testing.assert_array_equal(load_model(tmp_path / "ctr.npz").predict_proba(frame),
                                  model.predict_proba(frame))
