"""What the arrays of a model file must say, checked as ``_model_file`` reads them.

Each check raises a ``ValueError`` that names the member and the problem; every
file written by ``ExportedLinearModel.save`` passes them all.
"""

import numpy as np

from . import _quantize
from ._ftrl_scores import csr_index_summary
from ._transformer_specs import MAX_JSON_CHARS

KINDS = ("regressor", "classifier")
PROBA = ("ovr_logistic", "ovr_modified_huber", "softmax")
# format version -> arithmetic names it may hold
# 3: quantized weights (weights_format, weights_scale); files of unquantized weights stay 2
# 4: scikit-learn models whose coef_ is Fortran-ordered or sparse, scored with their layout
# (float weights); the files of other models keep versions 2 and 3, byte for byte
# 5: a scaler folded into the weights (scaler_input), with any arithmetic of 2-4 and float or
# quantized weights; the files of other models keep versions 2-4
# 6: a FeatureCrossHasher first whose unbucketed columns are read as pandas reads them
# (hashed_columns 'inferred'), with the weights, arithmetic and scaler of 2-5; the files of
# other models keep versions 2-5, and a file of one before it read those columns as text
# 7: q2.13 weights with a weight vector's scale below 1 (weights_scale down to 2**-1009), with
# the arithmetic, scaler and hashed_columns of 2-6; q2.13 files of scales of 1 or more keep
# their versions (a reader of 2-6 refused smaller scales as a damaged file)
# 8: how the command line reads files for the model, with the weights, arithmetic and scaler
# of 2-7: the kinds those columns were read as in training (hashed_column_kinds, with
# hashed_columns 'inferred': a reader of 6-7 would read a column of numbers with a stray text
# value as text, which its tokens miss), or SVMlight files numbered from 0
# (svmlight_zero_based: a reader of 2-7 would read them from 1, each column the next one's)
# 9: a FeatureCrossHasher's datetime_aware_ in its spec (whether fit saw timezone-aware
# datetimes in each column bucketed without tz), with any member of 2-8 (8's need of
# hashed_column_kinds or svmlight_zero_based is 8's own): a reader of 2-8 refuses the file as
# newer, not as one whose spec holds an unknown key
ARITHMETIC = {
    1: ("blas", "ftrl_dense", "ftrl_sparse"),
    2: ("blas", "ftrl"),
    3: ("blas", "ftrl"),
    4: ("blas_fortran", "blas_sparse"),
    5: ("blas", "ftrl", "blas_fortran", "blas_sparse"),
    6: ("blas", "ftrl", "blas_fortran", "blas_sparse"),
    7: ("blas", "ftrl", "blas_fortran", "blas_sparse"),
    8: ("blas", "ftrl", "blas_fortran", "blas_sparse"),
    9: ("blas", "ftrl", "blas_fortran", "blas_sparse"),
}
QUANTIZED_VERSION = 3
SCALER_VERSION = 5
HASHED_COLUMNS_VERSION = 6
SMALL_SCALES_VERSION = 7
COLUMN_KINDS_VERSION = 8
DATETIME_AWARE_VERSION = 9
# the kinds of hashed_column_kinds (open_source's column_kinds)
COLUMN_KINDS = ("number", "bool", "text")
# how a file's FeatureCrossHasher columns without buckets are read (open_source's inferred=)
HASHED_COLUMNS = ("inferred",)
WEIGHTS_FORMATS = ("float16", "q2.13")
MAX_N_FEATURES = 2**62
# weights whose columns are checked for repeats at a time, in a file whose are not sorted
DUPLICATES_CHUNK = 2**18

