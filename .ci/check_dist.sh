#!/usr/bin/env bash
# The release artefacts: `python -m build` gives an sdist and a wheel, without a deprecation
# warning; the wheel holds neither the Cython sources nor the generated C, carries py.typed and
# the license, and its compiled modules have no debug sections; the sdist has the .pyx and not
# the .c; the wheel installs into a fresh venv without a compiler and runs the demo.
#
# The build runs without build isolation, in the environment the README's command made (the
# build tools, then the test extra, which carries build): an isolated build first installs setuptools,
# Cython and numpy into a throwaway environment, 24 s of CPU out of 65. What isolation checked,
# that build-system.requires names every module setup.py imports, check_build_requires.py checks,
# and `build` checks that this environment satisfies build-system.requires. The wheel is still
# built from the sdist, so the sdist must hold everything the build needs.
#
# A separate step after the tests (not a pytest test): building runs Cython again and compiles
# the kernel (~40 s of CPU, or ~1 s where ccache holds the editable install's objects: setup.py)
# and the venv installs numpy, scipy and scikit-learn (~5 s of CPU), which the test suite's
# budget cannot take.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python .ci/check_build_requires.py
python -m build --no-isolation --outdir "$work/dist" . > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
if grep -E "DeprecationWarning|SetuptoolsWarning|[Dd]eprecat(ed|ion)\b" "$work/build.log"; then
    echo "python -m build warned (above)"; exit 1
fi
python .ci/check_dist_contents.py "$work/dist"

# no pip inside the venv (ensurepip costs 5 s of CPU): this pip installs into it (--python),
# without byte-compiling numpy, scipy and scikit-learn (--no-compile: 11 s of CPU; Python
# compiles what the demo imports as it imports it)
python -m venv --without-pip "$work/venv"
# wheels only, and no compiler to be found: installing must not build anything
CC=false CXX=false PIP_ONLY_BINARY=":all:" python -m pip --python "$work/venv/bin/python" \
    install -q --no-compile "$work"/dist/*.whl
cd "$work"  # away from the source tree, so that the installed package is the one imported
# one interpreter both checks where sparsereg comes from and runs the demo as `python -m
# sparsereg.demo --no-plot` would: the venv's modules have no .pyc (--no-compile, and CI may set
# PYTHONDONTWRITEBYTECODE), so each interpreter compiles numpy, scipy and scikit-learn: 6 s
"$work/venv/bin/python" -c "
import runpy, sys, sparsereg
assert sparsereg.__file__.startswith('$work/venv'), sparsereg.__file__
sys.argv = ['sparsereg.demo', '--no-plot']
runpy.run_module('sparsereg.demo', run_name='__main__', alter_sys=True)
" | tee "$work/demo.txt"
grep -q "^L1 keeps" "$work/demo.txt"
echo "dist check passed: $(cd "$work/dist" && ls -s --block-size=K)"
