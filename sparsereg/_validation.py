"""CSR validation shared by the estimators and the exported model.

Everything the compiled code will index is checked here first: a hand-built CSR
whose ``indptr`` or ``indices`` disagree with its shape must raise a ``ValueError``,
never make the kernel read or write out of bounds.
"""

import numbers
import sys
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn import get_config

from ._ftrl_scores import (
    INDICES_INT32_WHERE_THEY_FIT,
    csr_index_summary,
    csr_summary,
    dense_nonzeros,
    dense_summary,
    largest_magnitude,
    value_summary,
)
from ._interrupts import Latch, call_until_done

# Largest |x|, |y|, sample weight (and their product) accepted: squared gradients of this
# size, summed over billions of samples, stay far from float64's 1.8e308.
MAX_MAGNITUDE = 1e100

_CSR_TYPES = (sp.csr_matrix, sp.csr_array)
_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
_INDEX_TYPES = (np.dtype(np.int32), np.dtype(np.int64))
_FLOAT_SET = frozenset(_FLOATS)
_STR_ONLY = {str}
_NO_VALUES = np.empty(0)
# with threads to spare, check_csr reads part of the values in a second thread from this many
# on (both passes are bound by memory bandwidth: on 36M non-zeros 27 ms one after the other,
# 19-21 ms side by side, 17-18 ms when each thread reads half of the bytes; benchmarks/RESULTS.md,
# "#16 fifth session" and "#16 seventh session")
THREADED_CHECK_NNZ = 2**20


def refuse_unsaveable_names(names):
    """Raise a ``ValueError`` for a feature name that NumPy's str arrays, in which the
    state protocol and the model files hold the names, cannot hold: one ending in NUL
    characters (``np.asarray(["a\\0"], dtype=str)`` holds ``"a"``). Such a name would come
    back from ``get_ftrl_state`` or ``load_model`` as another name."""
    if names is None:
        return
    for i, name in enumerate(names):
        if isinstance(name, str) and name.endswith("\0"):
            raise ValueError(
                f"feature name {name!r} (column {i}) ends with a NUL character, which the "
                "model's state and files (NumPy str arrays) cannot hold: rename the column."
            )


def csr_arrays(X, n_features):
    """``(data, indices, indptr)`` of a CSR matrix whose type, shape and dtypes are those a
    fast path takes (see :func:`plain_csr`), before their content is walked; else None."""
    if type(X) not in _CSR_TYPES and type(X) is not CsrRows:
        return None
    shape = X.shape
    if len(shape) != 2 or shape[1] != n_features or shape[0] < 1:
        return None
    data, indices, indptr = X.data, X.indices, X.indptr
    if (
        type(data) is not np.ndarray
        or type(indices) is not np.ndarray
        or type(indptr) is not np.ndarray
        or data.dtype not in _FLOATS
        or indices.dtype not in _INDEX_TYPES
        or indptr.dtype != indices.dtype
        or data.ndim != 1
        or indices.ndim != 1
        or indptr.ndim != 1
        or indptr.shape[0] != shape[0] + 1
    ):
        return None
    return data, indices, indptr


# a NumPy array of at most this many values is scored as the CSR arrays of its non-zeros by the
# per-call path (LinearWeights.plain_scores): 1-row calls of an 8-column model took 241 us
# through validate_data and the conversion to a scipy matrix (74 us of it), 7 us as CSR
SMALL_DENSE_VALUES = 1 << 16


def small_dense_arrays(X, n_features):
    """``(data, indices, indptr)`` of the entries that are not 0 of a C-contiguous float32 or
    float64 2-D NumPy array (not a subclass) of ``n_features`` columns, at least one row and
    at most ``SMALL_DENSE_VALUES`` values: the arrays of the CSR matrix ``validate_data`` and
    :func:`dense_csr` would make of it (NaN and infinite values kept, for the caller's
    checks to refuse). None for any other ``X``."""
    if (
        type(X) is not np.ndarray
        or X.ndim != 2
        or X.dtype not in _FLOATS
        or X.shape[1] != n_features
        or X.shape[0] < 1
        or X.size > SMALL_DENSE_VALUES
        or not X.flags.c_contiguous
    ):
        return None
    return _nonzeros(X, np.int64)  # (int64 like indptr: no conversion of it per call)


