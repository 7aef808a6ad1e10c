"""Stable 64-bit hashing for feature crosses.

Everything here is a pure function of its input bytes and integers: no
Python ``hash()`` (salted per process), no platform-dependent width. Scalars
are hashed in Python integers masked to 64 bits, arrays in NumPy ``uint64``
whose arithmetic wraps modulo 2**64; both give the same numbers.
"""

import hashlib
import math
import numbers

import numpy as np

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
KIND_OTHER = 0x6
KIND_MISSING = 0x7


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
    """Token hashes of an int64 (or uint64) array of the given kind."""
    out = values.astype(np.uint64, copy=True) if values.dtype != np.uint64 else values.copy()
    np.bitwise_xor(out, np.uint64(kind_salt(kind)), out=out)
    return fmix64(out, out=out)


def hash_floats(values):
    """Token hashes of a float64 array without NaN.

    Integral values within the int64 range hash as the equal int (so 3.0 in
    a batch where a column became float because of a NaN is still 3); the
    others hash their IEEE-754 bit pattern under the float kind.
    """
    values = np.asarray(values, dtype=np.float64)
    integral = (np.floor(values) == values) & (np.abs(values) < 2.0**63)
    as_int = np.where(integral, values, 0.0).astype(np.int64).view(np.uint64)
    out = np.where(integral, as_int, values.view(np.uint64))
    salt = np.where(integral, np.uint64(kind_salt(KIND_INT)), np.uint64(kind_salt(KIND_FLOAT)))
    np.bitwise_xor(out, salt, out=out)
    return fmix64(out, out=out)


def _bytes_hash(data):
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _payload(value):
    """(kind, 64-bit payload) of one Python value."""
    if isinstance(value, str):
        return KIND_STR, _bytes_hash(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (bool, np.bool_)):
        return KIND_INT, int(value)
    if isinstance(value, bytes):
        return KIND_BYTES, _bytes_hash(value)
    if isinstance(value, numbers.Integral):
        value = int(value)
        if -(2**63) <= value < 2**63:
            return KIND_INT, value & MASK64
        return KIND_OTHER, _bytes_hash(b"int:" + str(value).encode())
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isfinite(value) and value == math.floor(value) and abs(value) < 2.0**63:
            return KIND_INT, int(value) & MASK64
        return KIND_FLOAT, int(np.array(value, dtype=np.float64).view(np.uint64))
    text = f"{type(value).__qualname__}:{value}"
    return KIND_OTHER, _bytes_hash(text.encode("utf-8", "surrogatepass"))


def hash_value(value):
    """Token hash of one Python value.

    Values equal in Python (``1 == 1.0 == True``) hash the same; strings and
    bytes go through BLAKE2b; other objects through ``type name + str()``.
    """
    kind, payload = _payload(value)
    return fmix64_scalar(payload ^ kind_salt(kind))


_SALTS = np.array([0] + [kind_salt(k) for k in range(1, 8)], dtype=np.uint64)


def hash_values(uniques):
    """Token hashes (uint64 array) of a sequence of distinct values, as `hash_value`."""
    blake2b = hashlib.blake2b
    if all(type(v) is str for v in uniques):  # the common case, once per distinct value
        kinds = np.full(len(uniques), KIND_STR, dtype=np.intp)
        payloads = [int.from_bytes(blake2b(v.encode("utf-8", "surrogatepass"),
                                           digest_size=8).digest(), "little") for v in uniques]
    else:
        kinds, payloads = zip(*map(_payload, uniques)) if len(uniques) else ((), ())
        kinds = np.array(kinds, dtype=np.intp)
    payloads = np.array(payloads, dtype=np.uint64)
    np.bitwise_xor(payloads, _SALTS[kinds], out=payloads)
    return fmix64(payloads, out=payloads)


MISSING_TOKEN = fmix64_scalar(0 ^ kind_salt(KIND_MISSING))
