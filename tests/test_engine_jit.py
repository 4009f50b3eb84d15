"""The app's connections run without PostgreSQL's JIT: the gateway's statements are short, and
per-row subqueries (the effective-value filter) inflate cost estimates past jit_above_cost, so
that compiling took a hundred times longer than running (README, "Descendants")."""

from __future__ import annotations

from sqlalchemy import text

from orgql.db.engine import make_engine


async def test_connections_have_jit_off_with_or_without_a_statement_timeout(
    database_url: str,
) -> None:
    for timeout in (None, 1.5):
        engine = make_engine(database_url, pool_size=1, statement_timeout=timeout)
        try:
            async with engine.connect() as connection:
                assert await connection.scalar(text("SHOW jit")) == "off"
        finally:
            await engine.dispose()
