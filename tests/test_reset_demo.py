"""``orgql reset-demo``: the database holds the demo data alone again; it asks for --yes and
refuses the production profile."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from orgql.cli import main
from orgql.db import models
from orgql.db.engine import make_engine


async def _count_and_name(url: str) -> tuple[int, str | None]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(models.Organization))
            name = await connection.scalar(
                select(models.Organization.name).where(models.Organization.id == "100002")
            )
            return int(count or 0), name
    finally:
        await engine.dispose()


async def _change(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE organizations SET name = 'Renamed' WHERE id = '100002'")
            )
            await connection.execute(
                text(
                    "INSERT INTO organizations (id, name, active) VALUES ('900001', 'Extra', true)"
                )
            )
    finally:
        await engine.dispose()


def test_reset_demo_puts_the_demo_data_back(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)
    asyncio.run(_change(database_url))
    assert asyncio.run(_count_and_name(database_url)) == (4, "Renamed")

    assert main(["reset-demo", "--yes"]) == 0

    assert asyncio.run(_count_and_name(database_url)) == (3, "Sample East")
    assert "holds the demo data alone again" in capsys.readouterr().out


def test_reset_demo_asks_for_yes_and_changes_nothing_without_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)
    asyncio.run(_change(database_url))

    assert main(["reset-demo"]) == 2

    assert "--yes" in capsys.readouterr().err
    assert asyncio.run(_count_and_name(database_url)) == (4, "Renamed")


def test_reset_demo_refuses_production(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)
    monkeypatch.setenv("ORGQL_ENVIRONMENT", "production")

    assert main(["reset-demo", "--yes"]) == 2

    assert "production" in capsys.readouterr().err
