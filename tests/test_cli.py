"""The ``sparsereg`` command line: train, predict and report on files; bad input; Ctrl-C."""

import bz2
import faulthandler
import functools
import gzip
import io
import itertools
import json
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest

from sparsereg import FeatureCrossHasher, SparseFTRLClassifier
from sparsereg.cli import main
from sparsereg.export import load_model
from sparsereg.stream import fit_stream

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

SITES = np.array(["news", "shop", "mail", "video", "games", "maps"])


def clicks(n=3000, seed=0):
    rng = np.random.RandomState(seed)
    site = rng.choice(SITES, n)
    hour = rng.randint(0, 24, n)
    lat = np.round(rng.uniform(32, 42, n), 4)
    margin = np.where(site == "shop", 1.5, -1.0) + np.where(hour > 18, 1.0, -0.5)
    click = (rng.rand(n) < 1 / (1 + np.exp(-margin))).astype(int)
    return pd.DataFrame({"site": site, "hour": hour, "lat": lat, "click": click})


@functools.cache
def clicks_csv(n=3000, seed=0):
    """The bytes ``clicks(n, seed).to_csv(path, index=False)`` writes, made once (no test
    changes them: each writes them into a file of its own)."""
    buffer = io.BytesIO()
    clicks(n, seed).to_csv(buffer, index=False)
    return buffer.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "clicks.csv"
    path.write_bytes(clicks_csv())
    return path


@pytest.fixture(scope="module")
def default_model_of_clicks(tmp_path_factory):
    """`sparsereg train clicks.csv --target click` (its defaults: 2**24 features), trained once
    for the tests that only need such a model file (each copies it; none writes it)."""
    folder = tmp_path_factory.mktemp("default_model")
    (folder / "clicks.csv").write_bytes(clicks_csv())
    model = folder / "m.npz"
    args = ["train", str(folder / "clicks.csv"), "--target", "click", "--model", str(model)]
    assert main([*args, "--quiet"]) == 0
    return model


def train(tmp_path, data, *extra, capsys=None):
    model = tmp_path / "model.npz"
    args = [
        "train",
        *map(str, data if isinstance(data, list) else [data]),
        "--target",
        "click",
        "--model",
        str(model),
        "--cross",
        "site,hour",
        "--bucket",
        "lat=0.5",
        "--n-features",
        "2**16",
        "--batch-rows",
        "500",
        "--json",
        "--quiet",
        *extra,
    ]
    status = main(args)
    summary = json.loads(capsys.readouterr().out) if capsys is not None and status == 0 else None
    return status, model, summary


def model_arrays(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def assert_same_model(a, b):
    fa, fb = model_arrays(a), model_arrays(b)
    assert sorted(fa) == sorted(fb)
    for key in fa:
        np.testing.assert_array_equal(fa[key], fb[key], err_msg=key)


def test_train_equals_fit_stream_and_predict_equals_the_model(tmp_path, csv_file, capsys):
    status, model_path, summary = train(tmp_path, csv_file, "--holdout", "10", capsys=capsys)
    assert status == 0
    assert summary["rows"] == 2700 and summary["passes"] == 1  # every 10th row held out
    model = load_model(model_path)
    assert summary["nonzero"] == model.coef_.nnz > 0

    # the same run through the Python API, on the same file
    from sklearn.pipeline import make_pipeline

    hasher = FeatureCrossHasher(
        [("site",), ("hour",), ("lat",), ("site", "hour")], buckets={"lat": 0.5}, n_features=2**16
    )
    est = SparseFTRLClassifier(shuffle=False, random_state=0)
    fitted, history = fit_stream(
        make_pipeline(hasher, est), csv_file, target="click", holdout=10, batch_rows=500
    )
    np.testing.assert_array_equal(model.coef_.toarray(), fitted[-1].coef_.reshape(1, -1))
    assert summary["progressive_loss"] == history.progressive_loss
    assert summary["holdout_loss"] == history.holdout_loss

    out = tmp_path / "preds.csv"
    assert (
        main(["predict", str(model_path), str(csv_file), "--out", str(out), "--proba", "--quiet"])
        == 0
    )
    preds = pd.read_csv(out)
    rows = pd.read_csv(csv_file).drop(columns=["click"])
    np.testing.assert_array_equal(preds["prediction"], model.predict(rows))
    np.testing.assert_allclose(preds[["proba_0", "proba_1"]], model.predict_proba(rows), rtol=1e-15)


def test_predictions_end_lines_with_a_newline_and_are_compressed_as_out_names(
    tmp_path, csv_file, capsys
):
    # csv's "\r\n" ended each line (a "\r" on the last value that cut or awk read), and
    # --out preds.csv.gz wrote plain text under a gzip name (train reads .gz files gunzipped)
    import bz2
    import gzip

    status, model_path, _ = train(tmp_path, csv_file, capsys=capsys)
    assert status == 0
    predict = ["predict", str(model_path), str(csv_file), "--proba", "--quiet"]
    assert main(predict) == 0
    written = capsys.readouterr().out
    assert "\r" not in written and written.endswith("\n") and written.count("\n") == 3001
    plain = tmp_path / "preds.csv"
    assert main([*predict, "--out", str(plain)]) == 0
    assert plain.read_bytes() == written.encode()
    for name, opened in (("preds.csv.gz", gzip.open), ("preds.csv.bz2", bz2.open)):
        assert main([*predict, "--out", str(tmp_path / name)]) == 0
        with opened(tmp_path / name, "rb") as packed:
            assert packed.read() == plain.read_bytes()
    again = tmp_path / "again.csv.gz"  # (the same bytes for the same predictions)
    assert main([*predict, "--out", str(again)]) == 0
    assert again.read_bytes() == (tmp_path / "preds.csv.gz").read_bytes()
    for suffix in (".zst", ".lz4", ".xz", ".zip"):  # (compressions not written: refused)
        with pytest.raises(SystemExit) as exit_info:
            main([*predict, "--out", str(tmp_path / f"preds.csv{suffix}")])
        assert exit_info.value.code == 2
        assert f"compressed for a .gz or .bz2 name only; {suffix} is not" in capsys.readouterr().err
        assert not (tmp_path / f"preds.csv{suffix}").exists()


def test_a_label_holding_a_carriage_return_is_quoted_in_the_predictions(tmp_path, capsys):
    # with lines ending "\n", Python's csv quotes no field holding a "\r": the label "no\rway"
    # was written bare, and a CSV reader split its lines
    from sklearn.pipeline import make_pipeline

    from sparsereg import export_model

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.choice(["u", "v"], 200)})
    y = np.where(X["a"] == "u", "no\rway", "yes")
    hasher = FeatureCrossHasher(crosses=["a"], n_features=2**8)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(X, y)
    export_model(pipe).save(tmp_path / "m.npz")
    X.to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "preds.csv"
    argv = ["predict", str(tmp_path / "m.npz"), str(tmp_path / "rows.csv"), "--proba"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    back = pd.read_csv(out)
    assert list(back.columns) == ["prediction", "proba_no\rway", "proba_yes"]
    assert back["prediction"].tolist() == pipe.predict(X).tolist()
    np.testing.assert_allclose(back.iloc[:, 1:], pipe.predict_proba(X), rtol=1e-15)


def test_a_hashed_width_as_small_as_a_number_of_bits_is_noted(tmp_path, csv_file, capsys):
    # --n-features 22 (Vowpal Wabbit's -b 22) trained a model of 22 columns without a word
    args = ["train", str(csv_file), "--target", "click", "--model", str(tmp_path / "m.npz")]
    assert main([*args, "--n-features", "22"]) == 0
    err = capsys.readouterr().err
    assert "--n-features 22 hashes every feature into 22 columns, where most collide" in err
    assert "Vowpal Wabbit's -b 22 is --n-features 2**22" in err
    assert load_model(tmp_path / "m.npz").n_features_in_ == 22  # (as asked)
    assert main([*args, "--n-features", "2**16"]) == 0
    assert "most collide" not in capsys.readouterr().err


def test_predict_reads_64_bit_ids_as_the_model_reads_them_in_memory(tmp_path):
    # read as float64, the ids 2**60 + k (k < 128) were all 2**60, bucket and feature: the
    # file's predictions were not those of its rows in memory (an Int64 column), each id apart
    rng = np.random.RandomState(0)
    user = 2**60 + rng.randint(0, 40, 2000)
    click = (rng.rand(2000) < np.where(user % 2 == 0, 0.9, 0.1)).astype(int)
    frame = pd.DataFrame({"site": rng.choice(SITES, 2000), "user": user, "click": click})
    frame["user"] = frame["user"].astype("Int64")
    frame.loc[::13, "user"] = pd.NA
    path = tmp_path / "users.csv"
    frame.to_csv(path, index=False)
    model, out = tmp_path / "model.npz", tmp_path / "preds.csv"
    train = ["train", str(path), "--target", "click", "--model", str(model), "--quiet"]
    assert main([*train, "--features", "site,user", "--bucket", "user=1"]) == 0
    predict = ["predict", str(model), str(path), "--out", str(out), "--proba", "--quiet"]
    assert main(predict) == 0
    rows = pd.read_csv(path, dtype={"site": str, "user": "Int64"}).drop(columns=["click"])
    preds = pd.read_csv(out)
    fitted = load_model(model)
    np.testing.assert_array_equal(preds[["proba_0", "proba_1"]], fitted.predict_proba(rows))
    np.testing.assert_array_equal(preds["prediction"], fitted.predict(rows))
    # each id its own feature: the even ones (mostly clicked) apart from the odd ones
    proba = preds["proba_1"][frame["user"].notna().to_numpy()]
    even = (frame["user"].dropna() % 2 == 0).to_numpy()
    assert proba[even].min() > proba[~even].max()


@pytest.mark.parametrize("weights", ["float16", "q2.13"])
def test_weights_option_writes_the_16_bit_export(tmp_path, csv_file, capsys, weights):
    status, path, summary = train(tmp_path, csv_file, "--weights", weights, capsys=capsys)
    assert status == 0 and summary["weights"] == weights
    # the model of the same run through the Python API, exported with those weights
    from sklearn.pipeline import make_pipeline

    from sparsereg import export_model

    hasher = FeatureCrossHasher(
        [("site",), ("hour",), ("lat",), ("site", "hour")], buckets={"lat": 0.5}, n_features=2**16
    )
    est = SparseFTRLClassifier(shuffle=False, random_state=0)
    fitted, _ = fit_stream(make_pipeline(hasher, est), csv_file, target="click", batch_rows=500)
    expected = export_model(fitted, weights=weights, random_state=0)
    model = load_model(path)
    np.testing.assert_array_equal(model.coef_.toarray(), expected.coef_.toarray())
    # (as the stream read them: hour as numbers, which the model's kinds say)
    rows = pd.read_csv(csv_file, dtype={"site": str}).drop(columns=["click"])
    np.testing.assert_array_equal(model.predict_proba(rows), expected.predict_proba(rows))
    full = export_model(fitted)  # float64: the 16-bit weights differ, and only a little
    assert not np.array_equal(model.coef_.toarray(), full.coef_.toarray())
    np.testing.assert_allclose(model.coef_.toarray(), full.coef_.toarray(), atol=1e-2)


def test_columns_alone_without_crosses(tmp_path, csv_file, capsys):
    model = tmp_path / "m.npz"
    assert (
        main(
            [
                "train",
                str(csv_file),
                "--target",
                "click",
                "--model",
                str(model),
                "--features",
                "site,hour",
                "--n-features",  # (the default 2**24: ~0.3 s a model, whatever its data)
                "2**16",
                "--quiet",
            ]
        )
        == 0
    )
    (hasher,) = load_model(model).transformers
    assert hasher.crosses == [("site",), ("hour",)]


def test_parquet_and_gzip_give_the_same_model_as_csv(tmp_path, csv_file, capsys):
    train(tmp_path, csv_file)
    os.replace(tmp_path / "model.npz", tmp_path / "from_csv.npz")
    clicks().to_parquet(tmp_path / "clicks.parquet", row_group_size=700)
    assert train(tmp_path, tmp_path / "clicks.parquet")[0] == 0
    assert_same_model(tmp_path / "model.npz", tmp_path / "from_csv.npz")
    with open(csv_file, "rb") as src, gzip.open(tmp_path / "clicks.csv.gz", "wb") as dst:
        dst.write(src.read())
    assert train(tmp_path, tmp_path / "clicks.csv.gz")[0] == 0
    assert_same_model(tmp_path / "model.npz", tmp_path / "from_csv.npz")
    # bzip2 (--format csv: its suffix names no format), decompressed by the header's reader too
    with open(csv_file, "rb") as src, bz2.open(tmp_path / "clicks.csv.bz2", "wb") as dst:
        dst.write(src.read())
    assert train(tmp_path, tmp_path / "clicks.csv.bz2", "--format", "csv")[0] == 0
    assert_same_model(tmp_path / "model.npz", tmp_path / "from_csv.npz")
    # a byte-order mark and blank lines before the header: read as the reader reads them
    marked = tmp_path / "marked.csv"
    marked.write_bytes(b"\xef\xbb\xbf\n\n" + csv_file.read_bytes())
    assert train(tmp_path, marked)[0] == 0
    assert_same_model(tmp_path / "model.npz", tmp_path / "from_csv.npz")


def test_several_files_are_one_stream_and_passes_and_early_stop_are_reported(tmp_path, capsys):
    data = clicks(4000)
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    data[:1500].to_csv(paths[0], index=False)
    data[1500:].to_csv(paths[1], index=False)
    status, _, summary = train(tmp_path, paths, "--passes", "3", "--holdout", "5", capsys=capsys)
    assert status == 0
    assert summary["passes"] == 3 and summary["rows"] == 3 * (1200 + 2000)
    assert summary["holdout_loss"] < np.log(2)


def test_options_may_come_between_and_before_the_files(tmp_path, capsys, monkeypatch):
    # `train a.csv --model m.npz b.csv`, as Vowpal Wabbit and most Unix tools take their
    # options: argparse's default gave "unrecognized arguments: b.csv"
    data = clicks(600)
    paths = [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    data[:250].to_csv(paths[0], index=False)
    data[250:].to_csv(paths[1], index=False)
    common = ["--target", "click", "--n-features", "2**12", "--batch-rows", "100", "--quiet"]
    models = [str(tmp_path / f"m{k}.npz") for k in range(3)]
    assert main(["train", *paths, "--model", models[0], *common]) == 0
    assert main(["train", paths[0], "--model", models[1], paths[1], *common]) == 0
    assert main(["train", "--model", models[2], *common, paths[0], "--", paths[1]]) == 0
    assert_same_model(models[0], models[1])
    assert_same_model(models[0], models[2])
    # after "--", names that begin with "-" are files, with options before and between
    dashed = [str(tmp_path / "-a.csv"), "-b.csv"]
    shutil.copy(paths[0], dashed[0])
    shutil.copy(paths[1], tmp_path / dashed[1])
    monkeypatch.chdir(tmp_path)  # ("-b.csv": a name relative to the folder)
    assert main(["train", "--model", models[1], *common, "--", *dashed]) == 0
    assert main(["train", dashed[0], "--model", models[2], *common, "--", dashed[1]]) == 0
    assert_same_model(models[0], models[1])
    assert_same_model(models[0], models[2])
    out = [str(tmp_path / f"p{k}.csv") for k in range(2)]
    assert main(["predict", models[0], paths[0], "--out", out[0], "--quiet", paths[1]]) == 0
    assert main(["predict", "--out", out[1], models[0], "--quiet", *paths]) == 0
    assert open(out[0]).read() == open(out[1]).read()
    assert main(["predict", "--out", out[1], "--quiet", "--", models[0], *paths]) == 0
    assert open(out[0]).read() == open(out[1]).read()
    assert len(open(out[0]).read().splitlines()) == 1 + 600
    capsys.readouterr()
    assert main(["report", "--top", "3", models[0], "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["report", models[0], "--json", "--top", "3"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert len(first["top_weights"]) == 3
    # an option argparse does not know is still refused wherever it stands, named with the
    # files after "--" it left over as given
    with pytest.raises(SystemExit) as exit_info:
        main(["train", paths[0], "--model", models[0], "--bogus", *common])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["train", paths[0], "--bogus=3", "--model", models[0], *common, "--", dashed[1]])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --bogus=3 -b.csv" in capsys.readouterr().err
    # an option that wants a value just before "--" takes no file for it (the first version
    # of this parsing wrote the model over b.csv)
    before = open(paths[1], "rb").read()
    for option in ("--model", "--target"):
        argv = ["train", paths[0], *common, "--model", models[0], option, "--", paths[1]]
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert f"argument {option}: expected one argument" in capsys.readouterr().err
    assert open(paths[1], "rb").read() == before
    # `--features=--`: argparse before Python 3.12.8 / 3.13.1 gave no value ([]), a model of no
    # column trained without a word
    for option in ("--features", "--model", "--cross"):
        with pytest.raises(SystemExit) as exit_info:
            main(["train", *paths, *common, "--model", models[0], f"{option}=--"])
        assert exit_info.value.code == 2
        assert f"argument {option}: expected one argument" in capsys.readouterr().err


def test_svmlight_trains_on_its_own_columns(tmp_path, capsys):
    from sklearn.datasets import dump_svmlight_file

    rng = np.random.RandomState(0)
    X = (rng.rand(600, 30) < 0.2).astype(float)
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    dump_svmlight_file(X, y, str(tmp_path / "d.svm"), zero_based=True)
    model = tmp_path / "m.npz"
    assert (
        main(
            [
                "train",
                str(tmp_path / "d.svm"),
                "--model",
                str(model),
                "--n-features",
                "30",
                "--quiet",
                "--batch-rows",
                "100",
            ]
        )
        == 1
    )  # LIBSVM's indices start at 1
    assert (
        main(
            [
                "train",
                str(tmp_path / "d.svm"),
                "--model",
                str(model),
                "--n-features",
                "30",
                "--quiet",
                "--batch-rows",
                "100",
                "--zero-based",
            ]
        )
        == 0
    )
    est, _ = fit_stream(
        SparseFTRLClassifier(shuffle=False, random_state=0),
        [(X[i : i + 100], y[i : i + 100]) for i in range(0, 600, 100)],
    )
    np.testing.assert_array_equal(load_model(model).coef_.toarray(), est.coef_.reshape(1, -1))


def test_report_names_the_largest_weights_with_their_cells(tmp_path, csv_file, capsys):
    train(tmp_path, csv_file)
    capsys.readouterr()
    assert main(["report", str(tmp_path / "model.npz"), str(csv_file), "--top", "3"]) == 0
    text = capsys.readouterr().out
    assert "non-zero weights" in text and "largest weights" in text
    assert "site=shop" in text  # the strongest signal of the data
    assert (
        main(["report", str(tmp_path / "model.npz"), str(csv_file), "--top", "50", "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    weights = [w["weight"] for w in report["top_weights"]]
    assert weights == sorted(weights, key=abs, reverse=True)
    assert len(weights) == min(50, report["nonzero"])
    assert all(w["cells"] for w in report["top_weights"])  # every column named from the data


@pytest.mark.parametrize("features", [None, "site,hour,lat"])
def test_a_file_of_the_columns_in_another_order_is_read_by_name(
    tmp_path, csv_file, capsys, features
):
    # train reads a later file of the same columns in another order by name; predict and
    # report refused such a file ("Feature names must be in the same order as they were in
    # fit", from the model's first step, naming no file)
    extra = [] if features is None else ["--features", features]
    assert train(tmp_path, csv_file, *extra, capsys=capsys)[0] == 0
    model = tmp_path / "model.npz"
    reordered = tmp_path / "reordered.csv"
    pd.read_csv(csv_file)[["lat", "click", "hour", "site"]].to_csv(reordered, index=False)
    outputs = []
    for data in (csv_file, reordered):
        out = tmp_path / f"preds_of_{data.stem}.csv"
        args = ["predict", str(model), str(data), "--out", str(out), "--proba", "--quiet"]
        assert main(args) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    reports = []
    for data in (csv_file, reordered):
        assert main(["report", str(model), str(data), "--top", "20", "--json"]) == 0
        reports.append(json.loads(capsys.readouterr().out))
    assert reports[0] == reports[1] and all(w["cells"] for w in reports[0]["top_weights"])


# ---------------------------------------------------------------- warnings
def _naive_model_and_aware_rows(tmp_path):
    """A model trained on naive datetimes and a file of 3,000 aware ones (UTC offsets): each
    of its batches is warned of (their buckets are not the model's)."""
    ts = pd.Series(pd.date_range("2024-01-01", periods=3000, freq="37min"))
    frame = pd.DataFrame({"ts": ts, "site": np.arange(3000) % 5, "click": np.arange(3000) % 2})
    frame.to_csv(tmp_path / "naive.csv", index=False)
    frame.assign(ts=ts.dt.tz_localize("UTC")).to_csv(tmp_path / "aware.csv", index=False)
    model = str(tmp_path / "m.npz")
    argv = ["train", str(tmp_path / "naive.csv"), "--target", "click", "--model", model]
    assert main([*argv, "--bucket", "ts=hour,dayofweek", "--quiet"]) == 0
    return model, str(tmp_path / "aware.csv")


def test_the_program_says_a_warning_once_in_its_own_words(tmp_path):
    model, aware = _naive_model_and_aware_rows(tmp_path)
    out = tmp_path / "p.csv"
    command = [sys.executable, "-m", "sparsereg", "predict", model, aware, "--out", str(out)]
    done = subprocess.run([*command, "--batch-rows", "500"], capture_output=True, text=True)
    assert done.returncode == 0 and len(pd.read_csv(out)) == 3000
    said = done.stderr.splitlines()
    assert sum("holds timezone-aware datetimes" in line for line in said) == 1  # (6 batches)
    assert said[0].startswith("sparsereg: warning: column 'ts' holds timezone-aware datetimes")
    assert "runpy" not in done.stderr and "UserWarning" not in done.stderr
    # the filters still decide: -W error ends the run as an error, without a traceback and
    # without a file of the predictions made before it
    out.unlink()
    done = subprocess.run(
        [sys.executable, "-W", "error", *command[1:]], capture_output=True, text=True
    )
    assert done.returncode == 1 and not out.exists()
    assert done.stderr.startswith("sparsereg: error: column 'ts' holds timezone-aware")
    assert "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-W", "ignore", *command[1:]], capture_output=True)
    assert done.returncode == 0 and b"warning" not in done.stderr


def test_main_passes_each_warning_once_to_its_callers_display(tmp_path, capsys):
    model, aware = _naive_model_and_aware_rows(tmp_path)
    argv = ["predict", model, aware, "--out", str(tmp_path / "p.csv"), "--batch-rows", "500"]
    import warnings

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        shown = warnings.showwarning
        assert main(argv) == 0
        assert warnings.showwarning is shown  # (put back)
    assert [str(w.message)[:40] for w in said] == ["column 'ts' holds timezone-aware datetim"]
    # each run says it again; a caller's 'ignore' drops it
    with pytest.warns(UserWarning, match="column 'ts' holds timezone-aware"):
        assert main(argv) == 0
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("ignore")
        assert main(argv) == 0
    assert said == []
    # a caller's 'error' ends the command as an error, said on stderr
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(argv) == 1
    assert capsys.readouterr().err.startswith("sparsereg: error: column 'ts' holds timezone-aware")


def test_the_programs_warnings_go_nowhere_without_stderr(monkeypatch, capsys):
    import warnings

    from sparsereg._cli_warnings import each_warning_once

    monkeypatch.setattr(sys, "stderr", None)  # (pythonw's): not onto stdout, the predictions
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with each_warning_once(as_program=True):
            warnings.warn("lost", UserWarning, stacklevel=1)
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("loss", [None, "hinge"])
def test_a_regression_target_given_to_a_classifier_names_the_loss_to_give(
    tmp_path, csv_file, capsys, loss
):
    # scikit-learn's "Unknown label type: continuous. Maybe you are trying to fit a
    # classifier..." named no option of the command
    frame = pd.read_csv(csv_file)
    frame["price"] = frame["lat"] * 1.5 + 0.25
    path = tmp_path / "prices.csv"
    frame.drop(columns=["click"]).to_csv(path, index=False)
    args = ["train", str(path), "--target", "price", "--model", str(tmp_path / "m.npz")]
    assert main(args + ([] if loss is None else ["--loss", loss])) == 1
    err = capsys.readouterr().err
    assert "prices.csv: rows 1-" in err and "Unknown label type: continuous" in err
    default = ", the default," if loss is None else ""
    assert (
        "the target 'price' holds numbers that are not class labels: for a regression give a "
        f"regressor's loss, --loss squared_error (--loss {loss or 'log_loss'}{default} trains a "
        "classifier)." in err
    )
    assert not (tmp_path / "m.npz").exists()
    assert main(args + ["--loss", "squared_error", "--quiet"]) == 0


def test_a_missing_target_column_is_named(tmp_path, csv_file, capsys):
    status = main(
        ["train", str(csv_file), "--target", "clicked", "--model", str(tmp_path / "m.npz")]
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "no column 'clicked'" in err and "clicks.csv" in err
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"site,hour,lat,click\nnews,3,35.1,0\nshop,4,36.0\n", "row 2: expected 4 fields, found 3"),
        (b"site,hour,lat,click\nnews,3,35.1,0\nshop,4,north,1\n", "row 2"),
    ],
)
def test_bad_files_name_the_file_and_row(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert train(tmp_path, path)[0] == 1
    err = capsys.readouterr().err
    assert "bad.csv" in err and message in err


def test_skip_bad_rows_counts_them(tmp_path, csv_file, capsys):
    lines = csv_file.read_text().splitlines()
    lines[10] = "shop,4"  # too few fields
    lines[20] = "shop,4,north,1"  # not a number in a bucketed column
    csv_file.write_text("\n".join(lines) + "\n")
    assert train(tmp_path, csv_file)[0] == 1
    status, _, summary = train(tmp_path, csv_file, "--skip-bad-rows", capsys=capsys)
    assert status == 0
    assert summary["bad_rows"] == 2 and summary["rows"] == 2998


def test_bad_rows_of_several_passes_are_counted_in_each_and_the_summary_says_so(
    tmp_path, csv_file, capsys
):
    # (a 3-pass run over a file of 2 bad rows said "6 bad rows skipped", as if 6 rows were bad)
    lines = csv_file.read_text().splitlines()
    lines[10] = "shop,4"
    lines[20] = "shop,4,north,1"
    csv_file.write_text("\n".join(lines) + "\n")
    status, _, summary = train(
        tmp_path, csv_file, "--skip-bad-rows", "--passes", "3", capsys=capsys
    )
    assert status == 0 and summary["bad_rows"] == 6 and summary["rows"] == 3 * 2998
    args = ["train", str(csv_file), "--target", "click", "--bucket", "lat=0.5"]
    args += ["--model", str(tmp_path / "m.npz"), "--n-features", "2**16"]  # (not 2**24: ~0.3 s)
    for passes, said in [
        ("3", "; 6 bad rows skipped over 3 passes\n"),
        ("1", "; 2 bad rows skipped\n"),
    ]:
        assert main([*args, "--skip-bad-rows", "--passes", passes]) == 0
        assert capsys.readouterr().err.endswith(said)


def test_a_truncated_gzip_is_an_error_naming_the_file(tmp_path, csv_file, capsys):
    data = gzip.compress(csv_file.read_bytes())
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    assert train(tmp_path, tmp_path / "cut.csv.gz")[0] == 1
    assert "cut.csv.gz" in capsys.readouterr().err


def test_a_missing_file_and_a_bad_option_are_errors(tmp_path, capsys):
    assert train(tmp_path, tmp_path / "nowhere.csv")[0] == 1
    assert "nowhere.csv" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "x.csv", "--target", "click", "--model", "m.npz", "--loss", "cubic"])
    assert exit_info.value.code == 2
    assert "--loss 'cubic' is not a loss" in capsys.readouterr().err
    # a count that overflows to infinity is a usage error, not a traceback
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "x.csv", "--target", "click", "--model", "m.npz", "--batch-rows", "1e400"])
    assert exit_info.value.code == 2
    assert "'1e400' is too large" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--model", "--checkpoint", "--out"])
