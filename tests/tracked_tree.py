"""A clean copy of the repository for the tests that build its packages: the files git
tracks, as the working copy has them, and nothing else (no caches, build outputs or GraphiQL
assets)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> list[str]:
    """The tracked files that exist in the working copy, relative to the root."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 (git from PATH)
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


def copy_tracked(into: Path) -> list[str]:
    """Copy the tracked files into ``into``; answer their names."""
    names = tracked_files()
    for name in names:
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, into / name)
    return names
