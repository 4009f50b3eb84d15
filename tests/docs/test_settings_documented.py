"""Every setting (``Settings``, read from ``ORGQL_*`` variables) is documented on a page of
docs/ or in README.md, and every ``ORGQL_*`` name the pages use is a setting or one of the
few variables that are not (tests, the docs runner, the build).

A page may shorten the names of a row after its first: `` `ORGQL_DB_CONNECT_TIMEOUT_SECONDS`
/ `_COMMAND_TIMEOUT_SECONDS` `` documents ``ORGQL_DB_COMMAND_TIMEOUT_SECONDS`` too (a
backticked ``_NAME`` or ``…_NAME`` stands for a full name of the same line cut at one of its
underscores, then ``_NAME``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from docs import examples
from orgql.settings import Settings
from orgql.settings_display import environment_name

SETTINGS = {environment_name(name) for name in Settings.model_fields}
#: ``ORGQL_*`` variables the pages name that are not settings of the gateway.
NOT_SETTINGS = {
    "ORGQL_TEST_DATABASE_URL",  # the tests' server (tests/conftest.py)
    "ORGQL_DOCS_SHOW",  # the docs runner shows answers (tests/docs/examples.py)
    "ORGQL_BUILD_WITHOUT_GRAPHIQL_ASSETS",  # building a wheel (orgql/graphiql/build.py)
}

_FULL = re.compile(r"\bORGQL_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*])")
_PREFIX = re.compile(r"\bORGQL_[A-Z0-9_]*_(?=\*)")  # ``ORGQL_SHOPPER_*``: a family
_SHORTENED = re.compile(r"`(?:…|\.\.\.)?(_[A-Z0-9_]*[A-Z0-9])`")


def _expansions(full: str, suffix: str) -> Iterable[str]:
    """The names ``suffix`` may stand for after ``full``: ``full`` cut at an underscore."""
    cuts = [index for index, character in enumerate(full) if character == "_"]
    return [full[:index] + suffix for index in cuts[1:]] + [full + suffix]


def documented_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        full = _FULL.findall(line)
        names.update(full)
        for suffix in _SHORTENED.findall(line):
            names.update(
                name for first in full for name in _expansions(first, suffix) if name in SETTINGS
            )
    return names


def _pages_text() -> dict[str, str]:
    return {page.name: page.read_text("utf-8") for page in examples.pages()}


def test_shortened_names_stand_for_the_names_of_their_row() -> None:
    row = "| `ORGQL_DB_CONNECT_TIMEOUT_SECONDS` / `_COMMAND_TIMEOUT_SECONDS` | `5` / `30` |"
    assert documented_names(row) == {
        "ORGQL_DB_CONNECT_TIMEOUT_SECONDS",
        "ORGQL_DB_COMMAND_TIMEOUT_SECONDS",
    }
    assert "ORGQL_FINANCIAL_BACKOFF_MAX_SECONDS" in documented_names(
        "| `ORGQL_FINANCIAL_BACKOFF_SECONDS` / `…_BACKOFF_MAX_SECONDS` | 0.2 / 2 |"
    )


def test_every_setting_is_documented() -> None:
    documented = set().union(*(documented_names(text) for text in _pages_text().values()))

    assert sorted(SETTINGS - documented) == []


def test_every_documented_orgql_variable_is_a_setting() -> None:
    unknown = {
        f"{page}: {name}"
        for page, text in _pages_text().items()
        for name in _FULL.findall(text)
        if name not in SETTINGS | NOT_SETTINGS
    }
    families = {name for text in _pages_text().values() for name in _PREFIX.findall(text)}

    assert sorted(unknown) == []
    assert all(any(name.startswith(family) for name in SETTINGS) for family in families)
