"""The replica settings and the consistency token's text form (no server needed)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orgql.db.replicas import format_lsn, parse_lsn
from orgql.settings import Settings
from orgql.settings_display import effective_settings


def test_replica_urls_are_a_comma_separated_list_of_postgresql_urls() -> None:
    settings = Settings(
        database_replica_urls=" postgresql://a@r1:5432/orgql, postgres://b:secret@r2/orgql ,"
    )

    assert settings.replica_urls == [
        "postgresql+asyncpg://a@r1:5432/orgql",
        "postgresql+asyncpg://b:secret@r2/orgql",
    ]
    assert Settings().replica_urls == []


def test_a_replica_url_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a PostgreSQL URL"):
        Settings(database_replica_urls="postgresql://r1/orgql,mysql://r2/orgql")


def test_orgql_settings_masks_replica_passwords() -> None:
    settings = Settings(database_replica_urls="postgresql://a:hunter2@r1/orgql,postgresql://r2/o")

    line = next(
        line
        for line in effective_settings(settings)
        if line.startswith("ORGQL_DATABASE_REPLICA_URLS=")
    )

    assert "hunter2" not in line
    assert "r1/orgql" in line
    assert "r2/o" in line


@pytest.mark.parametrize("text", ["0/0", "0/16B3748", "16/B374D848", "FFFFFFFF/FFFFFFFF"])
def test_a_log_sequence_number_reads_back_as_written(text: str) -> None:
    assert format_lsn(parse_lsn(text)) == text
    assert parse_lsn(text.lower()) == parse_lsn(text)


@pytest.mark.parametrize("text", ["", "16", "/1", "1/", "1/2/3", "G/1", "123456789/1", "-1/1"])
def test_anything_else_is_not_a_log_sequence_number(text: str) -> None:
    with pytest.raises(ValueError, match="not a log sequence number"):
        parse_lsn(text)


def test_positions_compare_as_numbers() -> None:
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF") > parse_lsn("0/16B3748")
