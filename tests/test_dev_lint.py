"""``python3 dev.py lint`` (README's third command) passes on the repository as committed: it
runs ruff over everything pyproject.toml configures, dev.py and the docs' Python blocks
included, not only src, tests and bench."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.skipif(RUFF is None, reason="needs ruff (the dev extra)")
@pytest.mark.parametrize("check", [["check"], ["format", "--check"]])
def test_dev_py_lints_clean(check: list[str]) -> None:
    assert RUFF is not None
    done = subprocess.run(  # noqa: S603 (ruff, fixed arguments)
        [RUFF, *check], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