# member -> (what its dtype must be, test of the dtype, number of dimensions)
_INT = ("an integer", lambda d: d.kind in "iu" and d.itemsize <= 8)
_INDEX = ("int32 or int64", lambda d: d.kind == "i" and d.itemsize in (4, 8))
_FLOAT = ("float32 or float64", lambda d: d.kind == "f" and d.itemsize in (4, 8))
_STR = ("str", lambda d: d.kind == "U")
# the weights: float32/float64, or float16 / int16 in a file of quantized weights (version 3)
_WEIGHT = (
    "float16, float32, float64 or int16",
    lambda d: d.kind == "f" and d.itemsize in (2, 4, 8) or d.kind == "i" and d.itemsize == 2,
)
_BOOL = ("bool", lambda d: d.kind == "b")
_LABEL = (
    "int, float, bool or str",
    lambda d: d.kind in "iubU" or d.kind == "f" and d.itemsize in (2, 4, 8),
)
MEMBERS = {
    "format": (_STR, 0),
    "format_version": (_INT, 0),
    "kind": (_STR, 0),
    "proba": (_STR, 0),
    "source": (_STR, 0),
    "n_features_in": (_INT, 0),
    "coef_ndim": (_INT, 0),
    "matvec": (_BOOL, 0),
    "arithmetic": (_STR, 0),
    "coef_data": (_WEIGHT, 1),
    "coef_indices": (_INDEX, 1),
    "coef_indptr": (_INDEX, 1),
    "intercept": (_FLOAT, 1),
    "transformers": (_STR, 0),
    "classes": (_LABEL, 1),
    "feature_names_in": (_STR, 1),
    "weights_format": (_STR, 0),
    "weights_scale": (_FLOAT, 1),
    # present (True) when a scaler was folded into the weights: X is first converted as it did
    "scaler_input": (_BOOL, 0),
    # 'inferred' when the first transformer is a FeatureCrossHasher whose columns without
    # buckets are read from files as pandas reads them; absent, they are read as text
    "hashed_columns": (_STR, 0),
    # (name, kind) of each of those columns whose kind training decided (version 8 or 9)
    "hashed_column_kinds": (_STR, 2),
    # present (True) when the model was trained on SVMlight files numbered from 0 (version 8 or 9)
    "svmlight_zero_based": (_BOOL, 0),
}
OPTIONAL = (
    "classes",
    "feature_names_in",
    "weights_format",
    "weights_scale",
    "scaler_input",
    "hashed_columns",
    "hashed_column_kinds",
    "svmlight_zero_based",
)
# longest text of the short string scalars, in characters
SHORT_STR_CHARS = {
    "format": 64,
    "kind": 64,
    "proba": 64,
    "arithmetic": 64,
    "source": 1024,
    "weights_format": 64,
    "hashed_columns": 64,
    # the transformers' JSON, bounded before it is read (it was read whole, up to max_bytes)
    "transformers": MAX_JSON_CHARS,
}


def header(key, dtype, shape):
    """Refuse a member whose declared dtype or number of dimensions is not its own."""
    (expected, test), ndim = MEMBERS[key]
    if dtype.kind == "c":
        raise ValueError(f"model file: {key} has the complex dtype {dtype}; it must be {expected}.")
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or not test(dtype):
        raise ValueError(
            f"model file: {key} has dtype {dtype}; it must be {expected} "
            "(and never an object array, which would need pickle)."
        )
    if len(shape) != ndim:
        raise ValueError(f"model file: {key} has shape {shape}; it must have {ndim} dimension(s).")
    if key in SHORT_STR_CHARS and dtype.itemsize // 4 > SHORT_STR_CHARS[key]:
        raise ValueError(
            f"model file: {key} is declared {dtype.itemsize // 4:,} characters long; "
            f"at most {SHORT_STR_CHARS[key]} are allowed."
        )


def format_version(value):
    """The file's format version, an int this sparsereg reads."""
    version = int(value)
    if version > max(ARITHMETIC):
        raise ValueError(
            f"file format version {version} is newer than this sparsereg reads "
            f"({max(ARITHMETIC)}); upgrade sparsereg."
        )
    if version not in ARITHMETIC:
        raise ValueError(f"model file: unknown format_version {version}.")
    return version


def scalars(s):
    """Check the scalar members (read first) and return them normalised."""
    version = format_version(s["format_version"])
    kind, proba, arithmetic = str(s["kind"]), str(s["proba"]), str(s["arithmetic"])
    if kind not in KINDS:
        raise ValueError(f"model file: unknown kind {kind!r}; expected one of {KINDS}.")
    if proba and proba not in PROBA:
        raise ValueError(
            f"model file: unknown proba kind {proba!r}; expected one of {PROBA} "
            "or '' (no predict_proba)."
        )
    if proba and kind != "classifier":
        raise ValueError(f"model file: a {kind} has no predict_proba, but proba is {proba!r}.")
    if arithmetic not in ARITHMETIC[version]:
        raise ValueError(
            f"model file: unknown arithmetic {arithmetic!r} for format version "
            f"{version}; expected one of {ARITHMETIC[version]}."
        )
    n_features = int(s["n_features_in"])
    if not 1 <= n_features <= MAX_N_FEATURES:
        raise ValueError(f"model file: n_features_in is {n_features}; it must be in [1, 2**62].")
    coef_ndim = int(s["coef_ndim"])
    if coef_ndim not in (1, 2):
        raise ValueError(f"model file: coef_ndim is {coef_ndim}; it must be 1 or 2.")
    return {
        "version": version,
        "kind": kind,
        "proba": proba or None,
        "source": str(s["source"]),
        "arithmetic": "ftrl" if arithmetic.startswith("ftrl") else arithmetic,
        "n_features": n_features,
        "coef_ndim": coef_ndim,
        "matvec": bool(s["matvec"]),
    }