# where pandas' DataFrame and Series say they come from (pandas 3: "pandas"; before, their module)
_FRAME_MODULES = ("pandas", "pandas.core.frame")
_SERIES_MODULES = ("pandas", "pandas.core.series")


def frame_values(X, feature_names):
    """The values of a pandas ``DataFrame`` (not a subclass) of at most
    ``SMALL_DENSE_VALUES`` values whose columns are the str ``feature_names`` in their order
    and each of a NumPy float32 or float64 type, as a C-ordered array: what
    ``validate_data`` would return for it, without a warning (it checks the names as this
    does, and converts such columns as ``to_numpy`` does). None for anything else, left to
    the full checks. pandas is not imported: a frame is known by its type's name and module.

    The per-call paths take frames this way: ``validate_data`` took ~1.7 ms of a 1-row
    ``partial_fit`` of 8 columns (scikit-learn's per-column checks of a frame).
    """
    kind = type(X)
    if kind.__name__ != "DataFrame" or kind.__module__ not in _FRAME_MODULES:
        return None
    n_rows, n_columns = X.shape
    columns = X.columns
    if (
        n_columns != len(feature_names)
        or n_rows * n_columns > SMALL_DENSE_VALUES
        or type(columns).__name__ != "Index"
    ):
        return None
    names = columns.to_numpy()
    # every name of type str exactly, as scikit-learn requires (a subclass of str, np.str_ or
    # an enum's, makes it warn that there are no valid names, or refuse a mix), then equal
    if (
        set(map(type, names)) != _STR_ONLY
        or not (names == feature_names).all()
        or not set(X.dtypes.tolist()) <= _FLOAT_SET
    ):
        return None
    return np.ascontiguousarray(X.to_numpy())  # (a frame's values are its columns' blocks)


def series_values(values):
    """The NumPy array of a pandas ``Series`` (not a subclass) of a NumPy dtype, which is what
    scikit-learn's checks take of it; ``values`` itself for anything else."""
    kind = type(values)
    if (
        kind.__name__ == "Series"
        and kind.__module__ in _SERIES_MODULES
        and isinstance(values.dtype, np.dtype)  # (not one of pandas' own)
    ):
        return values.to_numpy()
    return values


def refuse_non_numbers(X, who, peer):
    """Raise a ``TypeError`` when a dense ``X`` from scikit-learn's
    ``check_array(dtype='numeric')`` (which refuses arrays of str and bytes itself, and parses
    numeric text held in an object array, as scikit-learn's estimators do) holds anything but
    real numbers: dates and durations (datetime64, timedelta64), which a conversion to
    float64 took for counts of their unit, or, in an object array the check left (a pandas
    column of categories, timestamps with a time zone, periods), anything else. ``who``
    multiplies ``X``; ``peer`` refuses it as well (for the message)."""
    if sp.issparse(X):
        return  # (scipy holds numbers only)
    if X.dtype.kind in "Mm":
        raise TypeError(
            f"X has dtype {X.dtype}: {who} multiplies numbers, and {peer} refuses dates and "
            "durations as well; convert them to numbers first."
        )
    if X.dtype == object:
        values = X.ravel()
        # each type once (a frame of categories of numbers: millions of values, a few types)
        for kind in set(map(type, values)):
            if not issubclass(kind, (numbers.Real, np.bool_)):
                value = next(v for v in values if type(v) is kind)
                raise TypeError(
                    f"X holds a value of type {kind.__name__} ({value!r:.60}): {who} "
                    f"multiplies real numbers only, and {peer} refuses this one as well; "
                    "convert it first."
                )


def _is_number_type(kind):
    """Whether values of type ``kind`` are numbers (NumPy's timedelta64 is an integer type)."""
    return issubclass(kind, (numbers.Number, np.bool_)) and not issubclass(kind, np.timedelta64)


