"""The memory a call allocates, as tracemalloc sees it (NumPy's arrays included)."""

import os
import subprocess
import sys
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


def run_python(code, *args):
    """Run ``code`` in a fresh interpreter, this checkout first on its path (a memory limit
    set there stays in it), and return the ``CompletedProcess``."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root, "OPENBLAS_NUM_THREADS": "1"},
        timeout=120,
    )