def layout(s, shapes):
    """Check the declared shapes of the arrays against the scalars ``s``; return n_models."""
    n_models = shapes["intercept"][0]
    if n_models < 1:
        raise ValueError("model file: intercept is empty; a model has at least one weight vector.")
    if shapes["coef_indptr"] != (n_models + 1,):
        raise ValueError(
            f"model file: coef_indptr has shape {shapes['coef_indptr']}; "
            f"{n_models} weight vector(s) (intercept's length) need ({n_models + 1},)."
        )
    if shapes["coef_data"] != shapes["coef_indices"]:
        raise ValueError(
            f"model file: coef_data has shape {shapes['coef_data']} but coef_indices "
            f"{shapes['coef_indices']}; they must hold one entry per weight."
        )
    if s["coef_ndim"] == 1 and n_models > 1:
        raise ValueError(f"model file: coef_ndim is 1 but there are {n_models} weight vectors.")
    if s["matvec"] and n_models > 1:
        raise ValueError(f"model file: matvec is set but there are {n_models} weight vectors.")
    if s["proba"] == "softmax" and n_models < 2:
        raise ValueError("model file: proba 'softmax' needs a weight vector per class; there is 1.")
    names = shapes.get("feature_names_in")
    if names is not None and names[0] != s["n_features"]:
        raise ValueError(
            f"model file: feature_names_in holds {names[0]:,} names but "
            f"n_features_in is {s['n_features']:,}."
        )
    classes = shapes.get("classes")
    if s["kind"] == "regressor":
        if classes is not None:
            raise ValueError("model file: a regressor has no classes, but the file holds some.")
        return n_models
    if classes is None:
        raise ValueError("model file: a classifier needs classes; the file holds none.")
    expected = 2 if n_models == 1 else n_models
    if classes[0] != expected:
        raise ValueError(
            f"model file: {classes[0]} classes for {n_models} weight vector(s); a "
            "binary classifier has 1 weight vector and 2 classes, any other a weight "
            "vector per class."
        )
    return n_models


def finite(key, values):
    if not np.all(np.isfinite(values)):
        raise ValueError(f"model file: {key} holds NaN or infinite values.")


def indptr(indptr, n_models, n_features, nnz):
    """``coef_indptr`` must start at 0, never decrease and end at the number of weights."""
    if indptr[0] != 0:
        raise ValueError(f"model file: coef_indptr starts at {indptr[0]}; it must start at 0.")
    # compared, not differenced: np.diff wraps around in the array's type (int32 [0, R,
    # -2**31, -1, 0] has only positive differences), and scipy then read and wrote past
    # the arrays' ends
    if np.any(indptr[1:] < indptr[:-1]):
        raise ValueError("model file: coef_indptr decreases; it must be non-decreasing.")
    if indptr[-1] != nnz:
        raise ValueError(
            f"model file: coef_indptr ends at {indptr[-1]:,} but the file holds "
            f"{nnz:,} weights; each weight must belong to exactly one model."
        )
    if nnz > n_models * n_features:
        raise ValueError(
            f"model file: {nnz:,} weights for {n_models} model(s) of {n_features:,} features."
        )


