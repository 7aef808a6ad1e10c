"""`sparsereg predict` reads SVMlight files numbered as those the model was trained on.

A model trained with ``train --zero-based`` (scikit-learn's ``dump_svmlight_file`` writes
indices from 0) was given to ``predict`` without the option: every index was read one column
to the left of the model's, each row scored on its neighbours' weights, without a word."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import dump_svmlight_file

from sparsereg.cli import main
from sparsereg.export import load_model


def _files(tmp_path):
    rng = np.random.RandomState(0)
    X = (rng.rand(600, 6) < 0.5).astype(float)
    y = (X[:, 1] > 0).astype(float)
    dump_svmlight_file(X, y, str(tmp_path / "train.svm"), zero_based=True)
    dump_svmlight_file(X, y, str(tmp_path / "train1.svm"), zero_based=False)
    # (no row holds column 0: read from 1, the file of index 0 gives no error, only shifts)
    test = X[X[:, 0] == 0][:50]
    n = len(test)
    dump_svmlight_file(test, np.zeros(n), str(tmp_path / "zero.svm"), zero_based=True)
    dump_svmlight_file(test, np.zeros(n), str(tmp_path / "one.svm"), zero_based=False)
    return test


def _predicted(tmp_path, model, data, *options):
    out = tmp_path / "p.csv"
    argv = ["predict", str(model), str(tmp_path / data), "--proba", "--quiet", "--out", str(out)]
    assert main([*argv, *options]) == 0
    return pd.read_csv(out)["proba_1"].to_numpy()


def test_predict_reads_files_numbered_from_0_for_a_model_trained_on_them(tmp_path):
    test = _files(tmp_path)
    model = tmp_path / "m.npz"
    train = ["train", str(tmp_path / "train.svm"), "--n-features", "6", "--zero-based"]
    assert main([*train, "--model", str(model), "--quiet"]) == 0
    with np.load(model) as f:
        assert int(f["format_version"]) == 8 and bool(f["svmlight_zero_based"])
    expected = load_model(model).predict_proba(test)[:, 1]
    np.testing.assert_array_equal(_predicted(tmp_path, model, "zero.svm"), expected)
    np.testing.assert_array_equal(_predicted(tmp_path, model, "zero.svm", "--zero-based"), expected)
    # files numbered from 1 for that model: --one-based
    np.testing.assert_array_equal(_predicted(tmp_path, model, "one.svm", "--one-based"), expected)
    # the file of a build that did not record it read them from 1: each column shifted
    with np.load(model) as f:
        arrays = {k: f[k] for k in f.files if k != "svmlight_zero_based"}
    np.savez(tmp_path / "v2.npz", **dict(arrays, format_version=np.array(2)))
    shifted = _predicted(tmp_path, tmp_path / "v2.npz", "zero.svm")
    assert not np.allclose(shifted, expected)


def test_a_model_trained_on_files_numbered_from_1_reads_them_so(tmp_path):
    test = _files(tmp_path)
    model = tmp_path / "m.npz"
    train = ["train", str(tmp_path / "train1.svm"), "--n-features", "6", "--model", str(model)]
    assert main([*train, "--quiet"]) == 0
    with np.load(model) as f:  # (nothing recorded: the file of before, version 2)
        assert "svmlight_zero_based" not in f.files and int(f["format_version"]) == 2
    expected = load_model(model).predict_proba(test)[:, 1]
    np.testing.assert_array_equal(_predicted(tmp_path, model, "one.svm"), expected)
    np.testing.assert_array_equal(_predicted(tmp_path, model, "zero.svm", "--zero-based"), expected)


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--zero-based", "--one-based"], "not allowed with argument"),
        (["--one-based", "--format", "csv"], "--one-based is for SVMlight files"),
    ],
)
def test_one_based_is_a_usage_error_where_it_cannot_apply(tmp_path, capsys, argv, match):
    _files(tmp_path)
    model = tmp_path / "m.npz"
    assert (
        main(["train", str(tmp_path / "train1.svm"), "--n-features", "6", "--model", str(model)])
        == 0
    )
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(model), str(tmp_path / "one.svm"), *argv])
    assert exit_info.value.code == 2 and match in capsys.readouterr().err


def test_predict_says_it_reads_from_0_and_what_a_file_numbered_from_1_gives(
    tmp_path, capsys, monkeypatch
):
    import io
    import sys

    test = _files(tmp_path)
    model = tmp_path / "m.npz"
    train = ["train", str(tmp_path / "train.svm"), "--n-features", "6", "--zero-based"]
    assert main([*train, "--model", str(model), "--quiet"]) == 0
    expected = load_model(model).predict_proba(test)[:, 1]
    out = tmp_path / "p.csv"
    capsys.readouterr()
    assert main(["predict", str(model), str(tmp_path / "zero.svm"), "--out", str(out)]) == 0
    assert "reading SVMlight indices from 0, as the model was trained" in capsys.readouterr().err
    # standard input is read from 0 too
    piped = io.TextIOWrapper(io.BufferedReader(io.BytesIO((tmp_path / "zero.svm").read_bytes())))
    monkeypatch.setattr(sys, "stdin", piped)
    argv = ["predict", str(model), "-", "--format", "svmlight", "--proba", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 0
    np.testing.assert_array_equal(pd.read_csv(out)["proba_1"], expected)
    # a file numbered from 1 whose last column is used: its index 6 is past the width
    rows = np.ones((3, 6))
    dump_svmlight_file(rows, np.zeros(3), str(tmp_path / "wide.svm"), zero_based=False)
    argv = ["predict", str(model), str(tmp_path / "wide.svm"), "--out", str(out)]
    assert main(argv) == 1
    assert (
        "line 1: n_features was set to 6, but input file contains 7 features; the model "
        + "was trained on files numbered from 0 (train --zero-based, or svmlight_zero_based"
        + "=True); --one-based reads"
        in capsys.readouterr().err
    )
    assert main([*argv, "--skip-bad-rows"]) == 0
    assert "3 bad rows skipped (the model was trained on files numbered from 0" in (
        capsys.readouterr().err
    )


def test_a_model_exported_from_python_says_how_its_svmlight_files_are_numbered(tmp_path, capsys):
    # scikit-learn writes SVMlight from 0: a model trained on such a file in Python, exported
    # without saying so, is read from 1 (LIBSVM's numbering), and predict says so
    from sklearn.datasets import load_svmlight_file

    from sparsereg import SparseFTRLClassifier, export_model

    test = _files(tmp_path)
    X, y = load_svmlight_file(str(tmp_path / "train.svm"), n_features=6, zero_based=True)
    clf = SparseFTRLClassifier(random_state=0).fit(X, y)
    expected = clf.predict_proba(test)[:, 1]
    export_model(clf, svmlight_zero_based=True).save(tmp_path / "zero.npz")
    export_model(clf).save(tmp_path / "plain.npz")
    capsys.readouterr()
    np.testing.assert_array_equal(_predicted(tmp_path, tmp_path / "zero.npz", "zero.svm"), expected)
    out = tmp_path / "p.csv"
    argv = ["predict", str(tmp_path / "plain.npz"), str(tmp_path / "zero.svm"), "--out", str(out)]
    assert main(argv) == 0
    assert "reading SVMlight indices from 1, LIBSVM's numbering (--zero-based reads" in (
        capsys.readouterr().err
    )
    with pytest.raises(TypeError, match="svmlight_zero_based must be a bool"):
        export_model(clf, svmlight_zero_based="yes")


def test_predict_refuses_files_of_a_format_the_model_does_not_read(tmp_path, capsys):
    # (CSV rows for an SVMlight model: "X holds a value of type str"; SVMlight rows for a
    # hasher's model: "FeatureCrossHasher needs dense input")
    _files(tmp_path)
    svm_model = tmp_path / "s.npz"
    argv = ["train", str(tmp_path / "train1.svm"), "--n-features", "6", "--quiet"]
    assert main([*argv, "--model", str(svm_model)]) == 0
    frame = pd.DataFrame({"city": ["a", "b"] * 20, "y": [0, 1] * 20})
    frame.to_csv(tmp_path / "a.csv", index=False)
    csv_model = tmp_path / "c.npz"
    argv = ["train", str(tmp_path / "a.csv"), "--target", "y", "--quiet"]
    assert main([*argv, "--model", str(csv_model)]) == 0
    for model, data, match in [
        (svm_model, "a.csv", "DATA are CSV files, but the model hashes no column: predict"),
        (csv_model, "one.svm", "DATA are SVMlight rows, but the model reads the columns of"),
    ]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main(["predict", str(model), str(tmp_path / data)])
        assert exit_info.value.code == 2 and match in capsys.readouterr().err


def test_the_numbering_read_is_on_the_history_and_the_model(tmp_path):
    from sparsereg import SparseFTRLClassifier, export_model
    from sparsereg.stream import fit_stream

    _files(tmp_path)
    for data, zero_based in (("train.svm", True), ("train1.svm", False)):
        model, history = fit_stream(
            SparseFTRLClassifier(random_state=0),
            str(tmp_path / data),
            classes=[0, 1],
            reader_options={"n_features": 6},  # (zero_based "auto": decided on the file)
        )
        assert history.svmlight_zero_based is zero_based
        exported = export_model(model, svmlight_zero_based=history.svmlight_zero_based)
        assert exported.svmlight_zero_based_ is zero_based
        assert load_model(_saved(exported, tmp_path)).svmlight_zero_based_ is zero_based


def _saved(exported, tmp_path):
    path = tmp_path / "e.npz"
    exported.save(path)
    return path
