"""The file format of an exported model: an ``.npz`` of plain arrays, read without pickle.

A file holds the model's arrays (non-zero weights as a CSR matrix, intercepts,
class labels...), a few scalars, and the parameters of the stateless hashing
transformers that come before the model, as JSON. :func:`model_arrays` writes
them, :func:`read_model_arrays` reads and checks them; ``sparsereg.export`` builds
the model from what they hold.

A file may come from anyone, so :func:`read_model_arrays` does not hand it to
``np.load``: it opens the zip itself, refuses members it does not expect, reads
each ``.npy`` header and checks the declared dtype and shape against the model's
own scalars and against the zip directory before it decompresses anything, reads
the arrays one by one (small ones first), and checks their contents
(``sparsereg._model_checks``).
"""

import json

import numpy as np
import scipy.sparse as sp

from . import _model_checks as checks
from . import _npz, _quantize
from ._state import sorted_distinct
from ._transformer_specs import MAX_JSON_CHARS, build_transformer, parse_specs, transformer_spec  # noqa: F401

FORMAT = "sparsereg.ExportedLinearModel"
# 2: one 'ftrl' arithmetic for the FTRL estimators (1 had 'ftrl_dense' and 'ftrl_sparse')
FORMAT_VERSION = 2
# 3: quantized weights, float16 or q2.13 (weights_format, weights_scale); a file of float
# weights is still written as version 2, byte for byte as before
QUANTIZED_FORMAT_VERSION = 3
# 4: a scikit-learn model whose coef_ is Fortran-ordered ('blas_fortran': multiclass
# LogisticRegression) or sparse ('blas_sparse': sparsify()), scored with that layout; a
# quantized model is scored as 'blas' (its weights are no longer the estimator's)
LAYOUT_FORMAT_VERSION = 4
# 5: a scaler folded into the weights (scaler_input), with any weights and arithmetic of 2-4:
# a reader that does not know scaler_input refuses the file as newer, not as one it misreads;
# the files of other models keep versions 2-4, byte for byte
SCALER_FORMAT_VERSION = checks.SCALER_VERSION
# 6: a FeatureCrossHasher first, whose columns without buckets a file is read with as pandas
# reads them (hashed_columns 'inferred'), with any weights, arithmetic and scaler of 2-5: a
# reader that does not know hashed_columns refuses the file as newer, not one it reads with
# those columns as text; a file of version 2-5 does not say, and is read with them as text
HASHED_COLUMNS_FORMAT_VERSION = checks.HASHED_COLUMNS_VERSION
# 7: q2.13 weights with a vector's scale below 1, with anything of 2-6: a reader that takes
# scales of 1 or more refuses the file as newer, not as damaged; other q2.13 files keep theirs
SMALL_SCALES_FORMAT_VERSION = checks.SMALL_SCALES_VERSION
# 8: the kinds those columns were read as in training (hashed_column_kinds), with anything of
# 2-7: a reader of 6-7 refuses the file as newer, not one it reads a column of numbers of as
# text where a value is text (every token of the column then missed by the model)
COLUMN_KINDS_FORMAT_VERSION = checks.COLUMN_KINDS_VERSION
# 9: a FeatureCrossHasher's datetime_aware_ in its spec, with anything of 2-8: a reader of 2-8
# refuses the file as newer, not as one whose transformer spec holds a key it does not know
DATETIME_AWARE_FORMAT_VERSION = checks.DATETIME_AWARE_VERSION
_INT32_MAX = np.iinfo(np.int32).max
ARITHMETIC = ("blas", "ftrl", "blas_fortran", "blas_sparse")


