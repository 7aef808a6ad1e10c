"""The README's first command: the California housing demo."""

import re

import pytest

from sparsereg import demo


def test_demo_prints_l1_keeping_fewer_weights_at_similar_rmse(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "map.png"
    demo.main(["--out", str(out)])
    text = capsys.readouterr().out
    rows = {m[0]: m for m in re.findall(r"^(L1|L2)\s+\$([\d,]+)\s+([\d,]+)\s", text, re.M)}
    rmse = {k: int(v[1].replace(",", "")) for k, v in rows.items()}
    nnz = {k: int(v[2].replace(",", "")) for k, v in rows.items()}
    assert nnz["L1"] < nnz["L2"] / 2
    assert abs(rmse["L1"] / rmse["L2"] - 1) < 0.05
    assert rmse["L2"] < 60_000  # far better than predicting the mean (~$115k)
    assert "268,435,456 columns" in text
    assert out.stat().st_size > 10_000
