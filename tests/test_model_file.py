"""load_model on hostile files: each class of problem is a ValueError naming it, found
before anything large is decompressed; files written by save still load."""

import faulthandler
import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor, _transformer_specs
from sparsereg.crosses import FeatureCrossHasher
from sparsereg.export import export_model, load_model

from .memory_helpers import peak_bytes, result_and_peak
from .test_export import binary, make_data, raw_rows, three


@pytest.fixture(scope="module")
def models():
    X, signal, _ = make_data()
    df, y = raw_rows(0, 200)
    texts = ["free prize now", "see you at lunch", "win free cash", "call me later"] * 10
    return {
        "binary": export_model(
            SparseFTRLClassifier(alpha=1e-3, random_state=0).fit(X, binary(signal))
        ),
        "multiclass": export_model(
            SparseFTRLClassifier(alpha=1e-3, random_state=0).fit(X, three(signal))
        ),
        "regressor": export_model(SparseFTRLRegressor(alpha=1e-3, random_state=0).fit(X, signal)),
        "crosses": export_model(
            make_pipeline(
                FeatureCrossHasher(
                    crosses=[("lat", "lon"), "kind"],
                    buckets={"lat": 0.1, "lon": 0.1},
                    n_features=2**10,
                ),
                SparseFTRLClassifier(random_state=0),
            ).fit(df, y),
            hashed_columns={},  # (no kinds: format version 6)
        ),
        "text": export_model(
            make_pipeline(
                HashingVectorizer(n_features=2**10), SGDClassifier("log_loss", random_state=0)
            ).fit(texts, ["spam", "ham", "spam", "ham"] * 10)
        ),
    }


def arrays_of(model):
    """The arrays of ``model``'s file, as np.load reads them (plain arrays, no pickle)."""
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def saved(arrays, compressed=False):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    buffer.seek(0)
    return buffer


def npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=True)
    return buffer.getvalue()