def model_arrays(fields):
    """The arrays :func:`numpy.savez` writes for a model described by ``fields``.

    ``fields``: ``kind``, ``proba`` (or None), ``source``, ``coef`` (CSR), ``intercept``,
    ``classes`` and ``feature_names_in`` (or None), ``coef_ndim``, ``matvec``,
    ``arithmetic`` and ``transformer_specs``; optionally ``weights_format`` ('float16' or
    'q2.13': ``coef`` holds the dequantized weights), ``weights_scale`` (q2.13) and
    ``scaler_input`` (a scaler was folded into the weights; written only when true, so that
    the files of other models are as before) and ``hashed_columns`` ('inferred': how a
    FeatureCrossHasher first reads its columns without buckets from a file; None for as text,
    not written) and ``column_kinds`` (with 'inferred', the kind training read each of those
    columns as, {name: 'number' | 'bool' | 'text'}; None or empty when not known, not
    written) and ``svmlight_zero_based`` (True: a model trained on SVMlight files whose
    indices start at 0; written only when true).
    """
    coef = fields["coef"]
    weights_format = fields.get("weights_format")
    n_features = coef.shape[1]
    index_dtype = np.int32 if max(coef.nnz, n_features) <= _INT32_MAX else np.int64
    arrays = {
        "format": np.array(FORMAT),
        "format_version": np.array(
            DATETIME_AWARE_FORMAT_VERSION
            if any("datetime_aware_" in spec for spec in fields["transformer_specs"])
            else COLUMN_KINDS_FORMAT_VERSION
            if fields.get("column_kinds") or fields.get("svmlight_zero_based")
            else SMALL_SCALES_FORMAT_VERSION
            if weights_format == "q2.13" and np.any(np.asarray(fields["weights_scale"]) < 1)
            else HASHED_COLUMNS_FORMAT_VERSION
            if fields.get("hashed_columns")
            else SCALER_FORMAT_VERSION
            if fields.get("scaler_input")
            else LAYOUT_FORMAT_VERSION
            if fields["arithmetic"] in checks.ARITHMETIC[LAYOUT_FORMAT_VERSION]
            else QUANTIZED_FORMAT_VERSION
            if weights_format
            else FORMAT_VERSION
        ),
        "kind": np.array(fields["kind"]),
        "proba": np.array(fields["proba"] or ""),
        "source": np.array(fields["source"]),
        "n_features_in": np.array(n_features, dtype=np.int64),
        "coef_ndim": np.array(fields["coef_ndim"]),
        "matvec": np.array(fields["matvec"]),
        "arithmetic": np.array(fields["arithmetic"]),
        "coef_data": coef.data,
        "coef_indices": coef.indices.astype(index_dtype),
        "coef_indptr": coef.indptr.astype(index_dtype),
        "intercept": fields["intercept"],
        "transformers": np.array(json.dumps(fields["transformer_specs"])),
    }
    for name in ("classes", "feature_names_in"):
        if fields[name] is not None:
            arrays[name] = fields[name]
    if fields.get("scaler_input"):
        arrays["scaler_input"] = np.array(True)
    if fields.get("hashed_columns"):
        arrays["hashed_columns"] = np.array(fields["hashed_columns"])
    if fields.get("svmlight_zero_based"):
        arrays["svmlight_zero_based"] = np.array(True)
    if fields.get("column_kinds"):
        arrays["hashed_column_kinds"] = np.array(
            [[name, kind] for name, kind in fields["column_kinds"].items()], dtype=str
        )
    if weights_format:
        scale = fields.get("weights_scale")
        arrays["coef_data"] = _quantize.encode(coef, weights_format, scale)
        arrays["weights_format"] = np.array(weights_format)
        if scale is not None:
            arrays["weights_scale"] = np.asarray(scale, dtype=np.float64)
    return arrays


# Reading a file that may come from anyone
DEFAULT_MAX_BYTES = 2**31
_WHAT = "model file"
# members a zip directory may list beyond this version's: a newer version's, refused as the
# newer version's once its format_version is read
_NEWER_MEMBERS = 16


def _members(archive):
    """Key -> zip entry of the ``.npy`` members; unknown, repeated or missing ones refused.

    The format and its version are read first: a newer file's members that this sparsereg
    does not know are refused as the newer version's, not as unknown ones."""
    by_key = _npz.members_by_key(archive, what=_WHAT, fmt=FORMAT, allowed=lambda key: True)
    fmt = _member(archive, "format", by_key["format"])
    found = str(fmt.read())
    if found != FORMAT:
        from .stream._checkpoint import FORMAT as CHECKPOINT

        if found == CHECKPOINT:
            raise ValueError(
                f"not a {FORMAT} file: a checkpoint of a training run ({CHECKPOINT}, written "
                "by fit_stream or `sparsereg train --checkpoint`), which `sparsereg train ... "
                "--checkpoint FILE --resume` continues; the model file is the one the run "
                "writes (train's --model, or export_model of the model fit_stream returns)."
            )
        from ._state_protocol import FORMAT as STATE

        if found == STATE:
            raise ValueError(
                f"not a {FORMAT} file: an estimator's training state ({STATE}, "
                "np.savez(path, **est.get_ftrl_state())), which est.set_ftrl_state(dict("
                "np.load(path))) takes back; export_model(est) then makes the model file."
            )
        raise ValueError(f"not a {FORMAT} file.")
    if "format_version" in by_key:
        checks.format_version(_member(archive, "format_version", by_key["format_version"]).read())
    unknown = sorted(f"{key}.npy" for key in by_key if key not in checks.MEMBERS)
    if unknown:
        raise ValueError(f"{_WHAT}: unknown member(s) {unknown[:5]}.")
    missing = [key for key in checks.MEMBERS if key not in by_key and key not in checks.OPTIONAL]
    if missing:
        raise ValueError(f"model file lacks the array(s) {missing}.")
    return by_key


def _member(archive, key, info):
    return _npz.Member(archive, key, info, what=_WHAT, check_header=checks.header)


def read_model_arrays(file, max_bytes=DEFAULT_MAX_BYTES):
    """The fields of the model in ``file`` (as :func:`model_arrays` takes them), without pickle.

    Nothing is decompressed before the zip directory and every member's header have
    been checked; the arrays are read smallest first, each checked against what was
    read before it. Everything a file may get wrong is a ``ValueError`` naming it.
    """
    if isinstance(max_bytes, (bool, np.bool_)) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(f"max_bytes must be an int, got {type(max_bytes).__name__}.")
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}.")
    fp, owned = _npz.open_file(file)
    try:
        with _npz.open_archive(
            fp, what=_WHAT, fmt=FORMAT, max_members=len(checks.MEMBERS) + _NEWER_MEMBERS
        ) as archive:
            return _read(archive, max_bytes)
    finally:
        if owned:
            fp.close()


