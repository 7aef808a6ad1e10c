"""A column read as pandas reads it keeps the kind its first file gave it: in the later files of
a stream, and in the files ``sparsereg predict`` reads for the model (format version 8).

A user's trial: trained on a file whose ``zip`` holds numbers, ``sparsereg predict`` read a file
where one ``zip`` was "unknown" as text, so that every row's ``zip`` hashed to a token the model
never saw, and every prediction lost that column, without a word."""

import copy
import io
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from sparsereg import SparseFTRLClassifier
from sparsereg.cli import main
from sparsereg.crosses import FeatureCrossHasher
from sparsereg.export import export_model, load_model
from sparsereg.stream import fit_stream, open_source

pa = pytest.importorskip("pyarrow")


def _frames(tmp_path, **files):
    """Write each frame to ``<name>.csv`` (``<name>.parquet`` for a name ending in _pq)."""
    paths = {}
    for name, frame in files.items():
        if name.endswith("_pq"):
            paths[name] = tmp_path / f"{name}.parquet"
            frame.to_parquet(paths[name])
        else:
            paths[name] = tmp_path / f"{name}.csv"
            frame.to_csv(paths[name], index=False)
    return paths


def _assert_cli_predicts(tmp_path, model, data, proba):
    """`sparsereg predict MODEL DATA --proba` writes ``proba``'s second column."""
    out = tmp_path / "p.csv"
    argv = ["predict", str(model), str(data), "--proba", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    np.testing.assert_array_equal(pd.read_csv(out)["proba_1"], proba[:, 1])


def _read(paths, **kwargs):
    source = open_source([str(p) for p in paths], target="y", categorical=[], **kwargs)
    chunks = list(source.chunks())
    return source, pd.concat([c.X for c in chunks], ignore_index=True)


def test_a_later_files_column_is_read_as_the_first_file_read_it(tmp_path):
    first = pd.DataFrame({"zip": [94110, 94111], "city": ["a", "b"], "flag": ["True", "False"]})
    later = pd.DataFrame({"zip": ["unknown", 94112], "city": [1, 2], "flag": ["maybe", "True"]})
    paths = _frames(tmp_path, a=first.assign(y=[0, 1]), b=later.assign(y=[1, 0]))
    inferred = ["zip", "city", "flag"]
    source, X = _read(paths.values(), inferred=inferred, skip_bad_rows=True)
    assert source.column_kinds == {"zip": "number", "city": "text", "flag": "bool"}
    # b's first row is bad (zip and flag misfit); its second is read as a's: 94112 a number,
    # 2 the text "2" (each file read alone, as pandas reads it: "94112" text, 2 a number)
    assert X["zip"].tolist() == [94110, 94111, 94112]
    assert X["city"].astype(object).tolist() == ["a", "b", "2"]
    assert X["flag"].tolist() == [1, 0, 1]
    assert source.bad_rows == 1
    assert "zip' (numbers in the first rows of " in source.bad_row_examples[0]
    assert str(paths["a"]) in source.bad_row_examples[0]
    # hashed as those values in memory: the later file's columns are the model's tokens
    hasher = FeatureCrossHasher(inferred, n_features=2**12).fit(X)
    in_memory = pd.DataFrame(
        {"zip": [94110, 94111, 94112], "city": ["a", "b", "2"], "flag": [True, False, True]}
    )
    assert (hasher.transform(X) != hasher.transform(in_memory)).nnz == 0
    # without skipping, the bad row is named with its file and where the kind was decided
    with pytest.raises(ValueError, match=r"b\.csv: row 1: column 'zip' \(numbers in the first"):
        _read(paths.values(), inferred=inferred)
    alone, X = _read([paths["b"]], inferred=inferred)
    assert alone.column_kinds == {"zip": "text", "city": "number", "flag": "text"}


def test_numbers_and_bools_keep_their_own_reading_where_they_hash_alike(tmp_path):
    # 1 and True are one token: a later file of 1 and 0 where the first held True and False
    # (or the other way) is read as its own first rows say, no row bad
    paths = _frames(
        tmp_path,
        a=pd.DataFrame({"f": ["True", "False"], "g": [1, 0], "y": [0, 1]}),
        b=pd.DataFrame({"f": [1, 0], "g": ["False", "True"], "y": [1, 0]}),
    )
    source, X = _read(paths.values(), inferred=["f", "g"])
    assert source.column_kinds == {"f": "bool", "g": "number"}
    assert X["f"].tolist() == [1, 0, 1, 0] and X["g"].tolist() == [1, 0, 0, 1]


def test_a_column_of_no_value_in_the_first_rows_is_decided_by_a_later_file(tmp_path):
    paths = _frames(
        tmp_path,
        a=pd.DataFrame({"v": [None, None], "y": [0, 1]}),
        b=pd.DataFrame({"v": [5, 6], "y": [1, 0]}),
        c=pd.DataFrame({"v": ["x", 7], "y": [1, 0]}),
    )
    source, X = _read(paths.values(), inferred=["v"], skip_bad_rows=True)
    assert source.column_kinds == {"v": "number"}
    assert X["v"].tolist()[2:] == [5, 6, 7]
    assert str(paths["b"]) in source.bad_row_examples[0]  # (decided there, not in a.csv)


def test_kinds_given_are_read_so_and_named_in_the_message(tmp_path):
    paths = _frames(tmp_path, b=pd.DataFrame({"zip": ["unknown", 94112], "y": [1, 0]}))
    with pytest.raises(ValueError, match=r"row 1: column 'zip' \(numbers as column_kinds says\)"):
        _read([paths["b"]], inferred=["zip"], column_kinds={"zip": "number"})
    source, X = _read([paths["b"]], inferred=["zip"], column_kinds={"zip": "text"})
    assert X["zip"].astype(object).tolist() == ["unknown", "94112"]


def test_a_parquet_column_of_the_other_type_is_refused(tmp_path):
    # its type is the writer's choice: it is not read again as other text
    paths = _frames(
        tmp_path,
        a_pq=pd.DataFrame({"zip": [94110, 94111], "e": [None, None], "y": [0, 1]}),
        b_pq=pd.DataFrame({"zip": ["unknown", "94112"], "e": [None, None], "y": [1, 0]}),
    )
    pattern = r"b_pq\.parquet: column 'zip' holds text \(of type .*string\), but it was read "
    with pytest.raises(ValueError, match=pattern + r"as numbers in the first rows of .*a_pq"):
        _read(paths.values(), inferred=["zip", "e"])
    with pytest.raises(ValueError, match="read as numbers as column_kinds says; write it"):
        _read([paths["b_pq"]], inferred=["zip", "e"], column_kinds={"zip": "number"})
    # a column of no value (null type) is read as before, whatever kind was given
    source, X = _read([paths["a_pq"]], inferred=["zip", "e"], column_kinds={"e": "text"})
    assert X["e"].isna().all() and X["zip"].tolist() == [94110, 94111]


@pytest.mark.parametrize(
    "kinds, kwargs, error, match",
    [
        ([("zip", "number")], {}, TypeError, "column_kinds must be a dict"),
        ({"zip": "int"}, {}, ValueError, r"column_kinds\['zip'\] must be one of"),
        ({1: "text"}, {}, TypeError, "column names must be str"),
        ({"zip": "text"}, {"categorical": ["zip"]}, ValueError, "which is not read as pandas"),
    ],
)
def test_column_kinds_are_checked(tmp_path, kinds, kwargs, error, match):
    paths = _frames(tmp_path, a=pd.DataFrame({"zip": [1, 2], "y": [0, 1]}))
    inferred = [] if kwargs else ["zip"]
    with pytest.raises(error, match=match):
        open_source(str(paths["a"]), target="y", inferred=inferred, column_kinds=kinds, **kwargs)
    with pytest.raises(ValueError, match="column_kinds: batches hold their values"):
        batches = [pd.DataFrame({"zip": [1], "y": [0]})]
        open_source(batches, target="y", inferred=["zip"], column_kinds={"zip": "text"})
    svm = tmp_path / "a.svm"
    svm.write_text("1 1:1\n")
    with pytest.raises(ValueError, match="column_kinds: SVMlight files hold numbers only"):
        open_source(str(svm), n_features=4, inferred=["zip"], column_kinds={"zip": "text"})


def _zip_data(tmp_path):
    rng = np.random.default_rng(0)
    zips = rng.integers(94100, 94120, 3000)
    city = rng.choice(["a", "b", "c"], 3000)
    frame = pd.DataFrame({"zip": zips, "city": city, "y": (zips % 2 == 0).astype(int)})
    frame.to_csv(tmp_path / "train.csv", index=False)
    test = frame.drop(columns="y").head(20)
    test.to_csv(tmp_path / "clean.csv", index=False)
    dirty = test.astype({"zip": object})
    dirty.loc[3, "zip"] = "unknown"
    dirty.to_csv(tmp_path / "dirty.csv", index=False)
    return test


def test_predict_reads_a_column_as_training_read_it(tmp_path, capsys):
    test = _zip_data(tmp_path)
    model = str(tmp_path / "m.npz")
    train = ["train", str(tmp_path / "train.csv"), "--target", "y", "--passes", "3"]
    assert main([*train, "--model", model, "--quiet"]) == 0
    assert load_model(model).column_kinds_ == {"zip": "number", "city": "text"}
    predict = ["predict", model, "--proba", "--quiet", "--out"]
    assert main([*predict, str(tmp_path / "clean_p.csv"), str(tmp_path / "clean.csv")]) == 0
    clean = pd.read_csv(tmp_path / "clean_p.csv")
    np.testing.assert_array_equal(clean["proba_1"], load_model(model).predict_proba(test)[:, 1])
    # the stray text is a bad row, named; skipped, the other rows are predicted as in clean.csv
    out = str(tmp_path / "dirty_p.csv")
    assert main([*predict, out, str(tmp_path / "dirty.csv")]) == 1
    err = capsys.readouterr().err
    assert "dirty.csv: row 4: column 'zip' (numbers when the model was trained)" in err
    assert main([*predict, out, str(tmp_path / "dirty.csv"), "--skip-bad-rows"]) == 0
    dirty = pd.read_csv(out)
    assert dirty["row"].tolist() == [r for r in range(1, 21) if r != 4]
    np.testing.assert_array_equal(dirty["proba_1"], clean["proba_1"].drop(index=3))
    # the model of a build that did not record the kinds (version 6) read the column as text,
    # and the zip of every row was lost: what this version changed
    arrays = dict(np.load(model))
    arrays.pop("hashed_column_kinds")
    np.savez(tmp_path / "v6.npz", **dict(arrays, format_version=np.array(6)))
    v6_out = str(tmp_path / "v6_p.csv")
    v6 = ["predict", str(tmp_path / "v6.npz"), "--proba", "--quiet", "--out", v6_out]
    assert main([*v6, str(tmp_path / "dirty.csv")]) == 0
    lost = pd.read_csv(v6_out)["proba_1"].drop(index=3)
    assert not np.allclose(lost, clean["proba_1"].drop(index=3))


def test_report_reads_a_column_as_training_read_it(tmp_path, capsys):
    _zip_data(tmp_path)
    model = str(tmp_path / "m.npz")
    assert main(["train", str(tmp_path / "train.csv"), "--target", "y", "--model", model]) == 0
    capsys.readouterr()
    report = ["report", model, "--top", "100", "--json"]
    assert main([*report[:2], str(tmp_path / "clean.csv"), *report[2:]]) == 0
    assert '"zip=94' in capsys.readouterr().out
    # (read as text, the stray value made the zip of every row a text one: no zip cell named)
    assert main([*report[:2], str(tmp_path / "dirty.csv"), *report[2:]]) == 1
    assert "dirty.csv: row 4: column 'zip' (numbers when" in capsys.readouterr().err


def test_fit_stream_records_the_kinds_and_a_resumed_run_the_same(tmp_path):
    paths = _frames(
        tmp_path,
        a=pd.DataFrame({"zip": [94110, 94111] * 50, "city": ["a", "b"] * 50, "y": [0, 1] * 50}),
        b=pd.DataFrame({"zip": [94112, 94113] * 50, "city": [1, 2] * 50, "y": [1, 0] * 50}),
    )
    files = [str(p) for p in paths.values()]

    def pipe():
        hasher = FeatureCrossHasher(["zip", "city"], n_features=2**10)
        return make_pipeline(hasher, SparseFTRLClassifier(random_state=0))

    ckpt = str(tmp_path / "run.ckpt")
    kwargs = dict(target="y", classes=[0, 1], batch_rows=50, checkpoint=ckpt)
    model, history = fit_stream(pipe(), files, **kwargs)
    assert history.column_kinds == {"zip": "number", "city": "text"}
    _, resumed = fit_stream(pipe(), files, resume=True, **kwargs)
    assert resumed.column_kinds == history.column_kinds
    # exported with them, predict reads b.csv's city as text, as training did
    exported = export_model(model, hashed_columns=history.column_kinds)
    path = tmp_path / "m.npz"
    exported.save(path)
    as_trained = pd.DataFrame({"zip": [94112, 94113] * 50, "city": ["1", "2"] * 50})
    _assert_cli_predicts(tmp_path, path, files[1], model.predict_proba(as_trained))


def test_train_reads_a_column_given_with_text_as_text_and_predict_so(tmp_path, capsys):
    # a column of ids that are numbers in the first file and not in a later one: the later
    # file's rows were bad (named, with what to do); --text reads the column as text
    paths = _frames(
        tmp_path,
        a=pd.DataFrame({"id": [1, 2] * 50, "y": [0, 1] * 50}),
        b=pd.DataFrame({"id": ["A7", 2] * 50, "y": [0, 1] * 50}),
    )
    model = str(tmp_path / "m.npz")
    train = ["train", str(paths["a"]), str(paths["b"]), "--target", "y", "--model", model]
    assert main([*train, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "b.csv: row 1: column 'id' (numbers in the first rows of " in err
    assert "; --text id reads the column as text whatever its values, and --skip-bad" in err
    assert main([*train, "--quiet", "--text", "id"]) == 0
    out = tmp_path / "p.csv"
    assert main(["predict", model, str(paths["a"]), "--proba", "--quiet", "--out", str(out)]) == 0
    as_text = pd.DataFrame({"id": ["1", "2"] * 50})  # (a's ids as text, as training read them)
    np.testing.assert_array_equal(
        pd.read_csv(out)["proba_1"], load_model(model).predict_proba(as_text)[:, 1]
    )
    with pytest.warns(UserWarning, match="column 'id' holds numbers"):  # (they miss it)
        as_numbers = load_model(model).predict_proba(pd.DataFrame({"id": [1, 2] * 50}))[:, 1]
    assert not np.allclose(pd.read_csv(out)["proba_1"], as_numbers)


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--text", "lat", "--bucket", "lat=0.5"], "--text lat: the column is bucketed"),
        (["--features", "lat", "--text", "city"], "--text city: the column is in no --features"),
        (["--text", "y"], "--text y: the column is the target, not a feature."),
    ],
)
def test_text_names_a_column_hashed_without_buckets(tmp_path, capsys, extra, match):
    path = tmp_path / "a.csv"
    pd.DataFrame({"lat": [1.5, 2.5], "city": ["a", "b"], "y": [0, 1]}).to_csv(path, index=False)
    argv = ["train", str(path), "--target", "y", "--model", str(tmp_path / "m.npz"), *extra]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and match in capsys.readouterr().err
    argv = ["train", str(path), "--target", "y", "--model", str(tmp_path / "m.npz")]
    assert main([*argv, "--text", "nope"]) == 1  # (an error of the data, not of usage)
    assert "--text nope: " in capsys.readouterr().err
    svm = tmp_path / "a.svm"
    svm.write_text("1 1:1\n")
    with pytest.raises(SystemExit):
        main(["train", str(svm), "--model", str(tmp_path / "m.npz"), "--text", "x"])
    assert "--text, --hash-seed and --target apply to CSV and Parquet" in capsys.readouterr().err


def _empty_first_rows(values, n_empty=40_000):
    """A column of no value in a CSV's first 64 KiB (its first rows), then ``values``."""
    return pd.DataFrame({"zip": pd.array([None] * n_empty + list(values), dtype="Int64")})


def test_a_file_whose_first_rows_hold_no_value_reads_the_kind_a_later_file_decided(tmp_path):
    # a.csv's zip read as text ("94110.0") where b.csv decided numbers: a's zip codes hashed
    # apart from b's, and the model recorded numbers
    first = _empty_first_rows([94110, 94111])
    paths = _frames(
        tmp_path,
        a=first.assign(y=0),
        b=pd.DataFrame({"zip": [94112, 94113], "y": [1, 0]}),
    )
    source, X = _read(paths.values(), inferred=["zip"])
    assert source.column_kinds == {"zip": "number"}
    assert X["zip"].tolist()[-4:] == [94110, 94111, 94112, 94113]
    # a CSV header alone, no row: decided by the next file too
    (tmp_path / "h.csv").write_text("zip,y\n")
    source, X = _read([tmp_path / "h.csv", paths["b"]], inferred=["zip"])
    assert source.column_kinds == {"zip": "number"}


def test_a_column_no_file_decided_is_recorded_as_read_as_text_for_predict(tmp_path, capsys):
    # trained on zip as text (no value in the first rows), the model said nothing of it:
    # predict read a file of zip codes as numbers, which the model never saw
    rng = np.random.default_rng(0)
    zips = rng.integers(94100, 94104, 2000)
    train = _empty_first_rows(zips).assign(y=[0] * 40_000 + list(zips % 2))
    train.to_csv(tmp_path / "train.csv", index=False)
    source, X = _read([tmp_path / "train.csv"], inferred=["zip"])
    assert source.column_kinds == {"zip": "text"}
    assert "94100" in set(X["zip"].dropna().astype(str))  # (text: "94100", not 94100)
    model = str(tmp_path / "m.npz")
    assert main(["train", str(tmp_path / "train.csv"), "--target", "y", "--model", model]) == 0
    test = pd.DataFrame({"zip": [94100, 94101, 94102, 94103]})
    test.to_csv(tmp_path / "test.csv", index=False)
    out = tmp_path / "p.csv"
    argv = ["predict", model, str(tmp_path / "test.csv"), "--proba", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    as_trained = pd.DataFrame({"zip": ["94100", "94101", "94102", "94103"]})
    predicted = pd.read_csv(out)["proba_1"]
    np.testing.assert_array_equal(predicted, load_model(model).predict_proba(as_trained)[:, 1])
    assert predicted.nunique() == 4  # (each zip its weight: none lost to an unseen token)


def test_parquet_kinds_bools_and_columns_of_no_value(tmp_path):
    paths = _frames(
        tmp_path,
        a_pq=pd.DataFrame({"flag": [True, False], "v": pd.Series([None, None], dtype=str)}),
        b_pq=pd.DataFrame({"flag": [False, True], "v": [1, 2]}),
    )
    for frame_path in paths.values():
        pd.read_parquet(frame_path).assign(y=[0, 1]).to_parquet(frame_path)
    source, X = _read(paths.values(), inferred=["flag", "v"])
    # (a string column of no value decides nothing: b's numbers are v's kind)
    assert source.column_kinds == {"flag": "bool", "v": "number"}
    # a CSV of True and False read for a model of Parquet bools: bools, no bad row
    csv = _frames(tmp_path, c=pd.DataFrame({"flag": ["True", "False"], "v": [3, 4], "y": [0, 1]}))
    source, X = _read([csv["c"]], inferred=["flag", "v"], column_kinds={"flag": "bool"})
    assert X["flag"].tolist() == [1, 0] and source.bad_rows == 0


def test_a_model_trained_on_some_columns_as_text_exports_them_so(tmp_path):
    # reader_options={"categorical": [...]} reads a column as text, which the history's kinds
    # (of the columns read as pandas reads them) leave out: the dict given to export_model
    # names it 'text', and predict reads it so (values without pandas' spellings of missing:
    # "NA", which a categorical column keeps as text, 'text' reads as missing, as documented)
    path = tmp_path / "a.csv"
    pd.DataFrame({"zip": [1, 2] * 50, "city": [7, 8] * 50, "y": [0, 1] * 50}).to_csv(
        path, index=False
    )
    hasher = FeatureCrossHasher(["zip", "city"], n_features=2**10)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    options = {"categorical": ["city"]}
    model, history = fit_stream(pipe, str(path), target="y", classes=[0, 1], reader_options=options)
    assert history.column_kinds == {"zip": "number"}
    kinds = {**history.column_kinds, "city": "text"}
    export_model(model, hashed_columns=kinds).save(tmp_path / "m.npz")
    as_trained = pd.DataFrame({"zip": [1, 2] * 50, "city": ["7", "8"] * 50})
    _assert_cli_predicts(tmp_path, tmp_path / "m.npz", path, model.predict_proba(as_trained))


def test_predict_says_a_parquet_column_of_the_other_type_is_the_models(tmp_path, capsys):
    paths = _frames(
        tmp_path,
        a=pd.DataFrame({"id": [1, 2] * 50, "y": [0, 1] * 50}),
        b_pq=pd.DataFrame({"id": ["A7", "2"]}),
    )
    model = str(tmp_path / "m.npz")
    assert main(["train", str(paths["a"]), "--target", "y", "--model", model, "--quiet"]) == 0
    assert main(["predict", model, str(paths["b_pq"]), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "column 'id' holds text (of type large_string), but it was read as numbers when " in err
    # --text reads CSV columns as text; a Parquet column of numbers is refused, named so
    numbers = _frames(tmp_path, c_pq=pd.DataFrame({"id": [1, 2] * 50, "y": [0, 1] * 50}))
    train = ["train", str(numbers["c_pq"]), "--target", "y", "--model", model, "--text", "id"]
    assert main([*train, "--quiet"]) == 1
    assert "holds numbers (of type int64), but it was read as text as --text says" in (
        capsys.readouterr().err
    )


def test_export_bounds_the_kinds_of_a_hasher_of_every_column():
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    hasher = FeatureCrossHasher(n_features=2**8)  # (crosses=None: every column, unnamed)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(frame, [0, 1])
    kinds = {f"c{k}": "number" for k in range(2**16 + 1)}
    with pytest.raises(ValueError, match="column kinds name 65,537 columns; the Feature"):
        export_model(pipe, hashed_columns=kinds)
    export_model(pipe, hashed_columns={"a": "number", "b": "text"})  # (any names: unknown)


def test_parquet_statistics_decide_by_each_flat_column_and_are_checked(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sparsereg.stream import _arrow_source

    # a flat column "a.b" beside a struct a{b} of no value: the same dotted path; the flat
    # one was judged by the struct's statistics (no value), read as text beside later numbers
    table = pa.table(
        {
            "y": [0, 1, 0],
            # (two leaves before "a.b", of no value: counted as one, "a.b" was judged by one)
            "s": pa.array([None] * 3, pa.struct([("p", pa.int64()), ("q", pa.int64())])),
            "a.b": ["94110", "94111", "x"],
            "a": pa.array([None, None, None], pa.struct([("b", pa.int64())])),
        }
    )
    pq.write_table(table, tmp_path / "one.parquet")
    pq.write_table(pa.table({"y": [1, 0], "a.b": [94112, 3]}), tmp_path / "two.parquet")
    files = [tmp_path / "one.parquet", tmp_path / "two.parquet"]
    with pytest.raises(ValueError, match=r"two\.parquet: column 'a\.b' holds numbers"):
        _read(files, inferred=["a.b"])
    # a file of no row decides nothing
    pq.write_table(
        pa.table({"y": pa.array([], pa.int64()), "a.b": pa.array([], pa.string())}),
        tmp_path / "zero.parquet",
    )
    source, X = _read([tmp_path / "zero.parquet", files[1]], inferred=["a.b"])
    assert source.column_kinds == {"a.b": "number"}
    # statistics that say no value where there are values: the values are refused as read
    monkeypatch.setattr(
        _arrow_source._ArrowSource, "_parquet_all_missing", lambda self, i, names: set(names)
    )
    with pytest.raises(ValueError, match="holds values its statistics say it does not"):
        _read([files[1], files[0]], inferred=["a.b"], column_kinds={"a.b": "number"})


def test_the_exported_model_warns_of_a_frame_column_of_the_other_kind(tmp_path):
    # the model of `train --text zip` read in Python on pd.read_csv's frame (zip as ints):
    # every zip hashed apart from the model's, its predictions off by up to 0.1, silently
    frame = pd.DataFrame({"zip": [94110, 94111] * 50, "n": [1, 2] * 50, "y": [0, 1] * 50})
    frame.to_csv(tmp_path / "a.csv", index=False)
    model = str(tmp_path / "m.npz")
    train = ["train", str(tmp_path / "a.csv"), "--target", "y", "--model", model]
    assert main([*train, "--text", "zip", "--quiet"]) == 0
    exported = load_model(model)
    X = pd.read_csv(tmp_path / "a.csv").drop(columns="y")
    with pytest.warns(
        UserWarning, match=r"column 'zip' holds numbers \(int64\), but the model"
    ) as seen:
        exported.predict_proba(X)
    assert seen[0].filename == __file__  # (the user's line)
    as_text = pd.read_csv(tmp_path / "a.csv", dtype={"zip": str}).drop(columns="y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exported.predict_proba(as_text)
    # a column trained on as numbers given as text
    with pytest.warns(UserWarning, match=r"column 'n' holds text \(str\), but the model was"):
        exported.predict(as_text.astype({"n": str}))
    # a category of numbers for a column of text warns; a column of no value does not
    with pytest.warns(UserWarning, match=r"column 'zip' holds numbers \(category\)"):
        exported.predict(X.astype({"zip": "category"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exported.predict(as_text.assign(zip=np.nan))  # (read_csv's float64 of empty cells)


def test_a_column_named_empty_is_kept_and_a_name_ending_in_nul_refused(tmp_path):
    # a CSV whose header is ",y": train wrote kinds that load refused ("names a column ''")
    (tmp_path / "e.csv").write_text(",y\n" + "".join(f"{k % 3},{k % 2}\n" for k in range(60)))
    model = str(tmp_path / "m.npz")
    assert main(["train", str(tmp_path / "e.csv"), "--target", "y", "--model", model]) == 0
    with np.load(model) as f:
        assert f["hashed_column_kinds"].tolist() == [["", "number"]]
    rows = pd.DataFrame({"": [k % 3 for k in range(60)]})  # (read_csv: "Unnamed: 0")
    _assert_cli_predicts(tmp_path, model, tmp_path / "e.csv", load_model(model).predict_proba(rows))
    # (NumPy's str arrays drop a trailing NUL: "a\0" would load as "a")
    frame = pd.DataFrame({"a\0": [1, 2], "b": ["x", "y"]})
    hasher = FeatureCrossHasher(n_features=2**8)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(frame, [0, 1])
    with pytest.raises(ValueError, match="ends with a NUL character"):
        export_model(pipe, hashed_columns={"a\0": "number"})


def test_a_model_without_kinds_reads_later_files_with_the_first_files_kinds(tmp_path, capsys):
    # a model of format version 6 (no kinds): predict reads its files as a stream does, the
    # first file whose first rows hold a value deciding a column's kind for the later ones
    paths = _frames(
        tmp_path,
        a=pd.DataFrame({"zip": [94110, 94111] * 50, "y": [0, 1] * 50}),
        b=pd.DataFrame({"zip": ["unknown", 94111]}),
    )
    model = tmp_path / "m.npz"
    argv = ["train", str(paths["a"]), "--target", "y", "--model", str(model), "--quiet"]
    assert main(argv) == 0
    with np.load(model) as f:
        arrays = {k: f[k] for k in f.files if k != "hashed_column_kinds"}
    np.savez(tmp_path / "v6.npz", **dict(arrays, format_version=np.array(6)))
    predict = ["predict", str(tmp_path / "v6.npz"), "--quiet", "--out", str(tmp_path / "p.csv")]
    assert main([*predict, str(paths["b"])]) == 0  # (alone: its zip read as text)
    assert main([*predict, str(paths["a"]), str(paths["b"])]) == 1
    assert "b.csv: row 1: column 'zip' (numbers in the first rows of " in capsys.readouterr().err


def test_report_refuses_svmlight_rows_for_a_hashers_model(tmp_path, capsys):
    paths = _frames(tmp_path, a=pd.DataFrame({"zip": [1, 2] * 20, "y": [0, 1] * 20}))
    model = str(tmp_path / "m.npz")
    assert main(["train", str(paths["a"]), "--target", "y", "--model", model, "--quiet"]) == 0
    (tmp_path / "r.svm").write_text("0 1:1\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["report", model, str(tmp_path / "r.svm")])
    assert exit_info.value.code == 2
    assert "DATA are SVMlight rows, but the model reads the columns of" in capsys.readouterr().err


def test_parquet_float32_and_timestamps_are_other_values_than_the_csvs(tmp_path):
    # (the README: such a Parquet file does not train the CSV's model)
    frame = pd.DataFrame(
        {
            "rating": np.array([0.1, 0.3], dtype=np.float32),
            "day": pd.to_datetime(["2024-01-04", "2024-01-05"]),
            "y": [0, 1],
        }
    )
    paths = _frames(tmp_path, a=frame, a_pq=frame)
    for column in ("rating", "day"):
        X = {
            name: _read([path], inferred=["rating", "day"])[1][[column]]
            for name, path in paths.items()
        }
        h = FeatureCrossHasher([column], n_features=2**16).fit(X["a"])
        assert (h.transform(X["a"]) != h.transform(X["a_pq"])).nnz > 0, column


# ---------------------------------------------------------------- a hasher fitted on a DataFrame
def test_a_pipeline_fitted_on_a_frame_exports_the_kinds_its_columns_held(tmp_path):
    # a trial: a pipeline fitted in Python on pd.read_csv(..., dtype={"zip": str}), exported
    # without hashed_columns: sparsereg predict read zip as numbers, 94110 hashed apart from
    # the "94110" trained on, and every prediction lost the column, without a word
    _zip_data(tmp_path)
    frame = pd.read_csv(tmp_path / "train.csv", dtype={"zip": str})
    hasher = FeatureCrossHasher(["zip", "city"], n_features=2**12)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    pipe.fit(frame.drop(columns="y"), frame["y"])
    assert hasher.column_kinds_ == {"zip": "text", "city": "text"}
    exported = export_model(pipe)
    assert exported.column_kinds_ == {"zip": "text", "city": "text"}
    exported.save(tmp_path / "m.npz")
    as_text = pd.read_csv(tmp_path / "clean.csv", dtype={"zip": str})
    as_numbers = pd.read_csv(tmp_path / "clean.csv")
    proba = pipe.predict_proba(as_text)
    assert not np.allclose(pipe.predict_proba(as_numbers), proba)  # (zip as numbers: lost)
    _assert_cli_predicts(tmp_path, tmp_path / "m.npz", tmp_path / "clean.csv", proba)
    # and in Python, the exported model warns of the frame of numbers
    with pytest.warns(UserWarning, match=r"column 'zip' holds numbers \(int64\), but the model"):
        exported.predict_proba(as_numbers)
    # hashed_columns given is taken as given
    assert export_model(pipe, hashed_columns="text").column_kinds_ is None
    assert export_model(pipe, hashed_columns={"zip": "number"}).column_kinds_ == {"zip": "number"}
    # the columns the hasher reads as pandas reads them only
    hasher = FeatureCrossHasher(["zip"], n_features=2**12)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    pipe.fit(frame.drop(columns="y"), frame["y"])
    assert hasher.column_kinds_ == {"zip": "text"}
    assert export_model(pipe).column_kinds_ == {"zip": "text"}


def test_column_kinds_note_how_each_column_held_its_values():
    frame = pd.DataFrame(
        {
            "n": [1, 2, 3],
            "f": [0.5, np.nan, 1.5],
            "b": [True, False, True],
            "nb": pd.array([True, None, False], dtype="boolean"),
            "s": ["a", "b", None],
            "sa": pd.array(["a", "b", "c"], dtype="string[pyarrow]"),
            "ia": pd.array([1, 2, None], dtype="int64[pyarrow]"),
            "ta": pd.array(["a", None, "c"], dtype=pd.ArrowDtype(pa.large_string())),
            "la": pd.array([[1], [2], None], dtype=pd.ArrowDtype(pa.list_(pa.int64()))),
            "cat": pd.Categorical(["x", "y", "x"]),
            "catn": pd.Categorical([1, 2, 1]),
            "objn": pd.Series([1, 2.5, None], dtype=object),
            "objb": pd.Series([True, None, False], dtype=object),
            "mixed": pd.Series([1, "a", 2], dtype=object),
            "empty": pd.Series([None, None, None], dtype=object),
            "lat": [37.1, 37.2, 37.3],
            "when": pd.to_datetime(["2024-01-01"] * 3),
        }
    )
    expected = {
        **dict.fromkeys(["n", "f", "ia", "catn", "objn"], "number"),
        **dict.fromkeys(["b", "nb", "objb"], "bool"),
        **dict.fromkeys(["s", "sa", "ta", "cat"], "text"),
        "when": "datetime",
    }  # numbers beside text, no value, lists and the bucketed column: no kind
    hasher = FeatureCrossHasher(n_features=2**8, buckets={"lat": 0.1}).fit(frame)
    assert hasher.column_kinds_ == expected
    # a refused fit leaves them; a fit on an array, whose columns have no names, takes them away
    with pytest.raises(ValueError, match="lat"):
        hasher.fit(frame.drop(columns="lat"))
    assert hasher.column_kinds_ == expected
    hasher = FeatureCrossHasher(n_features=2**8).fit(frame[["n", "s"]])
    assert hasher.column_kinds_ == {"n": "number", "s": "text"}
    hasher.fit(frame[["n", "s"]].to_numpy())
    assert not hasattr(hasher, "column_kinds_")


def test_fit_stream_notes_the_kinds_it_read_files_as_and_a_warm_run_reads_so(tmp_path):
    # a review: a stream hands bools to the hasher as ints (its kinds said number where the
    # files were read as True/False: the exported model refused a file of its own kinds); a
    # column read as categorical text is noted 'text' (a file recorded no kind of it, and
    # predict read a CSV's zip codes as numbers); a trial: a warm fit_stream
    # of a pipeline fitted on a frame of zips as text read zip as numbers, training tokens
    # its predictions never meet
    frame = pd.DataFrame(
        {"zip": ["02139", "94110"] * 100, "flag": [True, False] * 100, "city": ["a", "b"] * 100}
    )
    frame.assign(y=[0, 1] * 100).to_csv(tmp_path / "a.csv", index=False)
    read = {"zip": "number", "flag": "bool", "city": "text"}
    text = {"zip": "text", "flag": "text", "city": "text"}
    for options, read_so, noted in [
        (None, read, read),
        ({"categorical": ["city"]}, {"zip": "number", "flag": "bool"}, read),
        ({"categorical": None}, {}, text),
    ]:
        hasher = FeatureCrossHasher(["zip", "flag", "city"], n_features=2**10)
        pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
        _, history = fit_stream(
            pipe, str(tmp_path / "a.csv"), target="y", classes=[0, 1], reader_options=options
        )
        assert history.column_kinds == read_so  # (the columns read as pandas reads them)
        assert getattr(hasher, "column_kinds_", None) == noted
        assert export_model(pipe).column_kinds_ == noted
    hasher = FeatureCrossHasher(["zip", "city"], n_features=2**10)
    warm = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    warm.fit(frame[["zip", "city"]], [0, 1] * 100)
    day = pd.DataFrame({"zip": ["02139", "94110"] * 50, "city": ["b", "a"] * 50, "y": [1, 0] * 50})
    day.to_csv(tmp_path / "day.csv", index=False)
    twin = copy.deepcopy(warm)
    twin[-1].partial_fit(twin[0].transform(day[["zip", "city"]]), day["y"])
    _, history = fit_stream(warm, str(tmp_path / "day.csv"), target="y")
    assert history.column_kinds == {"zip": "text", "city": "text"}
    X = frame[["zip", "city"]]
    np.testing.assert_array_equal(warm.predict_proba(X), twin.predict_proba(X))


def test_predict_and_fit_stream_take_a_model_fitted_on_columns_it_does_not_hash(tmp_path):
    # a trial: a pipeline fitted on a frame with a column no cross uses (request_id) could not
    # read files (the stream reads the columns the hasher hashes; the fitted hasher wants the
    # frame it was fitted on)
    frame = pd.DataFrame({"request_id": range(200), "site": ["a", "b"] * 100})
    y = np.array([0, 1] * 100)
    pipe = make_pipeline(
        FeatureCrossHasher(["site"], n_features=2**8), SparseFTRLClassifier(random_state=0)
    ).fit(frame, y)
    export_model(pipe).save(tmp_path / "m.npz")
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame[["site"]].to_csv(tmp_path / "b.csv", index=False)  # (without it: not read either)
    for path in ("a.csv", "b.csv"):
        _assert_cli_predicts(
            tmp_path, tmp_path / "m.npz", tmp_path / path, pipe.predict_proba(frame)
        )
    twin = copy.deepcopy(pipe)
    twin[-1].partial_fit(twin[0].transform(frame), y)
    frame.assign(y=y).to_csv(tmp_path / "c.csv", index=False)
    fit_stream(pipe, str(tmp_path / "c.csv"), target="y")
    np.testing.assert_array_equal(pipe.predict_proba(frame), twin.predict_proba(frame))


def test_the_hasher_warns_of_a_frame_column_of_another_kind_than_fitted():
    # a trial: the pipeline (what users call) predicted on pd.read_csv's zip as ints without a
    # word where the exported model warned
    frame = pd.DataFrame({"zip": ["02139", "94110"] * 50, "n": [1.5, 2.5] * 50})
    pipe = make_pipeline(
        FeatureCrossHasher(["zip", "n"], n_features=2**8), SparseFTRLClassifier(random_state=0)
    ).fit(frame, [0, 1] * 50)
    with pytest.warns(
        UserWarning, match=r"'zip' holds numbers \(int64\), but the FeatureCross"
    ) as seen:
        pipe.predict_proba(frame.assign(zip=[2139, 94110] * 50))
    assert seen[0].filename == __file__  # (the user's line, not scikit-learn's Pipeline's)
    with pytest.warns(UserWarning, match=r"'n' holds text \(.*\), but the FeatureCrossHasher"):
        pipe.predict_proba(frame.assign(n=["1.5", "2.5"] * 50))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe.predict_proba(frame)


@pytest.mark.parametrize(
    "dtype", [object, "category", "binary", "fixed_size_binary", "binary_view"]
)
def test_a_text_column_given_as_bytes_is_warned_of_with_a_decoding_that_works(dtype):
    # bytes hash apart from the strings they spell: a text column given as bytes (a binary
    # Arrow column, say) missed every weight without a word (bytes counted as text)
    frame = pd.DataFrame({"zip": ["02139", "94110", None] * 30, "n": [1.5, 2.5, 3.5] * 30})
    pipe = make_pipeline(
        FeatureCrossHasher(["zip", "n"], n_features=2**8), SparseFTRLClassifier(random_state=0)
    ).fit(frame, [0, 1, 1] * 30)
    values = [b"02139", b"94110", None] * 30
    if dtype in (object, "category"):
        zips = pd.Series(values, dtype=dtype)
    else:
        pa = pytest.importorskip("pyarrow")
        if dtype == "binary_view" and not hasattr(pa, "binary_view"):
            pytest.skip("this pyarrow has no binary_view")
        arrow = {"binary": pa.binary(), "fixed_size_binary": pa.binary(5)}.get(dtype)
        zips = pd.Series(values, dtype=pd.ArrowDtype(arrow or pa.binary_view()))
    as_bytes = frame.assign(zip=zips)
    with pytest.warns(UserWarning, match=r"'zip' holds bytes \(.*\), but the Feat") as seen:
        bytes_proba = pipe.predict_proba(as_bytes)
    assert not np.allclose(bytes_proba, pipe.predict_proba(frame))  # (the weights missed)
    advice = re.search(r"decode it \((.*), or with the bytes", str(seen[0].message)).group(1)
    names = {"X": as_bytes, "pd": pd, "pa": pytest.importorskip("pyarrow")}
    decoded = as_bytes.assign(zip=eval(advice, names))  # (the message's own code)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(pipe.predict_proba(decoded), pipe.predict_proba(frame))


@pytest.mark.parametrize("beside_numbers", [False, True])
def test_a_number_column_given_as_bytes_says_to_decode_and_convert_it(beside_numbers):
    # (bytes beside numbers: the advice keeps the numbers, where .str.decode made them NaN)
    frame = pd.DataFrame({"n": [1.5, 2.5, 3.5] * 30})
    pipe = make_pipeline(
        FeatureCrossHasher(["n"], n_features=2**8), SparseFTRLClassifier(random_state=0)
    ).fit(frame, [0, 1, 1] * 30)
    values = [1.5, b"2.5", 3.5] if beside_numbers else [b"1.5", b"2.5", b"3.5"]
    as_bytes = frame.assign(n=pd.Series(values * 30, dtype=object))
    with pytest.warns(
        UserWarning, match=r"'n' holds bytes \(.*\), but the FeatureCrossHasher"
    ) as seen:
        pipe.predict_proba(as_bytes)
    advice = re.search(r"decode it \((.*)\), then convert it to numbers", str(seen[0].message))
    decoded = as_bytes.assign(n=eval(advice.group(1), {"X": as_bytes}).astype(float))
    np.testing.assert_array_equal(pipe.predict_proba(decoded), pipe.predict_proba(frame))


def test_a_name_a_file_cannot_hold_is_no_kind_and_the_export_goes_on():
    # a review: a column name ending in NUL (which a NumPy str array drops) refused the
    # default export of a hasher that reads columns by position, where names play no part
    frame = pd.DataFrame({"a\0": ["x", "y"] * 10, "b": ["u", "v"] * 10})
    pipe = make_pipeline(
        FeatureCrossHasher([0, 1], n_features=2**8), SparseFTRLClassifier(random_state=0)
    )
    exported = export_model(pipe.fit(frame, [0, 1] * 10))
    assert exported.column_kinds_ == {"b": "text"}
    buffer = io.BytesIO()
    exported.save(buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(load_model(buffer).predict(frame), pipe.predict(frame))


def test_dates_hashed_without_buckets_are_warned_of_where_text_would_miss_them(tmp_path):
    # a trial: a column of dates hashed without buckets scored otherwise after a round trip
    # through CSV (read back as text: "2024-03-02" hashes apart from the date), silently
    days = pd.to_datetime(["2024-03-01", "2024-03-02"] * 50)
    frame = pd.DataFrame({"day": days, "site": ["a", "b"] * 50})
    hasher = FeatureCrossHasher(["day", "site"], n_features=2**8)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(frame, [0, 1] * 50)
    assert hasher.column_kinds_ == {"day": "datetime", "site": "text"}
    with pytest.warns(
        UserWarning, match=r"hashes the column\(s\) \['day'\] of dates without"
    ) as seen:
        exported = export_model(pipe)
    assert seen[0].filename == __file__
    assert exported.column_kinds_ == {"site": "text"}  # (dates are no kind of a file's column)
    frame.to_csv(tmp_path / "a.csv", index=False)
    back = pd.read_csv(tmp_path / "a.csv")
    with pytest.warns(UserWarning, match=r"'day' holds text \(.*\), but the FeatureCrossHasher"):
        pipe.predict_proba(back)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe.predict_proba(pd.read_csv(tmp_path / "a.csv", parse_dates=["day"]))
    # bucketed, nothing to warn of: its calendar parts hash alike from the text
    hasher = FeatureCrossHasher(
        ["day", "site"], buckets={"day": {"datetime": "date"}}, n_features=2**8
    )
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(frame, [0, 1] * 50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export_model(pipe)
        np.testing.assert_array_equal(pipe.predict_proba(back), pipe.predict_proba(frame))


def test_a_warm_stream_reads_as_the_hasher_unless_told_and_a_resume_as_its_run(tmp_path):
    # a review: a Source the caller opened wiped the hasher's kinds (predict then lost zip); a
    # resume with the pipeline rebuilt read zip as numbers where the run it continued read it
    # as the fitted hasher's text; with crosses=None the hasher's kinds were given for columns
    # the caller named numeric; a fitted classifier's text labels read the target as numbers
    frame = pd.DataFrame({"zip": ["02139", "94110"] * 50, "city": ["a", "b"] * 50})
    y = np.array(["no", "yes"] * 50)
    frame.assign(y=y).to_csv(tmp_path / "a.csv", index=False)
    path = str(tmp_path / "a.csv")

    def warm(crosses=("zip", "city")):
        hasher = FeatureCrossHasher(None if crosses is None else list(crosses), n_features=2**10)
        return make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(frame, y), hasher

    pipe, hasher = warm()
    source = open_source([path], target="y", target_dtype="str", inferred=["zip", "city"])
    with pytest.warns(UserWarning, match="'zip' holds numbers"):  # (read as the Source says)
        fit_stream(pipe, source)
    assert hasher.column_kinds_ == {"zip": "text", "city": "text"}  # (kept)
    pipe, _ = warm()
    checkpoint = str(tmp_path / "run.ckpt")
    _, history = fit_stream(pipe, path, target="y", checkpoint=checkpoint)  # (labels: text)
    assert history.column_kinds == {"zip": "text", "city": "text"}
    rebuilt = make_pipeline(
        FeatureCrossHasher(["zip", "city"], n_features=2**10), SparseFTRLClassifier(random_state=0)
    )
    resume = dict(checkpoint=checkpoint, resume=True, classes=["no", "yes"])
    _, resumed = fit_stream(rebuilt, path, target="y", **resume)
    assert resumed.column_kinds == {"zip": "text", "city": "text"}
    pipe, hasher = warm(crosses=None)
    _, history = fit_stream(pipe, path, target="y", reader_options={"numeric": ["zip"]})
    assert history.column_kinds == {"city": "text"}


def test_kinds_of_columns_a_model_reads_by_position_and_a_warm_categorical_column(tmp_path):
    # a review: crosses by position noted (and the export recorded, predict then read strictly)
    # the kinds of every column, those no cross uses too; a warm stream reading a column as
    # categorical text dropped the kind the hasher was fitted with (zip: text, then numbers)
    frame = pd.DataFrame({"site": ["a", "b"] * 50, "note": [1.5, 2.5] * 50})
    pipe = make_pipeline(
        FeatureCrossHasher([0], n_features=2**8), SparseFTRLClassifier(random_state=0)
    ).fit(frame, [0, 1] * 50)
    assert pipe[0].column_kinds_ == {"site": "text"}
    assert export_model(pipe).column_kinds_ == {"site": "text"}
    frame = pd.DataFrame({"zip": ["02139", "94110"] * 50, "site": ["a", "b"] * 50})
    frame.assign(y=[0, 1] * 50).to_csv(tmp_path / "a.csv", index=False)
    hasher = FeatureCrossHasher(["zip", "site"], n_features=2**8)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(frame, [0, 1] * 50)
    fit_stream(pipe, str(tmp_path / "a.csv"), target="y", reader_options={"categorical": ["zip"]})
    assert hasher.column_kinds_ == {"zip": "text", "site": "text"}


def test_a_warm_streams_refusal_of_a_parquet_column_names_the_hashers_kinds(tmp_path):
    # a review: the refusal said "as column_kinds says" where the caller gave none
    frame = pd.DataFrame({"zip": ["02139", "94110"] * 50, "site": ["a", "b"] * 50})
    pipe = make_pipeline(
        FeatureCrossHasher(["zip", "site"], n_features=2**8), SparseFTRLClassifier(random_state=0)
    ).fit(frame, [0, 1] * 50)
    frame.assign(zip=[2139, 94110] * 50, y=[0, 1] * 50).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(ValueError, match=r"as the fitted FeatureCrossHasher's column_kinds_ say"):
        fit_stream(pipe, str(tmp_path / "a.parquet"), target="y")


@pytest.mark.parametrize("categorical", [["zip"], None], ids=["zip", "every column"])
def test_columns_a_stream_read_as_categorical_text_are_exported_as_text(tmp_path, categorical):
    # reader_options={"categorical": [...]} reads zip as text: the hasher noted no kind of it,
    # the file recorded none, and `sparsereg predict` read the CSV's zip codes as numbers
    rng = np.random.default_rng(0)
    zips = np.array(["02139", "10001", "94110", "00501"])
    frame = pd.DataFrame({"zip": rng.choice(zips, 2000), "site": rng.choice(["a", "b"], 2000)})
    frame["y"] = ((frame["zip"] == "02139") ^ (rng.random(2000) < 0.1)).astype(int)
    frame.to_csv(tmp_path / "train.csv", index=False)
    hasher = FeatureCrossHasher(crosses=["zip", ("zip", "site")], n_features=2**12)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    options = {"categorical": categorical}
    model, _ = fit_stream(
        pipe, str(tmp_path / "train.csv"), target="y", reader_options=options, classes=[0, 1]
    )
    assert model[0].column_kinds_ == {"zip": "text", "site": "text"}  # (site: as pandas read it)
    export_model(model).save(tmp_path / "m.npz")
    frame.drop(columns="y").iloc[:200].to_csv(tmp_path / "test.csv", index=False)
    as_trained = pd.read_csv(tmp_path / "test.csv", dtype=str)
    proba = load_model(tmp_path / "m.npz").predict_proba(as_trained)
    _assert_cli_predicts(tmp_path, tmp_path / "m.npz", tmp_path / "test.csv", proba)
