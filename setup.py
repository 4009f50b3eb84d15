"""setuptools hook (the project's metadata is in pyproject.toml): every wheel carries
GraphiQL's scripts and styles, fetched from the npm registry when the source tree has none,
or its build fails saying why (src/orgql/graphiql/build.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from orgql.graphiql import build as graphiql_assets


class BuildPyWithGraphiql(build_py):
    def run(self) -> None:
        # An editable install (dev.py) serves the source tree, where dev.py fetches them and
        # an offline first run still works (the page falls back to the CDN).
        if not getattr(self, "editable_mode", False):
            graphiql_assets.ensure_for_wheel()
        super().run()


setup(cmdclass={"build_py": BuildPyWithGraphiql})
