"""``orgql settings``: the effective configuration, as a user would set it, secrets masked."""

from __future__ import annotations

import pytest

from orgql.cli import main


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGQL_DATABASE_URL", "postgresql://orgql:db-password@db:5432/orgql")
    monkeypatch.setenv("ORGQL_PORT", "9000")
    monkeypatch.setenv("ORGQL_FINANCIAL_TOKEN", "upstream-token")
    monkeypatch.setenv("ORGQL_FINANCIAL_PASSWORD", "upstream-password")


def test_settings_prints_every_setting_as_its_environment_variable(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settings"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert "ORGQL_PORT=9000" in lines
    assert "ORGQL_HOST=127.0.0.1  # default" in lines
    assert "ORGQL_DB_CONNECT_TIMEOUT_SECONDS=5.0  # default" in lines
    assert all(line.startswith("ORGQL_") for line in lines)


def test_settings_masks_secrets_and_database_passwords(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settings"]) == 0

    out = capsys.readouterr().out
    assert "ORGQL_DATABASE_URL=postgresql+asyncpg://orgql:***@db:5432/orgql\n" in out
    assert "ORGQL_FINANCIAL_TOKEN=********\n" in out
    assert "ORGQL_FINANCIAL_PASSWORD=********\n" in out
    assert "db-password" not in out
    assert "upstream-token" not in out
    assert "upstream-password" not in out


def test_settings_reports_an_invalid_setting_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORGQL_PORT", "not-a-port")

    assert main(["settings"]) == 2

    assert capsys.readouterr().err.startswith("orgql: invalid ORGQL_* setting: ")


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        ({}, "ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS=true  # default (development)"),
        (
            {"ORGQL_ENVIRONMENT": "production"},
            "ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS=false  # default (production)",
        ),
        (
            {"ORGQL_ENVIRONMENT": "production", "ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"},
            "ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS=true",
        ),
        (
            {"ORGQL_ENVIRONMENT": "production", "ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS": ""},
            "ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS=false  # default (production)",
        ),
    ],
)
def test_settings_shows_a_profile_default_as_it_applies(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    line: str,
) -> None:
    monkeypatch.delenv("ORGQL_ENVIRONMENT", raising=False)
    monkeypatch.delenv("ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    assert main(["settings"]) == 0

    assert line in capsys.readouterr().out.splitlines()
