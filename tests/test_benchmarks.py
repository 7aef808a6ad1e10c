"""Every benchmark script's --quick mode runs (tiny sizes), so that the scripts cannot rot.

Optional peers (Vowpal Wabbit, river) have their own tests, skipped when not installed; the
plain-C loop of ../shared/bench/ is skipped by the script itself when absent.
"""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_epoch_quick(tmp_path, capsys):
    bench = load("bench_epoch")
    out = tmp_path / "epoch.json"
    result = bench.main(["--quick", "--peers", "fit,kernel,sgd-l1,sgd-en,c", "--json-out", str(out)])
    text = capsys.readouterr().out
    assert "issue #2 targets" in text
    assert result["tools"]["sparsereg fit"]["M_nnz_per_s"] > 0
    assert {"SGD l1", "SGD en"} <= set(result["tools"])
    png = tmp_path / "throughput.png"
    bench.main(["--plot", str(out), str(out), "--png", str(png)])
    assert png.stat().st_size > 0 and json.loads(out.read_text())["targets"]


@pytest.mark.parametrize("peer, module, tool", [("vw", "vowpalwabbit", "VW ftrl"),
                                                ("river", "river", "river FTRL")])
def test_bench_epoch_quick_optional_peer(peer, module, tool):
    pytest.importorskip(module, reason=f"{module} is not installed (pip install {module})")
    result = load("bench_epoch").main(["--quick", "--peers", peer])
    assert result["tools"][tool]["seconds"] > 0


@pytest.mark.skipif(not (DATA / "libsvm_a9a" / "a9a").exists(), reason="a9a not in ../shared/data")
def test_bench_epoch_quick_a9a():
    result = load("bench_epoch").main(["--quick", "--dataset", "a9a", "--peers", "sgd-l1"])
    assert result["rows"] == 32561


def test_bench_frontier_quick(tmp_path):
    png = tmp_path / "frontier.png"
    results = load("bench_frontier").main(["--quick", "--png", str(png)])
    assert results and png.stat().st_size > 0
    for res in results:
        assert {r["method"] for r in res["results"]} >= {"sparsereg sum", "SGD l1", "batch L1"}


@pytest.mark.skipif(not (DATA / "california_housing_mlcc").exists(), reason="data not in ../shared/data")
def test_bench_regression_quick():
    out = load("bench_regression").main(["--quick"])
    assert set(out) == {"sparsereg", "SGDRegressor"}
    assert all(v["test_rmse"] > 0 for v in out.values())


def test_bench_predict_quick():
    out = load("bench_predict").main(["--quick"])
    assert all(s > 0 and g > 0 for s, g in out.values())


def test_bench_memory_quick(capsys):
    load("bench_memory").main(["--quick"])
    text = capsys.readouterr().out
    for heading in ["California housing", "2**31 columns", "sparse / dense", "probabilistic inclusion"]:
        assert heading in text


@pytest.mark.skipif(not (DATA / "libsvm_a9a" / "a9a").exists(), reason="a9a not in ../shared/data")
def test_bench_defaults_quick(capsys):
    load("bench_defaults").main(["--quick"])
    assert capsys.readouterr().out.count("best: alpha=") == 2


def test_bench_kernel_quick():
    times = load("bench_kernel").main(["--quick"])
    assert all(t > 0 for key in ["kernel, warm state", "kernel, fresh state", "fit"] for t in times[key])
