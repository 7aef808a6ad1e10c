"""Stable 64-bit hashing for feature crosses.

Everything here is a pure function of its input bytes and integers: no
Python ``hash()`` (salted per process), no ``str()`` of arbitrary objects, no
platform-dependent width. Scalars are hashed in Python integers masked to 64
bits, arrays in NumPy ``uint64`` whose arithmetic wraps modulo 2**64; both give
the same numbers.

Canonical form of a value
-------------------------
A token is ``fmix64(payload XOR salt(kind))``; each value is first reduced to
its canonical ``(kind, payload)``, which depends on the value only, never on
its container (column dtype, NumPy scalar type, the other values of the batch)
nor on the process:

- **missing**: ``None``, any float NaN (NumPy, ``Decimal('NaN')``),
  ``pandas.NA``, ``NaT`` (pandas or NumPy): one constant token.
- **numbers** are hashed by their exact value, so values equal in Python hash
  equal whatever their type (``bool``, ``int``, every NumPy int and float
  width, ``float``, ``Decimal``, ``fractions.Fraction``):

  - an integral value ``n`` (``3``, ``3.0``, ``True``, ``Decimal('3.00')``,
    ``np.uint64(2**63)``, ``2.0**63``) is the integer ``n``: kind int with
    payload ``n`` modulo 2**64 when ``-2**63 <= n < 2**63``, else kind big
    with payload BLAKE2b(``b"int:"`` + decimal digits of ``n``; beyond Python's
    limit of digits, ``b"int:x"`` + hexadecimal digits). So uint64
    ``2**64 - 1`` is the integer 18446744073709551615, not int64 ``-1``;
  - a non-integral value exactly representable as a float64 (every float16,
    float32 and float64, ``Decimal('0.5')``, ``Fraction(1, 4)``, infinities)
    is that float64: kind float with its IEEE-754 bits. Float32 ``0.1`` and
    float64 ``0.1`` are different numbers (their exact values differ), so they
    are different tokens; ``-0.0`` is the integer 0;
  - any other number (``Decimal('0.1')``, ``Fraction(1, 3)``, a long double
    not representable in float64) is its reduced fraction ``p/q``: kind
    rational with payload BLAKE2b(``b"p/q"``, or ``b"xp/q"`` in hexadecimal
    beyond Python's limit of digits);
  - a ``Decimal`` whose exponent is beyond +-100,000 is refused (its exact
    value takes too long to compute);
  - complex numbers are refused.

- **strings**: BLAKE2b of the UTF-8 bytes (``str`` and ``np.str_``);
  **bytes**: BLAKE2b of the raw bytes. The string ``"1"``, the bytes ``b"1"``
  and the integer ``1`` are three different tokens.
- **dates and times**: ``datetime.datetime``, ``pandas.Timestamp`` and
  ``np.datetime64`` are the number of nanoseconds since 1970-01-01T00:00:00:
  naive values under one kind, timezone-aware values (converted to UTC, so
  equal instants agree across zones) under another; a ``datetime.date`` is the
  naive datetime at its midnight (unlike Python's ``==``, for which
  ``date(2020, 1, 1) != datetime(2020, 1, 1)``, but like NumPy's, for which
  both equal ``np.datetime64('2020-01-01')``). Payload BLAKE2b of the decimal
  count. ``np.datetime64`` finer than nanoseconds, ``time`` and timedeltas are
  refused.
- **tuples** of the above (nested up to `MAX_TUPLE_DEPTH` levels) are BLAKE2b of the concatenated
  ``(kind, payload)`` of their elements (a missing element is the missing
  kind), so ``(1, "a")`` and ``(1.0, "a")`` agree.
- Anything else (``set``, ``frozenset``, ``dict``, ``list``, objects with the
  default ``repr``, functions, enums other than int/str enums...) has no
  stable canonical form and raises `NoStableForm`, a ``TypeError``.

Values that Python's exact comparisons find equal (int, float, bool,
``Decimal``, ``Fraction``, str, bytes) always have the same canonical form, so
which of several equal values a deduplication keeps does not matter. NumPy
scalars compare lossily (``np.float16(inf) == 65520``,
``np.float64(2.0**53) == 2**53 + 1``): object columns holding them are
deduplicated by identity, never by ``==`` (``sparsereg._tokens``).
"""

import datetime
import hashlib
import math
import numbers
import reprlib
import struct
from decimal import Decimal

