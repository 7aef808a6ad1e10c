"""Every benchmark script's --quick mode runs (tiny sizes), so that the scripts cannot rot.

Optional peers (Vowpal Wabbit, river) have their own tests, skipped when not installed; the
plain-C loop (SPARSEREG_C_LIMIT) is skipped by the script itself when absent. The scripts get
their data from sparsereg.datasets, which would download what is missing: each test that needs
real data first checks, without downloading, that it is here (SPARSEREG_DATA), and is skipped
otherwise.
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import log_loss

from sparsereg.datasets import fetch_a9a, fetch_sms_spam

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ctr():
    """benchmarks/_ctr_files.py, loaded once for this module: its Model (vocabularies of up to
    10**6 tokens, ~1 s to build, from a fixed seed) is made once a process, as the script
    does; bench_stream's ``from _ctr_files import`` takes this one too."""
    module = sys.modules.get("_ctr_files") or load("_ctr_files")
    sys.modules["_ctr_files"] = module
    return module


@pytest.fixture
def small_chunks(ctr, monkeypatch):
    """_ctr_files drawing its rows in chunks of 1,024 rows rather than 2**18: the files of
    these tests are of a few thousand rows, drawn whole chunks at a time (a quarter of a
    million rows each), and span several chunks now (row i still depends on seed and i
    only)."""
    monkeypatch.setattr(ctr, "CHUNK_ROWS", 1_024)
    return ctr


def is_here(fetch, **kwargs):
    """Whether a data set of sparsereg.datasets is available without downloading."""
    try:
        fetch(download_if_missing=False, **kwargs)
    except FileNotFoundError:
        return False
    return True


def test_bench_epoch_quick(tmp_path, capsys):
    bench = load("bench_epoch")
    out = tmp_path / "epoch.json"
    result = bench.main(
        ["--quick", "--peers", "fit,kernel,sgd-l1,sgd-en,c", "--json-out", str(out)]
    )
    text = capsys.readouterr().out
    assert "issue #2 targets" in text
    tools = result["tools"]
    assert {"sparsereg fit", "sparsereg kernel", "SGD l1", "SGD en"} <= set(tools)
    # 'fit' and 'kernel' time the same fit in two processes: the same model
    assert tools["sparsereg fit"]["nonzero_weights"] == tools["sparsereg kernel"]["nonzero_weights"]
    assert all(tool["rows"] == result["rows"] for tool in tools.values())
    png = tmp_path / "throughput.png"
    bench.main(["--plot", str(out), str(out), "--png", str(png)])
    assert png.stat().st_size > 0 and json.loads(out.read_text())["targets"]


@pytest.mark.parametrize(
    "peer, module, tool", [("vw", "vowpalwabbit", "VW ftrl"), ("river", "river", "river FTRL")]
)
def test_bench_epoch_quick_optional_peer(peer, module, tool):
    pytest.importorskip(module, reason=f"{module} is not installed (pip install {module})")
    result = load("bench_epoch").main(["--quick", "--peers", peer])
    assert result["tools"][tool]["seconds"] > 0


def test_bench_epoch_quick_a9a(local_dataset):
    local_dataset(fetch_a9a)
    result = load("bench_epoch").main(["--quick", "--dataset", "a9a", "--peers", "sgd-l1"])
    assert result["rows"] == 32561


def test_bench_frontier_quick(tmp_path):
    names = ["ctr"]  # and the real data sets that are here: never download in a test
    if is_here(fetch_a9a) and is_here(fetch_a9a, subset="test"):
        names.append("a9a")
    if is_here(fetch_sms_spam):
        names.append("sms")
    png = tmp_path / "frontier.png"
    results = load("bench_frontier").main(
        ["--quick", "--datasets", ",".join(names), "--png", str(png)]
    )
    assert len(results) == len(names) and png.stat().st_size > 0
    for res in results:
        assert {r["method"] for r in res["results"]} >= {"sparsereg sum", "SGD l1", "batch L1"}


def test_bench_regression_quick():
    out = load("bench_regression").main(["--quick"])
    assert set(out) == {"sparsereg", "SGDRegressor"}
    assert all(v["test_rmse"] > 0 for v in out.values())


