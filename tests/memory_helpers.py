"""The memory a call allocates, as tracemalloc sees it (NumPy's arrays included)."""

import tracemalloc


def result_and_peak(call, *args):
    """``(call(*args), the most bytes it had allocated at once)``."""
    tracemalloc.start()
    try:
        result = call(*args)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def peak_bytes(call, *args):
    """The most bytes ``call(*args)`` had allocated at once."""
    return result_and_peak(call, *args)[1]
