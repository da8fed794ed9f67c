"""The wheel: built from the project's files, it holds every module and the glossary, and runs.

``pyproject.toml`` lists the packages explicitly (the glossary data ships as ``streamkit._glossary``
from the top-level ``glossary/`` folder), so a new subpackage that is not listed would work in the
editable install the tests use and be missing from the wheel. This builds the real wheel with pip
and runs it from a folder that holds nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

IGNORE = shutil.ignore_patterns(".git", ".venv", ".work", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                                "__pycache__", "build", "dist", "*.egg-info", ".streamkit")


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_the_glossary_and_runs(tmp_path: Path) -> None:
    src = tmp_path / "streamkit-src"
    shutil.copytree(REPO, src, ignore=IGNORE)
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
                           capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("streamkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "streamkit").rglob("*.py")}
    assert modules - names == set()
    data = {f"streamkit/_glossary/{p.name}" for p in (REPO / "glossary").glob("*.toml")}
    assert data - names == set()
    assert "streamkit/py.typed" in names
    pages = {p.relative_to(REPO).as_posix() for p in (REPO / "streamkit").rglob("static/*") if p.is_file()}
    assert pages - names == set()  # the local pages' HTML, CSS and JavaScript (package-data)

    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = ("import streamkit, streamkit.glossary as g; "
             "print(streamkit.__file__); print(len(g.load_glossary())); print(g.builtin_dir())")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    where, count, builtin = run.stdout.split("\n")[:3]
    assert Path(where).is_relative_to(site) and Path(builtin).is_relative_to(site)
    from streamkit.glossary import load_glossary

    assert int(count) == len(load_glossary())
    cli = subprocess.run([sys.executable, "-m", "streamkit", "glossary", "check"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert cli.returncode == 0, cli.stdout + cli.stderr
