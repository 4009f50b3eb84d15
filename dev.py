#!/usr/bin/env python3
"""Developer entry point; needs only Python 3.11+ (standard library).

    python3 dev.py serve [orgql serve options]   run the server (embedded PostgreSQL, demo data)
    python3 dev.py test [pytest options]         run the test suite (in parallel; -n 0 for one process)
    python3 dev.py lint                          ruff check, ruff format --check, mypy

The first run creates .venv and installs the project into it (pip install -e '.[dev]'); it
installs again whenever pyproject.toml is newer than the last install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
EXE = ".exe" if os.name == "nt" else ""
PYTHON = BIN / f"python{EXE}"
STAMP = VENV / ".orgql-installed"
PYPROJECT = ROOT / "pyproject.toml"

USAGE = __doc__ or ""


def say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def ensure_venv() -> None:
    """Create .venv if missing; (re)install the project when it is new or out of date."""
    reason = None
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV.relative_to(ROOT)}")
        try:
            venv.create(VENV, with_pip=True, clear=VENV.exists())
        except (OSError, subprocess.CalledProcessError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)  # a half-made venv would fail next time too
            say(f"could not create .venv: {exc}")
            sys.exit("dev.py: on Debian/Ubuntu, `apt install python3-venv` provides ensurepip")
        reason = "new virtual environment"
    elif not STAMP.exists():
        reason = "not installed yet"
    elif PYPROJECT.stat().st_mtime > STAMP.stat().st_mtime:
        reason = "pyproject.toml changed"
    if reason is None:
        return
    say(f"installing orgql[dev] into .venv ({reason}); the first time takes a minute")
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    status = subprocess.call([*pip, "-e", ".[dev]"], cwd=ROOT)  # noqa: S603 (fixed command)
    if status != 0:
        say(f"installation failed (exit {status}); fix the error above and run again")
        sys.exit(status)
    STAMP.touch()


def ensure_graphiql_assets() -> None:
    """GraphiQL's scripts and styles, fetched once from the npm registry (not committed).
    Without them (offline first run) the page falls back to the CDN."""
    assets = ROOT / "src" / "orgql" / "graphiql" / "assets"
    if assets.is_dir() and any(assets.iterdir()):
        return
    say("fetching GraphiQL's scripts and styles from the npm registry")
    build = [str(PYTHON), "-m", "orgql.graphiql.build"]
    if subprocess.call(build, cwd=ROOT) != 0:  # noqa: S603 (fixed command)
        say("could not fetch them; GraphiQL will load them from the CDN instead")


def parallel(pytest_args: Sequence[str]) -> list[str]:
    """pytest-xdist's options: one process per core (at most 4; each makes its own template
    database), a test file's tests in one process (module fixtures are set up once). None
    when the caller chose (``-n``, ``-p no:xdist``) or debugs one process (``--pdb``)."""
    chosen = ("-n", "--numprocesses", "-p", "--pdb", "--trace")
    if any(arg.split("=")[0] in chosen or arg.startswith("-n") for arg in pytest_args):
        return []
    workers = min(os.cpu_count() or 1, 4)
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


def run(command: Sequence[str]) -> int:
    say("$ " + " ".join(command))
    return subprocess.call(command, cwd=ROOT)  # noqa: S603 (our own commands)


def replace_process(command: Sequence[str]) -> None:
    """Become ``command``: signals (Ctrl+C) and the exit status belong to it alone."""
    say("$ " + " ".join(command))
    os.chdir(ROOT)
    if os.name == "nt":  # no exec on Windows: wait and pass the status through
        sys.exit(subprocess.call(command))  # noqa: S603 (our own commands)
    os.execv(command[0], list(command))  # noqa: S606


def main(argv: Sequence[str]) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py runs on whatever python3 is)
        sys.exit("dev.py: orgql needs Python 3.11 or newer")
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE.strip())
        sys.exit(0 if argv else 2)
    task, extra = argv[0], list(argv[1:])
    if task not in ("serve", "test", "lint"):
        sys.exit(f"dev.py: unknown command {task!r}; expected serve, test or lint")

    if task == "lint" and extra:
        sys.exit("dev.py: lint takes no arguments (it checks what pyproject.toml configures)")

    ensure_venv()
    if task in ("serve", "test"):
        ensure_graphiql_assets()
    if task == "serve":
        replace_process([str(BIN / f"orgql{EXE}"), "serve", "--seed-demo", *extra])
    elif task == "test":
        replace_process([str(PYTHON), "-m", "pytest", *parallel(extra), *extra])
    else:
        ruff, mypy = str(BIN / f"ruff{EXE}"), str(BIN / f"mypy{EXE}")
        checks = {
            "ruff check": [ruff, "check"],
            "ruff format --check": [ruff, "format", "--check"],
            "mypy": [mypy],
        }
        failed = [name for name, command in checks.items() if run(command) != 0]
        if failed:
            say("failed: " + ", ".join(failed))
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
