"""Running a snippet under two different hash seeds: here and in a fresh interpreter."""

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).parents[1])


def outputs_under_two_hash_seeds(code):
    """What ``code`` prints in a fresh ``python -c`` under another PYTHONHASHSEED than this
    process's, and what it prints run here (as ``__main__``), as two strings.

    This process is the second interpreter: its str hashes are salted by its own seed (random,
    or PYTHONHASHSEED if set), and the subprocess gets a different fixed one (1, or 2 where this
    process runs under 1). The snippets print ``hash(...)`` of a str so that the tests can check
    that the two seeds did differ. One interpreter started instead of two.
    """
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": ROOT},
    )
    here = io.StringIO()
    try:
        with contextlib.redirect_stdout(here):
            exec(compile(code, "<snippet>", "exec"), {"__name__": "__main__"})
    finally:
        out = proc.communicate(timeout=60)[0]
    return [out, here.getvalue()]
