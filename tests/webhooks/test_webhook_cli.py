"""``orgql webhook``: the operators' way to the same subscriptions."""

from __future__ import annotations

import pytest

from orgql.cli import main


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)
    return database_url


def test_create_list_pause_resume_and_delete(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "webhook",
                "create",
                "--url",
                "https://erp.example.com/hooks",
                "--event-type",
                "organization.created",
                "--event-type",
                "financialData.synced",
            ]
        )
        == 0
    )
    created = capsys.readouterr()
    subscription_id, secret = created.out.strip().split("\t")
    assert secret.startswith("whsec_")
    assert "shown this once" in created.err

    assert main(["webhook", "pause", subscription_id]) == 0
    paused = capsys.readouterr().out
    assert main(["webhook", "resume", subscription_id]) == 0
    capsys.readouterr()
    assert main(["webhook", "list"]) == 0
    listed = capsys.readouterr().out

    assert paused.split("\t")[2] == "paused"
    [line] = listed.strip().splitlines()
    fields = line.split("\t")
    assert fields[0] == subscription_id
    assert fields[2:] == [
        "active",
        "organization.created,financialData.synced",
        "https://erp.example.com/hooks",
    ]
    assert secret not in listed
    assert main(["webhook", "delete", subscription_id]) == 0
    assert main(["webhook", "list"]) == 0
    assert capsys.readouterr().out == ""


def test_bad_input_is_refused_with_its_code(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["webhook", "create", "--url", "ftp://x", "--event-type", "nope"]) == 2
    refused = capsys.readouterr().err
    assert main(["webhook", "delete", "00000000-0000-0000-0000-000000000000"]) == 2
    missing = capsys.readouterr().err

    assert "error 100002 url:" in refused
    assert "error 100002 eventTypes[0]:" in refused
    assert "error 190001 id:" in missing


def test_create_refuses_a_loopback_url_in_production(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORGQL_ENVIRONMENT", "production")

    assert main(["webhook", "create", "--url", "http://127.0.0.1:8080/hooks"]) == 2

    refused = capsys.readouterr()
    assert refused.err.startswith(
        "orgql: error 100002 url: url's host 127.0.0.1 is a loopback address: this server"
    )
    assert main(["webhook", "list"]) == 0
    assert capsys.readouterr().out == ""