def _read(archive, max_bytes):
    by_key = _members(archive)
    members = {key: _member(archive, key, info) for key, info in by_key.items()}
    declared = sum(m.nbytes for m in members.values())
    if declared > max_bytes:
        raise ValueError(
            f"model file: its arrays take {declared:,} bytes decompressed, more than "
            f"max_bytes={max_bytes:,}."
        )
    s = checks.scalars(
        {
            key: members[key].read()
            for key in (
                "format_version",
                "kind",
                "proba",
                "source",
                "n_features_in",
                "coef_ndim",
                "matvec",
                "arithmetic",
            )
        }
    )
    shapes = {key: m.shape for key, m in members.items()}
    weights_format = checks.weights_layout(
        s["version"],
        members["weights_format"].read() if "weights_format" in members else None,
        {key: m.dtype for key, m in members.items()},
        shapes,
        shapes["intercept"][0],
        s["arithmetic"],
    )
    scaler_input = checks.scaler_input(
        s["version"], members["scaler_input"].read() if "scaler_input" in members else None
    )
    n_models = checks.layout(s, shapes)
    n_features = s["n_features"]
    scale = None
    if weights_format == "q2.13":
        scale = members["weights_scale"].read().astype(np.float64)
        checks.weights_scale(scale, s["version"])

    intercept = members["intercept"].read()
    checks.finite("intercept", intercept)
    classes = members["classes"].read() if "classes" in members else None
    if classes is not None:
        checks.classes(classes)
    indptr = members["coef_indptr"].read()
    nnz = members["coef_data"].shape[0]
    checks.indptr(indptr, n_models, n_features, nnz)
    text = str(members["transformers"].read())
    if len(text) > MAX_JSON_CHARS:
        raise ValueError(
            f"model file: transformers holds {len(text):,} characters of JSON; at "
            f"most {MAX_JSON_CHARS:,} are allowed."
        )
    specs = parse_specs(text)
    checks.datetime_aware(s["version"], specs)
    hashed_columns = checks.hashed_columns(
        s["version"],
        members["hashed_columns"].read() if "hashed_columns" in members else None,
    )
    column_kinds = checks.hashed_column_kinds(
        s["version"],
        members["hashed_column_kinds"].read() if "hashed_column_kinds" in members else None,
        hashed_columns,
    )
    zero_based = checks.svmlight_zero_based(
        s["version"],
        members["svmlight_zero_based"].read() if "svmlight_zero_based" in members else None,
        column_kinds is not None,
    )

    indices = members["coef_indices"].read()
    checks.indices(indices, indptr, n_features)
    # the index dtype save writes (and scipy's CSR keeps): a file's other one is converted
    index_dtype = np.int32 if max(nnz, n_features) <= _INT32_MAX else np.int64
    converted = 0 if indices.dtype == index_dtype else nnz * np.dtype(index_dtype).itemsize
    # the model holds a dense (support + 1, n_models) table of weights and the support's
    # column indices (int64, and support_ as int32 beside them): bound them too. A model's
    # columns do not repeat: one model's support is its weights
    support = nnz if n_models == 1 else sorted_distinct(indices).size
    # quantized weights are held as float64 (the weights and the table)
    itemsize = 8 if weights_format else members["coef_data"].dtype.itemsize
    table = (support + 1) * n_models * itemsize
    held = table + 12 * support + (8 * nnz if weights_format else 0) + converted
    if declared + held > max_bytes:
        raise ValueError(
            f"model file: its {support:,} supported features x {n_models:,} models "
            f"need a {table:,}-byte weight table ({held:,} bytes with their column "
            f"indices and conversions); with the arrays, more than max_bytes={max_bytes:,}."
        )
    indices = indices.astype(index_dtype, copy=False)
    indptr = indptr.astype(index_dtype, copy=False)
    data = members["coef_data"].read()
    if weights_format:
        if weights_format == "float16":
            checks.finite("coef_data", data)
        data = _quantize.decode(data, indptr, weights_format, scale)
    checks.finite("coef_data", data)
    names = members["feature_names_in"].read() if "feature_names_in" in members else None
    if names is not None:
        checks.feature_names(names)
    coef = sp.csr_matrix((data, indices, indptr), shape=(n_models, n_features))
    return {
        "kind": s["kind"],
        "proba": s["proba"],
        "source": s["source"],
        "coef": coef,
        "intercept": intercept,
        "classes": classes,
        "coef_ndim": s["coef_ndim"],
        "matvec": s["matvec"],
        "arithmetic": s["arithmetic"],
        "feature_names_in": names,
        "transformer_specs": specs,
        "weights_format": weights_format,
        "weights_scale": scale,
        "scaler_input": scaler_input,
        "hashed_columns": hashed_columns,
        "column_kinds": column_kinds,
        "svmlight_zero_based": zero_based,
    }