def refuse_non_number_values(values, name, who):
    """Raise a ``ValueError`` when the 1-D ``values`` (``sample_weight``, a regressor's ``y``)
    are str, bytes, dates or durations, as an array of those or as objects: scikit-learn's
    conversion to float64 parsed the text ("2" a weight of 2) and took dates and durations
    for counts of their unit (2020-01-01 a weight of 18,262), where an ``X`` array of str,
    bytes, dates or durations is refused (:func:`refuse_non_numbers`; numeric text held in an
    object ``X`` is parsed, as scikit-learn parses it) and so are the weights of a stream's
    batches. Scalars, None (left to the NaN checks) and numbers of any type pass."""
    if values is None or sp.issparse(values) or _is_number_type(type(values)):
        return
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):  # (a ragged list: scikit-learn's checks name it)
        return
    if array.dtype.kind in "SUMm":
        # (astype(float) of dates or durations is the count of their unit this refuses)
        fix = "e.g. astype(float)" if array.dtype.kind in "SU" else "to a number of a chosen unit"
        raise ValueError(
            f"{name} of dtype {array.dtype} is not numeric: {who} would read text as the "
            f"numbers it spells and dates or durations as counts of their unit; convert "
            f"{name} first ({fix})."
        )
    if array.dtype.kind != "O":
        return
    flat = array.ravel()
    for kind in set(map(type, flat.tolist())):  # each type once
        # (None is a NaN once converted, which the NaN checks name; NaT was read as -2**63)
        if issubclass(kind, (complex, np.complexfloating)):  # (NumPy's float() TypeError)
            value = next(v for v in flat if type(v) is kind)
            raise ValueError(
                f"{name} holds a complex number ({value!r:.60}); {who} takes real ones."
            )
        if _is_number_type(kind) or kind is type(None):
            continue
        pandas = sys.modules.get("pandas")  # (no pandas.NA before pandas is imported)
        if pandas is not None and kind is type(pandas.NA):  # (missing, not read as a number)
            raise ValueError(
                f"{name} holds pandas.NA (a missing value): drop or fill the rows where it is "
                "missing."
            )
        value = next(v for v in flat if type(v) is kind)
        raise ValueError(
            f"{name} holds a value of type {kind.__name__} ({value!r:.60}), which is not "
            f"numeric: {who} would read it as a number; convert {name} first."
        )


def beyond_float64(names):
    """The ``ValueError`` for ``names`` (the arguments converted) whose conversion to float64
    overflowed: NumPy's ``OverflowError`` ("int too large to convert to float", for an int
    such as 10**400 in a list or an object array) named no argument."""
    return ValueError(
        f"{names} holds an integer beyond float64's range (such as 10**400), which cannot be "
        "read as a number: rescale or drop it."
    )


def refuse_beyond_float64(values, name):
    """Raise :func:`beyond_float64` for an int beyond float64 (10**400) among ``values``: NumPy's
    OverflowError, from scikit-learn's checks and metrics, named no argument."""
    if values is None or sp.issparse(values):
        return
    try:
        array = np.asarray(values)
        if array.dtype.kind == "O":
            array.astype(np.float64)
    except OverflowError:
        raise beyond_float64(name) from None
    except (TypeError, ValueError):  # (a ragged list, text: scikit-learn's checks name them)
        pass


def float_values(X, who, order=None):
    """The ``X`` of scikit-learn's ``check_array(dtype='numeric')`` as the estimators train
    on and score it: float32 and float64 kept, any other numbers as float64 (the values
    ``check_array(dtype=[np.float64, np.float32])`` gives), a dense one in ``order``.

    Not that conversion itself: it parsed str and bytes (numeric text in an object array is
    parsed by ``check_array`` before, as scikit-learn's estimators take it) and took dates and
    durations for counts of their unit, which scikit-learn's linear models refuse to predict
    on (the check, or their product: :func:`refuse_non_numbers`): a dtype test for an array
    of numbers."""
    if sp.issparse(X):
        return X if X.dtype in _FLOAT_SET else X.astype(np.float64)
    kind = X.dtype.kind
    if kind not in "biuf":
        refuse_non_numbers(X, who, "scikit-learn's SGD models' prediction")
    if X.dtype in _FLOAT_SET:
        return np.asarray(X, order=order)
    try:
        X = np.asarray(X, dtype=np.float64, order=order)
    except OverflowError:
        raise beyond_float64("X") from None
    # an object array the check left was checked for NaN only (its values, once floats, not)
    if kind == "O" and X.size and not np.isfinite(X).all():
        raise ValueError("Input X contains NaN or infinity.")
    return X


