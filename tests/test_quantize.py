"""export_model(weights='float16' | 'q2.13'): 16-bit weights, what they predict, and the
files that hold them (written, read back, and refused when hostile)."""

import io

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.crosses import FeatureCrossHasher
from sparsereg.export import export_model, load_model

from .test_export import binary, make_data, raw_rows, three
from .test_model_file import refused, saved

STEP = 2.0**-13


def file_of(exported):
    buffer = io.BytesIO()
    exported.save(buffer)
    buffer.seek(0)
    return buffer


def raw_arrays(exported):
    """The file's arrays as np.load reads them (the file holds plain arrays only)."""
    with np.load(file_of(exported), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def dequantized_by_hand(arrays):
    """Dense (n_models, n_features) float64 weights from a file's raw arrays."""
    indptr, indices, data = arrays["coef_indptr"], arrays["coef_indices"], arrays["coef_data"]
    n_models, width = indptr.size - 1, int(arrays["n_features_in"])
    weights = np.zeros((n_models, width))
    for k in range(n_models):
        part = slice(indptr[k], indptr[k + 1])
        if str(arrays["weights_format"]) == "float16":
            assert data.dtype == np.float16
            weights[k, indices[part]] = data[part].astype(np.float64)
        else:
            assert data.dtype == np.int16
            weights[k, indices[part]] = data[part] * arrays["weights_scale"][k] * STEP
    return weights


def identity_regression(targets):
    """A fitted LinearRegression whose weights are exactly ``targets`` (its public
    ``coef_`` set after a fit, as the weights of X = identity would be)."""
    targets = np.asarray(targets, dtype=np.float64)
    reg = LinearRegression(fit_intercept=False).fit(np.eye(3), [1.0, 2.0, 3.0])
    reg.coef_, reg.n_features_in_ = targets.copy(), targets.size
    assert_array_equal(reg.predict(sp.identity(targets.size, format="csr")), targets)
    return reg


MODELS = {
    "ftrl-binary": lambda X, s: SparseFTRLClassifier(alpha=1e-4, random_state=0).fit(X, binary(s)),
    "ftrl-multiclass": lambda X, s: SparseFTRLClassifier(alpha=1e-4, random_state=0).fit(
        X, three(s)
    ),
    "ftrl-sparse-store-regressor": lambda X, s: SparseFTRLRegressor(
        alpha=1e-4, random_state=0, state_store="sparse"
    ).fit(X, s * 1000),
    "sklearn-logistic": lambda X, s: LogisticRegression(C=100.0, max_iter=2000).fit(X, three(s)),
}


@pytest.mark.parametrize("weights", ["float16", "q2.13"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_predictions_are_those_of_the_dequantized_weights(name, weights):
    X, signal, _ = make_data()
    est = MODELS[name](X, signal)
    exported = export_model(est, weights=weights)
    arrays = raw_arrays(exported)
    assert int(arrays["format_version"]) == 3 and str(arrays["weights_format"]) == weights
    W = dequantized_by_hand(arrays)
    assert arrays["intercept"].dtype == np.float64
    scores = X.toarray() @ W.T + arrays["intercept"]  # NumPy, from the file alone
    loaded = load_model(file_of(exported))
    for model in (exported, loaded):
        got = model.predict(X) if model.kind == "regressor" else model.decision_function(X)
        assert_allclose(got.reshape(scores.shape[0], -1), scores, rtol=1e-12, atol=1e-12)
    # what is loaded is what was exported, to the bit
    assert_array_equal(loaded.predict(X), exported.predict(X))
    if hasattr(est, "predict_proba"):
        assert_array_equal(loaded.predict_proba(X), exported.predict_proba(X))
        # and close to the float64 model
        assert np.abs(exported.predict_proba(X) - est.predict_proba(X)).max() < 1e-2
    assert loaded.weights_format == weights


def test_unquantized_export_is_unchanged():
    X, signal, _ = make_data()
    est = SparseFTRLClassifier(alpha=1e-4, random_state=0).fit(X, three(signal))
    default, explicit = export_model(est), export_model(est, weights="float64")
    assert file_of(default).getvalue() == file_of(explicit).getvalue()
    arrays = raw_arrays(default)
    assert int(arrays["format_version"]) == 2
    assert "weights_format" not in arrays and "weights_scale" not in arrays
    assert default.weights_format is None and default.weights_scale_ is None
    assert_array_equal(default.predict_proba(X), est.predict_proba(X))


def test_weight_bytes_are_a_quarter_of_float64():
    X, signal, _ = make_data()
    est = SparseFTRLClassifier(alpha=1e-5, random_state=0).fit(X, binary(signal))
    full = raw_arrays(export_model(est))["coef_data"]
    for weights in ("float16", "q2.13"):
        small = export_model(est, weights=weights)
        data = raw_arrays(small)["coef_data"]
        assert data.nbytes * 4 == full.nbytes  # no weight rounded to 0 here
        assert small.file_bytes() < export_model(est).file_bytes()


def test_float16_rounds_to_nearest_and_refuses_overflow():
    values = np.array([0.1, -1 / 3, 1234.5678, 65504.0, -(2.0**-20), 1e-8])
    exported = export_model(identity_regression(values), weights="float16")
    expected = values.astype(np.float16).astype(np.float64)
    assert_array_equal(exported.coef_.toarray().ravel(), expected)  # 1e-8 -> 0 is dropped
    assert exported.coef_.nnz == 5
    with pytest.raises(ValueError, match=r"float16.*magnitude 70000.*infinite.*q2\.13"):
        export_model(identity_regression([1.0, 70000.0]), weights="float16")


@pytest.mark.parametrize("weights", ["float64", "float16", "q2.13"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused_at_export(weights, bad):
    # q2.13 used to keep the NaN/inf in memory and write 0 (int16 of NaN) to the file,
    # which then loaded as a different model; float64 wrote a file load_model refused
    with pytest.raises(ValueError, match="NaN or infinite weights or intercepts"):
        export_model(identity_regression([1.0, bad, 0.5]), weights=weights)
    reg = identity_regression([1.0, 2.0, 0.5])
    reg.intercept_ = bad
    with pytest.raises(ValueError, match="NaN or infinite weights or intercepts"):
        export_model(reg, weights=weights)


def test_q213_rounds_at_random_without_bias_within_one_step():
    rng = np.random.RandomState(1)
    # weights a quarter step above a multiple of the step: round up one time in four
    base = rng.randint(-30000, 30000, size=20000) * STEP
    values = base + STEP / 4
    exported = export_model(identity_regression(values), weights="q2.13", random_state=3)
    assert exported.weights_scale_.tolist() == [1.0]  # |w| < 4: the paper's format
    got = exported.coef_.toarray().ravel()
    steps = (got - base) / STEP
    assert set(np.unique(np.round(steps, 9))) == {0.0, 1.0}
    assert abs(steps.mean() - 0.25) < 0.02  # P(up) = remainder: 0.25 +- 3 sd
    assert abs((got - values).mean()) < 0.02 * STEP  # unbiased
    # seeded and deterministic
    again = export_model(identity_regression(values), weights="q2.13", random_state=3)
    assert_array_equal(again.coef_.toarray(), exported.coef_.toarray())
    other = export_model(identity_regression(values), weights="q2.13", random_state=4)
    assert not np.array_equal(other.coef_.toarray(), exported.coef_.toarray())
    # multiples of the step are kept exactly
    exact = export_model(identity_regression(base[base != 0]), weights="q2.13")
    assert_array_equal(exact.coef_.toarray().ravel(), base[base != 0])


def test_q213_scales_large_weights_instead_of_clipping():
    values = np.array([0.5, -3.0, 1.5e5, -7.25e4, 12.0])
    exported = export_model(identity_regression(values), weights="q2.13")
    (scale,) = exported.weights_scale_
    # the smallest power of two that brings 1.5e5 within 32767 steps
    assert scale == 2.0**16 and 1.5e5 <= 32767 * STEP * scale and 1.5e5 > 32767 * STEP * scale / 2
    got = exported.coef_.toarray().ravel()
    assert np.all(np.abs(got - values) <= scale * STEP)  # within one (scaled) step, no clipping
    # per weight vector: a vector of weights under 4 keeps a scale of at most 1 next to a
    # large one, each the smallest power of two that holds its largest weight
    X, signal, _ = make_data()
    multi = LinearRegression().fit(X.toarray(), np.column_stack([signal, signal * 1e5]))
    two = export_model(multi, weights="q2.13")
    largest = np.abs(multi.coef_).max(axis=1)
    assert two.weights_scale_[0] <= 1.0 and two.weights_scale_[1] > 1.0
    assert np.all(largest <= 32767 * STEP * two.weights_scale_)
    assert np.all(largest > 32767 * STEP * two.weights_scale_ / 2)
    loaded = load_model(file_of(two))
    assert_array_equal(loaded.predict(X), two.predict(X))
    assert_allclose(two.predict(X), multi.predict(X.toarray()), rtol=1e-3, atol=1e-2)


def test_q213_scales_small_weights_down_to_keep_their_digits():
    # weights far below the paper's step (2**-13 ~ 1.2e-4), as a scaler folded into them
    # leaves on raw values in the thousands: at scale 1 each became 0 or one step at random
    values = np.array([3e-5, -1.1e-6, 2.2e-5, 7e-9])
    exported = export_model(identity_regression(values), weights="q2.13", random_state=1)
    (scale,) = exported.weights_scale_
    assert scale == 2.0**-17 and 3e-5 <= 32767 * STEP * scale and 3e-5 > 32767 * STEP * scale / 2
    got = exported.coef_.toarray().ravel()
    assert np.all(np.abs(got - values) <= scale * STEP)  # 2**-30: a relative ~4e-5 at the top
    assert_allclose(got[:3], values[:3], rtol=2e-4)
    # a scale below 1 makes the file format version 7: a reader of versions up to 6 took
    # scales of 1 or more, and refused the file as damaged rather than newer
    assert int(raw_arrays(exported)["format_version"]) == 7
    loaded = load_model(file_of(exported))
    assert loaded.weights_scale_.tolist() == [2.0**-17]
    assert_array_equal(loaded.coef_.toarray(), exported.coef_.toarray())
    arrays = raw_arrays(exported)
    arrays["format_version"] = np.array(3)
    with pytest.raises(
        ValueError, match=r"at least 1 \(down to 2\*\*-1009 in format version 7, 8 or 9"
    ):
        load_model(saved(arrays))
    large = export_model(identity_regression([3.0, -0.5]), weights="q2.13")
    assert large.weights_scale_.tolist() == [1.0]
    assert int(raw_arrays(large)["format_version"]) == 3  # (as before)
    # the smallest scale, 2**-1009: its step is float64's smallest normal number
    tiny = export_model(identity_regression([1e-305, 2e-306]), weights="q2.13")
    assert tiny.weights_scale_.tolist() == [2.0**-1009]
    assert_array_equal(load_model(file_of(tiny)).coef_.toarray(), tiny.coef_.toarray())


@pytest.mark.parametrize("exponent", [0, 1, 5, 900])
def test_q213_scale_is_the_smallest_when_the_largest_weight_is_on_a_bound(exponent):
    # a largest weight of exactly 32767 steps of a scale (the quotient a power of two) took
    # twice that scale: 32767 * 2**-13 left the paper's format, with steps twice as coarse
    bound = 32767 * STEP * 2.0**exponent
    values = np.array([bound, -bound / 3, 0.5])
    exported = export_model(identity_regression(values), weights="q2.13")
    assert exported.weights_scale_.tolist() == [2.0**exponent]
    assert_array_equal(exported.coef_.toarray().ravel()[0], bound)  # a multiple of the step
    assert np.all(np.abs(exported.coef_.toarray().ravel() - values) <= 2.0**exponent * STEP)


def test_q213_at_the_end_of_float64_is_exact_or_refused():
    # a weight within a step of float64's largest number: its scale is 2**1023, whose
    # bound 32767 * 2**-13 * 2**1023 overflows, and rounding it up gave an infinite weight,
    # which the file then held as 0 (a model that loaded and predicted other numbers)
    largest = np.finfo(np.float64).max
    for seed in range(4):
        with pytest.raises(ValueError, match=r"q2\.13.*1\.79769e\+308.*beyond float64"):
            export_model(identity_regression([largest, 1.0]), weights="q2.13", random_state=seed)
    values = np.array([2.0**1023, -(2.0**1022), 2.0**1010])  # multiples of the step
    exported = export_model(identity_regression(values), weights="q2.13")
    assert exported.weights_scale_.tolist() == [2.0**1022]  # 2**1023 is 2 * 2**1022
    assert_array_equal(exported.coef_.toarray().ravel(), values)
    loaded = load_model(file_of(exported))
    assert_array_equal(loaded.coef_.toarray(), exported.coef_.toarray())


def test_quantized_pipeline_with_crosses_round_trips():
    df, y = raw_rows(0, 300)
    hasher = FeatureCrossHasher(
        crosses=[("lat", "lon"), "kind"], buckets={"lat": 0.1, "lon": 0.1}, n_features=2**12
    )
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(df, y)
    exported = export_model(pipe, weights="q2.13")
    loaded = load_model(file_of(exported))
    assert_array_equal(loaded.predict_proba(df), exported.predict_proba(df))
    assert np.abs(loaded.predict_proba(df) - pipe.predict_proba(df)).max() < 1e-3


@pytest.mark.parametrize("weights", ["float64", "float16", "q2.13"])
def test_bad_random_state_is_refused_whatever_the_format(weights):
    est = identity_regression([1.0, 0.3, -2.0])
    for bad in ("seed", -1, 2.5):
        with pytest.raises(ValueError, match="random_state must be None, an int"):
            export_model(est, weights=weights, random_state=bad)


def test_bad_weights_argument_is_refused():
    X, signal, _ = make_data()
    est = SparseFTRLRegressor(random_state=0).fit(X, signal)
    for bad in ("int8", "Q2.13", 16, "float32"):
        with pytest.raises(ValueError, match="weights must be 'float64'.*'float16' or 'q2.13'"):
            export_model(est, weights=bad)


# ------------------------------------------------------------ hostile files
@pytest.fixture(scope="module")
def quantized():
    X, signal, _ = make_data()
    est = SparseFTRLClassifier(alpha=1e-4, random_state=0).fit(X, three(signal))
    return {w: raw_arrays(export_model(est, weights=w)) for w in ("float16", "q2.13")}


def edited(arrays, **changes):
    arrays = dict(arrays)
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    return arrays


SCALE_REFUSED = r"power of two, at least 1 \(down to 2\*\*-1009 in format version 7, 8 or 9\)"
V7 = np.array(7)  # (a file whose scales may be below 1)


@pytest.mark.parametrize(
    "fmt, changes, match",
    [
        ("float16", {"weights_format": None}, "format version 3.*needs weights_format"),
        ("float16", {"weights_format": np.array("q4.12")}, "unknown weights_format 'q4.12'"),
        ("float16", {"format_version": np.array(2)}, "format version 2 has no.*weights_format"),
        (
            "float16",
            {"coef_data": "float32"},
            "coef_data has dtype float32; weights_format 'float16'",
        ),
        ("float16", {"coef_data": "int16"}, "coef_data has dtype int16; weights_format 'float16'"),
        ("float16", {"weights_scale": np.ones(3)}, "'float16' has no weights_scale"),
        ("float16", {"coef_data": "nan"}, "coef_data holds NaN or infinite"),
        ("float16", {"coef_data": "inf"}, "coef_data holds NaN or infinite"),
        ("float16", {"coef_data": "short"}, "coef_data has shape"),
        ("q2.13", {"weights_scale": None}, "'q2.13' needs weights_scale"),
        ("q2.13", {"coef_data": "float16"}, "coef_data has dtype float16; weights_format 'q2.13'"),
        ("q2.13", {"coef_data": "uint16"}, "coef_data has dtype uint16"),
        ("q2.13", {"coef_data": "int32"}, "coef_data has dtype int32"),
        ("q2.13", {"weights_scale": np.ones(2)}, r"weights_scale has shape \(2,\); 3 weight"),
        ("q2.13", {"weights_scale": np.ones((3, 1))}, "weights_scale has shape"),
        ("q2.13", {"weights_scale": np.array([1.0, 0.0, 1.0])}, SCALE_REFUSED),
        ("q2.13", {"weights_scale": np.array([1.0, -2.0, 1.0])}, SCALE_REFUSED),
        ("q2.13", {"weights_scale": np.array([1.0, 3.0, 1.0])}, SCALE_REFUSED),
        ("q2.13", {"weights_scale": np.array([1.0, 0.75, 1.0])}, SCALE_REFUSED),
        ("q2.13", {"weights_scale": np.array([0.5, 1.0, 1.0])}, SCALE_REFUSED),
        (
            "q2.13",
            {"format_version": V7, "weights_scale": np.array([2.0**-1010, 1.0, 1.0])},
            r"power of two, at least 2\*\*-1009\.",
        ),
        (
            "q2.13",
            {"format_version": V7, "weights_scale": np.array([1.0, 5e-324, 1.0])},
            r"power of two, at least 2\*\*-1009\.",
        ),
        (
            "q2.13",
            {"format_version": V7, "weights_format": None},
            "format version 7 \\(quantized weights\\) needs weights_format",
        ),
        ("q2.13", {"format_version": V7}, "version 7 holds a weights_scale below 1; this one's"),
        (
            "float16",
            {"format_version": V7},
            "format version 7 holds q2.13 weights \\(scales below 1\\), not weights_format "
            "'float16'",
        ),
        (
            "q2.13",
            {
                "format_version": V7,
                "weights_scale": np.array([0.5, 1.0, 1.0]),
                "hashed_columns": np.array("text"),
            },
            "unknown hashed_columns 'text'",
        ),
        ("q2.13", {"weights_scale": np.array([1.0, np.nan, 1.0])}, "weights_scale holds NaN"),
        ("q2.13", {"weights_scale": np.array([1.0, np.inf, 1.0])}, "weights_scale holds NaN"),
        ("q2.13", {"weights_scale": np.array([1, 1, 1])}, "weights_scale has dtype int64"),
        ("q2.13", {"weights_scale": np.full(3, 2.0**1023)}, "coef_data holds NaN or infinite"),
        ("q2.13", {"weights_format": np.array("float16")}, "coef_data has dtype int16"),
    ],
)
def test_hostile_quantized_files_are_refused(quantized, fmt, changes, match):
    arrays = quantized[fmt]
    data = arrays["coef_data"]
    how = changes.get("coef_data")
    if isinstance(how, str):
        if how in ("nan", "inf"):
            data = data.copy()
            data[1] = np.nan if how == "nan" else np.inf
        elif how == "short":
            data = data[:-1]
        else:
            data = data.astype(how)
        changes = dict(changes, coef_data=data)
    refused(saved(edited(arrays, **changes)), match)


def test_files_written_with_quantized_weights_load(quantized):
    X, _, _ = make_data()
    for weights, arrays in quantized.items():
        scores = X.toarray() @ dequantized_by_hand(arrays).T + arrays["intercept"]
        for compressed in (False, True):
            model = load_model(saved(arrays, compressed=compressed))
            assert model.weights_format == weights
            assert_allclose(model.decision_function(X), scores, rtol=1e-12, atol=1e-12)


def test_quantized_weights_count_as_float64_against_max_bytes(quantized):
    arrays = quantized["q2.13"]
    file = saved(arrays)
    model = load_model(file)
    # the arrays as stored fit, the float64 weights and their table do not
    stored = sum(np.asarray(a).nbytes for a in arrays.values())
    table = 8 * (model.support_.size + 1) * 3
    with pytest.raises(ValueError, match="weight table"):
        load_model(saved(arrays), max_bytes=stored + table)
    columns = 12 * model.support_.size  # int64 column indices, and support_ as int32
    load_model(saved(arrays), max_bytes=stored + table + 8 * arrays["coef_data"].size + columns)