def indices(indices, indptr, n_features):
    """Column indices in ``[0, n_features)``, none repeated within a model."""
    if indices.size == 0:
        return
    low, high = indices.min(), indices.max()
    if low < 0 or high >= n_features:
        raise ValueError(
            f"model file: coef_indices must lie in [0, {n_features:,}); found indices "
            f"in [{low:,}, {high:,}]."
        )
    if indptr.dtype != indices.dtype:  # (indptr, the smaller, as indices' dtype if it fits)
        if indices.size <= np.iinfo(indices.dtype).max:
            indptr = indptr.astype(indices.dtype)
        else:
            indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
    indptr_ok, strictly_sorted, _, _, _ = csr_index_summary(indptr, indices)
    if not indptr_ok:  # a backstop: indptr() refused such a file before
        raise ValueError("model file: coef_indptr does not delimit coef_indices.")
    if strictly_sorted:
        return
    # the models of at most DUPLICATES_CHUNK weights at a time (a larger one alone, sorted):
    # the positions of all the weights at once took 40 bytes a weight (400 MB for 10**7)
    indptr = indptr.astype(np.int64, copy=False)
    n_models, first = indptr.size - 1, 0
    while first < n_models:
        end_of = np.searchsorted(indptr, indptr[first] + DUPLICATES_CHUNK, side="right") - 1
        last = min(max(first + 1, int(end_of)), n_models)
        part = indices[indptr[first] : indptr[last]]
        if last == first + 1:
            part = np.sort(part)
            found = part[1:][part[1:] == part[:-1]]
        else:
            rows = np.repeat(np.arange(first, last), np.diff(indptr[first : last + 1]))
            order = np.lexsort((part, rows))
            rows, part = rows[order], part[order]
            found = part[1:][(rows[1:] == rows[:-1]) & (part[1:] == part[:-1])]
        if found.size:
            raise ValueError(
                f"model file: coef_indices repeat column {found[0]} within a model; each "
                "weight must have its own column."
            )
        first = last


def _first_repeat(values, block_bytes=2**20):
    """The position of a value the 1-D ``values`` holds twice, or None: sorted by an index per
    value, then neighbours compared a block of about ``block_bytes`` at a time, or a pair at
    a time in place for items wider than half of it (``np.unique`` held a sorted copy and its
    result beside the member, three times the bytes of a str member of wide items: past the
    memory ``load_model`` promises)."""
    if values.size < 2:
        return None
    order = np.argsort(values)
    if 2 * values.dtype.itemsize > block_bytes:
        for a, b in zip(order[:-1].tolist(), order[1:].tolist()):
            if values[a : a + 1] == values[b : b + 1]:  # (views: no item copied)
                return a
        return None
    step = block_bytes // values.dtype.itemsize
    for start in range(0, values.size - 1, step):
        at = order[start : start + step + 1]
        same = np.flatnonzero(values[at[1:]] == values[at[:-1]])
        if same.size:
            return int(at[same[0]])
    return None


def _shown(values, at, width=200):
    """``values[at]`` as text of at most ``width`` characters (a str item is cut before it
    is copied: one may be megabytes)."""
    if values.dtype.kind == "U":
        return values[at : at + 1].astype(f"U{width}")[0]
    return values[at]


def classes(labels):
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError("model file: classes hold NaN or infinite labels.")
    if _first_repeat(labels) is not None:
        raise ValueError("model file: classes repeat a label; each class needs its own.")


def scaler_input(version, value):
    """Whether a scaler was folded into the weights (``scaler_input``, True). A file of format
    version 5 needs it. One of versions 2-4 may hold it too: sparsereg wrote folded scalers'
    files so before version 5 (during this release's development), and they read as then."""
    if version == SCALER_VERSION and (value is None or not bool(value)):
        raise ValueError(
            f"model file: format version {SCALER_VERSION} (a folded scaler) needs "
            "scaler_input, True."
        )
    return value is not None and bool(value)


def hashed_columns(version, value):
    """How the columns of a FeatureCrossHasher first that it hashes without buckets are read
    from a file: 'inferred' (as pandas reads them), held by a file of format version 6 (which
    needs it) or 7 (which may hold it); None (as text) for a file of another version, which
    does not say. (That its first
    transformer is a FeatureCrossHasher is checked once the transformers are built.)"""
    later = (SMALL_SCALES_VERSION, COLUMN_KINDS_VERSION, DATETIME_AWARE_VERSION)
    if version in later and value is None:
        return None  # (7, 8 and 9 may hold it or not)
    holding = (HASHED_COLUMNS_VERSION, *later)
    if version not in holding:
        if value is not None:
            raise ValueError(
                f"model file: format version {version} has no hashed_columns; it is format "
                f"version {HASHED_COLUMNS_VERSION}'s (or {SMALL_SCALES_VERSION}'s, "
                f"{COLUMN_KINDS_VERSION}'s or {DATETIME_AWARE_VERSION}'s)."
            )
        return None
    if value is None:
        raise ValueError(
            f"model file: format version {version} needs hashed_columns, one of {HASHED_COLUMNS}."
        )
    value = str(value)
    if value not in HASHED_COLUMNS:
        raise ValueError(
            f"model file: unknown hashed_columns {value!r:.100}; expected one of {HASHED_COLUMNS}."
        )
    return value


