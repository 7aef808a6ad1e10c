"""top_weights: the largest weights of a model with the readable features they stand for."""

import io
import json
import re
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.linear_model import LogisticRegression, SGDRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler

from sparsereg import FeatureCrossHasher, SparseFTRLClassifier, top_weights
from sparsereg.cli import main
from sparsereg.export import export_model, load_model

from .test_cli import csv_file, train  # noqa: F401  (fixture)

CROSSES = ["city", "device", ("city", "device")]
WIDTH = 2**6  # narrow: some columns hold several cells


def frame(n=600, seed=0):
    rng = np.random.RandomState(seed)
    data = pd.DataFrame(
        {
            "city": rng.choice(["Paris", "Oslo", "Rome", "Lima", "Kyiv"], n),
            "device": rng.choice(["phone", "desk", "tv"], n),
        }
    )
    clicked = np.where(
        (data.city == "Oslo") & (data.device == "phone"),
        "yes",
        np.where(data.city == "Rome", "maybe", "no"),
    )
    return data, clicked


def cells_by_column(data):
    """Column -> set of readable cells, found without explain: a cell's column is its 64-bit
    hash modulo the width, and at 2**60 columns each cross of a row has its own column (the
    column that the k-th cross adds to the first k)."""

    def columns(row, k):
        return set(FeatureCrossHasher(crosses=CROSSES[:k], n_features=2**60).transform(row).indices)

    found = {}
    for city, device in data.drop_duplicates().itertuples(index=False):
        row = pd.DataFrame({"city": [city], "device": [device]})
        texts = [f"city={city}", f"device={device}", f"city={city} x device={device}"]
        for k, text in enumerate(texts):
            (full,) = columns(row, k + 1) - (columns(row, k) if k else set())
            found.setdefault(int(full) % WIDTH, set()).add(text)
    return found


@pytest.fixture(scope="module")
def fitted():
    data, clicked = frame()
    pipe = make_pipeline(
        FeatureCrossHasher(crosses=CROSSES, n_features=WIDTH),
        SparseFTRLClassifier(alpha=1e-4, eta0=0.5, random_state=0),
    )
    return pipe.fit(data, clicked), data


def test_columns_are_named_by_the_cells_that_hash_there(fitted):
    pipe, data = fitted
    table = top_weights(pipe, n=10, X=data)
    assert table.columns.tolist() == ["class", "column", "weight", "feature", "cells"]
    truth = cells_by_column(data)
    for _, row in table.iterrows():
        assert set(row.cells) == truth[row.column]
        assert row.feature == "; ".join(row.cells)
    # the strongest signal of each class is its own
    first = table.groupby("class", sort=False).head(1).set_index("class").feature
    assert "city=Oslo x device=phone" in first["yes"] and "city=Rome" in first["maybe"]


def test_weights_are_the_largest_of_each_class(fitted):
    pipe, data = fitted
    coef = pipe[-1].coef_
    table = top_weights(pipe, n=4)
    assert table["class"].tolist() == [c for c in pipe[-1].classes_ for _ in range(4)]
    for k, label in enumerate(pipe[-1].classes_):
        part = table[table["class"] == label]
        assert_array_equal(part.weight.to_numpy(), coef[k, part.column.to_numpy()])
        expected = np.sort(np.abs(coef[k][coef[k] != 0]))[::-1][:4]
        assert_array_equal(np.abs(part.weight.to_numpy()), expected)
    # without X nothing is named; more than the non-zero weights: all of them, none zero
    assert table.feature.isna().all() and all(c == [] for c in table.cells)
    everything = top_weights(pipe, n=10**6)
    assert len(everything) == np.count_nonzero(coef) and np.all(everything.weight != 0)
    assert len(top_weights(pipe, n=0)) == 0