import numpy as np

from ._strhash import blake2b_64_many

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # 2**64 / golden ratio, the splitmix64 increment
_C1 = 0xFF51AFD7ED558CCD  # murmur3 fmix64 constants
_C2 = 0xC4CEB9FE1A85EC53

# One salt per kind of token, so that int 3, float 3.5, bucket 3, the string
# "3" and the missing token are hashed from different starting points.
KIND_INT = 0x1
KIND_FLOAT = 0x2
KIND_BUCKET = 0x3
KIND_STR = 0x4
KIND_BYTES = 0x5
KIND_BIG = 0x6  # integers outside the int64 range
KIND_MISSING = 0x7
KIND_RATIONAL = 0x8
KIND_DATETIME = 0x9  # naive
KIND_DATETIME_UTC = 0xA  # timezone-aware, as UTC
KIND_TUPLE = 0xB
N_KINDS = 0xC


class NoStableForm(TypeError):
    """A value with no canonical form; ``value_type`` is its type."""

    def __init__(self, value_type, reason=""):
        self.value_type = value_type
        self.reason = reason
        super().__init__(
            f"a value of type {type_name(value_type)} has no stable hash"
            + (f" ({reason})" if reason else "")
        )


class RefusedValue(ValueError):
    """A value whose canonical form is refused (too costly to compute); the caller names the
    column."""


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 80


def short_repr(value):
    """``repr(value)`` for a message, bounded (a long string, a deeply nested tuple); a NumPy
    number as the plain number it holds (``1e+300``, not ``np.float64(1e+300)``)."""
    if isinstance(value, (np.number, np.bool_)) and not isinstance(value, np.timedelta64):
        value = value.item()
    try:
        return _SHORT.repr(value)
    except (ValueError, RecursionError):  # an int beyond sys.get_int_max_str_digits()...
        return f"<a {type_name(type(value))}>"


def finite_float(v):
    """``float(v)`` of a real number (not a bool) if finite, else None (10**400 included)."""
    if not isinstance(v, numbers.Real) or isinstance(v, (bool, np.bool_)):
        return None
    try:
        f = float(v)
    except (OverflowError, ValueError, TypeError):
        return None
    return f if math.isfinite(f) else None


def type_name(t):
    module = getattr(t, "__module__", "builtins")
    return t.__qualname__ if module == "builtins" else f"{module}.{t.__qualname__}"


def fmix64_scalar(k):
    """murmur3 fmix64 of a Python int (taken modulo 2**64)."""
    k &= MASK64
    k ^= k >> 33
    k = (k * _C1) & MASK64
    k ^= k >> 33
    k = (k * _C2) & MASK64
    k ^= k >> 33
    return k


def fmix64(h, out=None):
    """murmur3 fmix64 of a uint64 array, in place when ``out is h``."""
    if out is None:
        out = h.copy()
    elif out is not h:
        np.copyto(out, h)
    tmp = np.empty_like(out)
    np.right_shift(out, np.uint64(33), out=tmp)
    np.bitwise_xor(out, tmp, out=out)
    np.multiply(out, np.uint64(_C1), out=out)
    np.right_shift(out, np.uint64(33), out=tmp)
    np.bitwise_xor(out, tmp, out=out)
    np.multiply(out, np.uint64(_C2), out=out)
    np.right_shift(out, np.uint64(33), out=tmp)
    np.bitwise_xor(out, tmp, out=out)
    return out


def kind_salt(kind):
    return fmix64_scalar(kind * GOLDEN)


def cross_start(seed, position):
    """Initial hash of the cross at ``position`` in ``crosses``."""
    return fmix64_scalar(fmix64_scalar(seed ^ 0x243F6A8885A308D3) + (position + 1) * GOLDEN)


def combine(h, t):
    """Fold a token hash ``t`` (uint64 array) into the running cross hash ``h``.

    ``h`` is a Python int (first column of a cross) or a uint64 array; the
    fold is order dependent, so (A=1, B=2) and (A=2, B=1) differ.
    """
    if isinstance(h, numbers.Integral):
        out = np.bitwise_xor(t, np.uint64((int(h) * GOLDEN) & MASK64))
    else:
        out = np.multiply(h, np.uint64(GOLDEN))
        np.bitwise_xor(out, t, out=out)
    return fmix64(out, out=out)


