#!/usr/bin/env bash
# The release artefacts: `python -m build` gives an sdist and a wheel, without a deprecation
# warning; the wheel holds neither the Cython sources nor the generated C, carries py.typed and
# the license, and its compiled modules have no debug sections; the sdist has the .pyx and not
# the .c; the wheel installs into a fresh venv without a compiler and runs the demo.
#
# A separate step after the tests (not a pytest test): building compiles the kernel from scratch
# (~40 s of CPU) and the venv installs numpy, scipy and scikit-learn (~20 s of CPU); on the shared
# 2-core CI machine that is 2-4 minutes of wall time, which the test suite's budget cannot take.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python -m build --outdir "$work/dist" . > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
if grep -E "DeprecationWarning|SetuptoolsWarning|[Dd]eprecat(ed|ion)\b" "$work/build.log"; then
    echo "python -m build warned (above)"; exit 1
fi
python .ci/check_dist_contents.py "$work/dist"

python -m venv "$work/venv"
# wheels only, and no compiler to be found: installing must not build anything
CC=false CXX=false PIP_ONLY_BINARY=":all:" "$work/venv/bin/python" -m pip install -q "$work"/dist/*.whl
cd "$work"  # away from the source tree, so that the installed package is the one imported
"$work/venv/bin/python" -c "import sparsereg, sys; assert sparsereg.__file__.startswith('$work/venv'), sparsereg.__file__"
"$work/venv/bin/python" -m sparsereg.demo --no-plot | tee "$work/demo.txt"
grep -q "^L1 keeps" "$work/demo.txt"
echo "dist check passed: $(cd "$work/dist" && ls -s --block-size=K)"
