"""Running a snippet in fresh interpreters with different PYTHONHASHSEED values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).parents[1])


def outputs_under_two_hash_seeds(code):
    """What ``python -c code`` prints under PYTHONHASHSEED=1 and =2, as two strings."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": ROOT},
        )
        for seed in ("1", "2")
    ]
    return [p.communicate(timeout=60)[0] for p in procs]
