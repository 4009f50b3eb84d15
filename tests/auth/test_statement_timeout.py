"""The app's connections carry PostgreSQL's statement_timeout (ORGQL_DB_STATEMENT_TIMEOUT_SECONDS):
the server cancels a statement that runs longer."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from orgql.db.engine import make_engine
from orgql.settings import Settings


async def test_the_server_cancels_a_statement_over_the_timeout(database_url: str) -> None:
    # 1 s, not less: the connection's own first statements run under it too (loaded machine).
    engine = make_engine(database_url, pool_size=1, statement_timeout=1)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SHOW statement_timeout")) == "1s"
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(5)"))
    finally:
        await engine.dispose()


def test_the_default_statement_timeout_is_ten_seconds() -> None:
    assert Settings.model_construct().db_statement_timeout_seconds == 10.0
