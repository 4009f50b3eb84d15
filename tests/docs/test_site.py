"""The documentation builds: ``mkdocs build --strict`` (every warning an error: a broken
link or anchor, a page missing from the nav), and README.md stays short."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from docs.examples import ROOT

README_LIMIT = 200


def test_the_site_builds_without_a_warning(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert not warnings, result.stderr
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "index.html").is_file()


def test_the_readme_stays_under_200_lines() -> None:
    lines = len((ROOT / "README.md").read_text("utf-8").splitlines())
    assert lines < README_LIMIT, f"README.md has {lines} lines; move detail into docs/"