def test_the_export_gives_the_same_table(fitted):
    pipe, data = fitted
    buffer = io.BytesIO()
    export_model(pipe).save(buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    pd.testing.assert_frame_equal(top_weights(loaded, n=5, X=data), top_weights(pipe, n=5, X=data))


def test_binary_class_is_the_positive_one_and_scalers_are_skipped():
    data, clicked = frame()
    y = clicked == "yes"
    pipe = make_pipeline(
        FeatureCrossHasher(crosses=CROSSES, n_features=WIDTH),
        MaxAbsScaler(),
        SparseFTRLClassifier(alpha=1e-4, eta0=0.5, random_state=0),
    ).fit(data, y)
    table = top_weights(pipe, n=3, X=data)
    assert table["class"].tolist() == [True] * 3
    assert "city=Oslo x device=phone" in table.feature.iloc[0] and table.weight.iloc[0] > 0


def test_column_names_without_a_hasher():
    rng = np.random.RandomState(0)
    data = pd.DataFrame(rng.normal(size=(200, 4)), columns=["rooms", "age", "income", "noise"])
    reg = SGDRegressor(penalty="l1", alpha=0.05, random_state=0).fit(
        data, 3 * data.income - data.age
    )
    table = top_weights(reg, n=2)
    assert table.feature.tolist() == ["income", "age"] and table["class"].isna().all()
    assert top_weights(export_model(reg), n=2).feature.tolist() == ["income", "age"]


def test_bad_calls_are_refused(fitted):
    pipe, data = fitted
    reg = SGDRegressor().fit(np.eye(3), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="reads no FeatureCrossHasher"):
        top_weights(reg, X=np.eye(3))
    for n in (-1, 2.5, True):
        with pytest.raises(ValueError, match="n must be a non-negative int"):
            top_weights(pipe, n=n)
    with pytest.raises(TypeError, match="no coef_"):
        top_weights(MaxAbsScaler().fit(np.eye(2)))


def test_pandas_missing_names_the_extra(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r'pip install "sparsereg\[stream\]"'):
        top_weights(fitted[0])


def test_cli_report_lists_the_same_weights(tmp_path, csv_file, capsys):  # noqa: F811
    train(tmp_path, csv_file)
    capsys.readouterr()
    assert main(["report", str(tmp_path / "model.npz"), "--top", "7", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    table = top_weights(load_model(tmp_path / "model.npz"), n=7)
    assert [(w["column"], w["weight"]) for w in report["top_weights"]] == list(
        zip(table.column.tolist(), table.weight.tolist())
    )


def test_a_nan_weight_is_listed_first_not_sorted_last():
    # (argsort put NaN after every number: top_weights(n=1) hid a diverged weight)
    model = SGDRegressor(max_iter=5, tol=None).fit(np.eye(4), np.arange(4.0))
    model.coef_ = np.array([2.0, np.nan, -np.inf, 0.5])
    table = top_weights(model, n=2)
    assert table.column.tolist() == [1, 2]
    assert np.isnan(table.weight[0]) and table.weight[1] == -np.inf
    assert top_weights(model, n=4).column.tolist() == [1, 2, 0, 3]


@pytest.mark.parametrize(
    "coef", [np.array([1j, 2.0]), np.array(["a", "b"]), np.zeros((1, 1, 2)), np.float64(3.0)]
)
def test_a_coef_that_is_no_weight_matrix_is_refused_naming_it(coef):
    # a complex coef_ was listed as weights of 0.0; others failed in scipy naming no coef_
    model = SGDRegressor(max_iter=5, tol=None).fit(np.eye(2), np.arange(2.0))
    model.coef_ = coef
    with pytest.raises(ValueError, match="SGDRegressor's coef_ must be a 1-D or 2-D array"):
        top_weights(model)


def test_weight_vectors_that_are_not_one_per_class_are_refused():
    # (an IndexError past the last class)
    model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    model.coef_ = np.ones((3, 4))
    with pytest.raises(ValueError, match="3 weight vector.s. for 2 classes"):
        top_weights(model)


def test_cli_report_names_the_columns_of_a_model_fitted_on_a_dataframe(tmp_path, capsys):
    # (the report printed bare column numbers where top_weights names them)
    rng = np.random.RandomState(0)
    data = pd.DataFrame(rng.normal(size=(200, 3)), columns=["rooms", "age", "income"])
    reg = SGDRegressor(penalty="l1", alpha=0.05, random_state=0).fit(data, 3 * data.income)
    export_model(reg).save(tmp_path / "named.npz")
    assert main(["report", str(tmp_path / "named.npz"), "--top", "1", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["top_weights"]
    assert [w["feature"] for w in listed] == top_weights(reg, n=1).feature.tolist() == ["income"]
    assert main(["report", str(tmp_path / "named.npz"), "--top", "1"]) == 0
    assert re.search(r"column +2 +income$", capsys.readouterr().out, re.MULTILINE)