def hand_zip(members, compression=zipfile.ZIP_STORED):
    """A zip of raw ``.npy`` bytes, written without numpy's checks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def members_of(arrays):
    return [(f"{key}.npy", npy(value)) for key, value in arrays.items()]


def refused(file, match, **kwargs):
    with pytest.raises(ValueError, match=match):
        load_model(file, **kwargs)


# ------------------------------------------------------------- files save writes
@pytest.mark.parametrize("name", ["binary", "multiclass", "regressor", "crosses", "text"])
@pytest.mark.parametrize("compressed", [False, True])
def test_saved_files_load(models, name, compressed):
    model = models[name]
    buffer = io.BytesIO()
    model.save(buffer, compressed=compressed)
    buffer.seek(0)
    loaded = load_model(buffer)
    assert_array_equal(loaded.coef_.toarray(), model.coef_.toarray())
    assert_array_equal(loaded.intercept_, model.intercept_)


def test_format_version_1_files_still_load(models):
    X, _, _ = make_data(seed=1, n_rows=50)
    for arithmetic in ("ftrl_dense", "ftrl_sparse"):
        arrays = arrays_of(models["multiclass"])
        arrays.update(format_version=np.array(1), arithmetic=np.array(arithmetic))
        assert_array_equal(
            load_model(saved(arrays)).predict_proba(X), models["multiclass"].predict_proba(X)
        )
    arrays = arrays_of(models["multiclass"])
    arrays.update(arithmetic=np.array("ftrl_dense"))  # a version-1 name in a version-2 file
    refused(saved(arrays), "unknown arithmetic 'ftrl_dense' for format version 2")


# ------------------------------------------------------------ transformer params
def with_params(model, **params):
    arrays = arrays_of(model)
    specs = json.loads(str(arrays["transformers"]))
    specs[0]["params"].update(params)
    arrays["transformers"] = np.array(json.dumps(specs))
    return saved(arrays)


HOSTILE_PARAMS = [
    ("text", {"token_pattern": "(a+)+b"}, "HashingVectorizer parameter 'token_pattern'.*regular"),
    ("text", {"input": "filename"}, "HashingVectorizer parameter 'input'.*'content'"),
    ("text", {"input": "file"}, "HashingVectorizer parameter 'input'"),
    ("text", {"analyzer": "char", "token_pattern": "(a|aa)+$"}, "parameter 'token_pattern'"),
    ("text", {"analyzer": "chars"}, "parameter 'analyzer' must be one of"),
    ("text", {"preprocessor": "str.upper"}, "parameter 'preprocessor' must be None"),
    ("text", {"tokenizer": "split"}, "parameter 'tokenizer' must be None"),
    ("text", {"ngram_range": {"__tuple__": [1, 10**6]}}, "parameter 'ngram_range'"),
    ("text", {"ngram_range": [1, 2]}, "parameter 'ngram_range'"),
    ("text", {"n_features": 2**40}, "parameter 'n_features' must be an int in"),
    ("text", {"n_features": True}, "parameter 'n_features' must be an int in"),
    ("text", {"stop_words": ["w"] * 200_000}, "parameter 'stop_words' holds 200,000"),
    ("text", {"stop_words": [1, 2]}, "parameter 'stop_words'"),
    ("text", {"encoding": "rot13"}, "parameter 'encoding' must name a text encoding"),
    ("text", {"encoding": "../../etc"}, "parameter 'encoding' must be the name"),
    ("text", {"encoding": "no-such-codec"}, "parameter 'encoding' names no known"),
    ("text", {"decode_error": "surrogateescape"}, "parameter 'decode_error'"),
    ("text", {"strip_accents": "all"}, "parameter 'strip_accents'"),
    ("text", {"norm": "l3"}, "parameter 'norm'"),
    ("text", {"lowercase": "yes"}, "parameter 'lowercase' must be True or False"),
    ("text", {"dtype": {"__dtype__": "<c16"}}, "dtype must be float32 or float64"),
    ("text", {"dtype": {"__dtype__": "|O"}}, "dtype must be float32 or float64"),
    ("text", {"dtype": {"__dtype__": "(1000000000,)f8"}}, "dtype must be float32 or float64"),
    ("text", {"callback": None}, "HashingVectorizer parameter 'callback' is not one a model"),
    (
        "crosses",
        {"crosses": ["kind"] * 20_000},
        "FeatureCrossHasher parameter 'crosses' holds 20,000",
    ),
    ("crosses", {"crosses": [{"__tuple__": list(range(40))}]}, "'crosses' holds a cross of 40"),
    ("crosses", {"crosses": [1.5]}, "parameter 'crosses' column keys must be"),
    (
        "crosses",
        {"buckets": {"__dict__": [["lat", {"__dict__": [["width", 0.1], ["format", "print"]]}]]}},
        "parameter 'buckets' bucket format of 'lat' must be 'interval' or 'deg'",
    ),
    (
        "crosses",
        {"buckets": {"__dict__": [["lat", list(range(200_000))]]}},
        "parameter 'buckets' holds 200,000 bucket edges",
    ),
    (
        "crosses",
        {"buckets": {"__dict__": [["lat", {"__dict__": [["width", 0.0]]}]]}},
        "FeatureCrossHasher parameters refused: .*width must be a finite number",
    ),
    # numbers beyond float64 (float() of them raised OverflowError)
    (
        "crosses",
        {"buckets": {"__dict__": [["lat", 10**400]]}},
        "parameter 'buckets' bucket width of 'lat' must be a finite number",
    ),
    (
        "crosses",
        {"buckets": {"__dict__": [["lat", [1, 10**400]]]}},
        "parameter 'buckets' bucket edges must be finite numbers",
    ),
    (
        "crosses",
        {"buckets": {"__dict__": [["lat", {"__dict__": [["edges", [-(10**400), 1]]]}]]}},
        "parameter 'buckets' bucket edges must be finite numbers",
    ),
    (
        "crosses",
        {"buckets": {"__dict__": [["lat", {"__dict__": [["width", 10**400]]}]]}},
        "parameter 'buckets' bucket width of 'lat' must be a finite number",
    ),
    (
        "crosses",
        {"buckets": {"__dict__": [["lat", {"__dict__": [["width", 1], ["origin", 10**400]]}]]}},
        "parameter 'buckets' bucket origin of 'lat' must be a finite number",
    ),
    ("crosses", {"seed": -1}, "parameter 'seed'"),
    ("crosses", {"missing": "ignore"}, "parameter 'missing'"),
    ("crosses", {"n_features": 2**61}, "parameter 'n_features'"),
]


@pytest.mark.parametrize(
    "name, params, match",
    HOSTILE_PARAMS,
    ids=[f"{n}-{next(iter(p))}-{i}" for i, (n, p, _) in enumerate(HOSTILE_PARAMS)],
)
def test_transformer_params_outside_the_allow_list_are_refused(models, name, params, match):
    refused(with_params(models[name], **params), match)


def test_char_analyzer_may_drop_the_token_pattern(models):
    loaded = load_model(with_params(models["text"], analyzer="char_wb", token_pattern=None))
    assert loaded.transformers[0].analyzer == "char_wb"


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda s: s[0].update({"class": "FunctionTransformer"}), "unknown transformer"),
        (lambda s: s[0].update({"code": "import os"}), "spec has unknown keys"),
        (
            lambda s: s[0]["params"].update({"n_features": {"__call__": "os.system"}}),
            "unknown tagged",
        ),
        (lambda s: s[0].update({"n_features_in_": -3}), "n_features_in_ must be an int"),
        (
            lambda s: s[0]["params"].update({"n_features": 2**11}),
            "outputs 2,048 columns but the model",
        ),
        (  # (every prediction was refused: "The feature names should match")
            lambda s: s[0]["feature_names_in_"].__setitem__(1, s[0]["feature_names_in_"][0]),
            "FeatureCrossHasher feature_names_in_ repeats the name 'lat'",
        ),
    ],
)
def test_transformer_specs_that_are_not_what_save_writes_are_refused(models, edit, match):
    arrays = arrays_of(models["crosses"])
    specs = json.loads(str(arrays["transformers"]))
    edit(specs)
    arrays["transformers"] = np.array(json.dumps(specs))
    refused(saved(arrays), match)


@pytest.mark.parametrize(
    "text, match",
    [
        ("[" * 100_000 + "]" * 100_000, "nest 100000 levels"),
        (
            '[{"class": "FeatureHasher", "params": {}, "class": "HashingVectorizer"}]',
            "repeat a key",
        ),
        ('[{"class": "FeatureHasher", "params": {"n_features": NaN}}]', "constant NaN"),
        ("[{", "not valid JSON"),
        ('{"class": "FeatureHasher"}', "must be a JSON list"),
    ],
)
def test_transformer_json_is_bounded_before_parsing(models, text, match):
    arrays = arrays_of(models["binary"])
    arrays["transformers"] = np.array(text)
    with pytest.raises(ValueError, match=match) as refusal:
        load_model(saved(arrays))
    assert "out of bounds" not in str(refusal.value)  # (the over-long integer's message)


def test_transformer_json_size_is_bounded(models, monkeypatch):
    monkeypatch.setattr(_transformer_specs, "MAX_JSON_CHARS", 1000)
    arrays = arrays_of(models["text"])
    specs = json.loads(str(arrays["transformers"]))
    specs[0]["params"]["stop_words"] = ["word"] * 1000
    arrays["transformers"] = np.array(json.dumps(specs))
    refused(saved(arrays), "characters of JSON; a model file may hold at most 1,000")


def test_export_refuses_a_pipeline_whose_file_load_would_refuse():
    texts, y = ["a b", "c d", "a c", "b d"] * 5, [0, 1, 0, 1] * 5
    pipe = make_pipeline(
        HashingVectorizer(n_features=64, token_pattern=r"\S+"), SGDClassifier(random_state=0)
    ).fit(texts, y)
    with pytest.raises(
        ValueError,
        match="cannot export this HashingVectorizer: load_model would refuse.*token_pattern",
    ):
        export_model(pipe)


# ---------------------------------------------------------------------- members
def test_unknown_member_is_refused_without_decompressing_it(models):
    arrays = arrays_of(models["binary"])
    arrays["padding"] = np.zeros(2**23)  # 64 MiB of zeros, a few dozen KiB deflated
    file = saved(arrays, compressed=True)
    assert len(file.getvalue()) < 2**20
    peak = peak_bytes(lambda: refused(file, r"unknown member\(s\) \['padding.npy'\]"))
    assert peak < 4 * 2**20


def test_member_declaring_a_huge_shape_is_refused_before_allocating(models):
    members = [(n, d) for n, d in members_of(arrays_of(models["binary"])) if n != "coef_data.npy"]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (2**28,)}
    )
    file = hand_zip(members + [("coef_data.npy", header.getvalue() + b"\0" * 64)])
    peak = peak_bytes(
        lambda: refused(file, r"coef_data declares shape \(268435456,\).*holds 64 bytes")
    )
    assert peak < 4 * 2**20


def test_highly_compressible_member_is_refused_before_decompressing(models):
    arrays = arrays_of(models["binary"])
    nnz = 2**22  # 32 MiB of zero weights, consistent with indptr and indices
    arrays.update(
        coef_data=np.zeros(nnz),
        coef_indices=np.zeros(nnz, dtype=np.int32),
        coef_indptr=np.array([0, nnz], dtype=np.int32),
    )
    file = saved(arrays, compressed=True)
    assert len(file.getvalue()) < 2**20
    peak = peak_bytes(lambda: refused(file, r"expands from .* \(more than 100:1\)"))
    assert peak < 4 * 2**20


@pytest.mark.parametrize("drop", ["coef_indptr", "intercept", "kind", "transformers"])
def test_missing_member_is_named(models, drop):
    arrays = arrays_of(models["binary"])
    del arrays[drop]
    refused(saved(arrays), rf"lacks the array\(s\) \['{drop}'\]")


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("coef_data", np.array([1 + 2j]), "coef_data has the complex dtype complex128"),
        ("intercept", np.array([1j], dtype=np.complex64), "intercept has the complex dtype"),
        ("coef_data", np.array([1.0], dtype=np.float16), "coef_data has dtype float16"),
        ("coef_indices", np.array([0], dtype=np.uint64), "coef_indices has dtype uint64"),
        ("kind", np.array(["classifier"], dtype=object), "kind has dtype object"),
        ("classes", np.array([(0,), "one"], dtype=object), "classes has dtype object"),
        ("classes", np.array([0j, 1j]), "classes has the complex dtype"),
        ("intercept", np.zeros((1, 1)), r"intercept has shape \(1, 1\)"),
        ("n_features_in", np.array([300]), "n_features_in has shape"),
        ("source", np.array("x" * 5000), "source is declared 5,000 characters long"),
    ],
)
def test_member_with_a_dtype_or_shape_not_its_own_is_refused(models, key, value, match):
    arrays = arrays_of(models["binary"])
    arrays[key] = value
    refused(hand_zip(members_of(arrays)), match)


def test_zip_oddities_are_refused(models):
    members = members_of(arrays_of(models["binary"]))
    with pytest.warns(UserWarning, match="Duplicate name"):
        file = hand_zip(members + [members[2]])
    refused(file, "lists a member twice")
    refused(
        hand_zip(members + [(f"x{i}.npy", b"") for i in range(100)]),
        "zip directory lists 115 members",
    )
    refused(hand_zip(members, compression=zipfile.ZIP_BZIP2), "compression method 12")
    refused(io.BytesIO(b"not a zip at all" * 10), "not a sparsereg.ExportedLinearModel file")


@pytest.mark.parametrize("field, value", [("version", 70), ("flag", 0x20)])
def test_a_zip_entry_zipfile_cannot_read_is_refused_as_corrupt(models, field, value):
    raw = bytearray(saved(arrays_of(models["binary"])).getvalue())
    entry = raw.index(b"PK\x01\x02")  # the first member's entry in the zip's directory
    if field == "version":
        raw[entry + 6] = value  # version needed to extract: 7.0 (zipfile reads up to 6.3)
    else:
        raw[entry + 8] |= value  # "compressed patched data", which zipfile does not read
    refused(io.BytesIO(bytes(raw)), "is corrupt|not a sparsereg.ExportedLinearModel file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_path_that_is_no_regular_file_is_refused_without_reading_it(tmp_path):
    from sparsereg.stream._checkpoint import load_checkpoint

    pipe, device = tmp_path / "pipe.npz", tmp_path / "device.npz"
    os.mkfifo(pipe)  # opening it to read would wait for a writer
    # (/dev/zero, read to its end, would fill the memory: /dev/null stands for any device)
    device.symlink_to("/dev/null")
    faulthandler.dump_traceback_later(60, exit=True)  # a wait for a writer ends the run, loudly
    try:
        for path in (pipe, device, tmp_path):
            refused(path, "is not a regular file")
            with pytest.raises(ValueError, match="is not a regular file"):
                load_checkpoint(path, max_bytes=2**20)
    finally:
        faulthandler.cancel_dump_traceback_later()


def test_max_bytes_bounds_the_arrays_and_the_weight_table(models):
    buffer = io.BytesIO()
    models["multiclass"].save(buffer)
    refused(
        io.BytesIO(buffer.getvalue()),
        "arrays take .* bytes decompressed, more than max_bytes=1,000",
        max_bytes=1000,
    )
    # 1,000 models with one weight each on its own column: a 1000 x 1001 table
    n = 1000
    arrays = arrays_of(models["multiclass"])
    arrays.update(
        coef_data=np.ones(n),
        coef_indices=np.arange(n, dtype=np.int32),
        coef_indptr=np.arange(n + 1, dtype=np.int32),
        intercept=np.zeros(n),
        classes=np.arange(n),
        n_features_in=np.array(n, dtype=np.int64),
    )
    refused(
        saved(arrays),
        "1,000 supported features x 1,000 models need a 8,008,000-byte weight table",
        max_bytes=2**22,
    )
    assert load_model(saved(arrays), max_bytes=2**24).n_models == n
    # and the model holds one such table, as nbytes says (not the table and a copy)
    tracemalloc.start()
    try:
        model = load_model(saved(arrays), max_bytes=2**24)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 8_008_000 <= model.nbytes <= held < 1.2 * model.nbytes


# --------------------------------------------------------------------- contents
def edit(key, fn):
    def apply(arrays):
        arrays[key] = fn(arrays[key].copy())

    return apply


def setting(**values):
    return lambda arrays: arrays.update({k: np.asarray(v) for k, v in values.items()})


def poke(key, index, value):
    def fn(a):
        a[index] = value
        return a

    return edit(key, fn)


CONTENTS = [
    ("multiclass", poke("coef_data", 0, np.nan), "coef_data holds NaN or infinite"),
    ("multiclass", poke("coef_data", -1, np.inf), "coef_data holds NaN or infinite"),
    ("binary", poke("intercept", 0, -np.inf), "intercept holds NaN or infinite"),
    (
        "multiclass",
        edit("coef_indptr", lambda a: a - np.arange(a.size)),
        r"coef_indptr ends at [\d,]+ but the file holds [\d,]+ weights",
    ),
    ("multiclass", poke("coef_indptr", 1, 10**6), "coef_indptr decreases"),
    (  # decreasing, though each difference in int32 wraps around to a positive one (scipy
        # read and wrote past the arrays' ends: a crash)
        "multiclass",
        edit(
            "coef_indptr",
            lambda a: np.array([0, 2**31 - 1, -(2**31) + int(a[-1]) + 1, a[-1]], dtype=np.int32),
        ),
        "coef_indptr decreases",
    ),
    ("multiclass", poke("coef_indptr", 0, 1), "coef_indptr starts at 1"),
    ("multiclass", poke("coef_indices", 0, 10**6), r"coef_indices must lie in \[0, 300\)"),
    ("multiclass", poke("coef_indices", 3, -1), r"coef_indices must lie in \[0, 300\)"),
    (
        "multiclass",
        edit("coef_indices", lambda a: np.where(np.arange(a.size) == 1, a[0], a)),
        "coef_indices repeat column",
    ),
    ("multiclass", setting(proba="sigmoid"), "unknown proba kind 'sigmoid'"),
    ("regressor", setting(proba="ovr_logistic"), "a regressor has no predict_proba"),
    ("binary", setting(proba="softmax"), "proba 'softmax' needs a weight vector per class"),
    ("binary", setting(kind="ranker"), "unknown kind 'ranker'"),
    ("binary", setting(classes=[0, 1, 2]), "3 classes for 1 weight vector"),
    ("multiclass", setting(classes=[0, 1, 2, 3]), "4 classes for 3 weight vector"),
    ("multiclass", setting(classes=[0, 1, 1]), "classes repeat a label"),
    ("multiclass", setting(classes=[0.0, 1.0, np.nan]), "classes hold NaN"),
    ("regressor", setting(classes=[0, 1]), "a regressor has no classes"),
    ("binary", lambda a: a.pop("classes"), "a classifier needs classes"),
    ("binary", setting(coef_ndim=3), "coef_ndim is 3"),
    ("multiclass", setting(coef_ndim=1), "coef_ndim is 1 but there are 3 weight vectors"),
    ("multiclass", setting(matvec=True), "matvec is set but there are 3"),
    ("binary", setting(arithmetic="gpu"), "unknown arithmetic 'gpu'"),
    (
        "binary",
        setting(feature_names_in=["a", "b"]),
        "feature_names_in holds 2 names but n_features_in is 300",
    ),
    ("binary", setting(n_features_in=-5), "n_features_in is -5"),
    ("binary", setting(n_features_in=2**63 - 1), "n_features_in is 9223372036854775807"),
    ("binary", setting(n_features_in=0), "n_features_in is 0"),
    ("binary", setting(format_version=99), "format version 99 is newer"),
    ("binary", setting(format_version=0), "unknown format_version 0"),
    ("binary", setting(format="something else"), "not a sparsereg.ExportedLinearModel file"),
    (
        "binary",
        edit("coef_indptr", lambda a: a[:-1]),
        r"coef_indptr has shape \(1,\); 1 weight "
        r"vector\(s\) .* need \(2,\)",
    ),
    ("binary", edit("coef_indices", lambda a: a[:-1]), "coef_data has shape .* but coef_indices"),
    ("binary", setting(intercept=np.zeros(0)), "intercept is empty"),
]


@pytest.mark.parametrize(
    "name, mutate, match",
    CONTENTS,
    ids=[f"{i}-{m.split()[0]}" for i, (_, _, m) in enumerate(CONTENTS)],
)
def test_inconsistent_contents_are_refused_by_name(models, name, mutate, match):
    arrays = arrays_of(models[name])
    mutate(arrays)
    refused(saved(arrays), match)


def test_json_depth_scan_of_a_long_string_takes_little_memory():
    # a backtracking regex held ~130 bytes per character of a string
    text = '["' + "a" * 2**21 + '"]'
    assert peak_bytes(lambda: _transformer_specs._json_depth(text)) < 2**24
    assert _transformer_specs._json_depth(text) == 1


def test_a_flipped_byte_in_a_small_member_is_a_value_error(tmp_path):
    from sparsereg import SparseFTRLRegressor, export_model, load_model

    rng = np.random.RandomState(0)
    reg = SparseFTRLRegressor(random_state=0).fit(rng.normal(size=(50, 3)), rng.normal(size=50))
    path = tmp_path / "m.npz"
    export_model(reg).save(path)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"coef_data.npy") + len(b"coef_data.npy") + 130  # inside its stored data
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupt|coef_data"):
        load_model(path)


# ------------------------------------------------------------- .npy headers and text
def _npy_with_header(header, version=1):
    length = len(header).to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + length + header


def test_max_bytes_counts_what_the_load_holds_and_bounds_its_peak(models):
    # 10**6 weights of one model, int32 indices and float32 weights: 8 MB of arrays and a
    # 4 MB table, which max_bytes=12.6 MB let through while the model held 16 MB (its
    # column indices, int64, and support_) and the load took 3.6 times max_bytes
    n = 10**6
    arrays = arrays_of(models["binary"])
    arrays.update(
        coef_data=np.ones(n, np.float32),
        coef_indices=np.arange(0, 2 * n, 2, dtype=np.int32),
        coef_indptr=np.array([0, n], np.int32),
        n_features_in=np.array(2 * n, dtype=np.int64),
    )
    refused(saved(arrays), r"4,000,004-byte weight table .*max_bytes=20,000,000", max_bytes=20 * n)
    file = saved(arrays)
    model, peak = result_and_peak(lambda: load_model(file, max_bytes=25 * n))
    assert model.nbytes <= 25 * n - 8 * n  # what it holds, besides the file's arrays
    assert peak <= 1.5 * 25 * n + 16 * 2**20
    assert_array_equal(model.support_, arrays["coef_indices"])


@pytest.mark.parametrize("member", ["feature_names_in", "classes"])
def test_str_members_of_wide_items_load_within_the_memory_promised(models, member):
    # the check that no name or label repeats held a sorted copy of the member and its
    # distinct values (np.unique), and the labels were copied once more: 3x the member's
    # bytes, past the 1.5x max_bytes + 16 MiB load_model promises (a file of ~20 MB could
    # take ~6 GB at the default max_bytes)
    arrays = arrays_of(models["binary"])
    n_features = int(arrays["n_features_in"])
    if member == "classes":  # (two items of 12 MB: compared in place)
        labels = np.zeros(2, dtype=f"<U{3 * 2**20}")
        labels[:] = ["no", "yes"]
        arrays["classes"] = labels
    else:  # (items of ~24 MB / n_features, 80 KB for 300: compared a block at a time)
        names = np.zeros(n_features, dtype=f"<U{6 * 2**20 // n_features}")
        names[:] = [f"column {j}" for j in range(n_features)]
        arrays["feature_names_in"] = names
    max_bytes = sum(a.nbytes for a in arrays.values()) + 2**16
    bound = 1.5 * max_bytes + 16 * 2**20
    assert 3 * arrays[member].nbytes > bound  # (the load held 3x the member)
    file = saved(arrays)
    model, peak = result_and_peak(lambda: load_model(file, max_bytes=max_bytes))
    assert peak <= bound
    kept = model.classes_ if member == "classes" else model.feature_names_in_
    assert_array_equal(kept, arrays[member])
    repeated = arrays[member].copy()
    repeated[-1] = repeated[0]
    arrays[member] = repeated
    what = "repeat a label" if member == "classes" else r"repeats the name 'column 0'"
    refused(saved(arrays), what, max_bytes=max_bytes)


@pytest.mark.parametrize("depth", [4000, 9000])
def test_a_header_of_nested_operators_is_a_value_error(models, depth):
    # numpy's parser (ast.literal_eval) raised RecursionError at 4,000 unary minuses and
    # MemoryError at 9,000, both within its 10,000-character limit
    members = [(n, d) for n, d in members_of(arrays_of(models["binary"])) if n != "coef_ndim.npy"]
    header = b"{'descr': '<i8', 'fortran_order': False, 'shape': (" + b"-" * depth + b"1,)}\n"
    file = hand_zip(members + [("coef_ndim.npy", _npy_with_header(header))])
    refused(file, r"coef_ndim has an unreadable \.npy header")


def test_a_header_declared_longer_than_any_is_refused_before_it_is_read(models):
    # a version 2.0 header declares its length in 4 bytes: numpy read 60 MiB of one (and
    # decoded a copy) before it checked its limit, whatever max_bytes said
    members = [(n, d) for n, d in members_of(arrays_of(models["binary"])) if n != "coef_ndim.npy"]
    rng = np.random.RandomState(0)
    pad = np.full(2**25, ord(" "), np.uint8)  # a character in 130 drawn: it deflates < 100:1
    at = rng.randint(0, pad.size, pad.size // 130)
    pad[at] = rng.randint(33, 126, at.size)
    header = b"{'descr': '<i8', 'fortran_order': False, 'shape': ()}" + pad.tobytes() + b"\n"
    file = hand_zip(
        members + [("coef_ndim.npy", _npy_with_header(header, version=2))],
        compression=zipfile.ZIP_DEFLATED,
    )
    assert len(file.getvalue()) < 2**21
    peak = peak_bytes(lambda: refused(file, r"coef_ndim declares a \.npy header of 33,554,4"))
    assert peak < 4 * 2**20


@pytest.mark.parametrize(
    "key, shape, message",
    [("intercept", "(True,)", r"declares the shape \(True,\)"), ("intercept", "(-1,)", "-1")],
)
def test_a_header_shape_of_bools_or_negative_numbers_is_refused(models, key, shape, message):
    members = [(n, d) for n, d in members_of(arrays_of(models["binary"])) if n != f"{key}.npy"]
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}\n".encode()
    refused(hand_zip(members + [(f"{key}.npy", _npy_with_header(header) + b"\0" * 8)]), message)


@pytest.mark.parametrize("key", ["kind", "classes"])
def test_text_beyond_unicode_is_refused(models, key):
    # a code unit above U+10FFFF: SystemError from NumPy's str conversion when loaded (kind)
    # or at the first repr or tolist() of a prediction (classes)
    arrays = arrays_of(models["binary"])
    shape = "()" if key == "kind" else "(2,)"
    header = f"{{'descr': '<U1', 'fortran_order': False, 'shape': {shape}, }}\n".encode()
    units = np.array([0x110000, 65][: 1 if key == "kind" else 2], dtype="<u4").tobytes()
    members = [(n, d) for n, d in members_of(arrays) if n != f"{key}.npy"]
    refused(
        hand_zip(members + [(f"{key}.npy", _npy_with_header(header) + units)]),
        rf"{key} holds a character beyond U\+10FFFF",
    )


def test_a_str_member_of_empty_items_is_refused_naming_it(models):
    arrays = arrays_of(models["binary"])
    arrays["classes"] = np.array(["", ""])  # dtype <U1 as numpy makes it: written as <U0 below
    members = [(n, d) for n, d in members_of(arrays) if n != "classes.npy"]
    header = b"{'descr': '<U0', 'fortran_order': False, 'shape': (2,), }\n"
    refused(
        hand_zip(members + [("classes.npy", _npy_with_header(header))]), "classes has dtype <U0"
    )


def test_a_transformer_spec_of_an_int_too_long_to_convert_is_refused_naming_it(models):
    arrays = arrays_of(models["crosses"])
    arrays["transformers"] = np.array(
        json.dumps(json.loads(str(arrays["transformers"])))[:-1] + ", " + "9" * 5000 + "]"
    )
    refused(saved(arrays), "transformer specs hold a number out of bounds")


@pytest.mark.parametrize(
    "max_bytes, error",
    [(None, TypeError), (float("nan"), TypeError), (True, TypeError), (0, ValueError)],
)
def test_max_bytes_is_checked(models, max_bytes, error):
    buffer = io.BytesIO()
    models["binary"].save(buffer)
    buffer.seek(0)
    with pytest.raises(error, match="max_bytes"):
        load_model(buffer, max_bytes=max_bytes)


# ------------------------------------------------------------- what save writes, loads
def test_a_compressed_save_of_arrays_that_deflate_far_loads():
    # a 272-character feature name among 5,000 short ones pads the str array 190:1 under
    # deflate: load_model refused the file save(compressed=True) had written
    rng = np.random.RandomState(0)
    names = [f"x{i}" for i in range(5000)]
    names[0] = "a_rather_long_one_hot_column_name_" * 8
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(rng.binomial(1, 0.01, size=(40, 5000)).astype(float), columns=names)
    est = SparseFTRLRegressor(random_state=0).fit(X, X["x1"] + rng.normal(size=40))
    model = export_model(est)
    buffer = io.BytesIO()
    model.save(buffer, compressed=True)
    assert len(buffer.getvalue()) < model.file_bytes(compressed=False)  # the rest deflated
    buffer.seek(0)
    assert_array_equal(load_model(buffer).predict(X), est.predict(X))


@pytest.mark.parametrize("n", [2**20 // 8 - 8, 2**20 // 8, 2**20 // 8 + 1])
def test_a_compressed_save_of_about_a_mib_of_constant_weights_loads(n):
    # the writer weighed the array's bytes, the reader the member's (its .npy header too):
    # an array of 1 MiB deflated ~640:1 was written deflated and refused
    from sklearn.linear_model import LinearRegression

    reg = LinearRegression().fit(np.zeros((2, n)), np.zeros(2))
    reg.coef_, reg.intercept_ = np.full(n, 0.5), 0.0
    model = export_model(reg)
    buffer = io.BytesIO()
    model.save(buffer, compressed=True)
    buffer.seek(0)
    assert_array_equal(load_model(buffer).coef_.toarray(), model.coef_.toarray())


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_float16_and_long_double_labels_round_trip(dtype):
    X = np.random.RandomState(0).normal(size=(60, 4))
    est = SparseFTRLClassifier(random_state=0).fit(X, (X[:, 0] > 0).astype(dtype))
    buffer = io.BytesIO()
    export_model(est).save(buffer)
    buffer.seek(0)
    assert_array_equal(load_model(buffer).predict(X), est.predict(X))


@pytest.mark.parametrize("second", ["HashingVectorizer", "FeatureHasher", "FeatureCrossHasher"])
def test_a_chain_of_transformers_that_cannot_run_is_refused(models, second):
    # FeatureCrossHasher -> HashingVectorizer loaded, and predict raised AttributeError
    arrays = arrays_of(models["crosses"])
    (first,) = json.loads(str(arrays["transformers"]))
    first["params"]["n_features"] = 64
    chain = [first, {"class": second, "params": {"n_features": 2**10}}]
    arrays["transformers"] = np.array(json.dumps(chain))
    refused(saved(arrays), "chains the transformers .*at most one")


def test_transformers_longer_than_the_json_limit_are_refused_before_they_are_read(models):
    # its length was checked once the member was read whole (up to max_bytes: 16 MiB here)
    arrays = arrays_of(models["crosses"])
    arrays["transformers"] = np.array(" " * (_transformer_specs.MAX_JSON_CHARS + 1))
    file = saved(arrays)
    peak = peak_bytes(lambda: refused(file, "transformers is declared 4,194,305 characters"))
    assert peak < 2**20


def test_a_newer_files_new_member_is_refused_as_the_newer_version(models):
    # the version is read before the members are: a file of a later format, holding a member
    # this sparsereg does not know, was refused as holding an "unknown member"
    arrays = arrays_of(models["binary"])
    arrays.update(format_version=np.array(99), holdout_rate=np.array(0.5))
    refused(saved(arrays), "format version 99 is newer than this sparsereg reads")
    # with every member this sparsereg knows (a q2.13 folded scaler's, fitted on a DataFrame)
    # and a new one: it was refused for its number of members
    known = (
        "feature_names_in",
        "weights_format",
        "weights_scale",
        "scaler_input",
        "hashed_columns",
        "hashed_column_kinds",
        "svmlight_zero_based",
    )
    full = dict(arrays, **{key: np.array(0) for key in known})
    refused(saved(full), "format version 99 is newer than this sparsereg reads")
    arrays.update(format_version=np.array(2))
    refused(saved(arrays), r"unknown member\(s\) \['holdout_rate.npy'\]")


def _folded_scaler_model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, signal, _ = make_data(n_rows=100)
    X = X.toarray() if hasattr(X, "toarray") else X
    return export_model(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=50)).fit(X, three(signal))
    ), X


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scaler_input_is_format_version_5s_only():
    model, X = _folded_scaler_model()
    arrays = arrays_of(model)
    assert int(arrays["format_version"]) == 5 and str(arrays["arithmetic"]) == "blas_fortran"
    assert_array_equal(load_model(saved(arrays)).predict_proba(X), model.predict_proba(X))
    for value in (None, False):
        edited = dict(arrays)
        if value is None:
            edited.pop("scaler_input")
        else:
            edited["scaler_input"] = np.array(value)
        refused(saved(edited), r"format version 5 \(a folded scaler\) needs scaler_input")
    # quantized weights are scored as 'blas' or 'ftrl' (as export_model writes them)
    edited = dict(
        arrays,
        coef_data=arrays["coef_data"].astype(np.float16),
        weights_format=np.array("float16"),
    )
    refused(saved(edited), "quantized weights are scored with the arithmetic")
    edited["arithmetic"] = np.array("blas")
    assert load_model(saved(edited)).weights_format == "float16"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_folded_scalers_file_of_version_2_to_4_still_loads():
    # sparsereg wrote folded scalers' files as versions 2-4 with scaler_input before version
    # 5: they were refused ("format version 4 has no scaler_input")
    model, X = _folded_scaler_model()
    arrays = arrays_of(model)
    long_rows = X.astype(np.longdouble)  # scored in float64, as the pipeline's scaler does
    quantized = dict(
        arrays,
        coef_data=arrays["coef_data"].astype(np.float16),
        weights_format=np.array("float16"),
        arithmetic=np.array("blas"),
    )
    for version, written in ((4, arrays), (3, quantized), (2, dict(arrays, arithmetic="blas"))):
        as_written = load_model(saved(dict(written, format_version=np.array(version))))
        assert_array_equal(as_written.predict_proba(long_rows), as_written.predict_proba(X))
        expected = load_model(saved(written)).predict_proba(X)  # as version 5
        assert_array_equal(as_written.predict_proba(X), expected)


def test_a_feature_cross_hashers_file_says_its_columns_are_read_as_pandas_reads_them(models):
    # format version 6: a reader that does not know hashed_columns refuses the file as newer;
    # the files of other models keep their versions, without it
    arrays = arrays_of(models["crosses"])
    assert int(arrays["format_version"]) == 6 and str(arrays["hashed_columns"]) == "inferred"
    loaded = load_model(saved(arrays))
    assert loaded._hashed_columns == "inferred"
    again = arrays_of(loaded)
    assert sorted(again) == sorted(arrays)
    for key in arrays:
        assert_array_equal(again[key], arrays[key], err_msg=key)
    for name in ("binary", "multiclass", "regressor", "text"):
        other = arrays_of(models[name])
        assert "hashed_columns" not in other and int(other["format_version"]) == 2
    quantized = arrays_of(export_model(_crosses_pipeline(), weights="q2.13", hashed_columns={}))
    assert int(quantized["format_version"]) == 6 and str(quantized["weights_format"]) == "q2.13"
    assert load_model(saved(quantized))._hashed_columns == "inferred"
    # with a scaler folded into the weights: both members, version 6
    from sklearn.preprocessing import MaxAbsScaler

    df, y = raw_rows(0, 200)
    hasher = FeatureCrossHasher(crosses=[("lat", "lon"), "kind"], buckets={"lat": 0.1, "lon": 0.1})
    scaled = make_pipeline(hasher, MaxAbsScaler(), SparseFTRLClassifier(random_state=0)).fit(df, y)
    folded = arrays_of(export_model(scaled, hashed_columns={}))
    assert int(folded["format_version"]) == 6 and bool(folded["scaler_input"])
    # by default, the kind of the column the hasher read as pandas reads it (version 8)
    assert dict(export_model(scaled).column_kinds_) == {"kind": "text"}
    assert_array_equal(load_model(saved(folded)).predict_proba(df), scaled.predict_proba(df))


def _crosses_pipeline():
    df, y = raw_rows(0, 200)
    hasher = FeatureCrossHasher(crosses=[("lat", "lon"), "kind"], buckets={"lat": 0.1, "lon": 0.1})
    return make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(df, y)


def test_a_file_before_version_6_reads_its_hashers_columns_as_text(models):
    arrays = arrays_of(models["crosses"])
    arrays.pop("hashed_columns")
    df, _ = raw_rows(1, 50)
    for version in (2, 3, 5):  # (4 is a scikit-learn model's layout)
        old = dict(arrays, format_version=np.array(version))
        if version == 3:
            old.update(coef_data=old["coef_data"].astype(np.float16), weights_format="float16")
        if version == 5:
            old.update(scaler_input=np.array(True))
        loaded = load_model(saved(old))
        assert loaded._hashed_columns is None
        if version == 2:
            assert_array_equal(loaded.predict_proba(df), models["crosses"].predict_proba(df))
        assert "hashed_columns" not in arrays_of(loaded)  # and written as it was read


HOSTILE_HASHED_COLUMNS = [
    (dict(hashed_columns=np.array(1)), "hashed_columns has dtype int64; it must be str"),
    (dict(hashed_columns=np.array(True)), "hashed_columns has dtype bool; it must be str"),
    (dict(hashed_columns=np.array(["inferred"])), r"hashed_columns has shape \(1,\)"),
    (dict(hashed_columns=np.array("i" * 65)), "hashed_columns is declared 65 characters"),
    (dict(hashed_columns=np.array("text")), "unknown hashed_columns 'text'"),
    (dict(hashed_columns=np.array("")), "unknown hashed_columns ''"),
    (dict(hashed_columns=np.array("Inferred")), "unknown hashed_columns 'Inferred'"),
    (dict(hashed_columns=None), r"format version 6 needs hashed_columns"),
    (dict(format_version=np.array(2)), "format version 2 has no hashed_columns"),
    (
        dict(format_version=np.array(5), scaler_input=np.array(True)),
        "format version 5 has no hashed_columns",
    ),
]


@pytest.mark.parametrize("edits, match", HOSTILE_HASHED_COLUMNS)
def test_hashed_columns_that_save_would_not_write_are_refused(models, edits, match):
    arrays = dict(arrays_of(models["crosses"]), **edits)
    arrays = {key: value for key, value in arrays.items() if value is not None}
    refused(saved(arrays), match)


@pytest.mark.parametrize("name", ["binary", "text"])
def test_hashed_columns_without_a_feature_cross_hasher_first_is_refused(models, name):
    arrays = arrays_of(models[name])
    arrays.update(format_version=np.array(6), hashed_columns=np.array("inferred"))
    refused(saved(arrays), "the model's first transformer is not one")


def _kinds_pipeline(eta0=0.1):
    df, y = raw_rows(0, 200)
    hasher = FeatureCrossHasher(
        crosses=[("lat", "lon"), "kind", "rooms"], buckets={"lat": 0.1, "lon": 0.1}
    )
    model = SparseFTRLClassifier(eta0=eta0, random_state=0)
    return make_pipeline(hasher, model).fit(df, y), df


KINDS = {"kind": "text", "rooms": "number"}


@pytest.mark.parametrize("weights", ["float64", "float16", "q2.13"])
def test_the_kinds_training_read_columns_as_are_format_version_8s(weights):
    # a reader of versions 6-7 refuses the file as newer: it would read a column of numbers
    # holding one stray text value as text, whose tokens the model never saw
    pipe, df = _kinds_pipeline(eta0=0.01)  # (weights below 2: q2.13 scales below 1)
    arrays = arrays_of(export_model(pipe, weights=weights, hashed_columns=KINDS))
    assert int(arrays["format_version"]) == 8 and str(arrays["hashed_columns"]) == "inferred"
    assert arrays["hashed_column_kinds"].tolist() == [["kind", "text"], ["rooms", "number"]]
    if weights == "q2.13":  # (scales below 1, version 7's alone before)
        assert np.any(arrays["weights_scale"] < 1)
    loaded = load_model(saved(arrays))
    assert_array_equal(
        loaded.predict_proba(df),
        export_model(pipe, weights=weights).predict_proba(df),  # (the kinds change no score)
    )
    again = arrays_of(loaded)  # written as it was read
    assert sorted(again) == sorted(arrays)
    for key in arrays:
        assert_array_equal(again[key], arrays[key], err_msg=key)
    # no kinds known (an empty dict, as a stream of batches records): version 6, as before
    assert int(arrays_of(export_model(pipe, hashed_columns={}))["format_version"]) == 6


def test_version_8_holds_q213_scales_of_1_or_more_too():
    # (version 7 holds a scale below 1 at least; 8 any, as 3, 5 and 6 with 7's)
    pipe, df = _kinds_pipeline(eta0=1.0)
    arrays = arrays_of(export_model(pipe, weights="q2.13", hashed_columns=KINDS))
    assert int(arrays["format_version"]) == 8 and np.all(arrays["weights_scale"] >= 1)
    loaded = load_model(saved(arrays))
    assert_array_equal(
        loaded.predict_proba(df), export_model(pipe, weights="q2.13").predict_proba(df)
    )


def test_a_two_dimensional_member_in_fortran_order_is_refused():
    # the reader reads C order: hashed_column_kinds [[zip, city], [number, text]] in Fortran
    # order was read as its transpose, the (zip, number), (city, text) np.load does not see
    table = np.asfortranarray(np.array([["kind", "rooms"], ["text", "number"]]).T)
    assert np.load(_kinds_file(hashed_column_kinds=table))["hashed_column_kinds"].tolist() == [
        ["kind", "text"],
        ["rooms", "number"],
    ]
    refused(_kinds_file(hashed_column_kinds=table), "is stored in Fortran order")


def test_many_column_kinds_are_refused_before_they_become_python_objects():
    # 5M one-letter names took ~1.2 GB as Python strings before the first was refused
    n = 500_000
    names = np.array([f"c{i}" for i in range(n)])  # (short: a Python str is ~50 bytes)
    table = np.stack([names, np.full(n, "text")], axis=1)
    file = _kinds_file(hashed_column_kinds=table)
    peak = peak_bytes(lambda: refused(file, "names 500,000 columns; the FeatureCrossHasher first"))
    assert peak < 3 * table.nbytes


def _kinds_file(**edits):
    arrays = dict(arrays_of(export_model(_kinds_pipeline()[0], hashed_columns=KINDS)), **edits)
    return saved({key: value for key, value in arrays.items() if value is not None})


HOSTILE_KINDS = [
    (
        dict(hashed_column_kinds=None),
        "format version 8 needs hashed_column_kinds or svmlight_zero_based",
    ),
    (dict(svmlight_zero_based=np.array(False)), "svmlight_zero_based is False"),
    (
        dict(svmlight_zero_based=np.array(True)),  # (a model of a hasher reads no SVMlight)
        "svmlight_zero_based says how the columns of SVMlight files are numbered",
    ),
    (dict(format_version=np.array(6)), "format version 6 has no hashed_column_kinds"),
    (dict(hashed_columns=None), r"hashed_column_kinds gives kinds .*which it does not hold"),
    (dict(hashed_column_kinds=np.array(["rooms", "number"])), r"shape \(2,\); it must have 2"),
    (dict(hashed_column_kinds=np.array([["rooms", "number", "x"]])), r"has shape \(1, 3\)"),
    (dict(hashed_column_kinds=np.empty((0, 2), dtype=str)), r"has shape \(0, 2\)"),
    (dict(hashed_column_kinds=np.array([[1, 2]])), "hashed_column_kinds has dtype int64"),
    (dict(hashed_column_kinds=np.array([["rooms", "Number"]])), "kind 'Number'; expected"),
    (  # ('' is a name: not one of this hasher's)
        dict(hashed_column_kinds=np.array([["", "text"]])),
        "column kinds names '', which the FeatureCrossHasher",
    ),
    (
        dict(hashed_column_kinds=np.array([["rooms", "number"], ["rooms", "text"]])),
        "names the column 'rooms' twice",
    ),
    (
        dict(hashed_column_kinds=np.array([["lat", "number"]])),  # (bucketed: read as numbers)
        "column kinds names 'lat', which the FeatureCrossHasher first does not hash without",
    ),
    (dict(hashed_column_kinds=np.array([["price", "number"]])), "column kinds names 'price'"),
]


@pytest.mark.parametrize("edits, match", HOSTILE_KINDS)
def test_column_kinds_that_save_would_not_write_are_refused(edits, match):
    refused(_kinds_file(**edits), match)


@pytest.mark.parametrize("version", [2, 3, 5, 7])
def test_svmlight_zero_based_is_format_version_8s_only(models, version):
    arrays = dict(arrays_of(models["binary"]), svmlight_zero_based=np.array(True))
    assert int(arrays["format_version"]) == 2
    load_model(saved(dict(arrays, format_version=np.array(8))))  # (a model of no transformer)
    edited = dict(arrays, format_version=np.array(version))
    if version == 3:
        edited.update(coef_data=arrays["coef_data"].astype(np.float16), weights_format="float16")
    if version == 5:
        edited.update(scaler_input=np.array(True))
    if version == 7:
        edited.update(
            coef_data=np.zeros(arrays["coef_data"].shape, np.int16),
            weights_format="q2.13",
            weights_scale=np.array([0.5]),
        )
    refused(saved(edited), f"format version {version} has no svmlight_zero_based")


def _dated_pipeline(eta0=0.1, aware=True):
    """A FeatureCrossHasher bucketing a datetime column without tz (fitted on aware values,
    or naive), crossed with a text column, before a classifier; its rows."""
    pd = pytest.importorskip("pandas")
    df, y = raw_rows(0, 200)
    ts = pd.Series(pd.date_range("2024-03-30", periods=200, freq="37min", tz="Europe/Paris"))
    df = df.assign(ts=ts if aware else ts.dt.tz_localize(None))
    hasher = FeatureCrossHasher(
        crosses=[("ts", "kind"), "kind", "rooms"], buckets={"ts": {"datetime": "1h"}}
    )
    model = SparseFTRLClassifier(eta0=eta0, random_state=0)
    return make_pipeline(hasher, model).fit(df, y), df


@pytest.mark.parametrize("weights", ["float64", "float16", "q2.13"])
@pytest.mark.parametrize("kinds", [None, KINDS])
def test_datetime_aware_is_format_version_9s_and_warns_once_loaded(weights, kinds):
    import warnings

    pipe, df = _dated_pipeline(eta0=0.01)  # (weights below 2: q2.13 scales below 1)
    columns = {"hashed_columns": kinds} if kinds else {}
    arrays = arrays_of(export_model(pipe, weights=weights, **columns))
    assert int(arrays["format_version"]) == 9
    (spec,) = json.loads(str(arrays["transformers"]))
    assert spec["datetime_aware_"] == {"ts": True}
    if kinds:
        assert arrays["hashed_column_kinds"].tolist() == [["kind", "text"], ["rooms", "number"]]
    loaded = load_model(saved(arrays))
    expected = export_model(pipe, weights=weights).predict_proba(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(loaded.predict_proba(df), expected)
    naive = df.assign(ts=df["ts"].dt.tz_localize(None))
    with pytest.warns(UserWarning, match="column 'ts' holds naive datetimes") as seen:
        loaded.predict_proba(naive)
    assert seen[0].filename == __file__
    again = arrays_of(loaded)  # written as it was read
    assert sorted(again) == sorted(arrays)
    for key in arrays:
        assert_array_equal(again[key], arrays[key], err_msg=key)
    # fitted on naive values: noted so
    naive_pipe, _ = _dated_pipeline(aware=False)
    (spec,) = json.loads(str(arrays_of(export_model(naive_pipe))["transformers"]))
    assert spec["datetime_aware_"] == {"ts": False}


def _with_spec(arrays, drop=(), **edits):
    (spec,) = json.loads(str(arrays["transformers"]))
    spec.update(edits)
    spec = {key: value for key, value in spec.items() if key not in drop}
    return dict(arrays, transformers=np.array(json.dumps([spec])))


@pytest.mark.parametrize(
    "aware, match",
    [
        (
            ["ts"],
            "datetime_aware_ must be a non-empty object of at most n_features_in_ column names",
        ),
        ({}, "datetime_aware_ must be a non-empty object"),
        ({"ts": 1}, "datetime_aware_ must be a non-empty object .* each true or false"),
        ({"ts": "true"}, "datetime_aware_ must be a non-empty object .* each true or false"),
        ({"ts": None}, "datetime_aware_ must be a non-empty object .* each true or false"),
        (None, "datetime_aware_ must be a non-empty object"),
        ({"nope": True}, "datetime_aware_ names 'nope', which is not one of its columns"),
        ({f"c{i}": True for i in range(1000)}, "at most n_features_in_ column names"),
    ],
)
def test_datetime_aware_that_save_would_not_write_is_refused(aware, match):
    pipe, _ = _dated_pipeline()
    arrays = arrays_of(export_model(pipe))
    refused(saved(_with_spec(arrays, datetime_aware_=aware)), match)


def test_datetime_aware_is_in_a_file_of_format_version_9_only(models):
    pipe, df = _dated_pipeline()
    arrays = arrays_of(export_model(pipe))
    for version in (6, 8):
        refused(
            saved(dict(arrays, format_version=np.array(version))),
            f"format version {version} has no datetime_aware_ .*format version 9's",
        )
    without = _with_spec(arrays, drop=["datetime_aware_"])
    refused(saved(without), "format version 9 needs a FeatureCrossHasher's datetime_aware_")
    # a file of another transformer: no such key
    text = arrays_of(models["text"])
    (spec,) = json.loads(str(text["transformers"]))
    assert spec["class"] != "FeatureCrossHasher"
    edited = _with_spec(text, datetime_aware_={"x0": True})
    refused(saved(dict(edited, format_version=np.array(9))), r"unknown keys \['datetime_aware_'\]")
    # a reader of version 8 refuses such a file as newer (as this one refuses a 10)
    refused(saved(dict(arrays, format_version=np.array(10))), "format version 10 is newer")


@pytest.mark.parametrize("name", ["binary", "text"])
def test_column_kinds_without_a_feature_cross_hasher_first_are_refused(models, name):
    arrays = dict(
        arrays_of(models[name]),
        format_version=np.array(8),
        hashed_columns=np.array("inferred"),
        hashed_column_kinds=np.array([["kind", "text"]]),
    )
    refused(saved(arrays), "the model's first transformer is not one")


@pytest.mark.parametrize(
    "kinds, error, match",
    [
        ({"lat": "number"}, ValueError, "column kinds names 'lat', which the FeatureCross"),
        (
            {"rooms": "int"},
            ValueError,
            r"kinds\['rooms'\] must be one of \('number', 'bool', 'text'\)",
        ),
        ({"rooms": None}, ValueError, "must be one of"),
        ({1: "number"}, TypeError, "column names must be str, got 1"),
    ],
)
def test_export_refuses_column_kinds_that_are_not_the_hashers_columns(kinds, error, match):
    with pytest.raises(error, match=match):
        export_model(_kinds_pipeline()[0], hashed_columns=kinds)


def test_export_refuses_column_kinds_for_a_model_without_a_feature_cross_hasher(models):
    X, signal, _ = make_data(n_rows=50)
    clf = SparseFTRLClassifier(random_state=0).fit(X, binary(signal))
    with pytest.raises(ValueError, match="the model's first transformer is not one"):
        export_model(clf, hashed_columns={"kind": "text"})
    assert int(arrays_of(export_model(clf, hashed_columns={}))["format_version"]) == 2


class _ReadsToTheEnd(io.FileIO):
    """/dev/zero, open, which fails the test where it is read "to the end" (which fills the
    memory)."""

    def read(self, size=-1):
        assert size is not None and size >= 0, "read /dev/zero to its end"
        return super().read(size)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="a device")
def test_an_open_file_that_is_no_regular_file_is_refused_without_reading_it():
    with _ReadsToTheEnd("/dev/zero", "r") as device:
        refused(device, "is open on something that is not a regular file")
    read_fd, write_fd = os.pipe()
    os.close(write_fd)
    with open(read_fd, "rb") as pipe:
        refused(pipe, "is open on something that is not a regular file")

    class ReadOnly:
        def read(self, size=-1):
            return b""

    with pytest.raises(TypeError, match="a ReadOnly has no seek and tell and seekable"):
        load_model(ReadOnly())

    class Seeks(ReadOnly):  # (as an mmap before Python 3.13: an AttributeError from zipfile)
        def seek(self, offset, whence=0):
            return 0

        def tell(self):
            return 0

    with pytest.raises(TypeError, match=r"a Seeks has no seekable \(give its path, or io"):
        load_model(Seeks())


def test_feature_names_that_repeat_are_refused():
    # scikit-learn fits no DataFrame whose names repeat: such a file was loaded, and its model
    # scored a DataFrame of those columns (an FTRL model) or raised narwhals' DuplicateError
    import pandas as pd

    X, signal, _ = make_data(n_rows=50)
    X = pd.DataFrame(X.toarray()[:, :3], columns=["a", "b", "c"])
    arrays = arrays_of(export_model(SparseFTRLClassifier(random_state=0).fit(X, binary(signal))))
    assert list(load_model(saved(arrays)).feature_names_in_) == ["a", "b", "c"]
    arrays["feature_names_in"] = np.array(["a", "b", "a"])
    refused(saved(arrays), "feature_names_in repeats the name 'a'")


def test_an_estimator_whose_feature_names_repeat_is_not_exported():
    # (names set by hand: the export was saved in a file that load_model refuses)
    import pandas as pd

    X, signal, _ = make_data(n_rows=50)
    X = pd.DataFrame(X.toarray()[:, :3], columns=["a", "b", "c"])
    estimator = SGDClassifier(random_state=0).fit(X, binary(signal))
    estimator.feature_names_in_ = np.array(["a", "b", "a"], dtype=object)
    with pytest.raises(ValueError, match="SGDClassifier.feature_names_in_ repeats the name 'a'"):
        export_model(estimator)
