"""Exact bucket ids of integers, for the numeric ``buckets`` of `FeatureCrossHasher`.

A float64 holds every integer only up to 2**53: int64 values (nanosecond timestamps, ids)
bucketed through float64 could land a bucket off, and 2**63 - 1 (2.0**63 once rounded) fell
on the far side of an edge of 2**63. Integers are bucketed here in integer arithmetic: a
width's ``floor((x - origin) / width)`` when the width and the origin are whole numbers,
and the comparisons with the edges, whatever the magnitudes (no int64 overflow).
"""

import bisect
import math
import numbers

import numpy as np

#: bucket ids lie in (-ID_LIMIT, ID_LIMIT), as those of floats
ID_LIMIT = 2**62

_RANGES = {np.dtype(np.int64): (-(2**63), 2**63 - 1), np.dtype(np.uint64): (0, 2**64 - 1)}


def whole(value):
    """``value`` as an int if it is a whole number (``3``, ``3.0``, ``Fraction(6, 2)``), else
    None; ``value`` is a finite real number."""
    if isinstance(value, numbers.Integral):
        return int(value)
    try:
        p, q = value.as_integer_ratio()
    except (AttributeError, ValueError, OverflowError):
        return None
    return p if q == 1 else None


def rounded_up(value):
    """The least float64 >= the int or float ``value``: for a float x, ``x >= value`` exactly
    where ``x >= rounded_up(value)``."""
    f = float(value)
    return f if f >= value else math.nextafter(f, math.inf)


def integer_values(col):
    """``(values, missing)`` of a column of integers (NumPy's, pandas' nullable or Arrow-backed
    ones): an int64 or uint64 array, 0 where missing, and a bool array or None; None for a
    column of another kind."""
    dtype = col.dtype
    kind = getattr(dtype, "kind", None)
    if kind not in ("i", "u"):
        return None
    target = np.uint64 if kind == "u" else np.int64
    # a Series' array, read without the Series' own isna, fillna and __array__ (a 1-row
    # Int64 column's ids took twice as long through them)
    array = getattr(col, "array", col)
    if isinstance(dtype, np.dtype):
        return np.asarray(array).astype(target, copy=False), None
    missing = np.asarray(array.isna(), dtype=bool)
    # (to_numpy(na_value=0) rounds through float64: 2**53 + 1 was 2**53)
    values = np.asarray((array.fillna(0) if missing.any() else array).to_numpy(dtype=target))
    return values, (missing if missing.any() else None)


def _at_least(values, bound):
    """``values >= bound`` exactly, for an int ``bound`` of any magnitude."""
    low, high = _RANGES[values.dtype]
    if bound <= low:
        return np.ones(values.shape, bool)
    if bound > high:
        return np.zeros(values.shape, bool)
    return values >= values.dtype.type(bound)


def _reached(values, thresholds):
    """How many of the sorted ints ``thresholds`` (a list, or an int64 array) are <= each of
    ``values``, exactly."""
    low, high = _RANGES[values.dtype]
    if isinstance(thresholds, np.ndarray):  # (int64: only uint64 values reach past its low)
        start, stop = int(np.searchsorted(thresholds, low)), thresholds.size
    else:
        start, stop = bisect.bisect_left(thresholds, low), bisect.bisect_right(thresholds, high)
    inside = np.array(thresholds[start:stop], dtype=values.dtype)
    # (thresholds below the dtype's range are reached by every value)
    return start + np.searchsorted(inside, values, side="right").astype(np.int64)


def _wrapped(n):
    """The int64 equal to ``n`` modulo 2**64."""
    return np.int64((n + 2**63) % 2**64 - 2**63)


def width_ids(values, width, origin):
    """``(ids, bad)``: int64 ``floor((values - origin) / width)`` of an int64 or uint64 array,
    exactly where it lies within (-ID_LIMIT, ID_LIMIT), and where it does not (``bad``).

    The ids are computed modulo 2**64 (NumPy's integer arithmetic wraps): exact where the
    true id is in range, whatever the magnitude of the width and the origin (ints)."""
    # the id is in range for origin + (1 - ID_LIMIT) * width <= x < origin + ID_LIMIT * width
    bad = ~_at_least(values, origin + (1 - ID_LIMIT) * width)
    bad |= _at_least(values, origin + ID_LIMIT * width)
    low, high = _RANGES[values.dtype]
    if width > high:  # the dtype's range holds at most two bucket edges: count those reached
        first, last = (low - origin) // width, (high - origin) // width
        edges = [origin + k * width for k in range(first + 1, last + 1)]
        return _reached(values, edges) + _wrapped(first), bad
    w = values.dtype.type(width)
    quotient, remainder = divmod(origin, width)
    below = np.remainder(values, w) < values.dtype.type(remainder)
    ids = np.floor_divide(values, w).view(np.int64)  # (uint64 ones modulo 2**64)
    return ids - _wrapped(quotient) - below, bad


def edge_ids(values, thresholds):
    """int64 bucket ids of an int64 or uint64 array by the edges whose ceilings are the sorted
    ints ``thresholds`` (a list, or an int64 array): the number of edges <= each value."""
    return _reached(values, thresholds)


def object_id(value, width=None, origin=None, thresholds=None):
    """The bucket id of one int (a Python int of any size), by width or by edges."""
    if thresholds is not None:
        return bisect.bisect_right(thresholds, value)
    return (value - origin) // width