def test_an_output_that_names_an_input_file_is_refused_before_any_work(
    tmp_path, csv_file, capsys, option
):
    # (--model and --checkpoint wrote a model over the training data: silently, or with a
    # second pass failing on a "corrupt" file)
    data = csv_file.read_bytes()
    other = tmp_path / "other.csv"
    other.write_bytes(data)
    same = str(tmp_path / "." / csv_file.name)  # another spelling of the same file
    if option == "--out":
        assert train(tmp_path, csv_file)[0] == 0
        args = ["predict", str(tmp_path / "model.npz"), str(other), str(csv_file), "--out", same]
    else:
        args = ["train", str(other), str(csv_file), "--target", "click", option, same]
        args += ["--model", str(tmp_path / "m.npz")] if option == "--checkpoint" else []
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert f"{option} {same} is the input file {csv_file}" in capsys.readouterr().err
    assert csv_file.read_bytes() == data and other.read_bytes() == data
    if option == "--out":  # nor the model file predict reads
        model = tmp_path / "model.npz"
        saved = model.read_bytes()
        with pytest.raises(SystemExit):
            main(["predict", str(model), str(csv_file), "--out", str(model)])
        assert f"--out {model} is the input file {model}" in capsys.readouterr().err
        assert model.read_bytes() == saved


