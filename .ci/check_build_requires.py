"""pyproject.toml's build-system.requires names every module setup.py imports (but for the
standard library's).

check_dist.sh builds without build isolation, so an undeclared build dependency would go unseen
there; this is the check isolation made.
"""

import ast
import re
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: build depends on tomli there
    import tomli as tomllib

requires = tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]
declared = {re.split(r"[<>=!~ \[;]", r)[0].lower() for r in requires}
tree = ast.parse(open("setup.py").read())
imported = {
    a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
}
imported |= {
    n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0
}
missing = sorted(
    m for m in imported if m.lower() not in declared and m not in sys.stdlib_module_names
)
if missing:
    sys.exit(f"setup.py imports {missing}, not in build-system.requires {requires}")
