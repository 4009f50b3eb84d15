"""The source release (sdist) is the repository: every tracked file is in it (MANIFEST.in),
the tests, benchmark and documentation site among them, so that its test suite runs; and it
builds the wheel, which holds the ``orgql`` package alone (no tests, docs or benchmark).

The sdist is built by setuptools' PEP 517 backend in this interpreter, the wheel by pip from
the unpacked sdist (in its isolated build environment, as an installer builds it; without
GraphiQL's assets, which the build would fetch): what is tested is what MANIFEST.in and
pyproject.toml select."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from orgql.graphiql.build import SKIP_VARIABLE
from tracked_tree import ROOT, copy_tracked

pytestmark = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="needs a git checkout (its tracked files are compared)"
)

#: What building an sdist adds to the tracked files.
GENERATED = {"PKG-INFO", "setup.cfg"}


def _run(command: list[str], cwd: Path) -> None:
    environment = {**os.environ, SKIP_VARIABLE: "1"}
    environment.pop("PYTHONPATH", None)
    done = subprocess.run(  # noqa: S603 (this interpreter)
        command, cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def build_sdist(source: Path, into: Path) -> Path:
    script = "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])"
    _run([sys.executable, "-c", script, str(into)], source)
    [built] = into.glob("*.tar.gz")
    return built


def build_wheel(source: Path, into: Path) -> Path:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "--no-deps"]
    _run([*pip, "--quiet", "-w", str(into), str(source)], source)
    [built] = into.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """The tracked files, and the sdist built from a clean copy of them."""
    base = tmp_path_factory.mktemp("release")
    tracked = copy_tracked(base / "clean")
    return tracked, build_sdist(base / "clean", base / "sdist")


def sdist_files(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        return {
            member.name.removeprefix(f"{top}/")
            for member in archive.getmembers()
            if member.isfile()
        }


def test_the_sdist_holds_every_tracked_file(release: tuple[list[str], Path]) -> None:
    tracked, sdist = release
    files = sdist_files(sdist)

    assert sorted(set(tracked) - files) == []
    added = {name for name in files - set(tracked) if ".egg-info/" not in name}
    assert added == GENERATED
    assert not [name for name in files if "__pycache__" in name or name.endswith(".pyc")]


def test_the_unpacked_sdist_builds_a_wheel_of_the_package_alone(
    release: tuple[list[str], Path], tmp_path: Path
) -> None:
    _, sdist = release
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    [source] = (tmp_path / "unpacked").iterdir()

    wheel = build_wheel(source, tmp_path / "wheel")

    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        "orgql",
        f"{wheel.name.split('-py3')[0]}.dist-info",
    }
    assert "orgql/db/migrations/versions/0001_initial_schema.py" in names