def svmlight_zero_based(version, value, has_kinds):
    """Whether the model was trained on SVMlight files numbered from 0 (``svmlight_zero_based``,
    True, format version 8's or 9's: save writes it only when true). A file of version 8 holds
    it or ``hashed_column_kinds``. (That the model has no transformer is checked once it is built.)"""
    if value is None:
        if version == COLUMN_KINDS_VERSION and not has_kinds:
            raise ValueError(
                f"model file: format version {COLUMN_KINDS_VERSION} needs hashed_column_kinds "
                "or svmlight_zero_based."
            )
        return False
    if version not in (COLUMN_KINDS_VERSION, DATETIME_AWARE_VERSION):
        raise ValueError(
            f"model file: format version {version} has no svmlight_zero_based; it is format "
            f"version {COLUMN_KINDS_VERSION}'s (or {DATETIME_AWARE_VERSION}'s)."
        )
    if not bool(value):
        raise ValueError("model file: svmlight_zero_based is False; save writes it only as True.")
    return True


def hashed_column_kinds(version, value, hashed_columns=None):
    """The (name, kind) rows of ``hashed_column_kinds``, which a file of format version 8
    or 9 holds (and no other): names not repeated ('' is a column's name too), kinds of
    `COLUMN_KINDS`; checked as
    arrays (a Python str per cell would take ~15 times a short name's bytes). (That they are
    columns its FeatureCrossHasher reads as pandas reads them is checked, before they are
    made Python objects, once the transformers are built.)"""
    if version not in (COLUMN_KINDS_VERSION, DATETIME_AWARE_VERSION):
        if value is not None:
            raise ValueError(
                f"model file: format version {version} has no hashed_column_kinds; it is "
                f"format version {COLUMN_KINDS_VERSION}'s (or {DATETIME_AWARE_VERSION}'s)."
            )
        return None
    if value is None:
        return None  # (version 8 may hold svmlight_zero_based instead; 9 neither)
    if hashed_columns is None:
        raise ValueError(
            "model file: hashed_column_kinds gives kinds of the columns read as pandas reads "
            "them (hashed_columns 'inferred'), which it does not hold."
        )
    if value.ndim != 2 or value.shape[1] != 2 or value.shape[0] == 0:
        raise ValueError(
            f"model file: hashed_column_kinds has shape {value.shape}; it holds a (name, "
            "kind) row for each column, at least one: (n, 2)."
        )
    names, kinds = value[:, 0], value[:, 1]
    unknown = np.flatnonzero(~np.isin(kinds, np.array(COLUMN_KINDS)))
    if unknown.size:
        k = unknown[0]
        raise ValueError(
            f"model file: hashed_column_kinds gives the column {str(names[k])!r:.200} the kind "
            f"{str(kinds[k])!r:.100}; expected one of {COLUMN_KINDS}."
        )
    repeated = _first_repeat(names)
    if repeated is not None:
        raise ValueError(
            f"model file: hashed_column_kinds names the column "
            f"{str(_shown(names, repeated))!r:.200} twice."
        )
    return value


def datetime_aware(version, specs):
    """A transformer spec's ``datetime_aware_`` is format version 9's, which holds one."""
    holding = [spec for spec in specs if "datetime_aware_" in spec]
    if version == DATETIME_AWARE_VERSION and not holding:
        raise ValueError(
            f"model file: format version {DATETIME_AWARE_VERSION} needs a FeatureCrossHasher's "
            "datetime_aware_ in its transformers."
        )
    if version != DATETIME_AWARE_VERSION and holding:
        raise ValueError(
            f"model file: format version {version} has no datetime_aware_ (in its "
            f"transformers); it is format version {DATETIME_AWARE_VERSION}'s."
        )


def feature_names(names):
    """Column names, none repeated: scikit-learn fits no DataFrame whose names repeat (its
    check of X's names refuses one), so no estimator's export holds such names."""
    repeated = _first_repeat(names)
    if repeated is not None:
        raise ValueError(
            f"model file: feature_names_in repeats the name "
            f"{str(_shown(names, repeated))!r:.200}; each column has its own."
        )


