"""setup.py compiles through ccache only where it is installed, runs, can write its cache, and
CC does not name the compiler: a ccache that cannot cache fails every compilation."""

import importlib.util
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup_py():
    spec = importlib.util.spec_from_file_location("sparsereg_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # (setup() runs only as __main__)
    return module


def _fake_ccache(tmp_path, script):
    path = tmp_path / "ccache"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _compiler():
    calls = []
    compiler = SimpleNamespace(compiler_so=["gcc", "-O3"])
    compiler.set_executable = lambda key, value: calls.append((key, value))
    return compiler, calls


def test_a_ccache_that_runs_and_can_write_its_cache_prefixes_the_compiler(
    setup_py, tmp_path, monkeypatch
):
    monkeypatch.delenv("CC", raising=False)
    cache = tmp_path / "cache" / "sub"
    ccache = _fake_ccache(tmp_path, f'echo "{cache}"')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    compiler, calls = _compiler()
    setup_py.compile_through_ccache(compiler)
    assert calls == [("compiler_so", [ccache, "gcc", "-O3"])]
    assert cache.is_dir()  # (made, as ccache would make it)
    # CC names the compiler: left as it is
    monkeypatch.setenv("CC", "clang")
    compiler, calls = _compiler()
    setup_py.compile_through_ccache(compiler)
    assert calls == []


@pytest.mark.parametrize(
    "script",
    [
        "exit 127",  # a pyenv shim of a Python that does not have it
        "echo /proc/no-such-cache; exit 0",  # a cache folder that cannot be made
        "exit 0",  # no folder named
    ],
)
def test_a_ccache_that_cannot_cache_is_not_used(setup_py, tmp_path, monkeypatch, script):
    monkeypatch.delenv("CC", raising=False)
    ccache = _fake_ccache(tmp_path, script)
    assert setup_py.cache_runs(ccache) is False
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    compiler, calls = _compiler()
    setup_py.compile_through_ccache(compiler)
    assert calls == []