def test_bench_calls_quick(capsys):
    out = load("bench_calls").main(["--quick"])
    text = capsys.readouterr().out
    assert set(out) == set(load("bench_calls").GOALS_US)
    for case, (ours, sgd) in out.items():  # one printed row per call, with the goal
        assert ours > 0 and (sgd > 0 or case.startswith("exported"))
        assert any(
            line.startswith(case) and line.split()[-1].isdigit() for line in text.splitlines()
        )


def test_bench_small_quick(capsys):
    out = load("bench_small").main(["--quick"])
    text = capsys.readouterr().out
    assert set(out) == {"dense", "crosses"} and all(a > 0 and b > 0 for a, b in out.values())
    assert "2,000 x 8" in text and "2,000 x 1,048,576" in text


def test_bench_predict_quick(capsys):
    out = load("bench_predict").main(["--quick"])
    text = capsys.readouterr().out
    batches = {batch for batch, _ in out}
    assert {1, 100} <= batches and set(out) == {
        (b, m) for b in batches for m in ("predict", "predict_proba")
    }
    for batch, method in out:  # one printed row per measurement, with its ratio
        assert any(line.split()[:2] == [str(batch), method] for line in text.splitlines())


def test_bench_memory_quick_reports_a_table_at_most_half_full_and_fewer_columns_held():
    bench = load("bench_memory")
    results = bench.main(["--quick"])
    slot = bench.SLOT_BYTES
    # the sparse store's table is kept at most half full and grows by doubling: its bytes are
    # 2-4 slots per column held (and a few bytes of header)
    assert 2 <= results["california"]["sparse"]["state_per_touched_slot"] <= 4.01
    held = [row["columns_held"] for row in results["stream"]]
    assert held == sorted(set(held))  # every batch brings new columns of the 2**31
    for row in results["stream"]:
        assert 2 * slot * row["columns_held"] <= row["state_bytes"]
        assert row["state_bytes"] <= 4 * slot * row["columns_held"] + 64
    inclusion = results["inclusion"]
    assert inclusion["poisson p=0.03"]["columns_held"] < inclusion["none"]["columns_held"]
    # (a column held once seen twice: 3,031 of 3,705 here)
    assert inclusion["bloom n=2"]["columns_held"] < 0.9 * inclusion["none"]["columns_held"]
    assert all(t > 0 for t in results["speed"].values())


def test_bench_defaults_quick(local_dataset, capsys):
    local_dataset(fetch_a9a, subset="test")
    local_dataset(fetch_a9a)
    load("bench_defaults").main(["--quick"])
    assert capsys.readouterr().out.count("best: alpha=") == 2


def test_bench_kernel_quick(capsys):
    times = load("bench_kernel").main(["--quick"])
    text = capsys.readouterr().out
    for key in ["kernel, warm state", "kernel, fresh state", "fit"]:
        assert len(times[key]) == 1  # one rep in --quick
        assert any(line.startswith(key) for line in text.splitlines())


def test_bench_epoch_skips_a_missing_c_loop_and_says_how_to_give_it(tmp_path, capsys):
    result = load("bench_epoch").main(
        ["--quick", "--peers", "fit,c", "--c-limit", str(tmp_path / "no.py")]
    )
    assert not any(tool.startswith("C ") for tool in result["tools"])
    assert (
        f"{tmp_path / 'no.py'} is not a file: give the path of ftrl_limit.py with --c-limit PATH"
        in capsys.readouterr().out
    )


def test_bench_export_validation_quick(capsys):
    out = load("bench_export_validation").main(["--quick"])
    text = capsys.readouterr().out
    assert set(out["median_seconds"]) == {"validated", "unvalidated", "validation only"}
    assert 0 < out["validation_share"] < 1
    assert "validation share of predict_proba time:" in text and "(target <= 10%)" in text