def weights_layout(version, weights_format, dtypes, shapes, n_models, arithmetic):
    """How the file stores its weights: None (float32/float64), 'float16' or 'q2.13'.

    A file of format version 3 holds quantized weights and says how in ``weights_format``:
    float16 ``coef_data``; or int16 ``coef_data`` with a ``weights_scale`` per weight vector.
    One of version 5 (a folded scaler) or 6 (hashed_columns) may hold them so, scored with
    the arithmetic 'blas' or 'ftrl'. The other versions hold float32 or float64 weights and
    neither member.
    """
    data = dtypes["coef_data"]
    quantized = version in (QUANTIZED_VERSION, SMALL_SCALES_VERSION) or (
        version
        in (SCALER_VERSION, HASHED_COLUMNS_VERSION, COLUMN_KINDS_VERSION, DATETIME_AWARE_VERSION)
        and "weights_format" in dtypes
    )
    if not quantized:
        extra = [key for key in ("weights_format", "weights_scale") if key in dtypes]
        if extra:
            raise ValueError(
                f"model file: format version {version} has no {extra}; quantized "
                f"weights are format version {QUANTIZED_VERSION} or {SMALL_SCALES_VERSION} (or "
                f"{SCALER_VERSION}, {HASHED_COLUMNS_VERSION}, {COLUMN_KINDS_VERSION} or "
                f"{DATETIME_AWARE_VERSION}, with weights_format)."
            )
        if not (data.kind == "f" and data.itemsize in (4, 8)):
            raise ValueError(
                f"model file: coef_data has dtype {data}; format version {version} "
                "holds float32 or float64 weights."
            )
        return None
    if weights_format is None:
        raise ValueError(
            f"model file: format version {version} (quantized weights) needs weights_format."
        )
    if arithmetic not in ARITHMETIC[QUANTIZED_VERSION]:
        raise ValueError(
            f"model file: quantized weights are scored with the arithmetic "
            f"{ARITHMETIC[QUANTIZED_VERSION]}, not {arithmetic!r}."
        )
    fmt = str(weights_format)
    if fmt not in WEIGHTS_FORMATS:
        raise ValueError(
            f"model file: unknown weights_format {fmt!r}; expected one of {WEIGHTS_FORMATS}."
        )
    expected = np.dtype(np.float16 if fmt == "float16" else np.int16)
    if data.kind != expected.kind or data.itemsize != 2:
        raise ValueError(
            f"model file: coef_data has dtype {data}; weights_format {fmt!r} is "
            f"stored as {expected}."
        )
    if version == SMALL_SCALES_VERSION and fmt != "q2.13":
        raise ValueError(
            f"model file: format version {SMALL_SCALES_VERSION} holds q2.13 weights (scales "
            f"below 1), not weights_format {fmt!r}."
        )
    if fmt == "float16":
        if "weights_scale" in dtypes:
            raise ValueError("model file: weights_format 'float16' has no weights_scale.")
    else:
        if "weights_scale" not in dtypes:
            raise ValueError("model file: weights_format 'q2.13' needs weights_scale.")
        if shapes["weights_scale"] != (n_models,):
            raise ValueError(
                f"model file: weights_scale has shape {shapes['weights_scale']}; "
                f"{n_models} weight vector(s) need ({n_models},)."
            )
    return fmt


def weights_scale(scale, version):
    """Each q2.13 scale is a power of two in [1, 2**1023], or in [2**-1009, 2**1023] in a
    file of format version 7 (one at least below 1), 8 or 9, as ``save`` writes them
    (``_quantize.q_scales``)."""
    finite("weights_scale", scale)
    mantissa, exponent = np.frexp(scale)
    # (8 and 9 may hold them)
    small = version in (SMALL_SCALES_VERSION, COLUMN_KINDS_VERSION, DATETIME_AWARE_VERSION)
    least = _quantize.Q_MIN_SCALE_EXPONENT if small else 0
    if np.any(scale <= 0) or np.any(mantissa != 0.5) or np.any(exponent - 1 < least):
        at_least = (
            f"2**{least}."
            if small
            else f"1 (down to 2**{_quantize.Q_MIN_SCALE_EXPONENT} in format version "
            f"{SMALL_SCALES_VERSION}, {COLUMN_KINDS_VERSION} or {DATETIME_AWARE_VERSION})."
        )
        raise ValueError(
            f"model file: weights_scale holds {scale[:5].tolist()}...; each scale "
            f"must be a power of two, at least {at_least}"
        )
    if version == SMALL_SCALES_VERSION and not np.any(
        scale < 1
    ):  # (save writes a file of scales of 1 or more so)
        raise ValueError(
            f"model file: format version {SMALL_SCALES_VERSION} holds a weights_scale below 1; "
            "this one's are all 1 or more (format version 3, 5 or 6)."
        )
