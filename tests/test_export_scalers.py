"""export_model folds a linear scaler directly before the model into the weights and
intercepts: the export predicts what the pipeline predicts (to rounding), without the scaler."""

import io

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    RobustScaler,
    StandardScaler,
)

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.export import export_model, load_model

from .test_model_file import arrays_of

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def dense_data(seed=0, n_rows=300):
    """Columns on very different scales and offsets, one of them constant."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, 6)) * [1.0, 100.0, 0.01, 5.0, 1.0, 30.0] + [0, 500, -2, 7, 0, 0]
    X[:, 4] = 3.5  # zero variance: scikit-learn's scale is 1 there
    y = X[:, 0] - 0.02 * (X[:, 1] - 500) + 40 * X[:, 2] + 0.1 * X[:, 5]
    return X, y


def one_scale_data(seed=0, n_rows=2000, scale=1e4):
    """Columns of raw values all of about ``scale`` (a count, a price in cents...)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, 8)) * scale * rng.uniform(0.9, 1.1, 8) + scale
    y = X @ rng.normal(size=8) / scale + rng.normal(scale=0.05, size=n_rows)
    return X, y


def round_trip(exported):
    buffer = io.BytesIO()
    exported.save(buffer)
    buffer.seek(0)
    return load_model(buffer)


SCALERS = {
    "standard": StandardScaler,
    "standard-no-mean": lambda: StandardScaler(with_mean=False),
    "standard-no-std": lambda: StandardScaler(with_std=False),
    "standard-neither": lambda: StandardScaler(with_mean=False, with_std=False),
    "maxabs": MaxAbsScaler,
    "robust": RobustScaler,
    "robust-no-centering": lambda: RobustScaler(with_centering=False),
    "robust-unit-variance": lambda: RobustScaler(unit_variance=True),
}
MODELS = {
    "ftrl-regressor": lambda: SparseFTRLRegressor(alpha=1e-5, eta0=0.5, random_state=0),
    "ftrl-multiclass": lambda: SparseFTRLClassifier(alpha=1e-5, random_state=0),
    "ridge": lambda: Ridge(alpha=1.0),
    "logistic": lambda: LogisticRegression(max_iter=100),  # converged or not: any weights do
}


def scores(model, X, classifier):
    return model.decision_function(X) if classifier else model.predict(X)


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("scaler", sorted(SCALERS))
def test_folded_scaler_predicts_as_the_pipeline(scaler, model):
    X, y = dense_data()
    target = (
        np.digitize(y, np.quantile(y, [0.33, 0.66]))
        if "ftrl-m" in model or model == "logistic"
        else y
    )
    pipe = make_pipeline(SCALERS[scaler](), MODELS[model]()).fit(X, target)
    exported = export_model(pipe)
    assert exported.transformers == []  # the scaler is in the weights, not in the file
    X_new, _ = dense_data(seed=1)
    classifier = exported.kind == "classifier"
    expected = scores(pipe, X_new, classifier)
    for candidate in (exported, round_trip(exported)):
        got = scores(candidate, X_new, classifier)
        assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
        if classifier:  # the same labels (no score is within 1e-12 of a tie here)
            assert_array_equal(candidate.predict(X_new), pipe.predict(X_new))
        if hasattr(pipe, "predict_proba"):
            assert_allclose(
                candidate.predict_proba(X_new), pipe.predict_proba(X_new), rtol=1e-12, atol=1e-14
            )


@pytest.mark.parametrize("model", ["ridge", "logistic", "ftrl-regressor"])
def test_folded_scaler_scores_long_double_rows_in_float64_as_the_pipeline(model):
    # the scaler's check converts long double to float64, so the pipeline's scores are
    # float64; the export of a scikit-learn model multiplied long double rows in long double
    X, y = dense_data()
    target = np.digitize(y, np.quantile(y, [0.33, 0.66])) if model == "logistic" else y
    pipe = make_pipeline(StandardScaler(), MODELS[model]()).fit(X, target)
    exported = export_model(pipe)
    classifier = exported.kind == "classifier"
    X_new = dense_data(seed=1)[0].astype(np.longdouble)
    expected = scores(pipe, X_new, classifier)
    assert expected.dtype == np.float64
    for candidate in (exported, round_trip(exported)):
        got = scores(candidate, X_new, classifier)
        assert got.dtype == np.float64
        assert_array_equal(got, scores(candidate, X_new.astype(np.float64), classifier))
        assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


def test_folding_is_the_formula():
    X, y = dense_data()
    scaler = StandardScaler().fit(X)
    model = Ridge().fit(scaler.transform(X), y)
    exported = export_model(make_pipeline(scaler, model))
    weights = model.coef_ / scaler.scale_
    assert scaler.scale_[4] == 1.0  # the constant column
    assert_allclose(exported.coef_.toarray().ravel(), weights, rtol=1e-15)
    assert_allclose(exported.intercept_, [model.intercept_ - weights @ scaler.mean_], rtol=1e-13)