def column_and_sign(h, n_features, alternate_sign):
    """Output column of each cross hash, and whether its entry is negative.

    Parameters
    ----------
    h : ndarray of uint64
        Full 64-bit cross hashes.
    n_features : int
        Number of output columns, in ``[1, 2**63]``.
    alternate_sign : bool
        Whether entries carry a sign.

    Returns
    -------
    columns : ndarray of int64
        ``h mod n_features``.
    negative : ndarray of bool or None
        Where the entry is -1 (the top bit of ``h`` is set); None without
        `alternate_sign`.
    """
    columns = np.empty(h.shape, dtype=np.int64)
    if n_features & (n_features - 1) == 0:  # the same remainder as a mask, several times faster
        np.bitwise_and(h, np.uint64(n_features - 1), out=columns.view(np.uint64))
    else:
        np.remainder(h, np.uint64(n_features), out=columns.view(np.uint64))
    negative = h >= np.uint64(1 << 63) if alternate_sign else None
    return columns, negative


def hash_ints(values, kind):
    """Token hashes of an integer array of the given kind.

    uint64 values of 2**63 and above are integers outside the int64 range:
    with ``kind=KIND_INT`` they hash as the equal Python int (`hash_value`),
    not as the int64 of the same bits.
    """
    out = values.astype(np.uint64, copy=True) if values.dtype != np.uint64 else values.copy()
    np.bitwise_xor(out, np.uint64(kind_salt(kind)), out=out)
    fmix64(out, out=out)
    if values.dtype == np.uint64 and kind == KIND_INT:
        _fix_big(out, values >= np.uint64(1 << 63), values)
    return out


def _fix_big(out, big, values):
    """Hash ``values[big]`` (integral, outside int64) one distinct value at a time."""
    if big.any():
        rows = np.flatnonzero(big)
        distinct, inverse = np.unique(values[rows], return_inverse=True)
        out[rows] = np.array([hash_value(int(v)) for v in distinct.tolist()], dtype=np.uint64)[
            inverse.ravel()
        ]


def hash_floats(values):
    """Token hashes of a float array without NaN (float16/32/64, exactly as float64).

    Integral values hash as the equal int, whatever their magnitude (so 3.0
    in a batch where a column became float because of a NaN is still 3, and
    2.0**63 is the int 2**63); the others hash their IEEE-754 float64 bits
    under the float kind.
    """
    values = np.asarray(values, dtype=np.float64)
    integral = np.floor(values) == values  # True for infinities too
    small = integral & (np.abs(values) < 2.0**63)
    as_int = np.where(small, values, 0.0).astype(np.int64).view(np.uint64)
    out = np.where(small, as_int, values.view(np.uint64))
    salt = np.where(small, np.uint64(kind_salt(KIND_INT)), np.uint64(kind_salt(KIND_FLOAT)))
    np.bitwise_xor(out, salt, out=out)
    fmix64(out, out=out)
    big = integral & ~small
    if big.any():
        _fix_big(out, big & np.isfinite(values), values)
    return out


def _bytes_hash(data):
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _int_payload(n):
    if -(2**63) <= n < 2**63:
        return KIND_INT, n & MASK64
    try:
        digits = str(n).encode()
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        digits = b"x" + format(n, "x").encode()
    return KIND_BIG, _bytes_hash(b"int:" + digits)


# the largest |exponent| (adjusted: of the leading digit) of a Decimal hashed by its exact value
MAX_EXPONENT = 100_000
_FLOAT_BITS = struct.Struct("<d")
_U64 = struct.Struct("<Q")


def _float_payload(f):
    return KIND_FLOAT, _U64.unpack(_FLOAT_BITS.pack(f))[0]


def _ratio_payload(p, q):
    """(kind, payload) of the exact number p/q (q > 0)."""
    g = math.gcd(p, q)
    if g != 1:
        p, q = p // g, q // g
    if q == 1:
        return _int_payload(p)
    if q & (q - 1) == 0:  # a dyadic fraction: maybe exactly a float64
        try:
            f = p / q  # correctly rounded
        except OverflowError:
            f = None
        if f is not None and f.as_integer_ratio() == (p, q):
            return _float_payload(f)
    try:
        text = b"%d/%d" % (p, q)
    except ValueError:  # more digits than sys.get_int_max_str_digits(), as in _int_payload
        text = b"x%x/%x" % (p, q)
    return KIND_RATIONAL, _bytes_hash(text)


