"""The file format of an exported model: an ``.npz`` of plain arrays, read without pickle.

A file holds the model's arrays (non-zero weights as a CSR matrix, intercepts,
class labels...), a few scalars, and the parameters of the stateless hashing
transformers that come before the model, as JSON. :func:`model_arrays` writes
them, :func:`read_model_arrays` reads and checks them; ``sparsereg.export`` builds
the model from what they hold.
"""

import json

import numpy as np
import scipy.sparse as sp

FORMAT = "sparsereg.ExportedLinearModel"
# 2: one 'ftrl' arithmetic for the FTRL estimators (1 had 'ftrl_dense' and 'ftrl_sparse')
FORMAT_VERSION = 2
_INT32_MAX = np.iinfo(np.int32).max
ARITHMETIC = ("blas", "ftrl")


def _stateless_transformers():
    """Transformers that are rebuilt from ``get_params()`` alone, by name."""
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.feature_extraction.text import HashingVectorizer

    from .crosses import FeatureCrossHasher

    return {cls.__name__: cls for cls in (FeatureCrossHasher, HashingVectorizer, FeatureHasher)}


def _to_json(value, name):
    """JSON-able form of a parameter value; tuples, dicts and dtypes are tagged so
    that they come back with their types (JSON has no tuple, and turns int keys into
    strings)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v, name) for v in value]}
    if isinstance(value, (list, np.ndarray)) and np.asarray(value, dtype=object).ndim <= 1:
        return [_to_json(v, name) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_to_json(k, name), _to_json(v, name)] for k, v in value.items()]}
    if isinstance(value, type) and issubclass(value, np.generic) or isinstance(value, np.dtype):
        return {"__dtype__": np.dtype(value).str}
    raise ValueError(f"parameter {name!r} holds {value!r} ({type(value).__name__}), which cannot be "
                     "saved without pickle; only numbers, strings, lists, tuples, dicts and "
                     "NumPy dtypes can (a callable, for one, cannot).")


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_from_json(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {_from_json(k): _from_json(v) for k, v in value["__dict__"]}
        if "__dtype__" in value:
            return np.dtype(value["__dtype__"]).type
        raise ValueError(f"unknown tagged value in transformer params: {sorted(value)}")
    return value


def transformer_spec(transformer):
    known = _stateless_transformers()
    name = type(transformer).__name__
    if known.get(name) is not type(transformer):
        raise ValueError(
            f"cannot export a Pipeline step {name}: only stateless hashing transformers "
            f"({', '.join(sorted(known))}) can be rebuilt from their parameters alone.")
    params = {k: _to_json(v, k) for k, v in transformer.get_params(deep=False).items()}
    spec = {"class": name, "params": params}
    if hasattr(transformer, "n_features_in_"):
        spec["n_features_in_"] = int(transformer.n_features_in_)
    names = getattr(transformer, "feature_names_in_", None)
    if names is not None:
        spec["feature_names_in_"] = [str(n) for n in names]
    return spec


def build_transformer(spec):
    known = _stateless_transformers()
    if spec.get("class") not in known:
        raise ValueError(f"unknown transformer {spec.get('class')!r} in the export; "
                         f"known: {sorted(known)}.")
    transformer = known[spec["class"]](**{k: _from_json(v) for k, v in spec["params"].items()})
    # what fit recorded about the columns, so that transform checks them as the pipeline did
    if "n_features_in_" in spec:
        transformer.n_features_in_ = spec["n_features_in_"]
    if "feature_names_in_" in spec:
        transformer.feature_names_in_ = np.asarray(spec["feature_names_in_"], dtype=object)
    return transformer


def model_arrays(fields):
    """The arrays :func:`numpy.savez` writes for a model described by ``fields``.

    ``fields``: ``kind``, ``proba`` (or None), ``source``, ``coef`` (CSR), ``intercept``,
    ``classes`` and ``feature_names_in`` (or None), ``coef_ndim``, ``matvec``,
    ``arithmetic`` and ``transformer_specs``.
    """
    coef = fields["coef"]
    n_features = coef.shape[1]
    index_dtype = np.int32 if max(coef.nnz, n_features) <= _INT32_MAX else np.int64
    arrays = {
        "format": np.array(FORMAT),
        "format_version": np.array(FORMAT_VERSION),
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
    return arrays


def read_model_arrays(file):
    """The fields of the model in ``file`` (as :func:`model_arrays` takes them), without pickle."""
    with np.load(file, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    if "format" not in arrays or str(arrays["format"]) != FORMAT:
        raise ValueError(f"not a {FORMAT} file.")
    if int(arrays["format_version"]) > FORMAT_VERSION:
        raise ValueError(f"file format version {int(arrays['format_version'])} is newer than "
                         f"this sparsereg reads ({FORMAT_VERSION}); upgrade sparsereg.")
    n_features = int(arrays["n_features_in"])
    n_models = arrays["intercept"].shape[0]
    coef = sp.csr_matrix((arrays["coef_data"], arrays["coef_indices"], arrays["coef_indptr"]),
                         shape=(n_models, n_features))
    coef.check_format(full_check=True)
    arithmetic = str(arrays["arithmetic"])
    if arithmetic in ("ftrl_dense", "ftrl_sparse"):  # version 1: both scored as 'ftrl' now
        arithmetic = "ftrl"
    return {"kind": str(arrays["kind"]), "proba": str(arrays["proba"]) or None,
            "source": str(arrays["source"]), "coef": coef, "intercept": arrays["intercept"],
            "classes": arrays.get("classes"), "coef_ndim": int(arrays["coef_ndim"]),
            "matvec": bool(arrays["matvec"]), "arithmetic": arithmetic,
            "feature_names_in": arrays.get("feature_names_in"),
            "transformer_specs": json.loads(str(arrays["transformers"]))}
