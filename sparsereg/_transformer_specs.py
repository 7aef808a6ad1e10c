"""The hashing transformers of an exported pipeline: their parameters as JSON, and
the allow-list a model file's parameters must pass before a transformer is rebuilt.

A model file may come from anyone, and a transformer's parameters decide what its
``transform`` does: a regular expression can take exponential time, ``input='filename'``
opens paths, a list of crosses sizes the output. So a file may carry only the
parameters listed in :data:`ALLOWED`, with the values checked there; everything
else is refused with a ``ValueError`` naming the transformer, the parameter and why.
``export_model`` applies the same check, so that ``save`` never writes a file that
``load_model`` refuses.
"""

import codecs
import json
import numbers
import re
from collections.abc import Iterable, Mapping

import numpy as np

from . import _hashing

# JSON text and structure: a spec nests about ten levels deep (buckets of a cross hasher)
MAX_JSON_CHARS = 2**22
MAX_JSON_DEPTH = 32
# sizes a file may ask a transformer to work with
MAX_NGRAM = 10
MAX_STOP_WORDS = 100_000
MAX_WORD_CHARS = 256
MAX_ENCODING_CHARS = 40
MAX_CROSSES = 10_000
MAX_CROSS_COLUMNS = 32
MAX_BUCKETED_COLUMNS = 10_000
MAX_EDGES = 100_000
MAX_KEY_CHARS = 1024
MAX_INPUT_COLUMNS = 2**24
INT32_MAX = np.iinfo(np.int32).max
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_FLOAT_DTYPES = (np.float32, np.float64)


def stateless_transformers():
    """Transformers that are rebuilt from ``get_params()`` alone, by name."""
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.feature_extraction.text import HashingVectorizer

    from .crosses import FeatureCrossHasher

    return {cls.__name__: cls for cls in (FeatureCrossHasher, HashingVectorizer, FeatureHasher)}


# ------------------------------------------------------------------ JSON codec
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
    # a list's items are encoded one by one (np.asarray would see [("a",), ("b",)] as 2-D)
    if isinstance(value, list) or isinstance(value, np.ndarray) and value.ndim <= 1:
        return [_to_json(v, name) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_to_json(k, name), _to_json(v, name)] for k, v in value.items()]}
    if isinstance(value, type) and issubclass(value, np.generic) or isinstance(value, np.dtype):
        return {"__dtype__": np.dtype(value).str}
    raise ValueError(
        f"parameter {name!r} holds {value!r} ({type(value).__name__}), which cannot be "
        "saved without pickle; only numbers, strings, lists, tuples, dicts and "
        "NumPy dtypes can (a callable, for one, cannot)."
    )


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in ("__tuple__", "__dict__", "__dtype__"):
            raise ValueError(f"unknown tagged value in transformer params: {sorted(value)[:5]}.")
        tag, inner = next(iter(value.items()))
        if tag == "__dtype__":
            # only the float dtypes a transformer may output; never np.dtype() of any text
            if not (isinstance(inner, str) and re.fullmatch(r"[<>=|]?f[48]", inner)):
                raise ValueError(f"transformer dtype must be float32 or float64, got {inner!r}.")
            return np.dtype(inner).type
        if not isinstance(inner, list):
            raise ValueError(f"tagged {tag} in transformer params must hold a list.")
        if tag == "__tuple__":
            return tuple(_from_json(v) for v in inner)
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in inner):
            raise ValueError("tagged __dict__ in transformer params must hold [key, value] pairs.")
        items = [(_from_json(k), _from_json(v)) for k, v in inner]
        if not all(isinstance(k, (str, int, float, bool)) or k is None for k, _ in items):
            raise ValueError("transformer params hold a dict key that is not a str or a number.")
        result = dict(items)
        if len(result) != len(items):
            raise ValueError("transformer params hold a dict with a repeated key.")
        return result
    return value


