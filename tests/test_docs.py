"""The documentation builds with every warning an error, documents every public name with a
runnable example, and runs every gallery example to its figure.

The build runs on copies of docs/ and examples/ in a temporary folder, from scratch (no cached
environment, no gallery results kept from an earlier build), as ``python -m sphinx -W -E``.
"""

import importlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sparsereg.datasets import fetch_sms_spam

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = [
    "sparsereg",
    "sparsereg.stream",
    "sparsereg.datasets",
    "sparsereg.dask",
    "sparsereg.export",
    "sparsereg.sparsity",
    "sparsereg.model_selection",
    "sparsereg.cli",
]
USER_GUIDE = ["ftrl", "crosses", "sparsity", "state", "migrating", "streaming", "dask"]

pytestmark = [
    pytest.mark.skipif(
        any(
            importlib.util.find_spec(m) is None
            for m in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme", "distributed")
        ),
        reason='the docs build needs pip install -e ".[docs,dask]"',
    ),
    # one xdist worker runs this module's tests (--dist loadgroup): the build is made once
    pytest.mark.xdist_group("docs"),
]


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    # l1_vs_l2.py reads SMS spam: from SPARSEREG_DATA or the cache, never downloaded in a test
    try:
        fetch_sms_spam(download_if_missing=False)
    except FileNotFoundError as exc:
        pytest.skip(f"the gallery's l1_vs_l2.py needs SMS spam locally: {exc}")
    work = tmp_path_factory.mktemp("docs")
    shutil.copytree(
        ROOT / "docs",
        work / "docs",
        ignore=shutil.ignore_patterns(
            "_build", "generated", "auto_examples", "sg_execution_times.rst", "__pycache__"
        ),
    )
    shutil.copytree(
        ROOT / "examples", work / "examples", ignore=shutil.ignore_patterns("*.png", "__pycache__")
    )
    out = work / "html"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-E",
            "-q",
            "-b",
            "html",
            str(work / "docs"),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=900,
    )
    return run, out, work


def public_names():
    """(module, name) of every public object, once, under the module that exports it first."""
    seen, names = set(), []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) not in seen:
                seen.add(id(obj))
                names.append((module_name, name))
    return names


# a record of Dask's logging: "2026-12-03 18:23:58,556 - distributed.worker - ERROR - ..."
DISTRIBUTED_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - distributed\.")
# the lines of a traceback that follows a record
TRACEBACK_LINE = re.compile(
    r"(\s|$|Traceback |The above exception|During handling of|[\w.]+(Error|Exception)\b)"
)


def without_distributed_records(stderr):
    """stderr without the records of Dask's loggers (``distributed.*``), tracebacks included.

    plot_dask.py's cluster logs its shutdown's races there: a worker (distributed 2026.8)
    stops its heartbeat's timer as it closes, but a heartbeat already on its way fails when
    the worker closes its connection pool, and logs an ERROR with its traceback (it failed
    one CI run); distributed's code also names other races of a close ("Scheduler was unaware
    of this worker"). They are the cluster's, not the docs': a task of the example that
    failed would raise in the example, and the build fails then. Sphinx's own warnings (a
    file name, ``: WARNING:``) end a record's traceback and stay.
    """
    kept, in_record = [], False
    for line in stderr.splitlines():
        if DISTRIBUTED_RECORD.match(line):
            in_record = True
        elif not (in_record and TRACEBACK_LINE.match(line)):
            in_record = False
            kept.append(line)
    return "\n".join(kept)


def test_docs_build_without_warnings(built_docs):
    run, out, _ = built_docs
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    stderr = without_distributed_records(run.stderr)
    assert "WARNING" not in stderr and "ERROR" not in stderr, stderr[-5000:]
    # an example calling sys.exit() would end the build early with status 0: check it finished
    assert (out / "index.html").exists() and (out / "searchindex.js").exists()


def test_every_public_name_has_a_page_with_its_example(built_docs):
    _, out, _ = built_docs
    names = public_names()
    assert len(names) >= 25
    missing, without_example = [], []
    for module_name, name in names:
        page = out / "generated" / f"{module_name}.{name}.html"
        if not page.exists():
            missing.append(page.name)
            continue
        html = page.read_text(encoding="utf-8")
        # numpydoc renders the docstring's Examples section as a rubric followed by doctest code
        if not re.search(r"rubric[^>]*>Examples<", html) or "&gt;&gt;&gt;" not in html:
            without_example.append(page.name)
    assert not missing, f"no API page for {missing}"
    assert not without_example, f"API pages without an Examples section: {without_example}"
    api = (out / "api.html").read_text(encoding="utf-8")
    for module_name, name in names:
        assert f"{module_name}.{name}.html" in api, f"api.html does not link {name}"


