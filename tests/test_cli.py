"""The ``orgql`` command as a user runs it: arguments in, exit status and output out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.cli import main
from orgql.db import models

# main() runs its own event loop (asyncio.run), so most of these tests are plain functions.


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the command at this test's database."""
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)
    return database_url


@pytest.fixture
async def empty_database(
    server: Any, template_database: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """A database without any schema, for the command to refuse or migrate."""
    name = f"{template_database}_empty"
    await server.create_database(name)
    monkeypatch.setenv("ORGQL_DATABASE_URL", server.database_url(name))
    try:
        yield name
    finally:
        await server.drop_database(name)


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), "utf-8")
    return path


def test_migrate_brings_an_empty_database_to_the_latest_revision(
    empty_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0

    assert "is at the latest schema revision" in capsys.readouterr().out


def test_seed_demo_refuses_a_database_that_is_not_migrated(
    empty_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo"]) == 2

    assert capsys.readouterr().err == (
        "orgql: the database schema is not up to date: run `orgql migrate` first\n"
    )


def test_seed_demo_keeps_demo_data_that_is_already_there(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo"]) == 0

    assert capsys.readouterr().out == "orgql: demo data already present\n"


async def test_import_reference_upserts_and_prints_counts(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], session: AsyncSession
) -> None:
    document = {
        "sites": [{"id": "siteEU", "name": "EU Store"}],
        "catalogs": [{"id": "euCatalog", "displayName": "EU Catalog"}],
    }
    path = write_json(tmp_path / "reference.json", document)

    # main() runs its own event loop, which cannot nest in the test's: give it a thread.
    status = await asyncio.to_thread(main, ["import-reference", str(path)])

    assert status == 0
    out = capsys.readouterr().out.splitlines()
    assert "sites: 1" in out
    assert "catalogs: 1" in out
    site = await session.scalar(select(models.Site).where(models.Site.id == "siteEU"))
    assert site is not None
    assert site.name == "EU Store"


def test_import_reference_reports_every_problem_and_exits_2(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_json(tmp_path / "bad.json", {"sites": [{"id": 3}], "catalogs": "x"})

    assert main(["import-reference", str(path)]) == 2

    assert capsys.readouterr().err.splitlines() == [
        "orgql: error 100002 sites.0.id: Input should be a valid string",
        "orgql: error 100002 sites.0.name: Field required",
        "orgql: error 100002 catalogs: Input should be a valid list",
    ]


def test_import_reference_rejects_a_file_that_is_not_json(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"sites": [', "utf-8")

    assert main(["import-reference", str(path)]) == 2

    assert capsys.readouterr().err == (
        f"orgql: {path} is not valid JSON (line 1, column 12): Expecting value\n"
    )


def test_import_reference_rejects_a_missing_file(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "missing.json"

    assert main(["import-reference", str(path)]) == 2

    assert capsys.readouterr().err.startswith(f"orgql: cannot read {path}: ")


def test_export_schema_writes_the_sdl_it_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "schema.graphql"

    assert main(["export-schema"]) == 0
    printed = capsys.readouterr().out
    assert main(["export-schema", "--output", str(output)]) == 0

    assert "type Query" in printed
    assert output.read_text("utf-8") == printed
