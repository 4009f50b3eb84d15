"""Which errors reach GraphQL callers: GraphQL's own (syntax, validation) and ours as they
are; anything unexpected masked, with a reference to the log line (errors.py)."""

from __future__ import annotations

import asyncio
import logging
import re

import httpx
import pytest
from graphql import GraphQLError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL
from orgql.core.common.errors import ErrorDetail, ErrorKind, OrgqlError
from orgql.graphql.errors import user_errors_of
from orgql.graphql.types import UserError

ROLES = '{ organization(id: "100001") { name relativeRoles { function } } }'


async def _drop_table(engine: AsyncEngine, table: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(f"DROP TABLE {table} CASCADE"))


async def _wait_for_lock_waiters(engine: AsyncEngine, count: int) -> None:
    """Until ``count`` sessions of this database wait for a lock."""
    async with engine.connect() as connection:
        for _ in range(500):
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting >= count:
                return
            await connection.rollback()  # pg_stat_activity is a snapshot per transaction
            await asyncio.sleep(0.01)
    raise AssertionError(f"{count} sessions never waited for a lock")


async def test_an_unknown_field_is_a_validation_error_named_as_graphql_names_it(
    graphql: GraphQL,
) -> None:
    result = await graphql.post('{ organization(id: "100001") { name noSuchField } }')

    assert result == {
        "data": None,
        "errors": [
            {
                "message": "Cannot query field 'noSuchField' on type 'Organization'.",
                "locations": [{"line": 1, "column": 37}],
            }
        ],
    }


async def test_a_syntax_error_is_reported_as_it_is(graphql: GraphQL) -> None:
    result = await graphql.post("{ organization(id: ")

    assert result["data"] is None
    assert [e["message"] for e in result["errors"]] == ["Syntax Error: Unexpected <EOF>."]


async def test_an_unexpected_error_is_masked_with_a_reference(
    graphql: GraphQL, engine: AsyncEngine
) -> None:
    await _drop_table(engine, "relative_roles")

    result = await graphql.post(ROLES)

    [error] = result["errors"]
    reference = error["extensions"]["reference"]
    assert re.fullmatch(r"[0-9a-f]{16}", reference)
    assert error == {
        "message": f"Unexpected error (reference {reference}).",
        "locations": [{"line": 1, "column": 37}],
        "path": ["organization", "relativeRoles"],
        "extensions": {"code": "internal", "reference": reference},
    }
    assert result["data"] == {"organization": None}


async def test_a_masked_error_shows_no_sql_and_no_traceback(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await _drop_table(engine, "relative_roles")

    response = await client.post("/graphql", json={"query": ROLES})

    body = response.text.lower()
    for leak in ("relative_roles", "select", "traceback", "sqlalchemy", "asyncpg", ".py"):
        assert leak not in body


async def test_a_masked_error_is_logged_under_its_reference(
    graphql: GraphQL, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    await _drop_table(engine, "relative_roles")

    with caplog.at_level(logging.ERROR, logger="orgql.graphql"):
        result = await graphql.post(ROLES)

    reference = result["errors"][0]["extensions"]["reference"]
    [record] = [r for r in caplog.records if r.name == "orgql.graphql"]
    assert reference in record.getMessage()
    assert record.exc_info is not None
    assert 'relation "relative_roles" does not exist' in str(record.exc_info[1])


async def test_an_error_is_masked_while_another_request_is_running(
    graphql: GraphQL, engine: AsyncEngine
) -> None:
    # The failing request starts first and ends first, while the other one is still
    # running: masking must follow each request, not the one that started last.
    await _drop_table(engine, "relative_roles")
    async with engine.connect() as holds_organizations, engine.connect() as holds_sites:
        await holds_organizations.execute(text("LOCK TABLE organizations"))
        await holds_sites.execute(text("LOCK TABLE sites"))
        failing = asyncio.create_task(graphql.post(ROLES))
        await _wait_for_lock_waiters(engine, 1)
        other = asyncio.create_task(graphql.post("{ sites { repositoryId } }"))
        await _wait_for_lock_waiters(engine, 2)

        await holds_organizations.rollback()
        failed = await failing
        await holds_sites.rollback()
        succeeded = await other

    assert succeeded == {
        "data": {"sites": [{"repositoryId": r} for r in ("site1", "site2", "siteUS")]}
    }
    [error] = failed["errors"]
    assert error["extensions"]["code"] == "internal"
    assert error["message"] == f"Unexpected error (reference {error['extensions']['reference']})."


async def test_a_body_that_is_not_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Unable to parse request body as JSON",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }


async def test_an_error_the_caller_caused_is_answered_not_logged(
    graphql: GraphQL, caplog: pytest.LogCaptureFixture
) -> None:
    query = """{ organizations(first: 2) { edges { node { id
                   effectiveSiteProperties(site: "nosuch") { approvalRequired } } } } }"""
    with caplog.at_level(logging.DEBUG):
        result = await graphql.post(query)

    assert {e["extensions"]["code"] for e in result["errors"]} == {"100002"}
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not any("nosuch" in r.getMessage() for r in caplog.records)


async def test_an_unexpected_error_is_logged_once(
    graphql: GraphQL, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    await _drop_table(engine, "relative_roles")

    with caplog.at_level(logging.DEBUG):
        await graphql.post(ROLES)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["orgql.graphql"]


async def test_a_failure_outside_any_resolver_is_a_json_500_with_a_reference(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from orgql.graphql.asgi import OrgqlGraphQL

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in building the context")

    monkeypatch.setattr(OrgqlGraphQL, "get_context", broken)
    with caplog.at_level(logging.DEBUG):
        response = await client.post("/graphql", json={"query": "{ __typename }"})

    assert response.status_code == 500
    assert response.headers["x-request-id"]
    [error] = response.json()["errors"]
    reference = error["extensions"]["reference"]
    assert error == {
        "message": f"Unexpected error (reference {reference}).",
        "extensions": {"code": "internal", "reference": reference},
    }
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert reference in record.getMessage()
    assert "bug in building" not in response.text


@pytest.mark.parametrize("kind", [ErrorKind.FORBIDDEN, ErrorKind.INTERNAL])
def test_a_refusal_that_is_no_fault_of_the_input_is_never_a_user_error(kind: ErrorKind) -> None:
    """Every mutation turns the core's errors into userErrors with ``user_errors_of``: a
    missing role and our own failure are top-level errors with their code (the field null),
    whatever the mutation (webhooks, financial sync and organization requests let some
    through before)."""
    error = OrgqlError("100010", "not for you", "id", kind)
    with pytest.raises(GraphQLError) as raised:
        user_errors_of(error)
    assert raised.value.message == "not for you"
    assert raised.value.extensions == {"code": "100010", "field": "id"}


def test_user_errors_name_each_field_as_the_graphql_input_does() -> None:
    details = [ErrorDetail("100002", "bad", "address.types"), ErrorDetail("100003", "worse")]
    error = OrgqlError.from_details(details, ErrorKind.INVALID)

    def named(detail: ErrorDetail) -> ErrorDetail:
        field = detail.field and detail.field.replace("types", "typeIds")
        return ErrorDetail(detail.code, detail.message, field)

    assert user_errors_of(error, named) == [
        UserError(code="100002", message="bad", field="address.typeIds"),
        UserError(code="100003", message="worse", field=None),
    ]
    assert user_errors_of(error)[0].field == "address.types"