def _real_payload(value):
    """float, NumPy float or Decimal: NaN is missing, infinities are floats."""
    if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > MAX_EXPONENT:
        # its exact fraction holds 10**exponent: Decimal('1e100000000'), 12 characters, would
        # take minutes to build
        raise RefusedValue(
            f"the Decimal {value} is refused: its exponent is beyond +-{MAX_EXPONENT:,}, whose "
            "exact value (hashed as such) would take too long to compute."
        )
    try:
        p, q = value.as_integer_ratio()
    except ValueError:  # NaN
        return KIND_MISSING, 0
    except OverflowError:  # infinite
        return _float_payload(math.inf if value > 0 else -math.inf)
    return _ratio_payload(p, q)


_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_DAY_NS = 86_400 * 10**9
_UNIT_NS = {
    "W": 7 * _DAY_NS,
    "D": _DAY_NS,
    "h": 3_600 * 10**9,
    "m": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "ns": 1,
}


def _datetime_payload(value):
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return KIND_MISSING, 0
        unit, count = np.datetime_data(value.dtype)
        if unit in ("Y", "M"):  # calendar units: their first day
            value, unit, count = value.astype("datetime64[D]"), "D", 1
        if unit not in _UNIT_NS:
            raise NoStableForm(type(value), f"unit {unit!r} is finer than nanoseconds")
        ns = int(value.astype(np.int64)) * count * _UNIT_NS[unit]
        return KIND_DATETIME, _bytes_hash(b"%d" % ns)
    ns = (value.toordinal() - _EPOCH_ORDINAL) * _DAY_NS
    kind = KIND_DATETIME
    if isinstance(value, datetime.datetime):
        ns += (
            (value.hour * 3600 + value.minute * 60 + value.second) * 10**9
            + value.microsecond * 1000
            + int(getattr(value, "nanosecond", 0))
        )
        offset = value.utcoffset()
        if offset is not None:
            ns -= (offset.days * 86_400 + offset.seconds) * 10**9 + offset.microseconds * 1000
            kind = KIND_DATETIME_UTC
    return kind, _bytes_hash(b"%d" % ns)


DURATIONS_REFUSED = "durations are refused; convert them to a number of seconds and bucket it"


def _is_pandas_missing(value):
    t = type(value)
    return t.__module__.startswith("pandas") and t.__name__ in ("NAType", "NaTType")


#: tuples nested deeper than this are refused (their hash and repr would recurse unbounded)
MAX_TUPLE_DEPTH = 32


def _payload(value, depth=0):
    """(kind, 64-bit payload) of one Python value: its canonical form (module docstring)."""
    if isinstance(value, str):
        return KIND_STR, _bytes_hash(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (bool, np.bool_)):
        return KIND_INT, int(value)
    if isinstance(value, bytes):
        return KIND_BYTES, _bytes_hash(value)
    if isinstance(value, (np.timedelta64, datetime.timedelta)):  # (a NumPy signedinteger)
        raise NoStableForm(type(value), DURATIONS_REFUSED)
    if isinstance(value, numbers.Integral):
        return _int_payload(int(value))
    if isinstance(value, (float, np.floating, Decimal)):
        return _real_payload(value)
    if isinstance(value, numbers.Rational):
        return _ratio_payload(int(value.numerator), int(value.denominator))
    if value is None or _is_pandas_missing(value):
        return KIND_MISSING, 0
    if isinstance(value, (datetime.date, np.datetime64)):
        return _datetime_payload(value)
    if isinstance(value, tuple):
        if depth >= MAX_TUPLE_DEPTH:
            raise NoStableForm(
                type(value), f"tuples nested more than {MAX_TUPLE_DEPTH} levels deep are refused"
            )
        parts = [_payload(v, depth + 1) for v in value]
        return KIND_TUPLE, _bytes_hash(
            b"".join(bytes([kind]) + payload.to_bytes(8, "little") for kind, payload in parts)
        )
    if isinstance(value, (list, bytearray, np.ndarray)):
        reason = "it is mutable; a tuple of values is accepted"
    elif isinstance(value, numbers.Complex):
        reason = "complex numbers are refused"
    elif type(value).__repr__ is object.__repr__:
        reason = "its text form holds a memory address"
    elif isinstance(value, (set, frozenset, dict)):
        reason = "its text form depends on PYTHONHASHSEED or insertion order"
    else:
        reason = ""
    raise NoStableForm(type(value), reason)