def test_folded_scaler_keeps_the_dataframe_columns():
    X, y = dense_data()
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    pipe = make_pipeline(StandardScaler(), SparseFTRLRegressor(random_state=0)).fit(frame, y)
    loaded = round_trip(export_model(pipe))
    assert loaded.feature_names_in_.tolist() == list(frame.columns)
    assert_allclose(loaded.predict(frame), pipe.predict(frame), rtol=1e-12, atol=1e-9)
    with pytest.raises(ValueError, match="feature names of X do not match"):
        loaded.predict(frame[frame.columns[::-1]])


def test_scaler_after_a_hasher_is_folded():
    texts = ["free prize now", "see you at lunch", "win free cash", "call me later"] * 20
    labels = ["spam", "ham", "spam", "ham"] * 20
    pipe = make_pipeline(
        HashingVectorizer(n_features=2**8),
        MaxAbsScaler(),
        SGDClassifier("log_loss", random_state=0),
    ).fit(texts, labels)
    loaded = round_trip(export_model(pipe))
    assert [type(t).__name__ for t in loaded.transformers] == ["HashingVectorizer"]
    new = ["free lunch", "win a prize now", "nothing"]
    assert_allclose(
        loaded.decision_function(new), pipe.decision_function(new), rtol=1e-12, atol=1e-12
    )


def test_folded_and_quantized():
    X, y = dense_data()
    pipe = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
    expected = pipe.predict(X)
    # float16 keeps each folded weight to a relative 2**-11
    half = export_model(pipe, weights="float16")
    bound = np.abs(X) @ np.abs(half.coef_.toarray().ravel()) * 2.0**-11
    assert np.all(np.abs(half.predict(X) - expected) <= bound + 1e-9)
    # q2.13: the folded weights (up to ~40: column 2, of scale 0.01) set the vector's step,
    # 2**-9, which column 1's raw values (~500, scale ~100) multiply: scores moved by up to
    # sum |x| * step, ~1,700 times the learned model's rounding on column 1, so it is refused
    with pytest.raises(
        ValueError,
        match=r"q2\.13.*StandardScaler: column 1 \(scale 10\d\.\d+\).*would move scores "
        r"[\d.e+]+ times as much as the learned.*weights='float16'",
    ):
        export_model(pipe, weights="q2.13")


@pytest.mark.parametrize("weights", ["float16", "q2.13"])
@pytest.mark.parametrize(
    "scaler", [StandardScaler(), StandardScaler(with_std=False), RobustScaler()]
)
@pytest.mark.parametrize("offset", [1e4, 1e6])
def test_a_folded_centre_meets_a_weights_rounding_on_the_centred_column(weights, scaler, offset):
    # columns of spread 1 around a large mean (a year, a timestamp): the centre was folded
    # into the intercept with the weights before rounding, so each weight's rounding met the
    # raw value (~offset) in every score: RMSE 0.099 -> up to 8.3 (q2.13) and 21 (float16)
    # at 1e4, 829 and 2,101 at 1e6, without a word; folded with the weights as stored, it
    # meets x - offset
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 8)) + offset
    y = (X - offset) @ rng.normal(size=8) * 10 + rng.normal(scale=0.1, size=2000)
    pipe = make_pipeline(scaler, Ridge(alpha=1e-6)).fit(X, y)
    full, rounded = export_model(pipe), export_model(pipe, weights=weights)
    centre = pipe[0].mean_ if isinstance(pipe[0], StandardScaler) else pipe[0].center_
    moved = np.abs(X - centre) @ np.abs(rounded.coef_ - full.coef_).toarray().ravel()
    assert np.all(np.abs(rounded.predict(X) - full.predict(X)) <= moved + 1e-7)
    rmse = [np.sqrt(np.mean((m.predict(X) - y) ** 2)) for m in (full, rounded)]
    assert rmse[1] <= rmse[0] * 1.01


@pytest.mark.parametrize("scaler", [StandardScaler(), MaxAbsScaler(), RobustScaler()])
@pytest.mark.parametrize("scale", [1e4, 1e-3])
def test_q213_takes_folded_weights_of_columns_of_one_scale(scaler, scale):
    # raw values all of ~1e4: folded, every weight is ~1e-4, below the paper's step (2**-13),
    # which rounded them to 0 or one step at random (test RMSE 0.06 -> 1.3); the vector's
    # scale follows its weights down (2**-15 here), and q2.13 rounds them as it rounds the
    # learned ones. Values of ~1e-3: folded weights ~1e3, the scale goes up
    X, y = one_scale_data(scale=scale)
    pipe = make_pipeline(scaler, Ridge(alpha=1e-6)).fit(X, y)
    expected = pipe.predict(X)
    q = export_model(pipe, weights="q2.13")
    (vector_scale,) = q.weights_scale_
    folded = export_model(pipe).coef_.toarray().ravel()
    largest = np.abs(folded).max()
    assert largest <= 32767 * 2.0**-13 * vector_scale and largest > 32767 * 2.0**-14 * vector_scale
    assert (vector_scale < 1) == (scale > 1)
    steps = q.coef_.toarray().ravel() / (vector_scale * 2.0**-13)
    assert_array_equal(steps, np.round(steps))  # multiples of the vector's step
    assert np.all(np.abs(q.coef_.toarray().ravel() - folded) < vector_scale * 2.0**-13)
    # scores within sum |x| * step of the pipeline's: here a relative ~1e-4 of their spread
    assert np.all(
        np.abs(q.predict(X) - expected) <= np.abs(X).sum(axis=1) * vector_scale * 2.0**-13
    )
    assert np.abs(q.predict(X) - expected).max() < 1e-3 * expected.std()
    assert_array_equal(round_trip(q).predict(X), q.predict(X))