class CsrRows(NamedTuple):
    """The arrays of a CSR matrix (``data``, ``indices``, ``indptr``, ``shape``) with the
    attributes the training path reads of one (``nnz``, ``dtype``), without a scipy matrix:
    making one took ~50 us of a 1-row ``partial_fit`` (the same rows took 53 us as CSR and 107
    us as a dense array made a matrix). :func:`csr_arrays` takes it as a CSR matrix."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple

    @property
    def nnz(self):
        return self.indices.shape[0]

    @property
    def dtype(self):
        return self.data.dtype


def small_dense_csr(X, n_features):
    """The :class:`CsrRows` of :func:`small_dense_arrays`, for ``partial_fit``'s per-call path
    (which then checks it as any CSR batch: :func:`plain_csr`); else None. Training on it
    gives the model that the full path's training on the array gives, to the bit
    (``DenseRows``)."""
    arrays = small_dense_arrays(X, n_features)
    return None if arrays is None else CsrRows(*arrays, X.shape)


def csr_read_once(X, n_features):
    """The :class:`CsrRows` of a CSR ``X`` that :func:`csr_arrays` takes, its arrays read
    once; ``X`` itself for anything else. A call that looks at X's rows twice (the weights
    of their columns, then their scores) reads them here: another thread may give ``X``
    other arrays meanwhile (``X.indices = ...``). Rows already read (a ``CsrRows``) as they are."""
    if type(X) is CsrRows:
        return X
    arrays = csr_arrays(X, n_features)
    if arrays is None:
        return X
    data, indices, indptr = arrays
    return CsrRows(data, indices, indptr, (indptr.shape[0] - 1, n_features))


def csr_matrix_of(rows):
    """A ``csr_matrix`` holding the arrays of the :class:`CsrRows` ``rows`` as they are, for
    the full checks: not made by scipy's constructor, which drops the entries past
    ``indptr[-1]`` (a hand-built X the checks refuse was scored) and converts int64 indices
    that fit to int32 (a copy of X's index arrays). An ``indptr`` of another length than the
    rows' is refused first: the empty matrix of a shape of 10**12 rows was allocated."""
    n_rows = rows.shape[0]
    if rows.indptr.ndim != 1 or rows.indptr.shape[0] != n_rows + 1:
        raise ValueError(
            f"CSR indptr has {rows.indptr.shape[0]} entries; a matrix with {n_rows} rows "
            f"needs {n_rows + 1}."
        )
    matrix = sp.csr_matrix(rows.shape, dtype=rows.data.dtype)
    matrix.data, matrix.indices, matrix.indptr = rows.data, rows.indices, rows.indptr
    return matrix


def plain_csr(X, n_features):
    """``(rows, longest_row, largest |x|)`` when ``X`` needs no conversion and passes every
    check that ``validate_data`` and :func:`as_kernel_csr` make; None otherwise. ``rows``:
    the :class:`CsrRows` of the arrays checked, which the caller trains on (another thread
    may give ``X`` other arrays meanwhile, ``X.data = ...``, never checked).

    The per-call fast paths of ``partial_fit`` and prediction take a CSR matrix as it is
    when it is one that the full checks would let through unchanged: a ``csr_matrix`` or
    ``csr_array`` (not a subclass) of ``n_features`` columns and at least one row,
    float32/float64 values, int32/int64 indices of one type, every row's indices strictly
    increasing and in range, finite values (one compiled walk, :func:`csr_summary`). Any
    other input (None is returned) goes through the full checks, which name the problem
    or convert it, so that a fast path never accepts what they refuse.
    """
    arrays = csr_arrays(X, n_features)
    if arrays is None:
        return None
    try:
        plain, longest_row, x_max = csr_summary(*arrays, n_features)
    except (ValueError, TypeError):  # e.g. a non-contiguous array: the full checks say so
        return None
    if not plain:
        return None
    data, indices, indptr = arrays
    return CsrRows(data, indices, indptr, (indptr.shape[0] - 1, n_features)), longest_row, x_max


def plain_vector(values, n_rows, allowed=_NO_VALUES):
    """``(float64 array, smallest, largest |value|)`` for a 1-D NumPy array of ``n_rows``
    finite numbers (all in ``allowed``, when given); None for anything else, left to the
    full checks. Integers are converted only where float64 holds each one exactly."""
    if (
        type(values) is not np.ndarray
        or values.ndim != 1
        or values.shape[0] != n_rows
        or values.dtype.kind not in "iuf"
    ):
        return None
    as_float = np.ascontiguousarray(values, dtype=np.float64)
    n_bad, smallest, largest = value_summary(as_float, allowed)
    # an integer beyond 2**53 may have been rounded onto another value: not plain
    if n_bad or (values.dtype.kind != "f" and largest >= 2.0**53):
        return None
    return as_float, smallest, largest


def csr_of_coef(coef):
    """A new CSR matrix of a linear model's ``coef_``, sparse or dense (one row for a 1-D
    one): the caller may change it in place (a third-party model's own stays as it is)."""
    if sp.issparse(coef) and coef.ndim == 1:  # (SGDRegressor.sparsify() makes one: scipy's
        # 1-D CSR, which neither reshapes nor converts to a 2-D matrix: its arrays, one row)
        coef = coef.tocsr() if coef.format != "csr" else coef
        return sp.csr_matrix(
            (coef.data.copy(), coef.indices.copy(), np.array([0, coef.indices.size])),
            shape=(1, coef.shape[0]),
        )
    if sp.issparse(coef):
        return sp.csr_matrix(coef, copy=True)
    coef = np.asarray(coef)
    return dense_csr(coef.reshape(1, -1) if coef.ndim == 1 else coef)


def configured_csr(csr):
    """A sparse result ``csr`` (a ``csr_matrix``) as scikit-learn's ``sparse_interface``
    setting (1.9) asks: a ``csr_array`` sharing its arrays under ``"sparray"``, as
    ``SGDClassifier.sparsify`` and ``ElasticNet.sparse_coef_`` give; else ``csr`` itself."""
    if get_config().get("sparse_interface") == "sparray":
        return sp.csr_array(csr)
    return csr


def dense_csr(X):
    """``scipy.sparse.csr_matrix(X)`` of a 2-D array: in two compiled passes for float32 and
    float64 (scipy goes through COO: ~20x slower on 17,000 x 8), from NumPy's non-zeros for
    other types. Not by scipy from the dense array: its conversion turns any exception
    inside it (a signal handler's) into its ValueError "unrecognized csr_matrix constructor
    input"."""
    X = native_order(np.ascontiguousarray(X))
    if X.ndim != 2 or X.dtype == np.float16 or X.dtype.kind not in "biufc":
        return sp.csr_matrix(X)  # (scipy's answer: float16 and objects refused)
    if X.dtype not in _FLOATS:
        rows, columns = np.nonzero(X)
        indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=X.shape[0]), out=indptr[1:])
        return sp.csr_matrix((X[rows, columns], columns, indptr), shape=X.shape)
    csr = sp.csr_matrix(_nonzeros(X), shape=X.shape)
    csr.has_canonical_format = True  # each row's columns increase, none repeats
    return csr