def hash_value(value):
    """Token hash of one Python value, by its canonical form (module docstring).

    Values equal in Python (``1 == 1.0 == True == Decimal(1)``) hash the same;
    missing values (None, NaN, NA, NaT) give `MISSING_TOKEN`. Raises
    `NoStableForm` (a TypeError) for values without a stable form.
    """
    kind, payload = _payload(value)
    return fmix64_scalar(payload ^ kind_salt(kind))


_SALTS = np.array([0] + [kind_salt(k) for k in range(1, N_KINDS)], dtype=np.uint64)


def _utf8_payloads(strings):
    """``_bytes_hash`` of each string's UTF-8 form, all in one compiled call."""
    return _bytes_payloads([v.encode("utf-8", "surrogatepass") for v in strings])


def _bytes_payloads(encoded):
    """``_bytes_hash`` of each bytes object, all in one compiled call."""
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    payloads = np.empty(len(encoded), dtype=np.uint64)
    blake2b_64_many(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets, payloads)
    return payloads


def _decimal_payloads(decimals):
    """``(kinds, payloads)`` of Decimals as `_payload` gives them, computed together (~5x
    faster: NumPy's arithmetic and one compiled hash of the fractions' texts); None when one
    is not finite, of an exponent beyond `MAX_EXPONENT`, or of a fraction beyond int64 (they
    are taken value by value)."""
    exponents = list(map(Decimal.adjusted, decimals))
    if max(exponents) > MAX_EXPONENT or min(exponents) < -MAX_EXPONENT:
        return None
    try:
        ratios = list(map(Decimal.as_integer_ratio, decimals))  # (in lowest terms)
        p = np.fromiter((r[0] for r in ratios), dtype=np.int64, count=len(ratios))
        q = np.fromiter((r[1] for r in ratios), dtype=np.int64, count=len(ratios))
    except (ValueError, OverflowError):  # NaN, an infinity, or beyond int64
        return None
    kinds = np.full(len(ratios), KIND_RATIONAL, dtype=np.intp)
    payloads = np.zeros(len(ratios), dtype=np.uint64)
    integral = q == 1
    kinds[integral] = KIND_INT
    payloads[integral] = p[integral].view(np.uint64)
    # p / 2**k (p odd) is a float64 when p is one: p / q is then exact, as in `_ratio_payload`
    dyadic = ~integral & (q & (q - 1) == 0) & (np.abs(p) <= 2**53)
    kinds[dyadic] = KIND_FLOAT
    payloads[dyadic] = (p[dyadic] / q[dyadic]).view(np.uint64)
    rational = kinds == KIND_RATIONAL
    texts = [b"%d/%d" % r for r, keep in zip(ratios, rational.tolist()) if keep]
    payloads[rational] = _bytes_payloads(texts)
    return kinds, payloads


def hash_uniques(uniques):
    """Token hashes (uint64 array) of a sequence of values, and which are missing.

    Returns ``(hashes, missing)``, ``missing`` a bool array or None when no
    value is missing; missing values hash to `MISSING_TOKEN`, as in
    `hash_value`. Meant for the distinct values of a column: one canonical
    form is computed per element.
    """
    missing = None
    decimals = None
    if len(uniques) and all(type(v) is Decimal for v in uniques):  # (Parquet's decimals)
        decimals = _decimal_payloads(uniques)
    if all(type(v) is str for v in uniques):  # the common case, once per distinct value
        payloads = _utf8_payloads(uniques)
        np.bitwise_xor(payloads, _SALTS[KIND_STR], out=payloads)
    elif decimals is not None:
        kinds, payloads = decimals
        np.bitwise_xor(payloads, _SALTS[kinds], out=payloads)
    else:
        kinds, payloads = zip(*map(_payload, uniques)) if len(uniques) else ((), ())
        kinds = np.array(kinds, dtype=np.intp)
        payloads = np.array(payloads, dtype=np.uint64)
        np.bitwise_xor(payloads, _SALTS[kinds], out=payloads)
        missing = kinds == KIND_MISSING
        if not missing.any():
            missing = None
    return fmix64(payloads, out=payloads), missing


def hash_values(uniques):
    """Token hashes (uint64 array) of a sequence of values, as `hash_value`."""
    return hash_uniques(uniques)[0]


MISSING_TOKEN = fmix64_scalar(0 ^ kind_salt(KIND_MISSING))
