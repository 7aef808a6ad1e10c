"""Parameters spelt as JSON that another process spells the same: how a stream run is
described in its checkpoint, so that a resume with other parameters is refused."""

import functools
import hashlib
import json
import re
import sys
import types

import numpy as np

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_NAMELESS = re.compile(r"<lambda>|<locals>")  # in a function's qualified name
# values a digest takes apart nested deeper than this are spelt by their type: a fixed
# depth, not the recursion limit, so that every process spells them the same
_MAX_NESTING = 100


def plain(params, digests=True):
    """Parameters as JSON values (anything else by its stable repr), for comparing runs;
    ``digests=False``: as checkpoints before version 3 spelt them (`stable_repr`)."""
    spell = stable_repr if digests else functools.partial(stable_repr, digests=False)
    try:
        return _as_json(params, spell)
    except (ValueError, TypeError, RecursionError):
        # a value JSON cannot spell (a container that holds itself, keys that are not
        # strings or numbers, nesting past the recursion limit): that parameter by a digest
        return {key: _as_json_or_text(value, spell) for key, value in params.items()}


def _as_json(value, spell):
    return json.loads(json.dumps(value, default=spell, sort_keys=True))


def _as_json_or_text(value, spell):
    try:
        return _as_json(value, spell)
    except (ValueError, TypeError, RecursionError):
        pass
    # by a digest of its text as a closure's values are spelt (`_value_text`: any keys, a
    # container that holds itself, nesting cut at a fixed depth), not by its type alone: two
    # runs whose kw_args differ in a tuple key's value were described alike
    try:
        text = _value_text(value, set())
    except Exception:  # (RecursionError included)
        return undescribed(value, "not JSON")
    kind = type(value)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"<{kind.__module__}.{kind.__qualname__}#{digest}: not JSON>"


def undescribed(value, why):
    """How a value that cannot be described is spelt: its type's qualified name, marked."""
    kind = type(value)
    return f"<{kind.__module__}.{kind.__qualname__}: {why}>"


def stable_repr(value, digests=True):
    """``repr(value)`` as another process spells it too: a repr holding an address (which
    changes from run to run: a pipeline's ``FunctionTransformer(func)`` made every resume "a
    different run") without it, a function's as its module and name. A lambda or a local
    function, whose name other functions share, adds a digest of its code, defaults and
    closure (`function_digest`): two lambdas that compute differently are different runs.
    ``digests=False``: without the digests, as checkpoints before version 3 spelt them.
    A NumPy array, a sparse matrix or a pandas object, whose repr is cut short, is spelt by a
    digest of its values (`_data_text`), and so are the arguments of a partial. A value whose
    repr raises is spelt by its type (`undescribed`): describing a run never stops it."""
    try:
        return _stable_repr(value, digests)
    except RecursionError:
        return undescribed(value, "nested too deeply")
    except Exception:  # (a repr, or an attribute looked up, that raises)
        return undescribed(value, "no repr")


def _stable_repr(value, digests):
    data = _data_text_or_none(value, set()) if digests else None
    if data is not None:  # (an array's repr is cut short: the digest of what it holds)
        return data
    text = repr(value)
    if not _ADDRESS.search(text):
        return text  # (as checkpoints of earlier versions spell it)
    if digests and isinstance(value, functools.partial):  # (its arguments' reprs cut short)
        args = [stable_repr(a) for a in value.args]
        args += [f"{k}={stable_repr(v)}" for k, v in sorted(value.keywords.items())]
        return f"functools.partial({', '.join([stable_repr(value.func), *args])})"
    name = getattr(value, "__qualname__", None)
    if callable(value) and isinstance(name, str):
        described = f"{getattr(value, '__module__', None)}.{name}"
        if digests and isinstance(value, types.FunctionType) and _NAMELESS.search(name):
            described += f"#{function_digest(value)}"
        return described
    return _ADDRESS.sub("", text)


def function_digest(function):
    """16 hex digits of a SHA-256 of what a Python function computes: its code (the
    bytecode, constants and names, nested functions' code too; not its file or line), its
    defaults and the values its closure holds. The same source gives the same digest in
    every process of one Python version."""
    return hashlib.sha256(_function_text(function, set()).encode()).hexdigest()[:16]


def _function_text(function, within):
    if id(function) in within:  # (a local function that calls itself holds itself)
        return "<recursive>"
    within = within | {id(function)}
    cells = [_cell_text(c, within) for c in function.__closure__ or ()]
    defaults = _value_text(function.__defaults__, within)
    kwdefaults = _value_text(function.__kwdefaults__, within)
    return _joined([_code_text(function.__code__, within), defaults, kwdefaults, _joined(cells)])