def _json_depth(text):
    """Deepest nesting of ``[``/``{`` in JSON ``text``, outside strings.

    Escaped backslashes, then escaped quotes, go first (left to right, as JSON reads
    them), so that the pattern repeats one character class: a pattern with
    alternatives would grow the regex engine's backtracking stack with the length of
    a string (~130 bytes per character).
    """
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    skeleton = re.sub(r'"[^"]*"', "", unescaped).encode("utf-8", "replace")
    codes = np.frombuffer(skeleton, dtype=np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int32) - np.isin(
        codes, (ord("]"), ord("}"))
    )
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0))


class _RefusedSpec(ValueError):
    """What the JSON decoder's hooks refuse, raised as it is."""


def _no_repeated_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _RefusedSpec(f"transformer specs repeat a key in a JSON object: {sorted(keys)[:10]}.")
    return dict(pairs)


def _no_constant(name):
    raise _RefusedSpec(f"transformer specs hold the non-standard JSON constant {name}.")


def parse_specs(text):
    """The list of transformer specs in the JSON ``text`` of a model file, bounded first."""
    if len(text) > MAX_JSON_CHARS:
        raise ValueError(
            f"the transformer specs are {len(text):,} characters of JSON; a model "
            f"file may hold at most {MAX_JSON_CHARS:,}."
        )
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(
            f"the transformer specs nest {depth} levels deep; a model file may "
            f"nest at most {MAX_JSON_DEPTH}."
        )
    try:
        specs = json.loads(text, object_pairs_hook=_no_repeated_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the transformer specs are not valid JSON: {exc}.") from None
    except _RefusedSpec:
        raise
    except ValueError as exc:  # an integer of more digits than int() converts
        raise ValueError(f"the transformer specs hold a number out of bounds: {exc}") from None
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise ValueError("the transformer specs must be a JSON list of objects.")
    return specs


# -------------------------------------------------------------- the allow-list
class _Refused(Exception):
    """A parameter value outside the allow-list; the message says why."""


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_real(v):
    """A real number (not a bool) that converts to a finite float64 (not 10**400, NaN, inf)."""
    return _hashing.finite_float(v) is not None


def _boolean(v):
    if not isinstance(v, (bool, np.bool_)):
        raise _Refused(f"must be True or False, got {v!r}")


def _options(*options):
    def check(v):
        if not (v is None or isinstance(v, str)) or v not in options:
            raise _Refused(f"must be one of {list(options)}, got {v!r}")

    return check


def _int_in(low, high):
    def check(v):
        if not _is_int(v) or not low <= v <= high:
            raise _Refused(f"must be an int in [{low}, {high}], got {v!r}")

    return check


def _float_dtype(v):
    if v not in _FLOAT_DTYPES:
        raise _Refused(f"must be float32 or float64, got {v!r}")


def _must_be_none(v):
    if v is not None:
        raise _Refused(f"must be None (a file cannot carry code), got {v!r}")


def _must_be(expected, why):
    def check(v):
        if not isinstance(v, str) or v != expected:
            raise _Refused(f"must be {expected!r} ({why}), got {v!r}")

    return check


def _sized_list(v, limit, what):
    if not isinstance(v, list):
        raise _Refused(f"must be a list, got {type(v).__name__}")
    if len(v) > limit:
        raise _Refused(f"holds {len(v):,} {what}; a model file may hold at most {limit:,}")


def _stop_words(v):
    if v is None or (isinstance(v, str) and v == "english"):
        return
    _sized_list(v, MAX_STOP_WORDS, "stop words")
    if not all(isinstance(w, str) and len(w) <= MAX_WORD_CHARS for w in v):
        raise _Refused(
            f"must be None, 'english' or a list of str of at most {MAX_WORD_CHARS} characters each"
        )


def _ngram_range(v):
    if not (
        isinstance(v, tuple)
        and len(v) == 2
        and all(_is_int(n) for n in v)
        and 1 <= v[0] <= v[1] <= MAX_NGRAM
    ):
        raise _Refused(
            f"must be a tuple (min_n, max_n) with 1 <= min_n <= max_n <= {MAX_NGRAM}, got {v!r}"
        )


def _encoding(v):
    # codecs.lookup imports encodings.<name>: only plain codec names are looked up
    if not (isinstance(v, str) and re.fullmatch(rf"[A-Za-z0-9_-]{{1,{MAX_ENCODING_CHARS}}}", v)):
        raise _Refused(
            f"must be the name of a text encoding (letters, digits, '-', '_'), got {v!r}"
        )
    try:
        text_encoding = codecs.lookup(v)._is_text_encoding
    except LookupError:
        raise _Refused(f"names no known encoding: {v!r}") from None
    if not text_encoding:
        raise _Refused(f"must name a text encoding, got {v!r}")


def _column_key(k):
    if isinstance(k, str):
        if len(k) > MAX_KEY_CHARS:
            raise _Refused(
                f"holds a column name of {len(k):,} characters (at most {MAX_KEY_CHARS})"
            )
    elif not _is_int(k) or abs(k) > INT32_MAX:
        raise _Refused(f"column keys must be str (names) or int (positions), got {k!r}")


def _crosses(v):
    if v is None:
        return
    _sized_list(v, MAX_CROSSES, "crosses")
    for cross in v:
        keys = cross if isinstance(cross, (tuple, list)) else (cross,)
        if len(keys) > MAX_CROSS_COLUMNS:
            raise _Refused(
                f"holds a cross of {len(keys)} columns; a model file may cross at most "
                f"{MAX_CROSS_COLUMNS}"
            )
        for key in keys:
            _column_key(key)


def _numbers(edges):
    _sized_list(edges, MAX_EDGES, "bucket edges")
    if not all(_is_real(e) for e in edges):
        raise _Refused("bucket edges must be finite numbers")


def _buckets(v):
    if v is None:
        return
    if not isinstance(v, dict):
        raise _Refused(f"must be None or a dict, got {type(v).__name__}")
    if len(v) > MAX_BUCKETED_COLUMNS:
        raise _Refused(
            f"buckets {len(v):,} columns; a model file may bucket at most {MAX_BUCKETED_COLUMNS:,}"
        )
    for key, spec in v.items():
        _column_key(key)
        if isinstance(spec, numbers.Real) and not isinstance(spec, (bool, np.bool_)):
            if not _is_real(spec):
                raise _Refused(
                    f"bucket width of {key!r} must be a finite number, got "
                    f"{_hashing.short_repr(spec)}"
                )
            continue
        if isinstance(spec, (list, tuple)):
            _numbers(list(spec))
            continue
        if not isinstance(spec, dict):
            raise _Refused(f"bucket spec of {key!r} must be a width, a list of edges or a dict")
        if "datetime" in spec:
            _datetime_bucket(key, spec)
            continue
        unknown = set(spec) - {"width", "origin", "edges", "format"}
        if unknown:
            raise _Refused(f"bucket spec of {key!r} has unknown keys {sorted(map(str, unknown))}")
        for name in ("width", "origin"):
            if name in spec and not _is_real(spec[name]):
                raise _Refused(
                    f"bucket {name} of {key!r} must be a finite number, got "
                    f"{_hashing.short_repr(spec[name])}"
                )
        if "edges" in spec:
            _numbers(list(spec["edges"]) if isinstance(spec["edges"], tuple) else spec["edges"])
        fmt = spec.get("format")
        if not (fmt is None or isinstance(fmt, str) and fmt in ("interval", "deg")):
            raise _Refused(
                f"bucket format of {key!r} must be 'interval' or 'deg' (a file cannot "
                f"carry a callable), got {fmt!r}"
            )


def _datetime_bucket(key, spec):
    """A datetime bucket spec: calendar parts or a width, an ISO origin, a time-zone name."""
    from ._datetimes import _WIDTH, CALENDAR_PARTS, PART_ALIASES, is_zone_name

    unknown = set(spec) - {"datetime", "origin", "tz"}
    if unknown:
        raise _Refused(
            f"datetime bucket spec of {key!r} has unknown keys {sorted(map(str, unknown))}"
        )
    what = spec["datetime"]
    if not (isinstance(what, str) and _WIDTH.fullmatch(what)):
        parts = [what] if isinstance(what, str) else what
        if not (
            isinstance(parts, (list, tuple))
            and 1 <= len(parts) <= len(CALENDAR_PARTS)
            and all(
                isinstance(p, str) and (p in CALENDAR_PARTS or p in PART_ALIASES) for p in parts
            )
        ):
            raise _Refused(
                f"datetime bucket of {key!r} must be a width such as '15min' or "
                f"calendar parts among {list(CALENDAR_PARTS)}, got {what!r:.200}"
            )
    origin = spec.get("origin")
    if origin is not None and not (isinstance(origin, str) and len(origin) <= 40):
        raise _Refused(
            f"datetime bucket origin of {key!r} must be an ISO 8601 str, got {origin!r:.200}"
        )
    tz = spec.get("tz")
    if tz is not None and not is_zone_name(tz):
        raise _Refused(
            f"datetime bucket tz of {key!r} must be None or a time-zone name such as "
            f"'Europe/Paris', got {tz!r:.200}"
        )


def _hashing_vectorizer_together(params):
    pattern = params.get("token_pattern", DEFAULT_TOKEN_PATTERN)
    analyzer = params.get("analyzer", "word")
    if pattern is None and analyzer != "word":
        return
    if pattern != DEFAULT_TOKEN_PATTERN:
        raise _Refused(
            (
                "token_pattern",
                f"must be scikit-learn's default {DEFAULT_TOKEN_PATTERN!r} "
                "(or None with a char analyzer): a file cannot be trusted with a regular "
                f"expression, which can take exponential time; got {pattern!r}",
            )
        )


#: Per transformer: parameter -> check of its value. A file's parameter not listed is refused.
ALLOWED = {
    "HashingVectorizer": {
        "input": _must_be("content", "'filename' and 'file' would make predict open paths"),
        "encoding": _encoding,
        "decode_error": _options("strict", "ignore", "replace"),
        "strip_accents": _options(None, "ascii", "unicode"),
        "lowercase": _boolean,
        "preprocessor": _must_be_none,
        "tokenizer": _must_be_none,
        "stop_words": _stop_words,
        "token_pattern": lambda v: None,  # checked with analyzer, below
        "ngram_range": _ngram_range,
        "analyzer": _options("word", "char", "char_wb"),
        "n_features": _int_in(1, INT32_MAX),
        "binary": _boolean,
        "norm": _options("l1", "l2", None),
        "alternate_sign": _boolean,
        "dtype": _float_dtype,
    },
    "FeatureHasher": {
        "n_features": _int_in(1, INT32_MAX),
        "input_type": _options("dict", "pair", "string"),
        "dtype": _float_dtype,
        "alternate_sign": _boolean,
    },
    "FeatureCrossHasher": {
        "crosses": _crosses,
        "buckets": _buckets,
        "n_features": _int_in(1, 2**60),
        "alternate_sign": _boolean,
        "missing": _options("bucket", "skip", "error"),
        "seed": _int_in(0, 2**64 - 1),
        "dtype": _float_dtype,
    },
}
_TOGETHER = {"HashingVectorizer": _hashing_vectorizer_together}
_SPEC_KEYS = {"class", "params", "n_features_in_", "feature_names_in_", "datetime_aware_"}


def check_params(name, params):
    """Refuse ``params`` (decoded) of transformer ``name`` outside :data:`ALLOWED`."""
    allowed = ALLOWED[name]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(
            f"{name} parameter {unknown[0]!r} is not one a model file may set; "
            f"allowed: {sorted(allowed)}."
        )
    for param, value in params.items():
        try:
            allowed[param](value)
        except _Refused as why:
            raise ValueError(f"{name} parameter {param!r} {why}.") from None
    try:
        _TOGETHER.get(name, lambda p: None)(params)
    except _Refused as refused:
        param, why = refused.args[0]
        raise ValueError(f"{name} parameter {param!r} {why}.") from None


def _decoded_params(spec):
    known = stateless_transformers()
    name = spec.get("class")
    if not isinstance(name, str) or name not in known:
        raise ValueError(f"unknown transformer {name!r} in the export; known: {sorted(known)}.")
    unknown = sorted(set(spec) - _SPEC_KEYS)
    if "datetime_aware_" in spec and name != "FeatureCrossHasher":
        unknown.append("datetime_aware_")  # (a FeatureCrossHasher's only)
    if unknown:
        raise ValueError(f"{name} spec has unknown keys {unknown}.")
    if not isinstance(spec.get("params"), dict):
        raise ValueError(f"{name} spec needs a 'params' object.")
    params = {k: _from_json(v) for k, v in spec["params"].items()}
    check_params(name, params)
    return known[name], params


def transformer_spec(transformer):
    """The JSON-able spec of a stateless hashing transformer, refused if a file could not
    carry it (see :data:`ALLOWED`)."""
    known = stateless_transformers()
    name = type(transformer).__name__
    if known.get(name) is not type(transformer):
        raise ValueError(
            f"cannot export a Pipeline step {name}: only stateless hashing transformers "
            f"({', '.join(sorted(known))}) can be rebuilt from their parameters alone."
        )
    params = transformer.get_params(deep=False)
    if isinstance(params.get("dtype"), str):  # dtype="float32", as the transformers take it
        try:
            params["dtype"] = np.dtype(params["dtype"])  # saved as NumPy's dtypes are
        except TypeError:
            pass  # not a dtype's name: refused below as load_model would refuse it
    params = {k: _to_json(v, k) for k, v in params.items()}
    spec = {"class": name, "params": params}
    if hasattr(transformer, "n_features_in_"):
        spec["n_features_in_"] = int(transformer.n_features_in_)
    names = getattr(transformer, "feature_names_in_", None)
    if names is not None:
        spec["feature_names_in_"] = [str(n) for n in names]
    aware = getattr(transformer, "datetime_aware_", None) if name == "FeatureCrossHasher" else None
    if aware:
        spec["datetime_aware_"] = {str(column): bool(v) for column, v in aware.items()}
    try:
        _decoded_params(json.loads(json.dumps(spec)))
    except ValueError as exc:
        raise ValueError(
            f"cannot export this {name}: load_model would refuse its file, because {exc}"
        ) from None
    return spec


def build_transformer(spec):
    """The transformer of a spec, after the allow-list and the transformer's own checks."""
    cls, params = _decoded_params(spec)
    name = cls.__name__
    transformer = cls(**params)
    try:
        transformer._validate_params()
        if hasattr(transformer, "_more_validate_params"):
            transformer._more_validate_params()
        if hasattr(transformer, "_validate_ngram_range"):
            transformer._validate_ngram_range()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} parameters refused: {exc}") from None
    # what fit recorded about the columns, so that transform checks them as the pipeline did
    n_in = spec.get("n_features_in_")
    names = spec.get("feature_names_in_")
    if n_in is not None:
        if not _is_int(n_in) or not 1 <= n_in <= MAX_INPUT_COLUMNS:
            raise ValueError(
                f"{name} n_features_in_ must be an int in [1, {MAX_INPUT_COLUMNS:,}], got {n_in!r}."
            )
        transformer.n_features_in_ = n_in
    if names is not None:
        if not (
            isinstance(names, list)
            and all(isinstance(n, str) for n in names)
            and len(names) == (n_in if n_in is not None else len(names))
        ):
            raise ValueError(f"{name} feature_names_in_ must be a list of {n_in} str.")
        seen = set()
        for column in names:  # (no fit gives a name twice: every prediction was refused)
            if column in seen:
                raise ValueError(
                    f"{name} feature_names_in_ repeats the name {column!r:.200}; each column "
                    "has its own."
                )
            seen.add(column)
        transformer.feature_names_in_ = np.asarray(names, dtype=object)
    if "datetime_aware_" in spec:
        # (whether fit saw timezone-aware datetimes in each column bucketed without tz: only
        # read by transform, to warn of a column of the other kind)
        aware = spec["datetime_aware_"]
        if not (
            isinstance(aware, dict)
            and 0 < len(aware) <= (n_in or MAX_INPUT_COLUMNS)
            and all(isinstance(v, bool) for v in aware.values())
        ):
            raise ValueError(
                f"{name} datetime_aware_ must be a non-empty object of at most n_features_in_ "
                "column names, each true or false."
            )
        unknown = sorted(set(aware) - set(transformer.feature_names_in_)) if names else []
        if unknown:
            raise ValueError(
                f"{name} datetime_aware_ names {unknown[0]!r:.200}, which is not one of its "
                "columns (feature_names_in_)."
            )
        transformer.datetime_aware_ = dict(aware)
    return transformer