def _nonzeros(X, index_dtype=None):
    """``(data, indices, indptr)`` of the entries that are not 0 of a C-contiguous float32 or
    float64 2-D array, row by row in column order, in two compiled passes; the indices and
    row pointers of ``index_dtype``, by default int32 where they fit."""
    data, indices, indptr = dense_nonzeros(
        X, INDICES_INT32_WHERE_THEY_FIT if index_dtype is None else np.dtype(index_dtype).itemsize
    )
    return data, indices, indptr.astype(indices.dtype, copy=False)


class DenseRows:
    """A validated 2-D float32/float64 array (any strides) that training reads as it is.

    The narrow dense kernel (``_ftrl_fast.ftrl_epoch_dense``) skips its zeros as CSR leaves
    them out, so that training on it gives the model that training on its CSR copy gives,
    to the bit, without the copy. ``nnz``: its entries that are not 0.
    """

    def __init__(self, array, nnz):
        self.array = array
        self.nnz = int(nnz)
        self.shape = array.shape
        self.dtype = array.dtype

    def to_csr(self):
        """``(X, longest_row)`` of :func:`as_kernel_csr` for the paths that read CSR only."""
        X, longest_row, _ = as_kernel_csr(self.array)
        return X, longest_row


def native_order(X):
    """The array ``X`` with its numbers in this machine's byte order (which the kernel reads):
    ``validate_data`` keeps a DataFrame's big-endian columns as they are."""
    return X if X.dtype.isnative else X.astype(X.dtype.newbyteorder("="))


def dense_rows(X):
    """``(DenseRows, largest |x|)`` of a dense 2-D float32/float64 array from
    ``validate_data``; ``ValueError`` if it holds NaN or infinity."""
    X = native_order(X)
    nnz, largest = dense_summary(X)
    if not np.isfinite(largest):
        raise ValueError("Input X contains NaN or infinity.")
    return DenseRows(X, nnz), largest


