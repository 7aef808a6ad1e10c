"""The README's first command: the California housing demo."""

import contextlib
import io
import re
import sys
from pathlib import Path

import pytest

from sparsereg import demo


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo run once for this module (~2 s: the hashing, two fits, the map), with ``--out
    map.png``: ``(the map's path, what it printed)``. Tests only read them."""
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("demo") / "map.png"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        demo.main(["--out", str(out)])
    return out, printed.getvalue()


def test_demo_prints_l1_keeping_fewer_weights_at_similar_rmse(demo_run):
    out, text = demo_run
    rows = {m[0]: m for m in re.findall(r"^(L1|L2)\s+\$([\d,]+)\s+([\d,]+)\s", text, re.MULTILINE)}
    rmse = {k: int(v[1].replace(",", "")) for k, v in rows.items()}
    nnz = {k: int(v[2].replace(",", "")) for k, v in rows.items()}
    assert nnz["L1"] < nnz["L2"] / 2
    assert abs(rmse["L1"] / rmse["L2"] - 1) < 0.05
    assert rmse["L2"] < 60_000  # far better than predicting the mean (~$115k)
    assert "268,435,456 columns" in text
    assert out.stat().st_size > 10_000
    # the map's cells and the printed non-zero weights: the cross's share plus the rest
    split = {
        m[0]: [int(n.replace(",", "")) for n in m[1:]]
        for m in re.findall(
            r"^(L1|L2) non-zero weights: ([\d,]+) in the latitude x longitude cross \(the map\) "
            r"\+ ([\d,]+) in the other features = ([\d,]+)$",
            text,
            re.MULTILINE,
        )
    }
    assert sorted(split) == ["L1", "L2"]
    for name, (cross, other, total) in split.items():
        assert cross + other == total == nnz[name]
        assert cross > 0 and other > 0
    # the README shows this output: its table (but the fit's time), and its sentence on the
    # map's L1 cells, are the ones printed (a changed model left them stale)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    size = r"[\d,.]+ [KMG]iB"
    table = rf"^(L1|L2)\s+(\$[\d,]+)\s+([\d,]+)\s+({size})\s+({size})\s+({size})\s"
    shown = re.findall(table, readme, re.MULTILINE)
    assert shown and shown == re.findall(table, text, re.MULTILINE)
    cross, other, total = split["L1"]
    flat = " ".join(readme.split())
    assert f"({cross:,} non-zero cells for L1)" in flat
    assert f"({other:,} more, {total:,} in all)" in flat


def test_map_counts_match_the_explained_weights_and_every_label_is_inside_the_figure():
    pytest.importorskip("matplotlib")
    X, y = demo.load("train")
    hasher = demo.make_hasher()
    model = demo.make_model("l1").fit(hasher.fit_transform(X), y)
    counts = demo.weight_counts(model, hasher, X)
    # independently: the non-zero columns whose cells are one-minute lat x long cells
    nonzero = model.coef_.indices[model.coef_.data != 0]
    cells = hasher.explain(X, nonzero)
    in_cross = sum(any(c.startswith("x0=") and " x x1=" in c for c in cells[j]) for j in nonzero)
    assert counts == {"cross": in_cross, "other": nonzero.size - in_cross, "total": nonzero.size}
    lat, lon, w = demo.cell_weights(model, hasher, X)
    assert int((w != 0).sum()) == counts["cross"]  # no two cells share a column here

    fig = demo.figure([("L1", lat, lon, w, counts), ("L1 again", lat, lon, w, counts)])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    texts = [fig._suptitle] + [
        t for ax in fig.axes for t in (ax.xaxis.label, ax.yaxis.label, ax.title)
    ]
    texts = [t for t in texts if t is not None and t.get_text()]
    assert any(t.get_text() == "longitude" for t in texts)
    for t in texts:
        extent = t.get_window_extent(renderer)
        assert (
            box.x0 <= extent.x0
            and extent.x1 <= box.x1
            and box.y0 <= extent.y0
            and extent.y1 <= box.y1
        ), t.get_text()
    title = fig.axes[0].get_title()
    assert f"{counts['cross']:,} in this cross + {counts['other']:,}" in title
    assert f"= {counts['total']:,}" in title
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_without_matplotlib_the_demo_says_what_to_install_before_training(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--out", str(tmp_path / "map.png")])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert 'pip install "sparsereg[examples]"' in captured.err and "--no-plot" in captured.err
    assert captured.out == ""  # refused before hashing and training


def test_the_demo_command_is_shown_after_the_install_that_brings_matplotlib():
    # docs/index.rst ran the demo after a plain `pip install sparsereg`, without matplotlib
    root = Path(__file__).resolve().parents[1]
    for document in (root / "README.md", root / "docs" / "index.rst"):
        text = document.read_text()
        before = text[: text.index("python -m sparsereg.demo")]
        assert '".[examples]"' in before or '"sparsereg[examples]"' in before, document.name


@pytest.mark.parametrize("out", ["", "folder", "missing/map.png", "map.xyz"])
def test_an_out_that_cannot_be_the_map_is_refused_before_training(
    tmp_path, monkeypatch, capsys, out
):
    # a folder was written as folder.png, "" as .png, both "written to" the path given; a
    # missing folder or an unknown extension raised a traceback after the training
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # (where "" was written)
    (tmp_path / "folder").mkdir()
    path = str(tmp_path / out) if out else out
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--out", path])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert f"--out {path!r}" in captured.err and captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_an_out_without_an_extension_is_the_png_written(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    # (the demo on 500 rows of each split: the map's file is the property, not the model)
    full_load = demo.load
    monkeypatch.setattr(demo, "load", lambda split: tuple(a[:500] for a in full_load(split)))
    out = tmp_path / "map"
    demo.main(["--out", str(out)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["map"]
    assert f"map of the learned cell weights written to {out}" in capsys.readouterr().out