# what a hashing transformer raises on rows it cannot read (an int document: AttributeError
# 'lower'; no documents: StopIteration; a dict value of 10**400: OverflowError): a ValueError
# what a hashing transformer raises on rows it cannot read, as a ValueError naming it (its own
# ValueError and TypeError too: "need more than 1 value to unpack" of a pair that is not one)
_UNREADABLE_ROWS = (
    AttributeError,
    StopIteration,
    OverflowError,
    IndexError,
    KeyError,
    ValueError,
    TypeError,
)


def transform_raw(transformer, X):
    """``transformer.transform`` of the raw rows ``X`` of an exported pipeline, checked first
    for a ``HashingVectorizer`` (an iterable of str or bytes documents) or a ``FeatureHasher``
    (an iterable of dicts, or of iterables of (str, value) pairs or of str, per its
    ``input_type``): a ``TypeError`` or ``ValueError`` naming the problem, never what the
    transformer raises on rows it cannot read (``predict([])`` raised StopIteration, which
    ended the loop that called it; a DataFrame of texts was scored as its column name)."""
    import scipy.sparse as sp

    name = type(transformer).__name__
    if name not in ("HashingVectorizer", "FeatureHasher"):
        return transformer.transform(X)
    text = name == "HashingVectorizer"
    what = (
        "documents (str or bytes)" if text else f"samples (input_type={transformer.input_type!r})"
    )
    if isinstance(X, (str, bytes)):  # (scikit-learn's ValueError: "Iterable over raw text")
        raise ValueError(
            f"the exported {name} takes an iterable of {what}, one per row; got a "
            f"{type(X).__name__} (wrap one document in a list)."
        )
    if hasattr(X, "columns") or sp.issparse(X) or isinstance(X, Mapping):
        raise TypeError(
            f"the exported {name} takes an iterable of {what}, one per row; got a "
            f"{type(X).__name__}"
            + (" (pass its column, a Series)." if hasattr(X, "columns") else ".")
        )
    if isinstance(X, np.ndarray) and X.ndim != 1 and (text or transformer.input_type == "dict"):
        raise ValueError(f"the exported {name} takes a 1-D array of {what}; got shape {X.shape}.")
    try:
        rows = list(X)
    except TypeError:
        raise TypeError(
            f"the exported {name} takes an iterable of {what}; got a {type(X).__name__}."
        ) from None
    if not rows:
        raise ValueError(f"the exported {name} was given 0 {what}; at least 1 is required.")
    if text:
        expected, kind = (str, bytes), "a str or bytes"
    elif transformer.input_type == "dict":  # (scikit-learn reads any mapping's items())
        expected, kind = Mapping, "a dict"
    else:
        expected, kind = None, None
    for i, row in enumerate(rows):
        if (
            isinstance(row, (str, bytes, Mapping)) or not isinstance(row, Iterable)
            if expected is None
            else not isinstance(row, expected)
        ) or row is None:
            # (a ValueError, as scikit-learn's for a document that is not text: "np.nan is
            # an invalid document")
            raise ValueError(
                f"the exported {name} takes {what}: row {i} is a {type(row).__name__}, not "
                + (kind or "an iterable of features")
                + "."
            )
    try:
        return transformer.transform(rows)
    except _UNREADABLE_ROWS as exc:
        raise ValueError(
            f"the exported {name} cannot read its input ({type(exc).__name__}: {exc})."
        ) from None


def output_width(transformer):
    """Number of columns ``transformer.transform`` produces."""
    return int(transformer.n_features)
