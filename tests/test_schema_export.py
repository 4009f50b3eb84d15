"""schema.graphql at the repository root is the exported SDL of the live schema."""

from __future__ import annotations

from pathlib import Path

from orgql.graphql.schema import default_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_schema_graphql_matches_the_live_schema() -> None:
    # `orgql export-schema` writes the SDL with exactly one trailing newline.
    expected = default_schema().as_str().rstrip("\n") + "\n"

    assert SCHEMA_FILE.read_text("utf-8") == expected, (
        "schema.graphql is out of date; regenerate it with"
        " `.venv/bin/orgql export-schema --output schema.graphql`"
    )