def sparse_before_conversion(X):
    """``X``, or for a sparse matrix that ``validate_data`` would convert (CSC, COO, BSR, or
    CSR of values other than float32/float64), a copy made of checked copies of its arrays.

    scipy converts such a matrix with compiled loops that trust its index arrays: a
    hand-built ``indptr`` that decreases, is negative or runs past ``indices``, or a row or
    column index beyond the shape, made them read and write out of bounds (a segmentation
    fault, or silently other rows). The index arrays are copied before they are checked, so
    that another thread writing to ``X``'s meanwhile cannot undo the check (the values are
    not: no value reads out of bounds). A float CSR is left to :func:`check_csr`, after
    ``validate_data``; other formats are converted by scipy from Python-held structures it
    checks itself.
    """
    if not sp.issparse(X):
        if hasattr(type(X), "todense") and not isinstance(X, np.ndarray):
            # (pydata sparse's arrays, COO, GCXS, DOK: scikit-learn's check_array raised
            # their RuntimeError, "Cannot convert a sparse array to dense automatically"; the
            # class's method, not a DataFrame's column of that name)
            raise TypeError(
                f"X is a {type(X).__module__}.{type(X).__qualname__}, which is no SciPy sparse "
                "matrix: give a SciPy CSR matrix (X.tocsr(), or pydata sparse's "
                "X.to_scipy_sparse().tocsr()) or a NumPy array."
            )
        return X
    kind = X.format
    if kind not in ("csr", "csc", "bsr", "coo"):
        return X
    if kind == "csr" and isinstance(X.data, np.ndarray) and X.data.dtype in _FLOAT_SET:
        return X
    shape = X.shape
    if len(shape) != 2:
        return X  # (scipy's 1-D sparse arrays: validate_data names them)
    # the values as they are (a reference: their length is fixed, and no value can make the
    # conversion read out of bounds; a copy doubled the memory of a large X); the index arrays
    # copied, so that another thread cannot change them between their check and scipy's use
    data = np.asarray(X.data)
    if kind == "coo":
        coords = [index_copy(X.row, "row"), index_copy(X.col, "col")]
        for index, size, name in zip(coords, shape, ("row", "column")):
            if index.shape != (data.shape[0],):
                raise ValueError(
                    f"COO {name} indices hold {index.shape[0]:,} entries for "
                    f"{data.shape[0]:,} values."
                )
            refuse_out_of_range(index, size, f"COO {name} indices")
        return _same_kind(X)((data, tuple(coords)), shape=shape)
    indices, indptr = index_copy(X.indices, "indices"), index_copy(X.indptr, "indptr")
    if kind == "bsr":
        rows_per_block, columns_per_block = X.blocksize
        if not (
            rows_per_block >= 1
            and columns_per_block >= 1
            and shape[0] % rows_per_block == 0
            and shape[1] % columns_per_block == 0
        ):
            raise ValueError(f"BSR blocks of {X.blocksize} do not tile the shape {shape}.")
        n_major, n_minor = shape[0] // rows_per_block, shape[1] // columns_per_block
        expected = (indices.shape[0], rows_per_block, columns_per_block)
        if data.shape != expected:
            raise ValueError(f"BSR data has shape {data.shape}; its indices need {expected}.")
    else:
        n_major, n_minor = shape if kind == "csr" else shape[::-1]
        if data.shape != indices.shape:
            raise ValueError(
                f"{kind.upper()} data holds {data.shape[0]:,} values for "
                f"{indices.shape[0]:,} indices."
            )
    name = kind.upper()
    if indptr.shape != (n_major + 1,):
        raise ValueError(
            f"{name} indptr has {indptr.shape[0]:,} entries; its shape {shape} needs "
            f"{n_major + 1:,}."
        )
    # compared, not differenced: np.diff wraps around in the array's type
    if indptr[0] != 0 or indptr[-1] != indices.shape[0] or np.any(indptr[1:] < indptr[:-1]):
        raise ValueError(
            f"{name} indptr must start at 0, never decrease and end at len(indices) "
            f"({indices.shape[0]:,})."
        )
    refuse_out_of_range(indices, n_minor, f"{name} indices")
    return _same_kind(X)((data, indices, indptr), shape=shape)


def _same_kind(X):
    """scipy's class of ``X``'s format, a matrix or an array as ``X`` is."""
    return getattr(sp, f"{X.format}_{'array' if isinstance(X, sp.sparray) else 'matrix'}")