@pytest.mark.parametrize("scaler", [StandardScaler(), MaxAbsScaler(), RobustScaler()])
def test_float16_refuses_folded_weights_below_its_normal_range(scaler):
    # a column of raw values in the billions (a Unix time in seconds): the weight the model
    # learned on the scaled column is ~1, folded it is ~1e-8, which float16 rounds to 0 or
    # to a multiple of 2**-24; the export used to predict scores off by ~40 (RMSE 0.07 -> 42)
    rng = np.random.RandomState(0)
    seconds = rng.uniform(1.6e9, 1.75e9, 500)
    X = np.column_stack([seconds, rng.normal(size=500)])
    y = (seconds - 1.675e9) / 4e7 + X[:, 1]
    pipe = make_pipeline(scaler, Ridge(alpha=1e-6)).fit(X, y)
    before = export_model(pipe)
    assert abs(before.coef_[0, 0]) < 2.0**-14  # folded below float16's normal range
    with pytest.raises(ValueError, match=r"float16.*column 0.*below float16's normal range"):
        export_model(pipe, weights="float16")
    # the scaled weights themselves are fine: without the large column, float16 exports
    small = make_pipeline(scaler, Ridge(alpha=1e-6)).fit(X[:, 1:], y - (seconds - 1.675e9) / 4e7)
    half = export_model(small, weights="float16")
    assert_allclose(half.predict(X[:, 1:]), small.predict(X[:, 1:]), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize(
    "steps",
    [
        [Normalizer()],
        [MinMaxScaler()],
        [StandardScaler(), StandardScaler()],  # only the step right before the model is folded
    ],
)
def test_other_steps_are_refused_clearly(steps):
    X, y = dense_data()
    pipe = make_pipeline(*steps, Ridge()).fit(X, y)
    with pytest.raises(ValueError, match="cannot export a Pipeline step .*Scaler|Normalizer"):
        export_model(pipe)


def test_a_scaler_subclass_is_not_folded():
    class Shifted(StandardScaler):
        def transform(self, X, copy=None):
            return super().transform(X, copy=copy) + 1.0

    X, y = dense_data()
    pipe = make_pipeline(Shifted(), Ridge()).fit(X, y)
    with pytest.raises(ValueError, match="cannot export a Pipeline step Shifted"):
        export_model(pipe)


@pytest.mark.parametrize(
    "model, weights, version_without",
    [
        ("ridge", "float64", 2),
        ("ridge", "q2.13", 7),  # (Ridge shrinks its weights below 2: q2.13 scales below 1)
        ("logistic", "float64", 4),  # multiclass: a Fortran-ordered coef_ ('blas_fortran')
        ("logistic", "float16", 3),
        ("ftrl-multiclass", "float64", 2),
    ],
)
def test_a_folded_scalers_file_is_format_version_5(model, weights, version_without):
    # its scaler_input changes how X is read: a reader that does not know it must refuse the
    # file as newer (it refused it as holding an "unknown member"); other files keep theirs
    # (q2.13 refuses dense_data's columns of scales 0.01 to 100 folded: columns of one scale,
    # of values ~1e-3, whose weights need scales above 1: below, a file is version 7)
    X, y = one_scale_data(n_rows=300, scale=1e-3) if weights == "q2.13" else dense_data()
    classifier = model != "ridge"
    target = np.digitize(y, np.quantile(y, [0.33, 0.66])) if classifier else y
    pipe = make_pipeline(StandardScaler(), MODELS[model]()).fit(X, target)
    exported = export_model(pipe, weights=weights)
    arrays = arrays_of(exported)
    assert int(arrays["format_version"]) == 5
    assert bool(arrays["scaler_input"])
    X_new = (
        one_scale_data(seed=1, n_rows=300, scale=1e-3) if weights == "q2.13" else dense_data(seed=1)
    )[0]
    assert_array_equal(
        scores(round_trip(exported), X_new, classifier), scores(exported, X_new, classifier)
    )
    X, y = dense_data()
    target = np.digitize(y, np.quantile(y, [0.33, 0.66])) if classifier else y
    unscaled = export_model(make_pipeline(MODELS[model]()).fit(X, target), weights=weights)
    arrays = arrays_of(unscaled)
    assert int(arrays["format_version"]) == version_without
    assert "scaler_input" not in arrays
