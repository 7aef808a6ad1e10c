"""Build a C check of a kernel header once per instruction set this CPU runs, with the kernel
module's floating-point flags, and collect what each build prints.

The compiled module picks one variant of a header's functions when it loads (GCC's
``target_clones``: AVX2 or the baseline for the training lanes, also AVX-512 for the passes
over X), so the estimator tests only reach the one this CPU selects; these builds reach the
others, AVX-512 included (the code stays right for a build that would clone it).
"""

import os
import platform
import shutil
import subprocess

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# the kernel module's floating-point flags (setup.py), without which lanes may not match
KERNEL_FLAGS = ["-O3", "-fno-fast-math", "-fno-math-errno", "-ffp-contract=off"]

compiler = shutil.which("gcc") or shutil.which("cc")


def variants():
    if platform.machine() not in ("x86_64", "AMD64"):
        return [[]]
    features = np._core._multiarray_umath.__cpu_features__
    found = [["-march=x86-64"]]
    if features.get("AVX2"):
        found.append(["-mavx2"])
    if features.get("AVX512F"):
        found.append(["-mavx512f"])
    return found


def outputs_per_instruction_set(source, folder):
    """``{flags: stdout}`` of ``tests/<source>`` built and run once per variant; each run
    must exit with 0 (its own checks passed)."""
    outputs = {}
    for flags in variants():
        binary = os.path.join(str(folder), os.path.splitext(source)[0] + "".join(flags))
        subprocess.run(
            [compiler, *KERNEL_FLAGS, *flags, "-o", binary, source, "-lm"], cwd=HERE, check=True
        )
        run = subprocess.run([binary], capture_output=True, text=True)
        assert run.returncode == 0, f"{flags}: {run.stdout}"
        outputs[" ".join(flags) or "native"] = run.stdout.strip()
    return outputs