def index_copy(array, name):
    """A copy of an index array of a sparse matrix, 1-D, in its own integer type (int32
    indices stay int32: int64 copies doubled a large matrix's index memory)."""
    array = np.array(array)
    if array.dtype.kind not in "iu":
        raise TypeError(f"sparse {name} must be integers; got {array.dtype}.")
    if array.ndim != 1:
        raise ValueError(f"sparse {name} must be a 1-D array; got {array.ndim}-D.")
    if array.dtype == np.uint64 and array.size and array.max() > np.iinfo(np.int64).max:
        raise ValueError(f"sparse {name} must be below 2**63; found {array.max()}.")
    return array


def refuse_out_of_range(index, size, what):
    if index.size and (index.min() < 0 or index.max() >= size):
        raise ValueError(
            f"{what} must lie in [0, {size:,}); found indices in "
            f"[{index.min():,}, {index.max():,}]."
        )


def with_plain_arrays(X):
    """The CSR ``X`` with 1-D, C-contiguous arrays and index arrays both int32 or both int64,
    copied only where one is not: scipy accepts strided views (``data=values[::2]``), lists
    and other integer types, the kernels read each array in one stride of one of their types.
    A ValueError or TypeError names an array that no conversion makes usable."""
    arrays = data, indices, indptr = [np.asarray(a) for a in (X.data, X.indices, X.indptr)]
    if any(a.ndim != 1 for a in arrays):
        raise ValueError(
            "CSR data, indices and indptr must be 1-D arrays; got "
            f"{data.ndim}-D, {indices.ndim}-D and {indptr.ndim}-D."
        )
    if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu":
        raise TypeError(
            f"CSR indices and indptr must be integers; got {indices.dtype} and {indptr.dtype}."
        )
    if indices.dtype not in _INDEX_TYPES or indptr.dtype != indices.dtype:
        for name, a in (("indices", indices), ("indptr", indptr)):
            if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
                raise ValueError(f"CSR {name} must be below 2**63; found {a.max()}.")
        indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
    data, indices, indptr = (np.ascontiguousarray(a) for a in (data, indices, indptr))
    if any(a is not b for a, b in zip((data, indices, indptr), (X.data, X.indices, X.indptr))):
        return sp.csr_matrix((data, indices, indptr), shape=X.shape)
    # the arrays read above, in a matrix of the caller's own (no copy): another thread may
    # give X other arrays meanwhile (X.indptr = ...), and a kernel that read an indptr
    # shorter than the rows checked read past its end (the kernels trust its length)
    # (their lengths against its shape, read after them: checked_csr, next)
    return csr_matrix_of(CsrRows(data, indices, indptr, X.shape))


def as_kernel_csr(X, values=True, threads=1):
    """The CSR matrix the kernel reads, sharing memory with ``X`` whenever possible.

    ``X`` has been through ``validate_data`` (CSR of float32/float64, or dense).
    A dense array is converted to CSR: zeros contribute nothing to FTRL (``g_i = 0``
    leaves ``(z_i, n_i)`` as they are), so the model is bit-identical. A CSR is
    copied only if a row repeats a column (duplicates must be summed to mean what
    scipy means by them), its index arrays are not both int32 or both int64, or one of
    its arrays is a strided view.
    Returns ``(X, longest_row, bound on |values|)``; ``values=False`` skips the check
    of the values (prediction, where ``validate_data`` has checked them) and gives 0.0.
    ``threads``: the threads the caller may use (see :func:`check_csr`).
    """
    if not sp.issparse(X):
        X = dense_csr(X)
    X = with_plain_arrays(X)
    longest_row, max_abs, canonical = checked_csr(X, values=values, threads=threads)
    if not canonical:
        # a copy of the arrays, checked again before scipy sorts it (scipy reads without
        # bounds, and another thread may write to X's own arrays after the check above)
        X = sp.csr_matrix((X.data.copy(), X.indices.copy(), X.indptr.copy()), shape=X.shape)
        longest_row, max_abs, _ = checked_csr(X, values=values, threads=threads)
        X.sum_duplicates()
    return X, longest_row, max_abs