def test_bench_dask_quick(capsys):
    pytest.importorskip("distributed")
    results = load("bench_dask").main(["--quick"])
    text = capsys.readouterr().out
    assert set(results["shards"]) == {(k, p) for k in (2, 4) for p in (1, 3)}
    for k, passes in results["shards"]:  # one printed row per simulation
        assert any(line.split()[:2] == [str(k), str(passes)] for line in text.splitlines())
    # the same rows over 2**28 columns move about as many bytes as over 2**14
    assert results["bytes_moved_wide"] < 2 * results["shards"][(2, 1)]["bytes_moved"]
    assert "issue #13 goals" in text and "DaskSparseFTRLClassifier" in text


def test_bench_readers_quick(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyarrow")
    bench = load("bench_readers")
    # --quick runs each reading in this process; speed() and overlap() fail unless every
    # reading counted every row of the file
    medians = bench.main(["--quick", "--work", str(tmp_path)])
    assert set(medians) == {"sparsereg", "pandas"} and all(t > 0 for t in medians.values())
    _, results = bench.main(["--quick", "--memory", "--work", str(tmp_path)])
    assert {mb: r["rows"] for mb, r in results.items()} == {
        mb: int(mb * 1e6 / bench.BYTES_PER_ROW) for mb in (1, 3)
    }
    assert all(r["chunks"] == -(-r["rows"] // 4096) for r in results.values())
    assert "peak RSS 3 MB / 1 MB file" in capsys.readouterr().out
    monkeypatch.setattr(bench, "PARQUET_ROW_GROUP", 3000)  # (the files' rows: 7,042 and 21,126)
    _, results = bench.main(["--quick", "--memory", "--format", "parquet", "--work", str(tmp_path)])
    # the same rows as the CSV files: every one read, in chunks of 4,096
    assert {mb: (r["rows"], r["chunks"]) for mb, r in results.items()} == {
        mb: (int(mb * 1e6 / bench.BYTES_PER_ROW), -(-int(mb * 1e6 / bench.BYTES_PER_ROW) // 4096))
        for mb in (1, 3)
    }
    import pyarrow.parquet as pq

    for r in results.values():  # Parquet files, of row groups of PARQUET_ROW_GROUP rows
        meta = pq.ParquetFile(r["path"]).metadata
        groups = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        assert groups == [3000] * (r["rows"] // 3000) + [r["rows"] % 3000]
    assert "of a parquet file" in capsys.readouterr().out
    overlap = bench.main(["--quick", "--overlap", "--work", str(tmp_path)])
    assert set(overlap) == {0, 1} and all(t > 0 for t in overlap.values())


def test_ctr_files_formats_hold_the_same_rows(tmp_path, small_chunks):
    pytest.importorskip("pyarrow")
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    ctr = small_chunks
    p, meta = ctr.ensure(
        300_000, ["csv", "csv.gz", "parquet", "vw"], seed=3, folder=tmp_path, verbose=False
    )
    csv = pacsv.read_csv(p["csv"])
    assert csv.num_rows == meta["rows"] > 0
    assert csv.column_names == ctr.FIELDS + ["click"]
    # every row has the same length, so the CSV reaches the target by less than one row
    row_bytes = (p["csv"].stat().st_size - len(",".join(csv.column_names)) - 1) / csv.num_rows
    assert 300_000 <= p["csv"].stat().st_size < 300_000 + row_bytes
    assert pq.read_table(p["parquet"]).equals(csv)
    assert pacsv.read_csv(p["csv.gz"]).equals(csv)
    assert set(csv.column("click").to_pylist()) == {0, 1}
    columns = {c: csv.column(c).to_pylist() for c in csv.column_names}
    lines = p["vw"].read_text().splitlines()
    assert len(lines) == csv.num_rows
    for i, line in enumerate(lines):  # "-1 |a tok |b tok ...": label -1/1, field k in namespace k
        label, *fields = line.split(" |")
        assert label == ("1" if columns["click"][i] else "-1")
        assert [(f[0], f[2:]) for f in fields] == [
            (ns, columns[c][i]) for ns, c in zip(ctr.NAMESPACES, ctr.FIELDS)
        ]
    for c, card in zip(ctr.FIELDS, ctr.CARDINALITY):  # tokens drawn from the field's vocabulary
        assert len(set(columns[c])) <= card


def test_ctr_files_rows_depend_on_seed_and_position_only(tmp_path, small_chunks):
    pytest.importorskip("pyarrow")
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    ctr = small_chunks
    small, _ = ctr.ensure(100_000, ["csv"], seed=1, folder=tmp_path, verbose=False)
    big, meta = ctr.ensure(250_000, ["csv"], seed=1, folder=tmp_path, verbose=False)
    assert meta["rows"] > 2 * ctr.CHUNK_ROWS  # (the big one's rows are of three chunks)
    assert big["csv"].read_bytes().startswith(small["csv"].read_bytes())
    other, _ = ctr.ensure(100_000, ["csv"], seed=2, folder=tmp_path, verbose=False)
    assert other["csv"].read_bytes() != small["csv"].read_bytes()
    # a format added later holds exactly the rows of the CSV written before
    again, meta2 = ctr.ensure(250_000, ["parquet"], seed=1, folder=tmp_path, verbose=False)
    assert meta2["rows"] == meta["rows"] and set(meta2["formats"]) == {"csv", "parquet"}
    assert pq.read_table(again["parquet"]).equals(pacsv.read_csv(big["csv"]))


def test_bench_stream_quick_vw(tmp_path, capsys, ctr):
    pytest.importorskip("pyarrow")
    pytest.importorskip(
        "vowpalwabbit", reason="vowpalwabbit is not installed (pip install vowpalwabbit)"
    )
    result = load("bench_stream").main(
        ["speed", "--quick", "--tools", "vw", "--work", str(tmp_path)]
    )
    vw = result["speed"]["summary"]["VW ftrl"]
    assert vw["rows"] == result["speed"]["rows"] > 0  # VW read every row of its text file
    # it learnt at least the click rate: better than the coin flip's log(2)
    assert 0 < vw["progressive_loss"] < 0.69
    assert "VW ftrl" in capsys.readouterr().out


def test_bench_stream_quick_sparsereg(tmp_path, capsys, small_chunks):
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    # (its files, of 20,408 and 40,816 rows, are drawn in chunks of 1,024 rows rather than
    # two chunks of 2**18: what the test checks is read from the `sparsereg train` processes)
    bench = load("bench_stream")
    result = bench.main(["all", "--quick", "--tools", "csv,parquet", "--work", str(tmp_path)])
    speed = result["speed"]
    for tool in ["sparsereg csv", "sparsereg parquet"]:  # `sparsereg train` read every row
        assert speed["summary"][tool]["rows"] == speed["rows"] > 0
    assert [r["rows"] for r in result["rss"]["runs"]] == [
        r["file_rows"] for r in result["rss"]["runs"]
    ]
    # the peak RSS that `sparsereg train --json` reports is the kernel's count for its process,
    # as /usr/bin/time reads it (os.wait4's count also holds this pytest process's RSS at fork)
    for run in speed["runs"] + result["rss"]["runs"]:
        if run["rss_time"] is not None:
            assert abs(run["rss_self"] - run["rss_time"]) <= 0.05 * run["rss_time"]
        assert run["rss_wait4"] >= 0.95 * run["rss_self"]
    assert "ratio 4MB/2MB by rss_wait4" in capsys.readouterr().out


@pytest.mark.skipif(
    not (is_here(fetch_a9a) and is_here(fetch_sms_spam)),
    reason="a9a or SMS spam not available without downloading (SPARSEREG_DATA)",
)
def test_bench_cv_quick(capsys):
    result = load("bench_cv").main(["--quick"])
    assert "GridSearchCV cv=3" in capsys.readouterr().out
    assert {row["data"] for row in result["choice"]} == {"a9a", "sms", "california"}
    for row in result["choice"]:
        # the progressive grid's models are trained on every row, as GridSearchCV's refit: the
        # chosen ones cannot beat the grid's best on the test set
        for chosen in (row["progressive"], row["gs"], row["gs_shuffled"]):
            assert chosen["test"] >= row["oracle_test"] and chosen["alpha"] in [1e-6, 1e-4]
    assert all(row["sgd_alpha"] in [1e-5, 1e-3] for row in result["sgd"])
    assert all(row["one_fit_s"] > 0 and row["grid8_fit_s"] > 0 for row in result["timing"])


def test_bench_hogwild_quick(tmp_path):
    out = tmp_path / "hogwild.json"
    bench = load("bench_hogwild")
    result = bench.main(["--quick", "--json-out", str(out)])
    assert {"fit 1 thread", "fit 2 threads"} <= set(result["medians"])
    assert result["rows"] == 40_000 and result["nnz"] > 40_000
    # Both fits learnt: their test log loss is well below the click rate's. (How close two
    # threads come to one is tests/test_hogwild.py's, on 120,000 rows: on these 40,000 the
    # two-thread model's loss varies from run to run by up to +1.7 % of the one-thread
    # model's, as the one thread's on the same rows shuffled by up to +0.9 %, more than
    # training on half the rows costs, +0.4 %: benchmarks/RESULTS.md, "Forty-third session".)
    folder, n_features = bench.prepare(40_000, 10_000, 12)
    y_test = bench.load(folder, "test", n_features)[1]
    click_rate = log_loss(y_test, np.full(len(y_test), y_test.mean()))
    for tool in ("fit 1 thread", "fit 2 threads"):
        assert result["runs"][tool][0]["test_log_loss"] < 0.95 * click_rate
    assert json.loads(out.read_text())["threads"] == 2


def test_bench_threads_kernel_quick(capsys):
    result = load("bench_threads_kernel").main(["--quick"])
    # 40,000 rows are 3 chunks: the threads' kernel trained all of them in the calling thread,
    # and gave the one-thread kernel's state to the bit (its copies are changed by it alone)
    assert result["chunks"]["kernel, 1 thread"] == [3]
    assert sum(result["chunks"]["2 threads"]) == 3 and result["chunks"]["1 thread"] == []
    assert result["same"] is True
    assert "to the bit: yes" in capsys.readouterr().out


def test_bench_multinomial_quick(capsys):
    out = load("bench_multinomial").main(["--quick"])
    digits = out["digits"]
    assert set(digits) == {"ftrl-multinomial", "ftrl-ovr", "LogisticRegression"}
    for row in digits.values():  # each model learns the digits, well above chance (0.1)
        assert row["accuracy"] > 0.8 and 0 < row["log_loss"] < 2.302585
    # L1 leaves fewer weights than the 10 x 64 of LogisticRegression's L2
    assert digits["ftrl-multinomial"]["nonzeros"] < digits["LogisticRegression"]["nonzeros"]
    assert "fit / multinomial" in capsys.readouterr().out


def test_bench_quantize_quick(capsys):
    names = ["california", "california-dollars"]  # bundled; the others only when here
    if is_here(fetch_a9a) and is_here(fetch_a9a, subset="test"):
        names.append("a9a")
    if is_here(fetch_sms_spam):
        names.append("sms")
    results = load("bench_quantize").main(
        ["--quick", "--seeds", "2", "--datasets", ",".join(names)]
    )
    text = capsys.readouterr().out
    assert [r["dataset"] for r in results] == names
    for result in results:
        rows = {(r["format"], r["seed"]): r for r in result["results"]}
        assert set(rows) == {("float64", 0), ("float16", 0), ("q2.13", 0), ("q2.13", 1)}
        full = rows["float64", 0]
        assert all(v == 0 for v in full["change_pct"].values())
        # the dollars model folds a scaler of columns of scales ~2 to ~2,200: q2.13 refuses
        refused = result["dataset"] == "california-dollars"
        for key in [("float16", 0), ("q2.13", 0), ("q2.13", 1)]:
            row = rows[key]
            if refused and key[0] == "q2.13":
                assert "cannot hold the weights folded" in row["refused"]
                continue
            # 16-bit weights: a quarter of the bytes (fewer if some rounded to 0)
            assert row["weight_bytes"] <= full["weight_bytes"] / 4
            assert row["weight_bytes"] == 2 * row["nonzero"]
            assert all(abs(v) < 1.0 for v in row["change_pct"].values())  # percent
        if not refused:  # two seeds, two roundings
            assert rows["q2.13", 0]["max_pred_change"] != rows["q2.13", 1]["max_pred_change"]
    assert text.count("## ") == len(names)


def test_bench_check_csr_quick(capsys):
    times = load("bench_check_csr").main(["--quick"])
    text = capsys.readouterr().out
    for key in ["csr_index_summary", "largest_magnitude", "csr_summary", "check_csr"]:
        assert len(times[key, "this build"]) == 1  # one rep in --quick
        assert any(line.startswith(key) for line in text.splitlines())


def test_bench_calls_ab_quick_same_code_same_bits(capsys):
    import sparsereg

    out, same = load("bench_calls_ab").main(
        ["--quick", "--before", str(Path(sparsereg.__file__).parent.parent)]
    )
    text = capsys.readouterr().out
    # two copies of one package, trained on one stream of partial_fit calls, agree to the bit
    assert same and "same coefficients after" in text and text.rstrip().endswith("yes")
    assert "partial_fit, 100 rows" in out
    for now, before, _ in out.values():
        assert now > 0 and before > 0


def test_bench_epoch_ab_quick_same_code_same_bits(capsys):
    import sparsereg

    ratio, same = load("bench_epoch_ab").main(
        ["--quick", "--before", str(Path(sparsereg.__file__).parent.parent)]
    )
    text = capsys.readouterr().out
    # two copies of one package fit one model, to the bit
    assert same and text.rstrip().endswith("same coefficients: yes") and ratio > 0


def test_bench_epoch_ab_quick_partial_fit_calls_same_bits(capsys):
    import sparsereg

    ratio, same = load("bench_epoch_ab").main(
        [
            "--quick",
            "--state-store",
            "sparse",
            "--partial-fit-rows",
            "700",
            "--before",
            str(Path(sparsereg.__file__).parent.parent),
        ]
    )
    text = capsys.readouterr().out
    # the same rows by partial_fit calls of 700 rows, in two copies of one package: one model
    assert same and "partial_fit calls of 700 rows" in text and ratio > 0


def test_bench_calls_ab_refuses_a_version_running_the_other_kernel(tmp_path, monkeypatch):
    # A Cython module also enters sys.modules under the name it was compiled with when that
    # name is free: had a copy been imported before sparsereg, sparsereg would run the copy's
    # kernel, and an A/B of a kernel change would compare one kernel with itself. The bench
    # must refuse, not print. (A copy of a build with sparsereg._cyutility no longer gets that
    # far: its modules import that one, and with it sparsereg, which fails on the half-made
    # copy; a checkout from before the kernel's split still can.)
    import types

    import sparsereg

    copy = types.ModuleType("sparsereg._ftrl_grid")
    copy.__file__ = str(tmp_path / "early" / "sparsereg_before" / "_ftrl_grid.so")
    monkeypatch.setitem(sys.modules, "sparsereg._ftrl_grid", copy)
    with pytest.raises(SystemExit, match=r"sparsereg\._ftrl_grid was loaded from .*early"):
        load("bench_calls_ab").import_before(Path(sparsereg.__file__).parent.parent, tmp_path)
    assert not (tmp_path / "sparsereg_before").exists()  # refused before copying anything


def test_bench_shuffle_quick(capsys):
    median = load("bench_shuffle").main(["--quick"])
    text = capsys.readouterr().out
    tools = {"sparsereg, 1 thread", "sparsereg, 2 threads", "SGDClassifier"}
    assert set(median) == {(tool, shuffle) for tool in tools for shuffle in (False, True)}
    assert all(seconds > 0 for seconds in median.values())
    for tool in tools:  # one printed row per tool: both times and their ratio
        rows = [
            row.split()
            for row in text.splitlines()
            if row.startswith(tool + " ") and "/" not in row
        ]
        assert len(rows) == 1 and all(float(v) > 0 for v in rows[0][-3:])


def test_bench_bulk_calls_ab_refuses_a_version_it_did_not_import(tmp_path):
    # a --before without a package of its own: its processes import this one, and the
    # comparison would be of one version with itself
    with pytest.raises(SystemExit, match="would import"):
        load("bench_bulk_calls_ab").main(["--quick", "--before", str(tmp_path)])
