"""Check the contents of the sdist and the wheel in the folder given (see check_dist.sh)."""

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

dist = Path(sys.argv[1])
(wheel,) = dist.glob("*.whl")
(sdist,) = dist.glob("*.tar.gz")
problems = []

names = zipfile.ZipFile(wheel).namelist()
for suffix in (".pyx", ".c", ".h", ".pxd", ".html"):
    problems += [f"wheel carries {n}" for n in names if n.endswith(suffix)]
if "sparsereg/py.typed" not in names:
    problems.append("wheel has no sparsereg/py.typed")
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    problems.append("wheel has no LICENSE")
metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
if "License-Expression: BSD-3-Clause" not in metadata:
    problems.append("METADATA has no License-Expression: BSD-3-Clause")
extensions = [n for n in names if n.endswith((".so", ".pyd"))]
MODULES = {
    "_ftrl_fast",
    "_ftrl_grid",
    "_ftrl_scores",
    "_cyutility",
    "_interrupts",
    "_strhash",
    "_atomic",
}
if {Path(n).name.split(".")[0] for n in extensions} != MODULES or len(extensions) != len(MODULES):
    problems.append(f"expected the compiled modules {sorted(MODULES)}, found {extensions}")
with zipfile.ZipFile(wheel) as archive:
    for name in extensions:
        if not name.endswith(".so"):
            continue
        path = dist / Path(name).name
        path.write_bytes(archive.read(name))
        sections = subprocess.run(
            ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=True
        ).stdout
        if ".debug_" in sections:
            problems.append(f"{name} has debug sections")
        path.unlink()

members = tarfile.open(sdist).getnames()
for source in (
    "_ftrl_fast.pyx",
    "_ftrl_fast.pxd",
    "_ftrl_grid.pyx",
    "_ftrl_scores.pyx",
    "_grid_models.h",
    "_csr_checks.h",
    "_dense_nonzeros.h",
    "_dense_rows.h",
    "_csr_rows.h",
    "_vector_clones.h",
    "_strhash.pyx",
    "_interrupts.pyx",
    "_atomic.pyx",
):
    if not any(m.endswith(f"sparsereg/{source}") for m in members):
        problems.append(f"sdist lacks sparsereg/{source}")
problems += [f"sdist carries {m}" for m in members if m.endswith((".c", ".so"))]

for problem in problems:
    print(problem)
print(
    f"{wheel.name}: {wheel.stat().st_size / 1024:,.0f} KiB, {len(names)} files; "
    f"{sdist.name}: {sdist.stat().st_size / 1024:,.0f} KiB, {len(members)} members"
)
sys.exit(1 if problems else 0)
