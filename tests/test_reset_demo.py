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


async def _fail_every_create_table(url: str, *, on: bool) -> None:
    """An event trigger (outside the public schema reset-demo drops) that makes the migrations
    fail half-way: a real database failure, after the drop."""
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            if not on:
                await connection.execute(text("DROP EVENT TRIGGER IF EXISTS refuse_tables"))
                await connection.execute(text("DROP SCHEMA IF EXISTS trap CASCADE"))
                return
            await connection.execute(text("CREATE SCHEMA trap"))
            await connection.execute(
                text(
                    "CREATE FUNCTION trap.refuse() RETURNS event_trigger LANGUAGE plpgsql AS"
                    " $$ BEGIN RAISE EXCEPTION 'no new tables today'; END $$"
                )
            )
            await connection.execute(
                text(
                    "CREATE EVENT TRIGGER refuse_tables ON ddl_command_start"
                    " WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION trap.refuse()"
                )
            )
    finally:
        await engine.dispose()


def test_a_reset_that_fails_half_way_changes_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)
    asyncio.run(_change(database_url))
    asyncio.run(_fail_every_create_table(database_url, on=True))
    try:
        assert main(["reset-demo", "--yes"]) == 1
    finally:
        asyncio.run(_fail_every_create_table(database_url, on=False))

    assert "no new tables today" in capsys.readouterr().err
    # The drop was undone with the failed migration: the data is as it was, not gone.
    assert asyncio.run(_count_and_name(database_url)) == (4, "Renamed")


async def _make_foreign(url: str, *, demo_root: bool) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
            await connection.execute(text("CREATE TABLE invoices (id int PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO invoices VALUES (1)"))
            if demo_root:  # an orgql database, but not a demo one
                await connection.execute(text("DROP TABLE invoices"))
                await connection.execute(text("CREATE TABLE organizations (id text)"))
                await connection.execute(text("INSERT INTO organizations VALUES ('700001')"))
    finally:
        await engine.dispose()


async def _tables(url: str) -> list[str]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return sorted(row[0] for row in rows)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("demo_root", "kept"), [(False, ["invoices"]), (True, ["organizations"])])
def test_reset_demo_refuses_a_database_that_holds_no_demo_data(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    demo_root: bool,
    kept: list[str],
) -> None:
    """ORGQL_DATABASE_URL naming another application's database, or a real orgql one, in a
    shell without ORGQL_ENVIRONMENT=production: --yes is not enough to empty it."""
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)
    monkeypatch.delenv("ORGQL_ENVIRONMENT", raising=False)
    asyncio.run(_make_foreign(database_url, demo_root=demo_root))

    assert main(["reset-demo", "--yes"]) == 2

    assert "demo" in capsys.readouterr().err
    assert asyncio.run(_tables(database_url)) == kept


def test_reset_demo_fills_an_empty_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)

    async def empty() -> None:
        engine = make_engine(database_url, pool_size=1)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()

    asyncio.run(empty())

    assert main(["reset-demo", "--yes"]) == 0

    assert asyncio.run(_count_and_name(database_url)) == (3, "Sample East")