@pytest.mark.parametrize(
    "content, message",
    [
        (b"site,ho\xffur,lat,click\nnews,3,35.1,0\n", "byte 0xff is not UTF-8"),
        (b"site," + b"h" * 200_000 + b",lat,click\nnews,3,35.1,0\n", "field larger than"),
    ],
)
def test_a_header_that_cannot_be_read_is_a_message(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert train(tmp_path, path)[0] == 1
    err = capsys.readouterr().err
    assert f"{path}: cannot read its header: {message}" in err and "Traceback" not in err


def test_a_row_that_is_not_utf8_near_the_header_is_a_bad_row(tmp_path, csv_file, capsys):
    # (the header was read through a decoder of ~8 KB blocks: a bad byte in row 2 failed
    # the header)
    lines = csv_file.read_bytes().split(b"\n")
    lines[2] = b"sh\xffop,4,35.0,1"
    csv_file.write_bytes(b"\n".join(lines))
    assert train(tmp_path, csv_file)[0] == 1
    assert "row 2" in capsys.readouterr().err
    status, _, summary = train(tmp_path, csv_file, "--skip-bad-rows", capsys=capsys)
    assert status == 0 and summary["bad_rows"] == 1 and summary["rows"] == 2999


def test_predictions_of_several_targets_are_a_column_each(tmp_path, capsys):
    from sklearn.datasets import dump_svmlight_file
    from sklearn.linear_model import Ridge

    from sparsereg.export import export_model

    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    ridge = Ridge().fit(X, np.c_[X[:, 0], -X[:, 1]])
    export_model(ridge).save(tmp_path / "ridge.npz")
    dump_svmlight_file(X[:3], np.zeros(3), str(tmp_path / "rows.svm"))
    out = tmp_path / "p.csv"
    args = ["predict", str(tmp_path / "ridge.npz"), str(tmp_path / "rows.svm"), "--out", str(out)]
    assert main([*args, "--zero-based", "--quiet"]) == 0
    written = pd.read_csv(out)
    assert list(written.columns) == ["prediction_0", "prediction_1"]
    # (the file holds X to 16 digits)
    np.testing.assert_allclose(written.to_numpy(), ridge.predict(X[:3]), rtol=1e-13)


def test_an_error_leaves_the_last_checkpoint_intact(tmp_path, csv_file, capsys):
    lines = csv_file.read_text().splitlines()
    lines[2500] = "shop,4"
    csv_file.write_text("\n".join(lines) + "\n")
    checkpoint = tmp_path / "run.ckpt"
    assert (
        train(tmp_path, csv_file, "--checkpoint", str(checkpoint), "--checkpoint-every", "1000")[0]
        == 1
    )
    assert "row 2500" in capsys.readouterr().err
    with zipfile.ZipFile(checkpoint) as z:  # a whole checkpoint, at a batch before the error
        assert z.testzip() is None
    with np.load(checkpoint) as f:
        assert int(f["progress.ints"][2]) == 2000 and int(f["state.t"]) == 2000


# ---------------------------------------------------------------- Ctrl-C and resume
def _stopped_after_a_checkpoint(command, checkpoint, signum):
    """Run `command`, send it `signum` once `checkpoint` exists (the run still going), and
    return its ``(returncode, stderr)``."""
    run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before it could be stopped"
    run.send_signal(signum)
    _, err = run.communicate(timeout=120)
    return run.returncode, err


def test_ctrl_c_saves_a_checkpoint_and_resume_gives_the_uninterrupted_model(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(clicks_csv(30_000, seed=1))
    # three passes: the first checkpoint (after 10,000 rows) comes long before the end
    common = [
        sys.executable,
        "-m",
        "sparsereg",
        "train",
        str(path),
        "--target",
        "click",
        "--cross",
        "site,hour",
        "--n-features",
        "2**18",
        "--batch-rows",
        "1000",
        "--holdout",
        "7",
        "--passes",
        "3",
        "--quiet",
    ]
    checkpoint = tmp_path / "run.ckpt"
    returncode, err = _stopped_after_a_checkpoint(
        common
        + [
            "--model",
            str(tmp_path / "resumed.npz"),
            "--checkpoint",
            str(checkpoint),
            "--checkpoint-every",
            "10000",
        ],
        checkpoint,
        signal.SIGINT,
    )
    assert returncode == 130, err
    assert "interrupted; the last checkpoint is" in err
    assert not (tmp_path / "resumed.npz").exists()
    with np.load(checkpoint) as f:
        stopped_at = (int(f["progress.ints"][0]), int(f["progress.ints"][2]))
    assert stopped_at != (0, 0)

    # the resumed and the uninterrupted runs in this process (main() as the command runs it):
    # nothing of the interrupted process is here but its checkpoint, and two interpreters fewer
    assert (
        main(
            common[3:]
            + [
                "--model",
                str(tmp_path / "resumed.npz"),
                "--checkpoint",
                str(checkpoint),
                "--checkpoint-every",
                "10000",
                "--resume",
            ]
        )
        == 0
    )
    assert main(common[3:] + ["--model", str(tmp_path / "whole.npz")]) == 0
    assert_same_model(tmp_path / "resumed.npz", tmp_path / "whole.npz")


def test_the_readme_shows_the_help_of_train(monkeypatch, capsys):
    # main() as `sparsereg train --help` runs it (the parser names its program "sparsereg"),
    # in a terminal of 100 columns, where argparse reads the width
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    assert help_text.strip() in readme


@pytest.mark.parametrize("option", ["--model", "--checkpoint", "--out"])
@pytest.mark.parametrize("name", ["", "folder/"])
def test_an_output_that_names_no_file_is_a_usage_error(
    tmp_path, csv_file, capsys, monkeypatch, default_model_of_clicks, option, name
):
    # (it failed after training, or after predicting: "No such file or directory:
    # '..<hex>.tmp' -> ''")
    model = tmp_path / "m.npz"
    shutil.copyfile(default_model_of_clicks, model)  # (`train csv_file`, trained once)
    monkeypatch.chdir(tmp_path)
    if option == "--out":
        args = ["predict", str(model), str(csv_file), "--out", name]
    else:
        outputs = {"--model": str(tmp_path / "n.npz"), option: name}
        args = ["train", str(csv_file), "--target", "click", *itertools.chain(*outputs.items())]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert f"{option} {name!r} names no file" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == sorted(["clicks.csv", "m.npz"])


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
@pytest.mark.parametrize("model_there", [False, True])
def test_a_checkpoint_linked_to_the_model_is_a_usage_error(
    tmp_path, csv_file, capsys, default_model_of_clicks, model_there
):
    # (a link is written through: the checkpoints were written into the model's file, and the
    # model over them at the end; --resume then read a model as a checkpoint)
    model = tmp_path / "m.npz"
    if model_there:  # (`train csv_file --model m.npz`, trained once)
        shutil.copyfile(default_model_of_clicks, model)
    os.symlink("m.npz", tmp_path / "run.ckpt")
    args = ["train", str(csv_file), "--target", "click", "--model", str(model)]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--checkpoint", str(tmp_path / "run.ckpt")])
    assert exit_info.value.code == 2
    assert "--model and --checkpoint must be different files" in capsys.readouterr().err
    assert model.exists() == model_there


@pytest.mark.parametrize("command", ["train", "predict", "report"])
def test_stdin_as_csv_data_is_a_usage_error_naming_the_alternative(
    tmp_path, csv_file, capsys, default_model_of_clicks, command
):
    # ("-" was taken for a file's name: "cannot tell the format of - from its suffix", or
    # with --format "-: no such file"); train and predict read SVMlight lines from it
    model = tmp_path / "m.npz"
    shutil.copyfile(default_model_of_clicks, model)  # (`train csv_file`, trained once)
    before = model.read_bytes()
    args = {
        "train": ["train", "-", "--target", "click", "--model", str(model), "--format", "csv"],
        "predict": ["predict", str(model), "-", "--format", "csv", "--out", str(tmp_path / "p")],
        "report": ["report", str(model), "-"],
    }[command]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "DATA -: standard input cannot be read" in err
    assert f"sparsereg {command}{'' if command == 'train' else ' MODEL.npz'} day.csv.gz" in err
    assert model.read_bytes() == before and not (tmp_path / "p").exists()


def test_rows_the_hasher_refuses_are_named_or_skipped(tmp_path, csv_file, capsys):
    lines = csv_file.read_text().splitlines()
    lines[2700] = "shop,4,1e308,1"  # a number, but no bucket of width 0.5 holds it
    csv_file.write_text("\n".join(lines) + "\n")
    assert train(tmp_path, csv_file)[0] == 1
    # the row, not its batch (rows 2501-3000), found by the bisection that skipping uses
    assert "clicks.csv: row 2700: " in capsys.readouterr().err
    status, _, summary = train(tmp_path, csv_file, "--skip-bad-rows", capsys=capsys)
    assert status == 0 and summary["bad_rows"] == 1 and summary["rows"] == 2999


def test_bad_rows_are_counted_when_a_whole_batch_is_bad(tmp_path, capsys):
    data = clicks(500)  # (100 batches of 5: each costs the reader ~7 ms, whatever its rows)
    path = tmp_path / "some_bad.csv"
    lines = data.to_csv(index=False).splitlines()
    for k in range(401, 411):  # rows 401-410: a whole batch of 5 twice
        lines[k] = "shop,4"
    path.write_text("\n".join(lines) + "\n")
    status, _, summary = train(
        tmp_path, path, "--skip-bad-rows", "--batch-rows", "5", capsys=capsys
    )
    assert status == 0 and summary["bad_rows"] == 10 and summary["rows"] == 490


def test_predict_leaves_no_partial_output_on_error(tmp_path, csv_file, capsys):
    train(tmp_path, csv_file)
    lines = csv_file.read_text().splitlines()
    lines[2500] = "shop,4"
    csv_file.write_text("\n".join(lines) + "\n")
    out = tmp_path / "preds.csv"
    assert (
        main(
            [
                "predict",
                str(tmp_path / "model.npz"),
                str(csv_file),
                "--out",
                str(out),
                "--batch-rows",
                "1000",
            ]
        )
        == 1
    )
    assert "row 2500" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.glob("preds.csv*")) == []


def test_predict_skipping_bad_rows_says_which_row_each_line_predicts(tmp_path, csv_file):
    import pandas as pd

    train(tmp_path, csv_file)
    lines = csv_file.read_text().splitlines()
    lines[2] = lines[5] = "shop,4"  # rows 2 and 5: a field short
    csv_file.write_text("\n".join(lines[:9]) + "\n")  # rows 1-8
    out = tmp_path / "preds.csv"
    argv = ["predict", str(tmp_path / "model.npz"), str(csv_file), "--skip-bad-rows", "--proba"]
    assert main(argv + ["--out", str(out), "--quiet"]) == 0
    written = pd.read_csv(out)
    assert list(written.columns[:3]) == ["file", "row", "prediction"]
    assert written["row"].tolist() == [1, 3, 4, 6, 7, 8]
    assert set(written["file"]) == {str(csv_file)}
    # the same lines as predicting the good rows alone, a file without the bad ones
    good = tmp_path / "good.csv"
    good.write_text("\n".join(line for k, line in enumerate(lines[:9]) if k not in (2, 5)) + "\n")
    argv = ["predict", str(tmp_path / "model.npz"), str(good), "--proba", "--quiet"]
    assert main(argv + ["--out", str(tmp_path / "good_preds.csv")]) == 0
    expected = pd.read_csv(tmp_path / "good_preds.csv")
    assert list(written.columns[2:]) == list(expected.columns)
    np.testing.assert_array_equal(written.iloc[:, 2:].to_numpy(), expected.to_numpy())


@pytest.mark.parametrize("when", ["while writing", "at the exit's flush"])
def test_predict_into_a_pipe_closed_early_ends_quietly(tmp_path, csv_file, when):
    train(tmp_path, csv_file)
    if when == "at the exit's flush":  # 20 lines: all in stdout's buffer until the end
        csv_file.write_text("\n".join(csv_file.read_text().splitlines()[:21]) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    reader = subprocess.Popen(
        [sys.executable, "-m", "sparsereg", "predict", str(tmp_path / "model.npz")]
        + [str(csv_file)] * 2  # 6,000 lines of ~40 bytes: more than a pipe holds
        + ["--proba", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    if when == "while writing":
        assert reader.stdout.readline().startswith(b"prediction,proba_")
    reader.stdout.close()  # as `| head -1` (or `| true`) does
    _, err = reader.communicate(timeout=120)
    assert reader.returncode == 141 and err == b""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_refused_before_its_header_is_read(tmp_path, capsys):
    pipe = tmp_path / "rows.csv"
    os.mkfifo(pipe)  # opening it to read would wait for a writer
    faulthandler.dump_traceback_later(60, exit=True, file=sys.__stderr__)  # (capsys's has no fd)
    try:
        assert train(tmp_path, pipe)[0] == 1
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert "rows.csv is not a regular file" in capsys.readouterr().err


def test_svmlight_predict_reads_the_columns_as_training_did(tmp_path):
    from sklearn.datasets import dump_svmlight_file

    rng = np.random.RandomState(0)
    X = (rng.rand(400, 6) < 0.5).astype(float)
    y = (X[:, 0] > 0).astype(float)
    dump_svmlight_file(X, y, str(tmp_path / "train.svm"), zero_based=True)
    test = X[X[:, 0] == 0]  # column 0 never appears: "auto" would read the file as 1-based
    dump_svmlight_file(test, np.zeros(len(test)), str(tmp_path / "test.svm"), zero_based=True)
    model = tmp_path / "m.npz"
    assert (
        main(
            [
                "train",
                str(tmp_path / "train.svm"),
                "--model",
                str(model),
                "--n-features",
                "6",
                "--zero-based",
                "--quiet",
            ]
        )
        == 0
    )
    out = tmp_path / "p.csv"
    assert (
        main(
            [
                "predict",
                str(model),
                str(tmp_path / "test.svm"),
                "--zero-based",
                "--proba",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    np.testing.assert_allclose(
        pd.read_csv(out)[["proba_0", "proba_1"]], load_model(model).predict_proba(test), rtol=1e-15
    )


def test_predict_names_or_skips_the_rows_whose_scores_overflow(tmp_path, capsys):
    """A model file's weights of +-1e308 (taken: finite) times values of 10: the row's score
    is not a number. `predict` stops naming the file and line; with --skip-bad-rows it
    writes the other rows' predictions, as the model gives them, and counts the row."""
    from sklearn.datasets import dump_svmlight_file

    from sparsereg import export_model

    rng = np.random.RandomState(0)
    X = (rng.rand(300, 6) < 0.5).astype(float)
    fitted = SparseFTRLClassifier(alpha=0.0, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    arrays = {}
    export_model(fitted).save(tmp_path / "honest.npz")
    with np.load(tmp_path / "honest.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["coef_data"] = arrays["coef_data"].copy()
    arrays["coef_data"][:2] = [1e308, -1e308]
    np.savez(tmp_path / "model.npz", **arrays)
    hostile = arrays["coef_indices"][:2]
    rows = np.zeros((4, 6))
    rows[:, 5] = 1.0
    rows[1, hostile] = 10.0  # line 2: +inf - inf
    dump_svmlight_file(rows, np.zeros(4), str(tmp_path / "rows.svm"), zero_based=True)
    argv = ["predict", str(tmp_path / "model.npz"), str(tmp_path / "rows.svm"), "--zero-based"]
    capsys.readouterr()
    assert main(argv + ["--proba"]) == 1
    assert "rows.svm, row 2: the products x * w of the row overflow" in capsys.readouterr().err
    out = tmp_path / "preds.csv"
    assert main(argv + ["--proba", "--skip-bad-rows", "--out", str(out)]) == 0
    assert re.search("3 predictions written to .*; 1 bad rows skipped", capsys.readouterr().err)
    written = pd.read_csv(out)
    assert written["row"].tolist() == [1, 3, 4]
    model = load_model(tmp_path / "model.npz")
    good = rows[[0, 2, 3]]
    np.testing.assert_array_equal(written["prediction"], model.predict(good))
    np.testing.assert_array_equal(written.iloc[:, 3:].to_numpy(), model.predict_proba(good))


def test_resuming_a_finished_checkpoint_writes_the_model_of_the_run(tmp_path, csv_file, capsys):
    # (the hasher was fitted on the first batch read, and a finished run has none left: the
    # model file lacked the columns the hasher reads, and took any); a bad row in the first
    # batch, read again to fit the hasher, is counted once
    lines = csv_file.read_text().splitlines()
    lines[10] = "shop,4"
    csv_file.write_text("\n".join(lines) + "\n")
    checkpoint = tmp_path / "run.ckpt"
    options = ["--skip-bad-rows", "--checkpoint", str(checkpoint)]
    status, first, summary = train(tmp_path, csv_file, *options, capsys=capsys)
    assert status == 0 and summary["bad_rows"] == 1
    os.replace(first, tmp_path / "whole.npz")
    status, resumed, resumed_summary = train(
        tmp_path, csv_file, *options, "--resume", capsys=capsys
    )
    assert status == 0 and resumed_summary["bad_rows"] == 1
    assert_same_model(resumed, tmp_path / "whole.npz")
    (hasher,) = load_model(resumed).transformers
    assert hasher.feature_names_in_.tolist() == ["site", "hour", "lat"]


def test_a_checkpoint_given_as_the_model_is_named_as_one(tmp_path, csv_file, capsys):
    # ("not a sparsereg.ExportedLinearModel file." said neither what the file is nor which is)
    checkpoint = tmp_path / "run.ckpt"
    assert train(tmp_path, csv_file, "--checkpoint", str(checkpoint), capsys=capsys)[0] == 0
    out = tmp_path / "preds.csv"
    assert main(["predict", str(checkpoint), str(csv_file), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{checkpoint}: not a sparsereg.ExportedLinearModel file: a checkpoint of a training "
        "run (sparsereg.StreamCheckpoint, written by fit_stream or `sparsereg train "
        "--checkpoint`), which `sparsereg train ... --checkpoint FILE --resume` continues; the "
        "model file is the one the run writes (train's --model" in err
    )
    assert not out.exists()
    with pytest.raises(ValueError, match=r"not a sparsereg\.ExportedLinearModel file: a checkp"):
        load_model(checkpoint)
    assert main(["predict", str(tmp_path / "model.npz"), str(csv_file), "--out", str(out)]) == 0


def test_a_bucket_on_a_column_no_feature_uses_is_a_usage_error(tmp_path, csv_file, capsys):
    # (the column was not read, and the hasher said "column 'lat' not found in X" after
    # opening the file, though the file has it)
    args = ["train", str(csv_file), "--target", "click", "--model", str(tmp_path / "m.npz")]
    args += ["--n-features", "2**16"]  # (not the default 2**24: ~0.3 s a model on any data)
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--features", "site,hour", "--bucket", "lat=0.1", "--quiet"])
    assert exit_info.value.code == 2
    assert "--bucket lat: the column is in no --features or --cross" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()
    # in a cross, it is used
    assert main([*args, "--features", "site", "--cross", "hour,lat", "--bucket", "lat=0.1"]) == 0


@pytest.mark.parametrize("option", ["--model", "--checkpoint", "--out"])
def test_an_output_that_is_a_directory_is_refused_before_any_work(
    tmp_path, csv_file, capsys, option
):
    # (each was refused only when written, "[Errno 21] Is a directory", the training or the
    # predictions lost)
    folder = tmp_path / "out"
    folder.mkdir()
    if option == "--out":
        assert train(tmp_path, csv_file)[0] == 0
        capsys.readouterr()
        args = ["predict", str(tmp_path / "model.npz"), str(csv_file), "--out", str(folder)]
    else:
        args = ["train", str(csv_file), "--target", "click", option, str(folder)]
        args += ["--model", str(tmp_path / "m.npz")] if option == "--checkpoint" else []
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--quiet"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"{option} {folder} is a directory; give the path of a file to write" in err
    assert os.listdir(folder) == [] and not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize(
    "value", ["inf", "1e400", "nan", "1", "1.5", "-0.5", "1e30", "99999999999999999999"]
)
def test_a_bad_holdout_is_a_usage_error(tmp_path, csv_file, capsys, value):
    # (inf and 1e400 raised OverflowError out of argparse, a traceback; 1 and 1.5 were refused
    # by fit_stream, exit status 1, after the file was opened; a K beyond int64, 1e30, was
    # taken and raised OverflowError at the first batch, a traceback)
    with pytest.raises(SystemExit) as exit_info:
        main(
            ["train", str(csv_file), "--target", "click", "--model", str(tmp_path / "m.npz")]
            + ["--holdout", value]
        )
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --holdout: '{value}': give K >= 2" in err and "Traceback" not in err


def test_the_delimiter_given_is_the_one_read(tmp_path, csv_file, capsys):
    # (--delimiter , on a .tsv file was taken for the default and the file read with a tab;
    # --delimiter '' became ','; with SVMlight or Parquet files it was ignored)
    assert train(tmp_path, csv_file)[0] == 0
    os.replace(tmp_path / "model.npz", tmp_path / "from_csv.npz")
    named_tsv = tmp_path / "commas.tsv"
    named_tsv.write_bytes(csv_file.read_bytes())
    assert train(tmp_path, named_tsv, "--delimiter", ",")[0] == 0
    assert_same_model(tmp_path / "model.npz", tmp_path / "from_csv.npz")
    for value in ["", ";;"]:
        with pytest.raises(SystemExit) as exit_info:
            train(tmp_path, csv_file, "--delimiter", value)
        assert exit_info.value.code == 2
        assert f"argument --delimiter: give one character (e.g. ';'), got {value!r}" in (
            capsys.readouterr().err
        )
    clicks().to_parquet(tmp_path / "clicks.parquet")
    with pytest.raises(SystemExit) as exit_info:
        train(tmp_path, tmp_path / "clicks.parquet", "--delimiter", ";")
    assert exit_info.value.code == 2
    assert "--delimiter is for CSV files; these are read as parquet" in capsys.readouterr().err
    (tmp_path / "rows.svm").write_text("1 1:1\n0 2:1\n")
    args = ["train", str(tmp_path / "rows.svm"), "--model", str(tmp_path / "m.npz")]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--n-features", "4", "--delimiter", ";"])
    assert exit_info.value.code == 2
    assert "--delimiter is for CSV files; these are read as svmlight" in capsys.readouterr().err


def test_csv_and_tsv_files_together_are_a_usage_error(tmp_path, csv_file, capsys):
    # (the first file's delimiter read every file: a .tsv after a .csv as one column, "no
    # column"; a .csv after a .tsv the same, once the .tsv was trained on)
    tsv = tmp_path / "more.tsv"
    tsv.write_text(csv_file.read_text().replace(",", "\t"))
    for data in ([csv_file, tsv], [tsv, csv_file]):
        with pytest.raises(SystemExit) as exit_info:
            train(tmp_path, data)
        assert exit_info.value.code == 2
        assert "more.tsv is tab-delimited by its suffix but" in capsys.readouterr().err
    assert not (tmp_path / "model.npz").exists()
    assert train(tmp_path, csv_file)[0] == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(tmp_path / "model.npz"), str(csv_file), str(tsv)])
    assert exit_info.value.code == 2
    assert "more.tsv is tab-delimited by its suffix but" in capsys.readouterr().err


def test_files_of_formats_their_suffixes_tell_apart_are_a_usage_error(tmp_path, csv_file, capsys):
    # (every file was read in the first one's format: an SVMlight file after a CSV as a CSV
    # of one column, "target column 'click' not found in rows.svm; its columns are ['1 1:1']")
    svm = tmp_path / "rows.svm"
    svm.write_text("1 1:1\n0 2:1\n")
    clicks().to_parquet(tmp_path / "more.parquet")
    for data, message in [
        ([csv_file, svm], f"rows.svm is svmlight by its suffix but {csv_file} is csv"),
        ([svm, csv_file], f"clicks.csv is csv by its suffix but {svm} is svmlight"),
        ([csv_file, tmp_path / "more.parquet"], "more.parquet is parquet by its suffix"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            train(tmp_path, data, "--n-features", "64")
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert message in err and "the files of a run are read in one format" in err
    assert not (tmp_path / "model.npz").exists()
    # a file whose suffix names no format is read in the first one's
    plain = tmp_path / "clicks.txt"
    plain.write_bytes(csv_file.read_bytes())
    assert train(tmp_path, [csv_file, plain], capsys=capsys)[0] == 0


def test_a_later_file_without_a_column_of_the_first_names_features_as_the_fix(
    tmp_path, csv_file, capsys
):
    wider = tmp_path / "wider.csv"
    pd.read_csv(csv_file).assign(browser="x").to_csv(wider, index=False)
    args = ["train", str(wider), str(csv_file), "--target", "click", "--n-features", "2**16"]
    assert main([*args, "--model", str(tmp_path / "m.npz")]) == 1
    err = capsys.readouterr().err
    assert (
        f"inferred column 'browser' not found in {csv_file}; its columns are ['site', 'hour', "
        f"'lat', 'click']; without --features the features are the columns of the first file, "
        f"{wider} (but the target and the weight column): give --features to name those every "
        "file has." in err
    )
    assert not (tmp_path / "m.npz").exists()
    assert main([*args, "--features", "site,hour,lat", "--model", str(tmp_path / "m.npz")]) == 0
    # not said when a --cross needs the column whatever --features says
    crossed = [*args, "--cross", "site,browser"]
    assert main([*crossed, "--model", str(tmp_path / "n.npz")]) == 1
    err = capsys.readouterr().err
    assert "inferred column 'browser' not found in" in err and "--features" not in err


def test_a_bucket_of_text_on_a_column_of_numbers_names_a_number_width(tmp_path, csv_file, capsys):
    args = ["train", str(csv_file), "--target", "click", "--model", str(tmp_path / "m.npz")]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--bucket", "lat=abc"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "'abc' is neither a calendar part" in err
    assert "; a column of numbers takes a number (lat=0.5, lat=1/60)." in err
    # a unit misspelt (pandas' 1H, 1d) named the number: "'1H' is not a number (e.g. 0.5 or
    # 1/60)"; it names the units a width takes
    for width in ("1H", "1d", "2 x"):
        with pytest.raises(SystemExit):
            main([*args, "--bucket", f"ts={width}"])
        err = capsys.readouterr().err
        assert f"'{width}' is neither a calendar part" in err
        assert "a whole number > 0 and a unit: ns, us, ms, s, min, h, D, W" in err
    # not said of a datetime bucket's other errors
    for bucket in ("ts=hour,hour", "ts=-5min", "ts=hour,abc"):
        with pytest.raises(SystemExit):
            main([*args, "--bucket", bucket])
        err = capsys.readouterr().err
        assert f"--bucket '{bucket}': " in err and "a column of numbers" not in err


@pytest.mark.parametrize("tsv_first", [True, False])
def test_a_tsv_with_a_file_of_no_csv_suffix_is_read_with_a_tab(
    tmp_path, csv_file, tsv_first, capsys
):
    # (--format csv: a file whose suffix names no format was taken for a ","-delimited one, and
    # a .tsv with it refused; the first file's delimiter read every file before)
    text = csv_file.read_text().replace(",", "\t")
    (tmp_path / "a.tsv").write_text(text)
    (tmp_path / "b.txt").write_text(text)
    data = [tmp_path / "a.tsv", tmp_path / "b.txt"]
    given = data if tsv_first else data[::-1]
    code, _, summary = train(tmp_path, given, "--format", "csv", capsys=capsys)
    assert code == 0
    assert summary["rows"] == 2 * len(clicks())


def svmlight_lines(n=3000, seed=0):
    rng = np.random.RandomState(seed)
    lines = []
    for _ in range(n):
        columns = np.sort(rng.choice(50, 5, replace=False)) + 1
        values = " ".join(f"{c}:{v:.4f}" for c, v in zip(columns, rng.rand(5)))
        lines.append(f"{rng.choice([-1, 1])} {values}\n")
    return "".join(lines).encode()


def _stdin_from_a_pipe(monkeypatch, given):
    """``sys.stdin`` the read end of a true pipe (not seekable, short reads, as ``zcat ... |``
    gives it), opened as the interpreter opens fd 0; a thread writes `given` and closes its end."""
    read_end, write_end = os.pipe()

    def write():
        try:
            with open(write_end, "wb") as pipe:
                pipe.write(given)
        except BrokenPipeError:  # (a reader that did not read it all: as subprocess.run's input)
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    stdin = open(read_end)  # (as fd 0 is: text on a BufferedReader on the pipe)
    monkeypatch.setattr(sys, "stdin", stdin)
    return stdin, writer


def test_svmlight_lines_on_stdin_train_the_model_of_their_file(tmp_path, monkeypatch, capsys):
    # (DATA - was refused: "standard input cannot be read"); as Vowpal Wabbit reads them,
    # `zcat day.svm.gz | sparsereg train - --format svmlight`, plain or gzip'd.
    # main() in this process, its stdin a true pipe (_stdin_from_a_pipe); the program itself,
    # `python -m sparsereg` on its own fd 0: test_the_program_reads_stdin_as_a_process_has_it
    rows = svmlight_lines()
    (tmp_path / "rows.svm").write_bytes(rows)
    options = ["--n-features", "64", "--batch-rows", "700", "--holdout", "7", "--quiet"]
    by_path = tmp_path / "by_path.npz"
    assert main(["train", str(tmp_path / "rows.svm"), "--model", str(by_path), *options]) == 0
    for name, given in (("piped.npz", rows), ("gzipped.npz", gzip.compress(rows))):
        command = ["train", "-", "--format", "svmlight", "--model", str(tmp_path / name)]
        stdin, writer = _stdin_from_a_pipe(monkeypatch, given)
        with stdin:
            status = main([*command, *options])
        writer.join(timeout=60)
        assert status == 0, capsys.readouterr().err
        assert_same_model(by_path, tmp_path / name)
    capsys.readouterr()
    predicted = []
    for data in (str(tmp_path / "rows.svm"), "-"):
        stdin, writer = _stdin_from_a_pipe(monkeypatch, rows)
        with stdin:
            status = main(["predict", str(by_path), data, "--format", "svmlight", "--quiet"])
        writer.join(timeout=60)
        predicted.append((status, capsys.readouterr().out))
    assert [status for status, _ in predicted] == [0, 0]
    assert predicted[1][1] == predicted[0][1]
    assert len(predicted[1][1].splitlines()) == 3001  # a header, a line a row


@pytest.mark.parametrize(
    "data, extra, message",
    [
        (["-"], ["--passes", "2"], "--passes 2: standard input is read once, and each pass"),
        (["-"], ["--checkpoint", "c"], "--checkpoint: a run on standard input cannot be resumed"),
        (["-", "rows.svm"], [], "DATA -: standard input is read alone; give - as the only DATA."),
    ],
)
def test_stdin_where_it_would_be_read_again_is_a_usage_error(
    tmp_path, capsys, monkeypatch, data, extra, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.svm").write_bytes(svmlight_lines(10))
    args = ["train", *data, "--format", "svmlight", "--n-features", "64", "--model", "m.npz"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "-", "--n-features", "64", "--model", "m.npz"])
    assert exit_info.value.code == 2
    assert (
        "DATA -: standard input has no suffix to tell its format by; it is read as SVMlight "
        "lines, with --format svmlight (CSV and Parquet are read from files: save the stream "
        "to a file and give the file)." in (capsys.readouterr().err)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.svm"]


def test_stdin_that_is_not_a_binary_stream_is_a_usage_error(tmp_path, capsys, monkeypatch):
    # (a traceback from sys.stdin.buffer.peek: where stdin is closed, sys.stdin is None; main()
    # called as a library may be given a stream of text, or of bytes that does not peek)
    rows = svmlight_lines(300)
    (tmp_path / "rows.svm").write_bytes(rows)
    options = ["--n-features", "64", "--batch-rows", "70", "--quiet"]
    by_path = tmp_path / "by_path.npz"
    assert main(["train", str(tmp_path / "rows.svm"), "--model", str(by_path), *options]) == 0
    command = ["train", "-", "--format", "svmlight", *options, "--model"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(rows)))
    assert main([*command, str(tmp_path / "wrapped.npz")]) == 0
    assert_same_model(by_path, tmp_path / "wrapped.npz")
    message = "DATA -: standard input cannot be read as bytes here"
    monkeypatch.setattr(sys, "stdin", io.StringIO(rows.decode()))
    with pytest.raises(SystemExit) as exit_info:
        main([*command, str(tmp_path / "text.npz")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    # the program's stdin closed (sh's <&-): the interpreter starts with sys.stdin None
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(SystemExit) as exit_info:
        main([*command, str(tmp_path / "closed.npz")])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["by_path.npz", "rows.svm", "wrapped.npz"]


def test_the_program_reads_stdin_as_a_process_has_it(tmp_path):
    # the program (python -m sparsereg: __main__.run, its SIGTERM guard) on its own fd 0:
    # gzip'd SVMlight lines piped in train the model of their file; with fd 0 closed (sh's
    # <&-) the interpreter starts with sys.stdin None: a usage error, not a traceback
    rows = svmlight_lines(300)
    (tmp_path / "rows.svm").write_bytes(rows)
    options = ["--n-features", "64", "--batch-rows", "70", "--quiet"]
    by_path = tmp_path / "by_path.npz"
    assert main(["train", str(tmp_path / "rows.svm"), "--model", str(by_path), *options]) == 0
    program = [sys.executable, "-m", "sparsereg", "train", "-", "--format", "svmlight", *options]
    done = subprocess.run(
        [*program, "--model", str(tmp_path / "piped.npz")],
        input=gzip.compress(rows),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert_same_model(by_path, tmp_path / "piped.npz")
    done = subprocess.run(
        [*program, "--model", str(tmp_path / "closed.npz")],
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "DATA -: standard input cannot be read as bytes here" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "closed.npz").exists()


def test_negative_labels_are_taken_by_classes_as_typed(tmp_path, capsys):
    # (--classes -1,1, SVMlight's labels, was "argument --classes: expected one argument":
    # argparse took -1,1 for an option)
    (tmp_path / "rows.svm").write_text("1 1:1\n-1 2:1\n1 1:1 3:2\n-1 2:2\n")
    args = ["train", str(tmp_path / "rows.svm"), "--n-features", "4", "--quiet"]
    for given in (["--classes", "-1,1"], ["--classes=-1,1"]):
        model = tmp_path / f"{len(given)}.npz"
        assert main([*args, "--model", str(model), *given]) == 0
    assert_same_model(tmp_path / "1.npz", tmp_path / "2.npz")
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--model", str(tmp_path / "m.npz"), "--classes", "-1"])
    assert exit_info.value.code == 2
    assert "--classes -1: give at least 2 distinct labels" in capsys.readouterr().err


def test_text_labels_starting_with_a_minus_are_taken_by_classes_as_typed(tmp_path):
    # (--classes -no,yes was "argument --classes: expected one argument", as -1,1 was)
    (tmp_path / "rows.csv").write_text("site,y\nnews,-no\nshop,yes\nnews,-no\nmail,yes\n")
    args = ["train", str(tmp_path / "rows.csv"), "--target", "y", "--quiet"]
    args += ["--n-features", "2**10"]  # (the default 2**24: ~0.3 s a model, for 4 rows)
    for given in (["--classes", "-no,yes"], ["--classes=-no,yes"]):
        model = tmp_path / f"{len(given)}.npz"
        assert main([*args, "--model", str(model), *given]) == 0
        assert load_model(model).classes_.tolist() == ["-no", "yes"]
    assert_same_model(tmp_path / "1.npz", tmp_path / "2.npz")


def test_features_and_classes_given_again_add_to_the_first(tmp_path, csv_file):
    # (a second --features or --classes replaced the first: the model silently left out
    # the first --features' columns), as --cross and --bucket, and Vowpal Wabbit's -q, add
    args = ["train", str(csv_file), "--target", "click", "--quiet"]
    args += ["--n-features", "2**16"]  # (the default 2**24: ~0.3 s a model, whatever its data)
    once = ["--features", "site,hour", "--classes", "0,1"]
    again = ["--features", "site", "--features", "hour", "--classes", "0", "--classes", "1"]
    for given, name in ((once, "once.npz"), (again, "again.npz")):
        assert main([*args, "--model", str(tmp_path / name), *given]) == 0
    assert_same_model(tmp_path / "once.npz", tmp_path / "again.npz")


@pytest.mark.parametrize("option", ["--target", "--weight-column"])
def test_a_column_option_given_twice_is_a_usage_error(tmp_path, csv_file, capsys, option):
    # (the second was taken, the first dropped: --target a --target b trained on b alone)
    args = ["train", str(csv_file), "--model", str(tmp_path / "m.npz")]
    target = [] if option == "--target" else ["--target", "click"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, *target, option, "hour", option, "lat"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: given twice ('hour', then 'lat'); name one column." in err
    assert not (tmp_path / "m.npz").exists()


def test_a_text_target_read_as_a_number_suggests_classes(tmp_path, capsys):
    # (the message was "target 'click': 'yes' is not a number", with no hint)
    path = tmp_path / "labels.csv"
    path.write_text("x,click\n1,yes\n2,no\n3,yes\n")
    args = ["train", str(path), "--target", "click", "--model", str(tmp_path / "m.npz")]
    args += ["--n-features", "2**10"]  # (the default 2**24: ~0.3 s a model, for 3 rows)
    for extra, hint in [
        ([], "labels that are text must be listed with --classes"),
        (["--classes", "0,1"], "--classes 0,1 are numbers: list the labels as the file has them"),
        (["--loss", "squared_error"], "a regressor's target is a number"),
        # every row skipped as bad: the run's error says why, with the hint
        (["--skip-bad-rows"], "labels that are text must be listed with --classes"),
    ]:
        assert main([*args, *extra]) == 1
        err = capsys.readouterr().err
        assert "row 1: target 'click': 'yes' is not a number" in err and hint in err
        if extra == ["--skip-bad-rows"]:
            assert "no rows to train on (every row read was bad: 3 skipped; the first, " in err
    assert main([*args, "--classes", "no,yes", "--quiet"]) == 0
    assert load_model(tmp_path / "m.npz").classes_.tolist() == ["no", "yes"]


def test_a_header_naming_a_column_twice_is_refused_by_the_reader(tmp_path, capsys):
    # (the features taken from the header are not --features given twice)
    path = tmp_path / "twice.csv"
    path.write_text("site,site,click\na,x,1\nb,y,0\n")
    assert main(["train", str(path), "--target", "click", "--model", str(tmp_path / "m.npz")]) == 1
    assert "twice.csv has the columns ['site'] more than once" in capsys.readouterr().err


def test_hash_seed_with_svmlight_files_is_a_usage_error(tmp_path, capsys):
    # (it was accepted and ignored: SVMlight columns are not hashed)
    (tmp_path / "rows.svm").write_text("1 1:1\n0 2:1\n")
    args = ["train", str(tmp_path / "rows.svm"), "--model", str(tmp_path / "m.npz")]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--n-features", "4", "--hash-seed", "3"])
    assert exit_info.value.code == 2
    assert "--bucket, --text, --hash-seed and --target apply to CSV and Parquet only" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epsilon", "-5"], "argument --epsilon: '-5': give a number >= 0"),
        (["--epsilon", "nan"], "argument --epsilon: 'nan': give a number >= 0"),
        (["--loss", "huber", "--epsilon", "-0.1"], "argument --epsilon: '-0.1'"),
    ],
)
def test_a_negative_epsilon_is_a_usage_error(tmp_path, csv_file, capsys, args, message):
    # (it was accepted: ignored by classifiers, refused by regressors after the first batch)
    with pytest.raises(SystemExit) as exit_info:
        train(tmp_path, csv_file, *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_an_option_that_would_not_be_used_is_a_usage_error(tmp_path, csv_file, capsys):
    # (each was taken and ignored: --epsilon by a classifier or a squared_error regressor,
    # --zero-based for CSV files, report's reading options and --explain-rows without DATA)
    model = str(tmp_path / "model.npz")
    refused = [
        (
            ["train", str(csv_file), "--target", "click", "--model", model, "--epsilon", "0.5"],
            "--epsilon is the margin of the huber and epsilon-insensitive losses; --loss "
            "log_loss has none",
        ),
        (
            ["train", str(csv_file), "--target", "click", "--model", model, "--epsilon", "0.5"]
            + ["--loss", "squared_error"],
            "--epsilon is the margin of the huber and epsilon-insensitive losses; --loss "
            "squared_error has none",
        ),
        (
            ["train", str(csv_file), "--target", "click", "--model", model, "--zero-based"],
            "--zero-based is for SVMlight files; these are read as csv",
        ),
    ]
    for argv, message in refused:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
        assert not os.path.exists(model)
    assert train(tmp_path, csv_file, "--loss", "huber", "--epsilon", "0.5")[0] == 0
    capsys.readouterr()
    for argv, message in [
        (["predict", model, str(csv_file), "--zero-based"], "--zero-based is for SVMlight"),
        *(
            (
                ["report", model, *option],
                "--format, --delimiter, --zero-based and --explain-rows tell how to read DATA: "
                "give DATA too",
            )
            for option in (
                ["--format", "csv"],
                ["--delimiter", ";"],
                ["--zero-based"],
                ["--explain-rows", "10"],
            )
        ),
        # (checked only when a weight was named, DATA read for its name)
        (["report", model, str(csv_file), "--top", "0", "--zero-based"], "--zero-based is for"),
        (
            ["report", model, str(csv_file), "--top", "0", "--format", "parquet"]
            + ["--delimiter", ";"],
            "--delimiter is for CSV files; these are read as parquet",
        ),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_a_negative_top_is_a_usage_error(tmp_path, csv_file, capsys):
    # (report --top -5 listed no weight, silently)
    assert train(tmp_path, csv_file)[0] == 0
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path / "model.npz"), "--top", "-5"])
    assert exit_info.value.code == 2
    assert "argument --top: '-5': give a whole number >= 0" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "model.npz"), "--top", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["top_weights"] == []


def test_a_cell_the_hasher_refuses_is_named_by_its_row(tmp_path, capsys):
    # (the error named the batch: "rows 1-4")
    path = tmp_path / "times.csv"
    path.write_text(
        "ts,site,click\n2024-01-01T10:00,a,1\n2024-01-01T11:00,b,0\nnotadate,a,1\n"
        "2024-01-02T10:00,b,0\n"
    )
    args = ["train", str(path), "--target", "click", "--model", str(tmp_path / "m.npz")]
    assert main([*args, "--bucket", "ts=hour", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "times.csv: row 3: column 'ts' is bucketed as datetimes but holds the string " in err
    assert "'notadate'" in err


@pytest.mark.parametrize(
    "command, option",
    [("report", "--explain-rows"), ("train", "--batch-rows"), ("train", "--checkpoint-every")],
)
def test_a_count_of_zero_rows_is_a_usage_error_naming_the_option(
    tmp_path, csv_file, capsys, command, option
):
    # (report --explain-rows 0 said "batch_rows must be a positive int, got 0.", exit 1;
    # --batch-rows 0 and --checkpoint-every 0 were refused by fit_stream, exit 1)
    if command == "report":
        assert train(tmp_path, csv_file)[0] == 0
        args = ["report", str(tmp_path / "model.npz"), str(csv_file)]
    else:
        args = ["train", str(csv_file), "--target", "click", "--model", str(tmp_path / "m.npz")]
        args += ["--checkpoint", str(tmp_path / "run.ckpt")]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, option, "0"])
    assert exit_info.value.code == 2
    assert f"argument {option}: '0': give a whole number >= 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--passes", "0"], "argument --passes: '0': give a whole number >= 1"),
        (["--holdout", "10", "--early-stop", "0"], "argument --early-stop: '0'"),
        (["--hash-seed", "-1"], "argument --hash-seed: '-1': give a whole number in [0, 2**64"),
        (["--hash-seed", "2**64"], "argument --hash-seed: '2**64'"),
        # (these were exit 1 naming fit_stream's parameters: "checkpoint_every needs
        # checkpoint (a path).", "early_stop needs a holdout"; a quote or a line end as the
        # delimiter read each line as one column: "no column 'click'")
        (["--checkpoint-every", "100"], "--checkpoint-every: give --checkpoint"),
        (["--early-stop", "2"], "--early-stop watches the holdout loss: give --holdout too"),
        (["--delimiter", '"'], "argument --delimiter: '\"' quotes fields or ends lines"),
        (["--delimiter", "\n"], "argument --delimiter: '\\n' quotes fields or ends lines"),
        # (pyarrow reads one byte: 'é' read the header as one column, "no column 'click'")
        (["--delimiter", "é"], "argument --delimiter: 'é' is not an ASCII character other than"),
        # (an empty label was refused as "give column names separated by commas")
        (["--classes", "yes,no,"], "argument --classes: 'yes,no,': give labels separated by"),
        # (the last width given was taken)
        (["--bucket", "lat=1"], "--bucket lat: the column is bucketed twice; give one width"),
        (
            ["--bucket", "ts=hour", "--bucket", "ts=dayofweek"],
            "--bucket ts: the column is bucketed twice; give its calendar parts in one: "
            "--bucket ts=hour,dayofweek.",
        ),
        # (a column or cross given twice was hashed twice, as two features of one value; a
        # cross repeating a column was refused naming no option, exit 1)
        (["--cross", "hour,site"], "--cross hour,site: site,hour is already a cross"),
        (["--cross", "site"], "--cross site: site is already a feature"),
        (["--features", "site,lat,site"], "--features lists site twice"),
        (["--cross", "site,site"], "--cross site,site repeats a column"),
    ],
)
def test_an_option_out_of_range_or_that_cannot_work_is_a_usage_error_naming_it(
    tmp_path, csv_file, capsys, args, message
):
    # (exit 1 once the inputs were opened, naming the parameter, not the option)
    with pytest.raises(SystemExit) as exit_info:
        train(tmp_path, csv_file, *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "model.npz").exists()


def test_a_file_name_that_is_not_utf8_is_named_not_a_codec_error(tmp_path, csv_file, capsys):
    # a name's bytes that are not UTF-8 come from the command line as lone surrogates, which
    # pyarrow (opening CSV and Parquet files by a UTF-8 name) failed to encode, naming no file
    strange = os.path.join(os.fsdecode(bytes(tmp_path)), os.fsdecode(b"clicks\xff.csv"))
    try:
        with open(strange, "wb") as f:
            f.write(csv_file.read_bytes())
    except (OSError, UnicodeEncodeError):  # pragma: no cover - a file system of UTF-8 names
        pytest.skip("this file system takes only UTF-8 names")
    assert train(tmp_path, csv_file)[0] == 0
    capsys.readouterr()
    for args in (
        ["train", strange, "--target", "click", "--model", str(tmp_path / "m.npz")],
        ["predict", str(tmp_path / "model.npz"), strange],
        ["report", str(tmp_path / "model.npz"), strange],
    ):
        assert main(args) == 1
        err = capsys.readouterr().err
        assert "the file name is not UTF-8 (byte 0xff)" in err, err
        assert "clicks" in err
    with pytest.raises(ValueError, match="not UTF-8"):
        fit_stream(SparseFTRLClassifier(), [strange], target="click")


def test_sigterm_saves_a_checkpoint_and_exits_143_leaving_no_temporary_file(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(clicks_csv(30_000, seed=1))
    checkpoint = tmp_path / "run.ckpt"
    command = [sys.executable, "-m", "sparsereg", "train", str(path), "--target", "click"]
    command += ["--cross", "site,hour", "--n-features", "2**18", "--batch-rows", "1000"]
    command += ["--passes", "3", "--quiet", "--model", str(tmp_path / "m.npz")]
    command += ["--checkpoint", str(checkpoint), "--checkpoint-every", "10000"]
    returncode, err = _stopped_after_a_checkpoint(command, checkpoint, signal.SIGTERM)
    assert returncode == 143, err
    assert "terminated; the last checkpoint is" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "run.ckpt"]
    with np.load(checkpoint) as f:
        assert (int(f["progress.ints"][0]), int(f["progress.ints"][2])) != (0, 0)


@pytest.mark.parametrize("disposition", ["ignored", "handled"])
def test_an_error_is_reported_as_such_whatever_sigterm_was_set_to(
    tmp_path, capsys, monkeypatch, disposition
):
    # with SIGTERM ignored (`trap '' TERM`) or handled by the caller, the SIGTERM guard caught
    # the command's ValueError and yielded again: "RuntimeError: generator didn't stop after
    # throw()" and a traceback instead of the usage error (status 2). main() as a caller of
    # this process calls it, SIGTERM set as that caller set it (no signal is sent)
    # (and `python -m sparsereg` as runpy runs it here, whose guard is the one described)
    setting = signal.SIG_IGN if disposition == "ignored" else (lambda *a: None)
    argv = ["train", "--model", str(tmp_path / "m.npz"), str(tmp_path / "x.unknownext")]
    previous = signal.signal(signal.SIGTERM, setting)
    try:
        after = signal.getsignal(signal.SIGTERM)
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert signal.getsignal(signal.SIGTERM) is after
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "sparsereg" in err, err
        monkeypatch.setattr(sys, "argv", ["sparsereg", *argv])
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_module("sparsereg", run_name="__main__", alter_sys=True)
        assert signal.getsignal(signal.SIGTERM) is after
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "sparsereg" in err, err
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--alpha", "-1"], "argument --alpha: -1.0: must be a float in the range [0.0, inf)"),
        (["--l1-ratio", "2"], "argument --l1-ratio: 2.0: must be a float in the range [0.0, 1.0]"),
        (["--eta0", "0"], "argument --eta0: 0.0: must be a float in the range"),
        (["--beta", "nan"], "argument --beta: nan: must be a float in the range"),
        (["--n-features", "2**61"], "argument --n-features: 2305843009213693952: must be an int"),
        (["--seed", "-1"], "argument --seed: '-1': give a whole number in [0, 2**32 - 1]"),
        (["--inclusion", "bloom", "--state-store", "dense"], "--inclusion bloom needs the sparse"),
    ],
)
def test_a_parameter_out_of_range_is_a_usage_error_naming_the_option(
    tmp_path, csv_file, capsys, args, message
):
    # (exit 1 after the header was read, naming the estimator's parameter: "The 'alpha'
    # parameter of SparseFTRLClassifier must be...", "inclusion='bloom' needs...")
    with pytest.raises(SystemExit) as exit_info:
        train(tmp_path, csv_file, *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "parameter" not in err and "'alpha'" not in err
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize("option", ["--batch-rows", "--n-features", "--checkpoint-every"])
def test_a_count_beyond_int64_is_a_usage_error(tmp_path, capsys, option):
    # (svmlight --batch-rows 2**64 failed in the reader: "Stop argument for islice() must be
    # None or an integer", exit 1; --n-features 2**64 blamed line 1's feature index)
    path = tmp_path / "rows.svm"
    path.write_text("1 1:0.5 3:1\n0 2:1\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(path), "--model", str(tmp_path / "m.npz"), option, "2**64"])
    assert exit_info.value.code == 2
    assert f"argument {option}: '2**64' is too large (at most 2**63 - 1)" in (
        capsys.readouterr().err
    )


def test_main_called_as_a_library_leaves_sigterm_to_the_caller(tmp_path):
    # (main() turned the caller's SIGTERM into a return value 143, and the program went on)
    path = tmp_path / "big.csv"
    path.write_bytes(clicks_csv(30_000, seed=1))
    checkpoint = tmp_path / "run.ckpt"
    code = "import sys; from sparsereg.cli import main; print('went on', main(sys.argv[1:]))"
    command = [sys.executable, "-c", code, "train", str(path), "--target", "click"]
    command += ["--cross", "site,hour", "--n-features", "2**18", "--batch-rows", "1000"]
    command += ["--passes", "3", "--quiet", "--model", str(tmp_path / "m.npz")]
    command += ["--checkpoint", str(checkpoint), "--checkpoint-every", "10000"]
    returncode, err = _stopped_after_a_checkpoint(command, checkpoint, signal.SIGTERM)
    assert returncode == -signal.SIGTERM, err  # SIGTERM's default: the process ends
    assert "terminated" not in err


def test_the_program_leaves_a_sigterm_handler_installed_from_c_in_place(tmp_path, csv_file):
    # faulthandler.register installs its handler in C, which signal.getsignal reports as
    # SIG_DFL: the program replaced it for the command and then set SIGTERM to SIG_DFL, so a
    # later SIGTERM killed the process instead of dumping its threads' stacks
    code = (
        "import faulthandler, os, runpy, signal, sys, time\n"
        "faulthandler.register(signal.SIGTERM)\n"
        "try:\n    runpy.run_module('sparsereg', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exc:\n    print('status', exc.code)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(0.5)\nprint('alive')\n"
    )
    model = tmp_path / "m.npz"
    done = subprocess.run(
        [sys.executable, "-c", code, "train", str(csv_file), "--target", "click", "--quiet"]
        + ["--model", str(model), "--n-features", "2**16"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["status", "0", "alive"]
    assert "most recent call first" in done.stderr  # faulthandler's dump
    assert model.exists()


@pytest.mark.parametrize("module", ["numpy", "sklearn", "pyarrow"])
def test_ctrl_c_while_the_program_imports_ends_as_an_interrupted_command(tmp_path, module):
    # `python -m sparsereg` imported numpy and scikit-learn with the package, before the
    # command's Ctrl-C handling began: a Ctrl-C in that second printed a traceback.
    # A real SIGINT, sent as `module` is first looked for (in a fresh interpreter)
    code = (
        "import os, runpy, signal, sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r}:\n"
        "            sys.meta_path.remove(self)\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "runpy.run_module('sparsereg', run_name='__main__', alter_sys=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "train", str(tmp_path / "x.csv"), "--target", "click"]
        + ["--model", str(tmp_path / "m.npz")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "sparsereg: interrupted.\n"


def test_resuming_a_checkpoint_that_is_not_there_names_the_option(tmp_path, csv_file, capsys):
    # (it said "resume: there is no checkpoint at ...", fit_stream's parameter)
    checkpoint = tmp_path / "run.ckpt"
    assert train(tmp_path, csv_file, "--checkpoint", str(checkpoint), "--resume")[0] == 1
    assert f"--resume: there is no checkpoint at {checkpoint}." in capsys.readouterr().err


@pytest.mark.parametrize("command", ["predict", "report"])
def test_the_model_file_given_as_data_is_a_usage_error(tmp_path, csv_file, capsys, command):
    # (its zip bytes were read as CSV rows: pyarrow's "Exception ignored ... UnicodeDecodeError"
    # traceback, then a parse error quoting binary bytes)
    assert train(tmp_path, csv_file)[0] == 0
    capsys.readouterr()
    model = tmp_path / "model.npz"
    with pytest.raises(SystemExit) as exit_info:
        main([command, str(model), str(model), "--format", "csv"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"{model} is the model file: give the rows to read as DATA." in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["predict", "report"])
def test_a_model_file_that_is_refused_is_named(tmp_path, csv_file, capsys, command):
    # (data given as the model, the arguments swapped: "not a sparsereg.ExportedLinearModel
    # file (not a zip archive).", naming no file)
    data = [str(csv_file.with_name("more.csv"))] if command == "predict" else []
    assert main([command, str(csv_file), *data]) == 1
    err = capsys.readouterr().err
    assert f"{csv_file}: not a sparsereg.ExportedLinearModel file" in err


@pytest.mark.parametrize(
    "classes, message",
    [
        ("1,1", "--classes 1,1: give at least 2 distinct labels"),
        ("1", "--classes 1: give at least 2 distinct labels"),
        ("nan,1", "--classes nan,1: labels must be finite numbers"),
        ("0,inf", "--classes 0,inf: labels must be finite numbers"),
    ],
)
def test_classes_that_cannot_be_the_labels_are_a_usage_error(
    tmp_path, csv_file, capsys, classes, message
):
    # (a NaN or infinite class was taken, and the first row's label 0 refused as "not one of
    # the classes [1.0, nan]"; one label was refused as fit_stream's `classes`, status 1)
    with pytest.raises(SystemExit) as exit_info:
        train(tmp_path, csv_file, "--classes", classes)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "command, args, message",
    [
        ("train", ["--target", "click", "--early-stop", "2"], "--early-stop watches the holdout"),
        ("train", ["--target", "click", "--hold", "10"], "unrecognized arguments: --hold"),
        ("train", ["--cross", "site,click"], "--cross site,click crosses the target 'click'"),
        ("train", ["--target", "click", "--model", "-"], "--model -: give the path of a file"),
        ("predict", ["MODEL"], "is the model file: give the rows to read as DATA"),
        ("predict", ["DATA", "--s"], "unrecognized arguments: --s"),
        ("report", ["MODEL"], "is the model file: give the rows to read as DATA"),
    ],
)
def test_a_usage_error_prints_the_usage_of_its_command(
    tmp_path, csv_file, capsys, monkeypatch, command, args, message
):
    # (the errors found after parsing, and the options argparse does not know, printed the
    # usage of `sparsereg` itself: "usage: sparsereg [-h] COMMAND ..."; --hold was taken as
    # --holdout, and --model - wrote a file named "-")
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model.npz"
    args = [{"MODEL": str(model), "DATA": str(csv_file)}.get(a, a) for a in args]
    if command == "train":
        args = ["train", str(csv_file), "--target", "click", "--model", str(model), *args]
    else:
        args = [command, str(model), *args]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: sparsereg {command} [-h]")
    assert f"\nsparsereg {command}: error: " in err and message in err
    assert not model.exists() and not (tmp_path / "-").exists()


def test_the_version_is_printed(capsys):
    from sparsereg import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"sparsereg {__version__}\n"


def test_report_labels_the_weights_of_each_target_of_a_multi_output_regressor(tmp_path, capsys):
    # (both targets' weights were listed with "model": null, telling them apart impossible)
    from sklearn.linear_model import MultiTaskLasso

    from sparsereg import export_model

    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 5))
    model = MultiTaskLasso(alpha=0.1).fit(X, np.c_[X[:, 0], -2 * X[:, 1]])
    export_model(model).save(tmp_path / "targets.npz")
    assert main(["report", str(tmp_path / "targets.npz"), "--top", "1", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["top_weights"]
    assert [(w["model"], w["column"]) for w in listed] == [("0", 0), ("1", 1)]
    assert main(["report", str(tmp_path / "targets.npz"), "--top", "1"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"\[0\] \+\S+ +column +0", text) and re.search(r"\[1\] -\S+ +column +1", text)


def test_report_labels_a_classifiers_weights_as_predict_writes_its_labels(tmp_path, capsys):
    # (labels read as numbers are floats: report listed "[2.0]" and "model": "2.0" where
    # predict's header says proba_2)
    from sklearn.datasets import dump_svmlight_file

    rng = np.random.RandomState(0)
    X = (rng.rand(600, 12) < 0.3).astype(float)
    y = X[:, 0] + 2 * X[:, 1] * (1 - X[:, 0])  # labels 0, 1 and 2
    dump_svmlight_file(X, y, str(tmp_path / "d.svm"), zero_based=False)
    model = str(tmp_path / "m.npz")
    train = ["train", str(tmp_path / "d.svm"), "--n-features", "12", "--quiet", "--model", model]
    assert main([*train, "--alpha", "1e-6"]) == 0
    assert main(["predict", model, str(tmp_path / "d.svm"), "--proba", "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "prediction,proba_0,proba_1,proba_2"
    assert main(["report", model, "--top", "1", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["top_weights"]
    assert [w["model"] for w in listed] == ["0", "1", "2"]
    assert main(["report", model, "--top", "1"]) == 0
    text = capsys.readouterr().out
    assert [re.search(rf"^  \[{k}\] [-+]", text, re.M) is not None for k in range(3)] == [True] * 3
    assert "[2.0]" not in text


# ---------------------------------------------------------------- a weight column
def test_weight_column_trains_as_fit_stream_and_is_not_a_feature(tmp_path, capsys):
    from sklearn.pipeline import make_pipeline

    rows = clicks(n=1500)
    rows["w"] = np.random.RandomState(1).choice([0.0, 1.0, 5.0], len(rows))
    path = tmp_path / "weighted.csv"
    rows.to_csv(path, index=False)
    status, model_path, summary = train(
        tmp_path, path, "--weight-column", "w", "--holdout", "10", capsys=capsys
    )
    assert status == 0
    # the same run through the Python API: the weight column is hashed by no feature
    hasher = FeatureCrossHasher(
        [("site",), ("hour",), ("lat",), ("site", "hour")], buckets={"lat": 0.5}, n_features=2**16
    )
    est = SparseFTRLClassifier(shuffle=False, random_state=0)
    fitted, history = fit_stream(
        make_pipeline(hasher, est),
        path,
        target="click",
        weight_column="w",
        holdout=10,
        batch_rows=500,
    )
    model = load_model(model_path)
    np.testing.assert_array_equal(model.coef_.toarray(), fitted[-1].coef_.reshape(1, -1))
    assert summary["progressive_loss"] == history.progressive_loss
    assert summary["holdout_loss"] == history.holdout_loss
    unweighted = train(tmp_path, path, "--features", "site,hour,lat", capsys=capsys)[2]
    assert unweighted["progressive_loss"] != summary["progressive_loss"]
    # a bad weight names its file and row
    rows.loc[7, "w"] = -1.0
    rows.to_csv(path, index=False)
    assert train(tmp_path, path, "--weight-column", "w")[0] == 1
    assert "weighted.csv: row 8: weight 'w': '-1.0' is negative" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--weight-column", "click"], "--weight-column 'click' is the target"),
        (["--weight-column", "lat", "--features", "site,lat"], "--features lists the weight"),
        (["--weight-column", "lat", "--features", "site"], "--cross site,hour,lat crosses"),
    ],
)
def test_a_weight_column_that_is_the_target_or_a_feature_is_a_usage_error(
    tmp_path, csv_file, capsys, extra, message
):
    args = ["train", str(csv_file), "--target", "click", "--model", str(tmp_path / "m.npz")]
    cross = ["--cross", "site,hour,lat"] if "--cross" in message else []
    with pytest.raises(SystemExit) as exit_info:
        main([*args, *extra, *cross, "--quiet"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


def test_a_weight_column_missing_or_for_svmlight_is_refused(tmp_path, csv_file, capsys):
    status = main(
        ["train", str(csv_file), "--target", "click", "--weight-column", "weight"]
        + ["--model", str(tmp_path / "m.npz")]
    )
    assert status == 1
    assert "clicks.csv: no column 'weight'" in capsys.readouterr().err
    (tmp_path / "d.svm").write_text("1 1:1\n0 2:1\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(tmp_path / "d.svm"), "--weight-column", "w", "--model", "m.npz"])
    assert exit_info.value.code == 2
    assert "SVMlight files have no weight column" in capsys.readouterr().err


def _as_before_version_6(path, out):
    """The file at ``path`` as a build before format version 6 wrote it: no hashed_columns
    (nor the kinds of version 8), and the version of its weights and arithmetic (2: FTRL,
    float64)."""
    arrays = model_arrays(path)
    assert int(arrays["format_version"]) in (6, 8)
    arrays.pop("hashed_column_kinds", None)
    assert str(arrays.pop("hashed_columns")) == "inferred"
    np.savez(out, **dict(arrays, format_version=np.array(2)))


def test_a_model_file_that_does_not_say_how_columns_are_read_is_scored_on_them_as_text(
    tmp_path, csv_file
):
    # a file of format version 2-5 was trained by a CLI that read the hasher's columns as text
    # (hour 5 hashed as "5"): they were read as pandas reads them (5), and 2,343 of 5,000
    # predictions of such a file differed from those of its model
    status, model_path, _ = train(tmp_path, csv_file)
    assert status == 0
    old = tmp_path / "old.npz"
    _as_before_version_6(model_path, old)
    predict = ["predict", str(csv_file), "--proba", "--quiet", "--out"]
    assert main([predict[0], str(old), *predict[1:], str(tmp_path / "old.csv")]) == 0
    assert main([predict[0], str(model_path), *predict[1:], str(tmp_path / "new.csv")]) == 0
    as_text = pd.read_csv(
        csv_file, dtype={"site": str, "hour": str}, keep_default_na=False, na_values=[""]
    ).drop(columns=["click"])
    assert pd.api.types.is_string_dtype(as_text["hour"])
    model = load_model(old)
    preds = pd.read_csv(tmp_path / "old.csv")
    np.testing.assert_array_equal(preds["prediction"], model.predict(as_text))
    np.testing.assert_allclose(
        preds[["proba_0", "proba_1"]], model.predict_proba(as_text), rtol=1e-15
    )
    # the file written now says it reads them as pandas does: hour as ints, other predictions
    rows = pd.read_csv(csv_file).drop(columns=["click"])
    new = pd.read_csv(tmp_path / "new.csv")
    np.testing.assert_allclose(
        new[["proba_0", "proba_1"]], load_model(model_path).predict_proba(rows), rtol=1e-15
    )
    assert (new["proba_1"] != preds["proba_1"]).any()


def test_report_names_the_cells_of_a_file_that_does_not_say_how_columns_are_read_as_text(
    tmp_path, csv_file, capsys
):
    # the model of an earlier build's CLI, trained on the columns as text: report DATA read
    # hour as numbers, whose hashes are none of the model's, and named none of hour's weights
    from sklearn.pipeline import make_pipeline

    from sparsereg.export import export_model

    frame = pd.read_csv(csv_file, dtype={"site": str, "hour": str}, keep_default_na=False)
    hasher = FeatureCrossHasher(
        [("site",), ("hour",), ("lat",), ("site", "hour")], buckets={"lat": 0.5}, n_features=2**16
    )
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    pipe.fit(frame.drop(columns=["click"]), frame["click"])
    new, old = tmp_path / "new.npz", tmp_path / "old.npz"
    export_model(pipe).save(new)
    _as_before_version_6(new, old)
    assert main(["report", str(old), str(csv_file), "--top", "1000", "--json"]) == 0
    weights = json.loads(capsys.readouterr().out)["top_weights"]
    assert all(w["cells"] for w in weights)  # every column named from the data
    assert any("hour=" in json.dumps(w["cells"]) for w in weights)


def test_a_model_trained_on_columns_as_text_exports_so_for_predict_and_report(
    tmp_path, csv_file, capsys
):
    # fit_stream(reader_options={"categorical": None}) trains on the columns as text: exported
    # as 'inferred' (the only way at first), predict read hour as numbers, hashes the model
    # never saw
    from sklearn.pipeline import make_pipeline

    from sparsereg.export import export_model

    hasher = FeatureCrossHasher(
        [("site",), ("hour",), ("lat",), ("site", "hour")], buckets={"lat": 0.5}, n_features=2**16
    )
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    pipe = fit_stream(
        pipe, str(csv_file), target="click", classes=[0, 1], reader_options={"categorical": None}
    )[0]
    path = tmp_path / "text.npz"
    export_model(pipe, hashed_columns="text").save(path)
    assert "hashed_columns" not in model_arrays(path)  # a file that does not say: as text
    out = tmp_path / "p.csv"
    assert main(["predict", str(path), str(csv_file), "--proba", "--quiet", "--out", str(out)]) == 0
    as_text = pd.read_csv(
        csv_file, dtype={"site": str, "hour": str}, keep_default_na=False, na_values=[""]
    ).drop(columns=["click"])
    np.testing.assert_allclose(
        pd.read_csv(out)[["proba_0", "proba_1"]], pipe.predict_proba(as_text), rtol=1e-15
    )
    assert main(["report", str(path), str(csv_file), "--top", "1000", "--json"]) == 0
    weights = json.loads(capsys.readouterr().out)["top_weights"]
    assert any("hour=" in json.dumps(w["cells"]) for w in weights)
    with pytest.raises(ValueError, match="hashed_columns must be 'inferred', 'text' or a dict"):
        export_model(pipe, hashed_columns="pandas")


def test_report_names_the_cells_of_a_file_that_says_its_columns_are_read_as_pandas_does(
    tmp_path, csv_file, capsys
):
    # (read as text, hour 5 is "5", none of the model's hashes: no hour cell would be named)
    status, model_path, _ = train(tmp_path, csv_file, capsys=capsys)
    assert status == 0 and str(model_arrays(model_path)["hashed_columns"]) == "inferred"
    assert main(["report", str(model_path), str(csv_file), "--top", "1000", "--json"]) == 0
    weights = json.loads(capsys.readouterr().out)["top_weights"]
    assert any("hour=" in json.dumps(w["cells"]) for w in weights)


@pytest.mark.parametrize(
    "hasher, inferred",
    [
        (FeatureCrossHasher([("site", "hour"), ("lat",)], buckets={"lat": 0.5}), ("site", "hour")),
        (FeatureCrossHasher(None, buckets={"lat": 0.5}), None),
        (FeatureCrossHasher([(0, 1)]), None),
    ],
)
def test_columns_read_as_text_are_those_read_as_pandas_reads_them(hasher, inferred):
    from sparsereg.stream._model import columns_to_read

    numeric, read_inferred, categorical = columns_to_read([hasher])
    assert read_inferred == inferred
    numeric_as_text, no_inferred, text = columns_to_read([hasher], inferred=False)
    assert numeric_as_text == numeric and no_inferred == ()
    # every column not named otherwise (None), or the inferred ones and the text ones
    assert text == (None if inferred is None else [*inferred, *categorical])


def test_a_16_bit_export_that_cannot_hold_the_weights_keeps_the_run_as_float64(tmp_path, capsys):
    # the run was lost: float16 refused weights beyond 65504 after training, and no file
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"c": rng.choice(list("abcdef"), 2000)})
    frame["big"] = np.where(frame.c == "a", 2e6, 1e6) + rng.normal(size=2000)
    frame.to_csv(tmp_path / "big.csv", index=False)
    argv = ["train", str(tmp_path / "big.csv"), "--target", "big", "--loss", "squared_error"]
    argv += ["--eta0", "1e5", "--quiet"]
    model = tmp_path / "m.npz"
    assert main([*argv, "--model", str(model), "--weights", "float16"]) == 1
    kept = tmp_path / "m.float64.npz"
    assert f"the trained model is written with float64 weights to {kept} instead" in (
        capsys.readouterr().err
    )
    assert not model.exists()
    assert main([*argv, "--model", str(tmp_path / "f64.npz")]) == 0  # the same run, float64
    with np.load(kept) as a, np.load(tmp_path / "f64.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    # a file already there is not written over
    before = kept.read_bytes()
    kept.write_bytes(b"mine")
    assert main([*argv, "--model", str(model), "--weights", "float16"]) == 1
    assert f"{kept} exists, so the trained model was not written" in capsys.readouterr().err
    assert kept.read_bytes() == b"mine" and before != b"mine"


def _days(tmp_path):
    """Two days of clicks: the first's first rows hold a zip that is text ("A1234"), the
    second only zips of digits ("02139"), which read alone are numbers."""
    rng = np.random.RandomState(0)
    paths = []
    for day, n in enumerate((3000, 2500)):
        zips = rng.choice(["02139", "94110", "10001", "A1234"], n)
        if day == 0:
            zips[:5] = "A1234"
        else:
            zips = rng.choice(["02139", "94110", "10001"], n)
        frame = pd.DataFrame({"site": rng.choice(SITES, n), "zip": zips, "x": rng.rand(n)})
        frame["click"] = ((frame["site"] == SITES[0]) ^ (rng.rand(n) < 0.2)).astype(int)
        paths.append(tmp_path / f"day{day + 1}.csv")
        frame.to_csv(paths[-1], index=False)
    return paths


def test_initial_trains_on_from_an_earlier_runs_checkpoint_as_one_run_over_both(tmp_path, capsys):
    # a VW user's `vw -i model day2`: --resume refused other files ("written by a different
    # run"), and the model file holds no training state. --initial starts from the state of an
    # earlier run's checkpoint, its columns read as that run read them: the model of one run
    # over both days, to the bit; the run, stopped, resumes with its command and --resume
    day1, day2 = _days(tmp_path)
    args = ["--target", "click", "--cross", "site,zip", "--n-features", "2**16", "--quiet"]
    first = ["train", str(day1), *args, "--model", str(tmp_path / "d1.npz")]
    assert main([*first, "--checkpoint", str(tmp_path / "d1.ckpt")]) == 0
    assert main(["train", str(day2), *args, "--model", str(tmp_path / "d2.npz"),
                 "--initial", str(tmp_path / "d1.ckpt")]) == 0  # fmt: skip
    assert main(["train", str(day1), str(day2), *args, "--model", str(tmp_path / "both.npz")]) == 0
    # (its own checkpoint resumed by the same command: its description holds the kinds given)
    resumed = ["train", str(day2), *args, "--model", str(tmp_path / "d2r.npz"),
               "--initial", str(tmp_path / "d1.ckpt"), "--checkpoint", str(tmp_path / "d2.ckpt")]  # fmt: skip
    assert main(resumed) == 0
    assert main([*resumed, "--resume"]) == 0
    continued, both = load_model(tmp_path / "d2.npz"), load_model(tmp_path / "both.npz")
    assert (load_model(tmp_path / "d2r.npz").coef_ != continued.coef_).nnz == 0
    # (an integer holdout holds out every k-th row of each file: the same rows either way)
    held = [*args, "--holdout", "10"]
    assert main(["train", str(day1), *held, "--model", str(tmp_path / "h1.npz"),
                 "--checkpoint", str(tmp_path / "h1.ckpt")]) == 0  # fmt: skip
    assert main(["train", str(day2), *held, "--model", str(tmp_path / "h2.npz"),
                 "--initial", str(tmp_path / "h1.ckpt")]) == 0  # fmt: skip
    assert main(["train", str(day1), str(day2), *held, "--model", str(tmp_path / "hb.npz")]) == 0
    assert (load_model(tmp_path / "h2.npz").coef_ != load_model(tmp_path / "hb.npz").coef_).nnz == 0
    assert (continued.coef_ != both.coef_).nnz == 0 and continued.coef_.nnz > 0
    np.testing.assert_array_equal(continued.intercept_, both.intercept_)
    assert continued.column_kinds_["zip"] == both.column_kinds_["zip"] == "text"
    # (read alone, the second day's zips are numbers: the recorded kinds made them text)
    assert main(["train", str(day2), *args, "--model", str(tmp_path / "alone.npz")]) == 0
    assert load_model(tmp_path / "alone.npz").column_kinds_["zip"] == "number"
    assert capsys.readouterr().err == ""


def test_initial_refuses_a_run_of_other_hashing_and_says_which_options_differ(tmp_path, capsys):
    day1, day2 = _days(tmp_path)
    args = ["--target", "click", "--cross", "site,zip", "--quiet"]
    ckpt, model = str(tmp_path / "d1.ckpt"), str(tmp_path / "d2.npz")
    assert main(["train", str(day1), *args, "--model", str(tmp_path / "d1.npz"),
                 "--checkpoint", ckpt]) == 0  # fmt: skip
    again = ["train", str(day2), "--model", model, "--initial", ckpt]
    for other, said in (
        (["--n-features", "2**20"], "n_features: 16777216 -> 1048576"),
        (["--cross", "site,x"], "crosses: [['site'], ['zip'], ['x'], ['site', 'zip']] -> "),
        (["--hash-seed", "7"], "seed: 0 -> 7"),
        (["--target", "site", "--cross", "zip,x"], "target: 'click' -> 'site'"),
    ):
        given = [*args, *other] if other[0] != "--target" else ["--quiet", *other]
        assert main([*again, *given]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1  # (one line, without the usage)
        assert f"--initial {ckpt}: its run trained another model than this one would" in err
        assert said in err
        assert not os.path.exists(model)
    # a model file, no file, a folder; the model written over the checkpoint
    assert main([*again[:-1], str(tmp_path / "d1.npz"), *args]) == 1
    assert "is a model file (sparsereg.ExportedLinearModel" in capsys.readouterr().err
    assert main([*again[:-1], str(tmp_path / "none.ckpt"), *args]) == 1
    assert "--initial: there is no checkpoint at" in capsys.readouterr().err
    assert main([*again[:-1], str(tmp_path), *args]) == 1
    assert "is not a regular file (a folder" in capsys.readouterr().err
    assert main(["train", str(day2), "--model", ckpt, "--initial", ckpt, *args]) == 1
    assert "--model and --initial must be different files" in capsys.readouterr().err
    # a checkpoint whose kinds were forged: refused naming --initial
    with np.load(ckpt) as f:
        arrays = dict(f)
    meta = json.loads(str(arrays["meta"]))
    for forged in ({"zip": 5}, ["zip"]):
        arrays["meta"] = np.array(json.dumps({**meta, "column_kinds": forged}))
        np.savez(tmp_path / "forged.npz", **arrays)
        assert main([*again[:-1], str(tmp_path / "forged.npz"), *args]) == 1
        assert "its column_kinds are not column names and their kinds" in (capsys.readouterr().err)
    # a checkpoint of an earlier sparsereg, which recorded no kinds: said
    arrays["meta"] = np.array(json.dumps({k: v for k, v in meta.items() if k != "column_kinds"}))
    np.savez(tmp_path / "older.npz", **arrays)
    assert main(["train", str(day2), "--model", model, "--initial", str(tmp_path / "older.npz"),
                 "--target", "click", "--cross", "site,zip"]) == 0  # fmt: skip
    assert "records no kinds of its columns (an earlier sparsereg wrote it)" in (
        capsys.readouterr().err
    )
    for forged in ([[]], [["FeatureCrossHasher"]], [5]):  # (an IndexError, a TypeError)
        arrays["meta"] = np.array(json.dumps({**meta, "transformers": forged}))
        np.savez(tmp_path / "forged.npz", **arrays)
        assert main([*again[:-1], str(tmp_path / "forged.npz"), *args]) == 1
        assert "its run trained another model than this one would" in capsys.readouterr().err
    # classes it has not: an IndexError scoring the first batch (--classes, as the message of
    # a label of no class advised)
    assert main([*again, *args, "--classes", "0,1,2"]) == 1
    assert (
        f"--initial {ckpt}: its run has the classes [0.0, 1.0]; a model trained on keeps "
        "its classes, and --classes gives [0.0, 1.0, 2.0]." in capsys.readouterr().err
    )
    # a kind the files do not fit names the --initial run (not --text, which was not given)
    arrays["meta"] = np.array(json.dumps({**meta, "column_kinds": {**meta["column_kinds"],
                                                                   "site": "number"}}))  # fmt: skip
    np.savez(tmp_path / "forged.npz", **arrays)
    assert main([*again[:-1], str(tmp_path / "forged.npz"), *args]) == 1
    assert "(numbers as the --initial run read it)" in capsys.readouterr().err
    # the model's own options may differ: they apply from here on, and are said
    assert main([*again, *args, "--alpha", "0.01"]) == 0
    err = capsys.readouterr().err
    assert "alpha=0.0001; this SparseFTRLClassifier has alpha=0.01" in err
    assert "Give that run's options to train on as it did." in err and "set_params" not in err


def test_predict_with_a_target_prints_the_models_loss_on_the_labelled_rows(tmp_path, capsys):
    # as Vowpal Wabbit's -t: predict printed no loss of labelled rows, which the model file
    # cannot be scored on otherwise without Python
    from sklearn.metrics import accuracy_score, log_loss

    day1, day2 = _days(tmp_path)
    model = tmp_path / "m.npz"
    args = ["--cross", "site,zip", "--n-features", "2**16", "--quiet"]
    assert main(["train", str(day1), "--target", "click", *args, "--model", str(model)]) == 0
    out = tmp_path / "p.csv"
    predict = ["predict", str(model), str(day2), "--out", str(out), "--quiet"]
    assert main([*predict, "--target", "click"]) == 0
    said = capsys.readouterr().err
    loaded = load_model(model)
    rows = pd.read_csv(day2, dtype={"zip": str})
    y = rows.pop("click")
    expected_loss = log_loss(y, loaded.predict_proba(rows))
    expected_accuracy = accuracy_score(y, loaded.predict(rows))
    assert f"sparsereg: on 2,500 labelled rows: log loss {expected_loss:.6g}, accuracy " in said
    assert f"accuracy {expected_accuracy:.6g}" in said
    assert pd.read_csv(out)["prediction"].tolist() == loaded.predict(rows).tolist()
    # a regressor: the mean squared error
    reg = tmp_path / "r.npz"
    assert main(["train", str(day1), "--target", "x", "--loss", "squared_error", *args,
                 "--model", str(reg)]) == 0  # fmt: skip
    assert main(["predict", str(reg), str(day2), "--out", str(out), "--target", "x"]) == 0
    rows = pd.read_csv(day2, dtype={"zip": str})  # (click is one of its features)
    x = rows.pop("x")
    mse = float(np.mean((load_model(reg).predict(rows) - x) ** 2))
    assert f"labelled rows: mean squared error {mse:.6g} (RMSE " in capsys.readouterr().err
    # a label the model has no class of is named, with its row
    other = pd.read_csv(day2)
    other.loc[7, "click"] = 2
    other.to_csv(tmp_path / "other.csv", index=False)
    assert main(["predict", str(model), str(tmp_path / "other.csv"), "--out", str(out),
                 "--target", "click", "--quiet"]) == 1  # fmt: skip
    assert "other.csv, row 8: label 2 is not one of the model's classes [0, 1]" in (
        capsys.readouterr().err
    )
    # with --skip-bad-rows it is predicted, not scored (it stopped the run all the same)
    assert main(["predict", str(model), str(tmp_path / "other.csv"), "--out", str(out),
                 "--target", "click", "--quiet", "--skip-bad-rows"]) == 0  # fmt: skip
    said = capsys.readouterr().err
    features = other.drop(columns="click").astype({"zip": str})
    known = other["click"] != 2
    expected_loss = log_loss(other["click"][known], loaded.predict_proba(features[known]))
    assert f"sparsereg: on 2,499 labelled rows: log loss {expected_loss:.6g}, accuracy" in said
    assert "(1 row of a label that is not one of the model's classes [0, 1] predicted, not " in said
    written = pd.read_csv(out)
    assert written["row"].tolist() == list(range(1, 2501))  # (every row, that one too)
    assert written["prediction"].tolist() == loaded.predict(features).tolist()
    # a column the model reads as a feature is no label (it said "the target 'x' is also given
    # as a feature column", train's words); a second --target is refused, not kept
    for twice in (["--target", "x"], ["--target", "click", "--target", "x"]):
        with pytest.raises(SystemExit):
            main(["predict", str(model), str(day2), "--out", str(out), *twice])
    err = capsys.readouterr().err
    assert "--target 'x': the model reads that column as a feature, so it cannot be" in err
    assert "--target: given twice ('click', then 'x'); name one column." in err


def test_predict_with_a_target_of_a_hasher_of_every_column_and_rows_without_labels(
    tmp_path, capsys
):
    # a hasher of every column (crosses=None) reads them all: a --target among them said
    # "target 'a': 'p' is not a number" or scikit-learn's "Feature names unseen at fit time"
    from sklearn.pipeline import make_pipeline

    from sparsereg import export_model

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.choice(["p", "q"], 300), "n": rng.randint(2, size=300)})
    frame["y"] = ((frame["a"] == "p") ^ (rng.rand(300) < 0.2)).astype(int)
    hasher = FeatureCrossHasher(n_features=2**8)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    pipe.fit(frame[["a", "n"]], frame["y"])
    export_model(pipe).save(tmp_path / "m.npz")
    frame.loc[4, "y"] = np.nan  # (a row without a label)
    frame.to_csv(tmp_path / "rows.csv", index=False)
    predict = ["predict", str(tmp_path / "m.npz"), str(tmp_path / "rows.csv"), "--out"]
    predict.append(str(tmp_path / "p.csv"))
    for column in ("a", "n"):
        with pytest.raises(SystemExit):
            main([*predict, "--target", column])
        assert f"--target '{column}': the model reads that column as a feature" in (
            capsys.readouterr().err
        )
    # a row without a label is predicted, not scored, as Vowpal Wabbit's -t does (it was a bad
    # row: the run stopped, or its prediction was skipped)
    from sklearn.metrics import log_loss

    frame.loc[9, "y"] = np.nan
    frame.to_csv(tmp_path / "rows.csv", index=False)
    labelled = frame["y"].notna()
    expected = log_loss(frame["y"][labelled], pipe.predict_proba(frame[["a", "n"]])[labelled])
    for skip in ([], ["--skip-bad-rows"]):
        assert main([*predict, "--target", "y", *skip]) == 0
        err = capsys.readouterr().err
        assert f"on 298 labelled rows: log loss {expected:.6g}, accuracy " in err
        assert "(2 rows without a label predicted, not scored)" in err
        assert "bad rows" not in err
        written = pd.read_csv(tmp_path / "p.csv")
        assert written["prediction"].tolist() == pipe.predict(frame[["a", "n"]]).tolist()
    # whatever their weights (often missing too: never used)
    weights = np.random.RandomState(1).uniform(0.5, 2, 300)
    weighed = frame.assign(w=weights).astype({"w": object})
    weighed.loc[4, "w"], weighed.loc[9, "w"] = None, "-1"
    weighed.to_csv(tmp_path / "weighed.csv", index=False)
    expected = log_loss(
        frame["y"][labelled],
        pipe.predict_proba(frame[["a", "n"]])[labelled],
        sample_weight=weights[labelled],
    )
    scored = ["predict", str(tmp_path / "m.npz"), str(tmp_path / "weighed.csv"), "--out"]
    assert main([*scored, str(tmp_path / "p.csv"), "--target", "y", "--weight-column", "w"]) == 0
    err = capsys.readouterr().err
    assert f"on 298 labelled rows of weight {weights[labelled].sum():.6g}: log loss {expected:.6g}" in err  # fmt: skip
    assert "(2 rows without a label predicted, not scored)" in err
    # train still refuses such a row: it has no label to train on
    train = ["train", str(tmp_path / "rows.csv"), "--target", "y", "--model", str(tmp_path / "t.npz")]  # fmt: skip
    assert main(train) == 1
    assert "rows.csv: row 5: target 'y' is missing" in capsys.readouterr().err
    # a label that is no number is still a bad row
    frame.astype({"y": object}).assign(y=lambda f: f["y"].where(f.index != 3, "yes")).to_csv(
        tmp_path / "rows.csv", index=False
    )
    assert main([*predict, "--target", "y"]) == 1
    assert "rows.csv: row 4: target 'y': 'yes' is not a number" in capsys.readouterr().err


def test_predict_with_a_target_clips_float32_probabilities_as_scikit_learn(tmp_path, capsys):
    # a model of float32 scores rounds confident probabilities to 0 or 1: clipped at float64's
    # eps, the log loss was 4.78 where scikit-learn's log_loss, clipping at float32's, is 2.56
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.pipeline import make_pipeline

    from sparsereg import export_model

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({c: rng.choice(["p", "q", "r"], 400) for c in "abc"})
    frame["y"] = ((frame["a"] == "p") ^ (rng.rand(400) < 0.2)).astype(int)
    hasher = FeatureCrossHasher([["a"], ["b"], ["c"]], n_features=256, dtype=np.float32)
    pipe = make_pipeline(hasher, LogisticRegression()).fit(frame[["a", "b", "c"]], frame["y"])
    pipe[-1].coef_ *= 60  # (confident: probabilities of exactly 0 and 1 in float32)
    pipe[-1].intercept_ *= 60
    export_model(pipe).save(tmp_path / "m.npz")
    frame.to_csv(tmp_path / "rows.csv", index=False)
    proba = load_model(tmp_path / "m.npz").predict_proba(frame[["a", "b", "c"]])
    assert proba.dtype == np.float32 and np.any((proba == 0) | (proba == 1))
    argv = ["predict", str(tmp_path / "m.npz"), str(tmp_path / "rows.csv"), "--target", "y"]
    assert main([*argv, "--out", str(tmp_path / "p.csv"), "--quiet"]) == 0
    expected = log_loss(frame["y"], proba)
    assert f"log loss {expected:.6g}, accuracy" in capsys.readouterr().err


def test_skip_bad_rows_scores_the_known_labels_of_text_classes_weighted_in_any_batch(
    tmp_path, capsys
):
    # with --skip-bad-rows a row of a label the model has no class of is predicted, not scored:
    # text classes, weights, batches of 7 rows (one holding only such rows), rows without a
    # label beside them
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.pipeline import make_pipeline

    from sparsereg import export_model

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.choice(["p", "q", "r"], 200)})
    frame["y"] = np.where(
        rng.rand(200) < 0.8, frame["a"].map({"p": "ham", "q": "spam", "r": "egg"}), "ham"
    )
    pipe = make_pipeline(
        FeatureCrossHasher(["a"], n_features=2**8), SparseFTRLClassifier(random_state=0)
    ).fit(frame[["a"]], frame["y"])
    export_model(pipe).save(tmp_path / "m.npz")
    labels = frame["y"].astype(object)
    labels[[3, 50, 51]] = "bacon"
    labels[14:21] = "bacon"  # (the third batch of 7: no row scored)
    labels[[8, 60]] = None
    weights = rng.uniform(0.5, 2, 200).round(3)
    frame.assign(y=labels, w=weights).to_csv(tmp_path / "rows.csv", index=False)
    argv = ["predict", str(tmp_path / "m.npz"), str(tmp_path / "rows.csv"), "--target", "y"]
    argv += ["--weight-column", "w", "--batch-rows", "7", "--out", str(tmp_path / "p.csv")]
    assert main([*argv, "--quiet"]) == 1
    assert "rows.csv, row 4: label 'bacon' is not one of the model's classes ['egg', 'ham', " in (
        capsys.readouterr().err
    )
    assert main([*argv, "--skip-bad-rows"]) == 0
    err = capsys.readouterr().err
    known = labels.notna() & (labels != "bacon")
    proba = pipe.predict_proba(frame[["a"]])
    loss = log_loss(labels[known], proba[known], sample_weight=weights[known], labels=pipe.classes_)
    right = accuracy_score(
        labels[known], pipe.predict(frame[["a"]])[known], sample_weight=weights[known]
    )
    assert (
        f"on 188 labelled rows of weight {weights[known].sum():.6g}: log loss {loss:.6g}, "
        f"accuracy {right:.6g} (2 rows without a label predicted, not scored) (10 rows of a "
        "label that is not one of the model's classes ['egg', 'ham', 'spam'] predicted, not "
        "scored)" in err
    )
    assert "200 predictions written" in err and "bad rows" not in err
    written = pd.read_csv(tmp_path / "p.csv")
    assert written["prediction"].tolist() == pipe.predict(frame[["a"]]).tolist()


def test_predict_with_a_weight_column_prints_the_weighted_loss(tmp_path, capsys):
    # a run trained with --weight-column (negatives down-sampled, weighed back up) reports
    # weighted losses; predict --target had no weights, so the test loss was another measure
    from sklearn.metrics import accuracy_score, log_loss, mean_squared_error

    day1, day2 = _days(tmp_path)
    rows = pd.read_csv(day2, dtype={"zip": str})
    weights = np.random.RandomState(3).uniform(0, 4, len(rows)).round(3)
    weights[:5] = [0, 1, 1, 2.5, 0]
    # (a CSV's True and false weigh 1 and 0, as train reads them)
    written = weights.astype(object)
    written[2], written[4] = "True", "false"
    rows.assign(w=written).to_csv(tmp_path / "w.csv", index=False)
    args = ["--cross", "site,zip", "--n-features", "2**16", "--quiet"]
    model, reg = tmp_path / "m.npz", tmp_path / "r.npz"
    assert main(["train", str(day1), "--target", "click", *args, "--model", str(model)]) == 0
    assert main(["train", str(day1), "--target", "x", "--loss", "squared_error", *args,
                 "--model", str(reg)]) == 0  # fmt: skip
    out = ["--out", str(tmp_path / "p.csv"), "--quiet"]
    predict = ["predict", str(model), str(tmp_path / "w.csv"), *out]
    assert main([*predict, "--target", "click", "--weight-column", "w"]) == 0
    loaded = load_model(model)
    y = rows.pop("click")
    expected = log_loss(y, loaded.predict_proba(rows), sample_weight=weights)
    accuracy = accuracy_score(y, loaded.predict(rows), sample_weight=weights)
    assert expected != pytest.approx(log_loss(y, loaded.predict_proba(rows)), rel=1e-4)
    said = capsys.readouterr().err
    assert (
        f"on 2,500 labelled rows of weight {weights.sum():.6g}: log loss {expected:.6g}, " in said
    )
    assert f"accuracy {accuracy:.6g}" in said
    rows = pd.read_csv(day2, dtype={"zip": str})
    x = rows.pop("x")
    regress = ["predict", str(reg), str(tmp_path / "w.csv"), *out]
    assert main([*regress, "--target", "x", "--weight-column", "w"]) == 0
    mse = mean_squared_error(x, load_model(reg).predict(rows), sample_weight=weights)
    assert f"of weight {weights.sum():.6g}: mean squared error {mse:.6g} (RMSE " in (
        capsys.readouterr().err
    )
    # rows that weigh 0 only: no mean
    rows.assign(x=x, w=0).iloc[:10].to_csv(tmp_path / "zero.csv", index=False)
    zero = ["predict", str(reg), str(tmp_path / "zero.csv"), *out, "--target", "x"]
    assert main([*zero, "--weight-column", "w"]) == 0
    assert "the 10 labelled rows scored weigh 0: no loss is a mean of them." in (
        capsys.readouterr().err
    )
    # weights whose sum is beyond float64: said, not a log loss of nan
    rows.assign(x=x, w=1e308).iloc[:10].to_csv(tmp_path / "huge.csv", index=False)
    huge = ["predict", str(reg), str(tmp_path / "huge.csv"), *out, "--target", "x"]
    assert main([*huge, "--weight-column", "w"]) == 0
    assert "the weights of the 10 labelled rows scored sum beyond float64: no loss is a mean." in (
        capsys.readouterr().err
    )
    # a bad weight is a bad row, as train's
    rows.assign(x=x, w=weights).assign(w=lambda f: f["w"].where(f.index != 6, -1.0)).to_csv(
        tmp_path / "bad.csv", index=False
    )
    bad = ["predict", str(reg), str(tmp_path / "bad.csv"), *out, "--target", "x"]
    assert main([*bad, "--weight-column", "w"]) == 1
    assert "bad.csv: row 7: weight 'w': '-1.0' is negative" in capsys.readouterr().err
    # no --target to weigh, a feature of the model, the target itself
    for given, message in [
        ([], "--weight-column 'w' weighs the loss of --target's labels: give --target too."),
        (["--target", "x"], "--weight-column 'site': the model reads that column as a feature"),
        (["--target", "x"], "--weight-column 'x' is the target; name another column."),
    ]:
        column = message.split("'")[1]
        with pytest.raises(SystemExit):
            main([*regress, *given, "--weight-column", column])
        assert message in capsys.readouterr().err


def test_a_csv_label_of_true_and_false_is_read_as_a_bool_column_is(tmp_path, capsys):
    # a model of bool classes (fitted on pandas' bools) scored on its CSV said "target 'y':
    # 'True' is not a number", and train refused the file; a bool column of a Parquet file or a
    # DataFrame is read as 1 and 0, and so is a CSV's True/False now (as its weight column is)
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.pipeline import make_pipeline

    from sparsereg import export_model

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.choice(["p", "q", "r"], 300), "n": rng.randint(5, size=300)})
    frame["y"] = (frame["a"] == "p") ^ (rng.rand(300) < 0.2)
    hasher = FeatureCrossHasher(["a", "n"], n_features=2**8)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(frame[["a", "n"]], frame["y"])  # fmt: skip
    assert pipe[-1].classes_.dtype == bool
    export_model(pipe).save(tmp_path / "m.npz")
    # (each of pandas' spellings, in turn)
    trues = [["True", "TRUE", "true"][k % 3] for k in range(300)]
    falses = [["False", "FALSE", "false"][k % 3] for k in range(300)]
    spelled = frame.assign(y=np.where(frame["y"], trues, falses))
    spelled.to_csv(tmp_path / "rows.csv", index=False)
    assert set(spelled["y"]) == {"True", "TRUE", "true", "False", "FALSE", "false"}
    assert (spelled["y"].str.lower() == "true").tolist() == frame["y"].tolist()
    predict = ["predict", str(tmp_path / "m.npz"), str(tmp_path / "rows.csv"), "--target", "y"]
    assert main([*predict, "--out", str(tmp_path / "p.csv"), "--quiet"]) == 0
    proba = pipe.predict_proba(frame[["a", "n"]])
    expected = log_loss(frame["y"], proba)
    accuracy = accuracy_score(frame["y"], pipe.predict(frame[["a", "n"]]))
    assert f"on 300 labelled rows: log loss {expected:.6g}, accuracy {accuracy:.6g}" in (
        capsys.readouterr().err
    )
    # train on the file: the model of its labels as 1 and 0
    numbers = tmp_path / "numbers.csv"
    frame.assign(y=frame["y"].astype(int)).to_csv(numbers, index=False)
    common = ["--features", "a", "--features", "n", "--n-features", "2**8", "--quiet"]
    for path, name in [(tmp_path / "rows.csv", "b.npz"), (numbers, "i.npz")]:
        assert main(["train", str(path), "--target", "y", *common, "--model", str(tmp_path / name)]) == 0  # fmt: skip
    from_bools, from_numbers = load_model(tmp_path / "b.npz"), load_model(tmp_path / "i.npz")
    assert from_bools.classes_.tolist() == [0, 1]
    assert np.array_equal(from_bools.coef_.toarray(), from_numbers.coef_.toarray())
    # another word is still no label
    spelled.loc[7, "y"] = "yes"
    spelled.to_csv(tmp_path / "rows.csv", index=False)
    assert main([*predict, "--out", str(tmp_path / "p.csv"), "--quiet"]) == 1
    assert "rows.csv: row 8: target 'y': 'yes' is not a number" in capsys.readouterr().err


def test_initial_refuses_the_checkpoint_of_a_run_stopped_before_its_end(tmp_path, capsys):
    # a Ctrl-C'd run's checkpoint was taken as the earlier model: part of a day, silently
    path = tmp_path / "big.csv"
    path.write_bytes(clicks_csv(30_000, seed=1))
    common = [sys.executable, "-m", "sparsereg", "train", str(path), "--target", "click",
              "--cross", "site,hour", "--n-features", "2**16", "--batch-rows", "1000", "--quiet"]  # fmt: skip
    checkpoint = tmp_path / "run.ckpt"
    stopped = [*common, "--model", str(tmp_path / "m.npz"), "--checkpoint", str(checkpoint),
               "--checkpoint-every", "2000", "--passes", "3"]  # fmt: skip
    returncode, err = _stopped_after_a_checkpoint(stopped, checkpoint, signal.SIGINT)
    assert returncode == 130, err
    again = [*common[3:], "--model", str(tmp_path / "n.npz"), "--initial", str(checkpoint)]
    assert main(again) == 1
    assert "holds a run stopped before its end (pass 1)" in capsys.readouterr().err
    assert not (tmp_path / "n.npz").exists()
    assert main([*stopped[3:], "--resume"]) == 0  # (finished, it is taken)
    assert main(again) == 0


def test_initial_refuses_svmlight_files_numbered_otherwise(tmp_path, capsys):
    # an SVMlight run's width and numbering were not compared: files numbered from 1 after a
    # run of files numbered from 0 trained every feature one column off, silently
    from sklearn.datasets import dump_svmlight_file

    rng = np.random.RandomState(0)
    X, y = rng.binomial(1, 0.3, size=(400, 20)).astype(float), rng.randint(2, size=400)
    for day in (1, 2):
        dump_svmlight_file(X, y, str(tmp_path / f"s{day}.svm"), zero_based=True)
    args = ["--n-features", "20", "--quiet"]
    first = ["train", str(tmp_path / "s1.svm"), *args, "--model", str(tmp_path / "a.npz")]
    assert main([*first, "--zero-based", "--checkpoint", str(tmp_path / "s1.ckpt")]) == 0
    again = ["train", str(tmp_path / "s2.svm"), *args, "--model", str(tmp_path / "b.npz"),
             "--initial", str(tmp_path / "s1.ckpt")]  # fmt: skip
    assert main(again) == 1
    assert (
        "reader_options: {'n_features': 20, 'zero_based': True} -> {'n_features': 20, "
        "'zero_based': False}" in capsys.readouterr().err
    )
    assert main([*again, "--zero-based"]) == 0
    # a CSV run's checkpoint given to an SVMlight run, and the other way: the formats are said
    # (it named the hasher's every parameter and "reader_options: {'n_features': None...")
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"]).assign(y=y)
    frame.to_csv(tmp_path / "rows.csv", index=False)
    csv_run = ["train", str(tmp_path / "rows.csv"), "--target", "y", "--quiet"]
    assert main([*csv_run, "--model", str(tmp_path / "c.npz"), "--checkpoint", str(tmp_path / "c.ckpt")]) == 0  # fmt: skip
    assert main([*again[:-1], str(tmp_path / "c.ckpt"), "--zero-based"]) == 1
    assert (
        "c.ckpt: its run hashed the columns of CSV or Parquet files, and this one reads "
        "SVMlight files: the columns of one are no columns of the other's model. Train on files "
        "of that run's format." in capsys.readouterr().err
    )
    from_svmlight = [*csv_run, "--model", str(tmp_path / "d.npz")]
    assert main([*from_svmlight, "--initial", str(tmp_path / "s1.ckpt")]) == 1
    assert (
        "s1.ckpt: its run read SVMlight files, and this one hashes the columns of CSV or Parquet "
        "files:" in capsys.readouterr().err
    )
    assert main([*from_svmlight, "--initial", str(tmp_path / "c.ckpt")]) == 0


def test_initial_says_train_cannot_continue_a_multinomial_checkpoint(tmp_path, capsys):
    # (it said "set multi_class='multinomial'", an option train does not have)
    from sklearn.pipeline import make_pipeline

    from sparsereg.stream import fit_stream

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"site": rng.choice(SITES, 600), "click": rng.randint(3, size=600)})
    frame.to_csv(tmp_path / "rows.csv", index=False)
    hasher = FeatureCrossHasher([("site",)], n_features=2**16)
    model = make_pipeline(hasher, SparseFTRLClassifier(multi_class="multinomial"))
    fit_stream(model, str(tmp_path / "rows.csv"), target="click",
               checkpoint=str(tmp_path / "m.ckpt"))  # fmt: skip
    argv = ["train", str(tmp_path / "rows.csv"), "--target", "click", "--features", "site",
            "--n-features", "2**16", "--model", str(tmp_path / "m.npz"), "--quiet"]  # fmt: skip
    assert main([*argv, "--initial", str(tmp_path / "m.ckpt")]) == 1
    err = capsys.readouterr().err
    assert "its model is a multinomial (softmax) one, which train does not train" in err