def test_every_method_and_property_of_sparsereg_is_on_its_class_page(built_docs):
    # the class pages documented a class's own members only: the estimators' state protocol
    # (get_ftrl_state, set_ftrl_state, inherited from their base class) had no entry, and the
    # links to it went nowhere; scikit-learn's members (get_params, score...) stay its own
    _, out, _ = built_docs
    missing = []
    for module_name, name in public_names():
        cls = getattr(importlib.import_module(module_name), name)
        if not isinstance(cls, type):
            continue
        html = (out / "generated" / f"{module_name}.{name}.html").read_text(encoding="utf-8")
        for member in dir(cls):
            owner = next((c for c in cls.__mro__ if member in vars(c)), None)
            value = vars(owner)[member] if owner is not None else None
            if (
                member.startswith("_")
                or member in getattr(cls, "_fields", ())  # a named tuple's (its Attributes)
                or (member.startswith("set_") and member.endswith("_request"))  # sklearn's
                or owner is None
                or owner.__module__.split(".")[0] != "sparsereg"
                or not (inspect.isroutine(value) or isinstance(value, property))
            ):
                continue
            if f'id="{module_name}.{name}.{member}"' not in html:
                missing.append(f"{name}.{member}")
    assert not missing, f"members without an entry on their class's page: {missing}"
    state = (out / "user_guide" / "state.html").read_text(encoding="utf-8")
    assert (
        "sparsereg.SparseFTRLClassifier.html#sparsereg.SparseFTRLClassifier.get_ftrl_state" in state
    )


# a cross-reference Sphinx resolved is a link; one it did not is bare code (nitpicky is off)
UNRESOLVED_REFERENCE = re.compile(
    r'(<a [^>]*>)?<code class="xref py py-\w+[^"]*"><span class="pre">([^<]*)</span>'
)


def test_no_reference_to_a_sparsereg_name_is_left_unresolved(built_docs):
    # references through a private module's path (sparsereg.sparsity.sparsity_report, public
    # as sparsereg.sparsity_report) or to an undocumented name went nowhere, silently
    _, out, _ = built_docs
    ours = set()
    for module_name, name in public_names():
        obj = getattr(importlib.import_module(module_name), name)
        ours |= {name, *(m for m in dir(obj) if not m.startswith("_"))}
    ours -= {"fit", "predict", "score", "transform"}  # also scikit-learn's (SGDRegressor.fit)
    unresolved = []
    for page in sorted(out.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        for link, target in UNRESOLVED_REFERENCE.findall(html):
            if not link and target.removesuffix("()").split(".")[-1] in ours:
                unresolved.append(f"{page.relative_to(out)}: {target}")
    assert not unresolved, unresolved


def test_user_guide_pages_exist_and_are_linked(built_docs):
    _, out, _ = built_docs
    index = (out / "user_guide" / "index.html").read_text(encoding="utf-8")
    for page in USER_GUIDE:
        assert (out / "user_guide" / f"{page}.html").exists()
        assert f"{page}.html" in index
    migrating = (out / "user_guide" / "migrating.html").read_text(encoding="utf-8")
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    sgd = set(SGDClassifier().get_params()) | set(SGDRegressor().get_params())
    table = migrating.split("Every SGD parameter", 1)[1].split("Parameters only sparsereg", 1)[0]
    undocumented = [p for p in sgd if f'<span class="pre">{p}</span>' not in table]
    assert not undocumented, f"the migration table misses SGD parameters {undocumented}"


def test_every_gallery_example_ran_and_drew_its_figure(built_docs):
    _, out, work = built_docs
    examples = sorted(p.stem for p in (work / "examples").glob("*.py"))
    assert {
        "l1_vs_l2",
        "plot_california_map",
        "plot_frontier",
        "plot_streaming",
        "plot_dask",
    } <= set(examples)
    gallery = (out / "auto_examples" / "index.html").read_text(encoding="utf-8")
    for stem in examples:
        page = out / "auto_examples" / f"{stem}.html"
        assert page.exists(), stem
        html = page.read_text(encoding="utf-8")
        figure = out / "_images" / f"sphx_glr_{stem}_001.png"
        assert figure.exists() and figure.stat().st_size > 10_000, f"{stem} drew no figure"
        assert f"sphx_glr_{stem}_001.png" in html
        assert "Traceback" not in html, f"{stem} failed"
        assert f"{stem}.html" in gallery
    # the examples print what they measured; their output is on their pages
    frontier = (out / "auto_examples" / "plot_frontier.html").read_text(encoding="utf-8")
    assert "best test RMSE" in frontier
    dask_page = (out / "auto_examples" / "plot_dask.html").read_text(encoding="utf-8")
    assert "mixing=None equals partial_fit over the blocks: True" in dask_page


def test_l1_vs_l2_example_printed_the_readme_captions_figures(built_docs):
    # the gallery runs examples/l1_vs_l2.py as the README shows it (5 passes); its page holds
    # what it printed. The README's caption: the same test accuracy, 8x fewer non-zero
    # weights with L1, an export of 61 KiB instead of 448 KiB
    _, out, _ = built_docs
    printed = (out / "auto_examples" / "l1_vs_l2.html").read_text(encoding="utf-8")
    assert "SMS spam, 5,574 messages" in printed and "exactly zero" in printed
    rows = {
        m["penalty"]: m
        for m in re.finditer(
            r"FTRL (?P<penalty>L[12]) \(alpha=\S+\)\s+(?P<accuracy>[\d.]+)%\s+[\d.]+\s+"
            r"(?P<nonzero>[\d,]+)\s+\S+ KiB\s+\S+ KiB\s+(?P<export>[\d.,]+) KiB",
            printed,
        )
    }
    l1, l2 = ({key: m[key].replace(",", "") for key in m.groupdict()} for m in rows.values())
    assert l1["penalty"] == "L1" and l1["accuracy"] == l2["accuracy"]
    assert float(l2["nonzero"]) >= 7.5 * float(l1["nonzero"])
    assert round(float(l1["export"])) == 61 and round(float(l2["export"])) == 448