def _cell_text(cell, within):
    try:
        return _value_text(cell.cell_contents, within)
    except ValueError:  # (a cell not yet filled)
        return "<empty>"


def _code_text(code, within):
    parts = (
        code.co_code.hex(),
        getattr(code, "co_exceptiontable", b"").hex(),
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
    )
    return _joined([repr(parts), *(_value_text(c, within) for c in code.co_consts)])


def _value_text(value, within):
    """A value as text that does not depend on the process: functions by their digest's
    text, sets sorted (their order follows the strings' hashes, random per process).
    ``within``: the functions, code and containers that hold the value."""
    if len(within) > _MAX_NESTING:
        return undescribed(value, "nested too deeply")
    if isinstance(value, types.CodeType):
        return _code_text(value, within | {id(value)})
    if isinstance(value, types.FunctionType):
        return f"{value.__module__}.{value.__qualname__}:{_function_text(value, within)}"
    if isinstance(value, (set, frozenset, tuple, list, dict)):
        if id(value) in within:  # (a cache that holds itself: repr's "{...}")
            return "<recursive>"
        within = within | {id(value)}
    if isinstance(value, (set, frozenset)):
        return type(value).__name__ + _joined(sorted(_value_text(v, within) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value).__name__ + _joined([_value_text(v, within) for v in value])
    if isinstance(value, dict):
        items = sorted((_value_text(k, within), _value_text(v, within)) for k, v in value.items())
        return "dict" + _joined([_joined(item) for item in items])
    data = _data_text_or_none(value, within)
    return data if data is not None else stable_repr(value)


def _data_text_or_none(value, within):
    try:
        return _data_text(value, within)
    except Exception:  # (what the data's own methods refuse: by its repr, as other values)
        return None


def _data_text(value, within):
    """A NumPy array, a scipy.sparse matrix or array, or a pandas Series, DataFrame or Index
    (whose reprs show their first and last values only) as its type, dtype and shape and a
    digest of its values (and index, labels and names); None for anything else."""
    kind = type(value)
    pd, sparse = sys.modules.get("pandas"), sys.modules.get("scipy.sparse")
    if isinstance(value, np.ndarray):  # (a dtype's repr holds its byte order and fields)
        described = (value.dtype, value.shape)
        arrays = [value]
        if isinstance(value, np.ma.MaskedArray):
            arrays.append(np.ma.getmaskarray(value))
    elif sparse is not None and sparse.issparse(value):
        described = (value.dtype, value.shape)
        csr = value.tocsr()  # (a copy unless it is one: as a sum or a product over it would)
        arrays = [csr.data, csr.indices, csr.indptr]
    elif pd is not None and isinstance(value, pd.Index):
        described, arrays = (value.dtype, list(value.names)), [value.to_numpy()]
    elif pd is not None and isinstance(value, pd.Series):
        described = (value.dtype, value.name, _data_text(value.index, within))
        arrays = [value.to_numpy()]
    elif pd is not None and isinstance(value, pd.DataFrame):
        columns = [value.iloc[:, i] for i in range(value.shape[1])]
        labels = [_data_text(labels, within) for labels in (value.columns, value.index)]
        described, arrays = (labels, [c.dtype for c in columns]), [c.to_numpy() for c in columns]
    else:
        return None
    if id(value) in within:  # (an array of objects, or a frame, that holds itself)
        return "<recursive>"
    digests = [_array_digest(a, within | {id(value)}) for a in arrays]
    text = _joined([_value_text(described, within), *digests])
    return f"{kind.__module__}.{kind.__qualname__}#{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _array_digest(array, within):
    """SHA-256 of an array's values: its bytes in C order (no copy when it is C-contiguous),
    or the text of each item of an array of objects (whose bytes are addresses)."""
    if array.dtype.hasobject:
        items = [_value_text(v, within) for v in array.ravel().tolist()]
        return hashlib.sha256(_joined(items).encode()).hexdigest()
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)  # (any dtype, any shape)
    return hashlib.sha256(flat).hexdigest()


def _joined(texts):
    """Texts in one, each after its length: no text can pass for two, and a text nested in
    others is not escaped again at each level (as a repr of a list of texts would: its
    length doubled with each level of nesting)."""
    return "(" + ",".join(f"{len(text)}:{text}" for text in texts) + ")"
