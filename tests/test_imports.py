"""Importing a module builds nothing (STYLE.md, "Settings": importing a module has no side
effects), and every module can be the first one imported (``orgql export-schema`` imports
the schema's module first). Checked in a fresh interpreter, where nothing is built or loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"

#: Run in a fresh interpreter. It counts the strawberry schemas built (ours subclass it and
#: call its __init__), imports every module of orgql, then imports each one first: in a fork
#: that keeps the libraries loaded and forgets orgql, so each costs only orgql's own modules.
#: (An import cycle fails only when the module imported first is in it.) Scripts are left
#: out: ``__main__`` runs the command line, alembic's ``env.py`` the migrations.
PROBE = """
import importlib, json, os, pkgutil, sys

sys.path.insert(0, sys.argv[1])
import strawberry

built = []
original = strawberry.Schema.__init__

def counting(self, *args, **kwargs):
    built.append(type(self).__qualname__)
    original(self, *args, **kwargs)

strawberry.Schema.__init__ = counting

import orgql

SCRIPTS = {"orgql.db.migrations.env"}
names = [
    module.name
    for module in pkgutil.walk_packages(orgql.__path__, "orgql.")
    if module.name.rsplit(".", 1)[-1] != "__main__" and module.name not in SCRIPTS
]
for name in names:
    importlib.import_module(name)

def imported_first(name):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        for loaded in [key for key in sys.modules if key.split(".")[0] == "orgql"]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
            problem = f"built {built}" if built else ""
        except BaseException as error:
            problem = f"{type(error).__name__}: {error}"
        os.write(write, problem.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        problem = answer.read().decode()
    os.waitpid(pid, 0)
    return problem

first = {name: problem for name in names if (problem := imported_first(name))}
print(json.dumps({"source": orgql.__file__, "imported": names, "built": built, "first": first}))
"""


def test_importing_any_module_builds_nothing_and_needs_no_other_first() -> None:
    # -I: the interpreter sees neither the environment nor the working directory, so the
    # modules imported are this checkout's (SOURCE), whatever is installed or exported.
    result = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-I", "-c", PROBE, str(SOURCE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.splitlines()[-1])

    assert Path(probe["source"]).is_relative_to(SOURCE)
    # The walk reached the module that once built the schema, and those that build it now.
    assert {"orgql.graphql.schema", "orgql.graphql.asgi", "orgql.app", "orgql.cli"} <= set(
        probe["imported"]
    )
    assert probe["built"] == []
    assert probe["first"] == {}
