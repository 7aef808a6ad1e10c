"""Weights stored in 16 bits: IEEE half precision, or the q2.13 fixed point of McMahan et al.

``export_model(..., weights='float16' | 'q2.13')`` rounds the non-zero weights once, at
export; the model then holds the *dequantized* weights as float64 and scores with them as
with any other weights, so the saved file (16-bit weights) and the model in memory predict
the same. The intercepts are never quantized.

- ``'float16'``: ``numpy.float16`` of each weight (round to nearest even). A weight that
  would round to infinity (of magnitude 65520 or more; one in (65504, 65520) rounds to
  65504) is refused.
- ``'q2.13'``: the paper's encoding (section 4.2): a signed 16-bit integer ``q`` standing for
  ``q * 2**-13``, so ``[-4, 4)`` in steps of ``2**-13``, rounded at random, up with
  probability equal to the remainder (unbiased: the expected stored weight is the weight).
  The paper clips weights outside ``[-4, 4)``; a regression on an unscaled target (house
  prices in dollars) has weights far beyond, which clipping would destroy, and a model of a
  scaler folded into its weights reads raw inputs (values in the thousands) with weights far
  below one step, which rounding would turn into 0 or one step at random. So each weight
  vector has its own scale, a power of two ``s``, and ``q`` stands for ``q * s * 2**-13``:
  the smallest power of two that brings every weight of the vector within
  ``32767 * s * 2**-13`` (``s = 1``, the paper's format exactly, when the largest lies in
  ``[2, 4)``; at least ``2**-1009``, whose step is float64's smallest normal number). A power
  of two keeps dequantizing exact (``q * s * 2**-13`` is a float64 without rounding).
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

FORMATS = ("float16", "q2.13")
# float64 is the default: the weights as the estimator holds them
CHOICES = (None, "float64") + FORMATS
Q_FRACTION_BITS = 13
Q_STEP = 2.0**-Q_FRACTION_BITS
Q_MAX = np.iinfo(np.int16).max  # |q| <= 32767 (the rounding never reaches -32768)
# the smallest scale: its step, 2**-1022, is float64's smallest normal number, so that every
# step and every multiple of it that rounding gives is exact
Q_MIN_SCALE_EXPONENT = -1009
FLOAT16_MAX = float(np.finfo(np.float16).max)


def check_choice(weights):
    if weights not in CHOICES:
        raise ValueError(
            f"weights must be 'float64' (or None), 'float16' or 'q2.13'; got {weights!r}."
        )
    return None if weights in (None, "float64") else weights


def _rows(coef):
    return np.repeat(np.arange(coef.shape[0]), np.diff(coef.indptr))


def q_scales(coef):
    """The power-of-two scale of each weight vector (row of the CSR ``coef``)."""
    largest = np.zeros(coef.shape[0])
    if coef.nnz:
        np.maximum.at(largest, _rows(coef), np.abs(coef.data))
    # the smallest s = 2**e with largest <= Q_MAX * Q_STEP * s: with largest = m * 2**k
    # (m in [0.5, 1)), Q_MAX * Q_STEP * 2**(k - 2) = 2**k - 2**(k - 15) holds it unless m is
    # above 1 - 2**-15, which takes 2**(k - 1) (checked by dividing, not multiplying: 2**1023
    # * 4 overflows); a vector of no weight keeps 1
    _, k = np.frexp(largest)
    exponent = np.maximum(k - 2, Q_MIN_SCALE_EXPONENT)
    scales = np.ldexp(1.0, exponent)
    too_small = largest / scales > Q_MAX * Q_STEP
    scales[too_small] *= 2.0
    scales[largest == 0] = 1.0
    return scales


def quantize(coef, weights, random_state=0):
    """``(dequantized float64 CSR, scales or None)`` of the CSR ``coef``.

    Weights rounded to 0 are dropped from the matrix.
    """
    coef = sp.csr_matrix(coef, dtype=np.float64, copy=True)
    coef.sum_duplicates()
    if weights == "float16":
        with np.errstate(over="ignore"):
            half = coef.data.astype(np.float16)
        if not np.all(np.isfinite(half)):
            largest = float(np.abs(coef.data).max())
            raise ValueError(
                f"weights='float16' cannot hold a weight of magnitude {largest:.6g}"
                f" (float16 ends at {FLOAT16_MAX:g}): it would be saved as "
                "infinite. Use weights='q2.13', which scales each weight vector, "
                "or keep float64."
            )
        coef.data = half.astype(np.float64)
        scales = None
    elif weights == "q2.13":
        scales = q_scales(coef)
        step = (scales * Q_STEP)[_rows(coef)]
        x = coef.data / step  # exact: a division by a power of two
        low = np.floor(x)
        u = check_random_state(random_state).random_sample(x.shape[0])
        q = low + (u < (x - low))
        with np.errstate(over="ignore"):
            coef.data = q * step
        if not np.all(np.isfinite(coef.data)):  # rounded up past float64's largest number
            largest = float(np.abs(x * step).max())  # exact: step is a power of two
            raise ValueError(
                f"weights='q2.13' cannot hold a weight of magnitude {largest:.6g}: rounded up"
                " to its next step it is beyond float64's range and would be saved as"
                " infinite. Keep weights='float64'."
            )
    else:
        raise ValueError(f"unknown weights format {weights!r}.")
    coef.eliminate_zeros()
    return coef, scales


def encode(coef, weights, scales):
    """The ``coef_data`` array a file holds for the dequantized CSR ``coef``."""
    if weights == "float16":
        return coef.data.astype(np.float16)
    step = (np.asarray(scales) * Q_STEP)[_rows(coef)]
    return np.rint(coef.data / step).astype(np.int16)


DECODE_CHUNK = 2**18


def decode(data, indptr, weights, scales):
    """float64 weights from a file's ``coef_data`` (checked by ``_model_checks``)."""
    if weights == "float16":
        return data.astype(np.float64)
    # scaled in place, DECODE_CHUNK weights at a time (the model of each weight, its scale
    # and the product took 24 bytes a weight beside the result)
    weights = data.astype(np.float64)
    steps = np.asarray(scales, dtype=np.float64) * Q_STEP
    indptr = indptr.astype(np.int64, copy=False)
    for begin in range(0, weights.size, DECODE_CHUNK):
        end = min(begin + DECODE_CHUNK, weights.size)
        models = np.searchsorted(indptr, np.arange(begin, end), side="right") - 1
        with np.errstate(over="ignore"):  # infinite weights are refused by the caller
            weights[begin:end] *= steps[models]
    return weights