def _read_meanwhile(values):
    """``(found, done)``: a thread started here puts ``largest_magnitude(values)``, or the
    exception it raised, in ``found`` and then opens ``done``, a ``Latch`` (waiting on a
    ``threading.Event`` may block for good after a signal handler's exception; ``Latch``).
    None where the system has no thread to give: the caller reads them itself."""
    # (imported here: _model_threads imports _decision, which imports this module)
    from ._model_threads import thread_started

    found, done = [], Latch()

    def read_values():
        try:
            found.append(largest_magnitude(values))
        except BaseException as exc:  # raised again by the caller
            found.append(exc)
        finally:
            done.open()

    if not thread_started(read_values, ()):
        return None
    return found, done


def _values_read_here(indptr, indices, data):
    """How many of the values (from the first) the thread walking the index arrays reads as
    well, so that both threads read about as many bytes (the passes are bound by memory
    bandwidth)."""
    extra = (data.nbytes - indices.nbytes - indptr.nbytes) // 2
    return max(0, extra // data.itemsize)


def check_csr(X, values=True, threads=1):
    """Reject non-finite values and a hand-built CSR that would make the kernel read
    or write out of bounds; return ``(longest_row, bound)`` where every ``|x| <= bound``.
    (:func:`checked_csr` also says whether the rows are canonical.)"""
    return checked_csr(X, values, threads)[:2]


def checked_csr(X, values=True, threads=1):
    """:func:`check_csr`, returning ``(longest_row, bound, canonical)``: ``canonical``,
    whether every row's indices strictly increase (sorted, no column twice).

    One compiled pass checks ``indptr`` and finds the smallest and largest index and
    whether rows are strictly sorted; another finds the largest ``|x|`` (both vector
    loops that run at about the speed of reading the arrays). With ``threads > 1`` and at
    least ``THREADED_CHECK_NNZ`` values, a second thread reads the last values meanwhile,
    the calling thread the index arrays and the first values.
    """
    indptr, indices, data = X.indptr, X.indices, X.data
    n_rows, n_cols = X.shape
    if indptr.ndim != 1 or indptr.shape[0] != n_rows + 1:
        raise ValueError(
            f"CSR indptr has {indptr.shape[0]} entries; a matrix with {n_rows} rows needs {n_rows + 1}."
        )
    if indptr[0] != 0 or indptr[-1] != indices.shape[0] or indices.shape[0] != data.shape[0]:
        raise ValueError(
            "CSR indptr is inconsistent with indices/data: indptr[0] must be 0 and "
            f"indptr[-1] ({indptr[-1]}) must equal len(indices) ({indices.shape[0]}) "
            f"and len(data) ({data.shape[0]})."
        )
    values_read, here = None, 0
    if values and threads > 1 and data.shape[0] >= THREADED_CHECK_NNZ:
        here = _values_read_here(indptr, indices, data)
        values_read = _read_meanwhile(data[here:])
        if values_read is None:  # (no thread: the pass below reads every value)
            here = 0
    try:
        indptr_ok, strictly_sorted, lo, hi, longest_row = csr_index_summary(indptr, indices)
        largest_here = largest_magnitude(data[:here]) if here else 0.0
    finally:
        if values_read is not None:
            # waited for even when Ctrl-C lands meanwhile (it is raised afterwards), so that
            # no thread reads X after the call; only a signal handler's exception just after
            # the thread's start, before this `try`, leaves it reading X a few milliseconds
            # longer
            call_until_done(values_read[1].wait)
    largest = None
    if values_read is not None:
        largest = values_read[0][0]
        if isinstance(largest, BaseException):
            raise largest
        largest = float(np.maximum(largest, largest_here))  # NaN if either is
    if not indptr_ok:
        raise ValueError("CSR indptr must be non-decreasing and within len(indices).")
    if indices.shape[0]:
        if lo < 0 or hi >= n_cols:
            raise ValueError(
                f"CSR column indices must lie in [0, {n_cols}); found indices in [{lo}, {hi}]."
            )
        if strictly_sorted:
            X.has_canonical_format = True  # what scipy would find: spares it a pass over indices
        if not values:
            return longest_row, 0.0, bool(strictly_sorted)
        # one compiled pass (not BLAS: see largest_magnitude) finds the largest |x| and NaN/inf
        if largest is None:
            largest = largest_magnitude(data)
        if not np.isfinite(largest):
            raise ValueError("Input X contains NaN or infinity.")
        return longest_row, largest, bool(strictly_sorted)
    return longest_row, 0.0, True
