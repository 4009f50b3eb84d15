"""Failures of the transport itself: every one is an errorModel, never plain text, never a
traceback, and a failed request changes nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from orgql.db import models
from orgql.rest import render
from orgql.rest.organizations import bodies
from orgql.rest.transport import MAX_BODY_BYTES
from raw_asgi import get_raw
from rest.builders import ORGANIZATIONS, row_counts

JSON_HEADERS = {"content-type": "application/json"}


def _error(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()
    assert set(body) <= {"errorCode", "message", "status", "o:errorPath", "errors"}
    assert body["status"] == str(response.status_code)
    return response.status_code, body["errorCode"], body.get("o:errorPath")


@pytest.mark.parametrize(
    "content",
    [
        b'{"name": "Broken"',
        b"",
        b"\xff\xfe not utf-8",
        b'{"name": "A", "orderPriceLimit": NaN}',
        b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["truncated", "empty", "not utf-8", "NaN", "nested too deep"],
)
async def test_malformed_json_is_400_with_code_100002(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(ORGANIZATIONS, content=content, headers=JSON_HEADERS)

    assert _error(response) == (400, "100002", None)


@pytest.mark.parametrize("key", ["members", "paymentMethods"])
async def test_a_body_nested_within_orjson_s_limit_but_past_ours_is_400_not_500(
    client: httpx.AsyncClient, key: str
) -> None:
    """orjson reads 1,024 levels; a value nested 1,000 deep is past what Python can walk (the
    parsers' messages repr an invalid id): refused by the decoder, as json.loads did."""
    nested = b"[" * 1_000 + b"]" * 1_000
    content = b'{"name": "Deep", "' + key.encode() + b'": [' + nested + b"]}"

    response = await client.post(ORGANIZATIONS, content=content, headers=JSON_HEADERS)

    assert _error(response) == (400, "100002", None)


@pytest.mark.parametrize("content", [b"[]", b'"Oracle"', b"null", b"42"])
async def test_body_that_is_not_a_json_object_is_400_with_code_100002(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(ORGANIZATIONS, content=content, headers=JSON_HEADERS)

    assert _error(response) == (400, "100002", None)


async def test_body_that_is_not_json_content_is_400_with_code_100002(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(ORGANIZATIONS, data={"name": "Form"})

    assert _error(response) == (400, "100002", None)


@pytest.mark.parametrize(
    "content",
    [b'{"name": "Nul\\u0000"}', b'{"name": "A", "dynamicProperty1": "\\ud800"}'],
    ids=["NUL", "lone surrogate"],
)
async def test_text_postgresql_cannot_store_is_400_not_500(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(ORGANIZATIONS, content=content, headers=JSON_HEADERS)

    assert _error(response) == (400, "100002", None)


async def test_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    content = b'{"name": "Big", "description": "' + b"x" * MAX_BODY_BYTES + b'"}'

    response = await client.post(ORGANIZATIONS, content=content, headers=JSON_HEADERS)

    assert _error(response) == (413, "100002", None)


async def test_streamed_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> Any:
        yield b'{"name": "Big", "description": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(ORGANIZATIONS, content=chunks(), headers=JSON_HEADERS)

    assert _error(response) == (413, "100002", None)


@pytest.mark.parametrize(
    "path", ["/ccadmin/v1/nothingHere", "/ccadmin/v2/organizations", "/ccstore/v1/organizations"]
)
async def test_unknown_route_is_a_404_error_model(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert _error(response) == (404, "404", None)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ccadmin/v1/nothing%0AHere", (404, "404", None)),
        ("/ccadmin/v1/organizations/a%0Ab", (404, "100001", "id")),  # reaches the handler
    ],
)
async def test_a_path_holding_an_encoded_newline_is_a_404_error_model(
    client: httpx.AsyncClient, path: str, expected: tuple[int, str, str | None]
) -> None:
    response = await client.get(path)

    assert _error(response) == expected


async def test_wrong_method_is_a_405_error_model_listing_the_allowed_methods(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete(f"{ORGANIZATIONS}/100001")

    assert _error(response) == (405, "405", None)
    assert response.headers["allow"] == "GET, HEAD, PUT"


@pytest.mark.parametrize("path", [ORGANIZATIONS, f"{ORGANIZATIONS}/100001"])
async def test_a_query_string_that_is_not_utf8_is_a_400_error_model(
    app: Starlette, app_state: Mapping[str, Any], client: httpx.AsyncClient, path: str
) -> None:
    """A raw byte that is no UTF-8 in the query (a client that does not percent-encode it):
    the request's URL cannot be written (its self link), and was a plain-text 500 with a
    traceback logged."""
    authorization = (b"authorization", client.headers["authorization"].encode())

    status, body = await get_raw(app, app_state, path, b"limit=1&q=caf\xe9", [authorization])

    assert status == 400
    document = json.loads(body)
    assert (document["errorCode"], document["message"]) == (
        "100002",
        "the query string is not UTF-8",
    )


async def test_unexpected_failure_is_a_500_with_an_error_id_and_no_internals(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals: SELECT * FROM organizations")

    monkeypatch.setattr(bodies, "organization", explode)  # the reads' renderer

    with caplog.at_level(logging.ERROR, logger="orgql.rest"):
        response = await client.get(f"{ORGANIZATIONS}/100001")

    assert _error(response) == (500, "500", None)
    error_id = response.json()["message"].split("error id ")[1].split()[0]
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    (record,) = caplog.records
    assert error_id in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError


async def test_create_failing_after_the_core_flushed_is_rolled_back_as_a_100006(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sample_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(render, "organization", explode)
    before = await row_counts(session)

    response = await client.post(ORGANIZATIONS, json=sample_request)

    assert _error(response) == (500, "100006", None)
    assert await row_counts(session) == before
    assert await session.scalar(select(models.Organization).filter_by(name="Oracle")) is None


#: Each list and its code for invalid input (the requests API has its own, 101001).
LISTS = {
    "/ccadmin/v1/organizations": "100002",
    "/ccadmin/v1/organizationRequests": "101001",
    "/ccadmin/v1/profiles": "100002",
}


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("name", ["limit", "offset"])
@pytest.mark.parametrize(
    "value",
    ["\uff11", "\u0663", "1_0", "+1", "1.0", "\u30001", " 1", "1 ", " ", "\t1"],
    ids=[
        "fullwidth digit",
        "arabic-indic digit",
        "underscore",
        "plus",
        "decimal",
        "wide space",
        "leading space",
        "trailing space",
        "only a space",
        "tab",
    ],
)
async def test_a_paging_number_is_ascii_digits_only(
    client: httpx.AsyncClient, path: str, name: str, value: str
) -> None:
    """``int()`` reads other scripts' digits, underscores and a plus sign; a query parameter's
    number is ASCII digits (after an optional minus sign, whose range is checked apart)."""
    response = await client.get(path, params={name: value})

    assert _error(response) == (400, LISTS[path], name)
    assert "must be a whole number in ASCII digits" in response.json()["message"]
    assert (await client.get(path, params={name: "1"})).status_code == 200
    assert (await client.get(path, params={name: ""})).status_code == 200  # empty: the default


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("name", ["limit", "offset"])
async def test_a_plus_sign_sent_literally_is_a_space_so_400(
    client: httpx.AsyncClient, path: str, name: str
) -> None:
    """In a query string ``+`` is a space: ``limit=+1`` reads `` 1``, which is no number."""
    literal = await client.get(f"{path}?{name}=+1")
    encoded = await client.get(f"{path}?{name}=%2B1")

    assert _error(literal) == _error(encoded) == (400, LISTS[path], name)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(("name", "most"), [("limit", 250), ("offset", 9223372036854775807)])
@pytest.mark.parametrize("sign", ["", "-"])
async def test_a_number_of_thousands_of_digits_is_out_of_bounds_naming_the_bound(
    client: httpx.AsyncClient, path: str, name: str, most: int, sign: str
) -> None:
    """Well formed, only too large: the message says which bound it breaks, not that it is
    no number (Python's int() refuses more than 4,300 digits)."""
    response = await client.get(path, params={name: sign + "9" * 5000})

    assert _error(response) == (400, LISTS[path], name)
    message = response.json()["message"]
    assert message == (
        f"{name} must be at most {most}" if not sign else f"{name} must not be negative"
    )


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("limit", "251", "limit must be at most 250"),
        ("limit", "-1", "limit must not be negative"),
        ("offset", "-1", "offset must not be negative"),
    ],
)
async def test_every_list_names_the_paging_bound_broken_alike(
    client: httpx.AsyncClient, path: str, name: str, value: str, message: str
) -> None:
    """One rule and one message for each paging bound on every list
    (core.common.paging.limit_problem and offset_problem), whichever list is asked."""
    response = await client.get(path, params={name: value})

    assert _error(response) == (400, LISTS[path], name)
    assert response.json()["message"] == message


@pytest.mark.parametrize(
    ("path", "name", "values"),
    [
        ("/ccadmin/v1/organizations", "sort", ("name", "name:desc")),
        ("/ccadmin/v1/organizations", "q", ('name co "east"', 'name co "west"')),
        ("/ccadmin/v1/organizations", "limit", ("1", "2")),
        ("/ccadmin/v1/organizations", "offset", ("0", "1")),
        ("/ccadmin/v1/profiles", "sort", ("email", "email:desc")),
        ("/ccadmin/v1/profiles", "limit", ("1", "2")),
        ("/ccadmin/v1/profiles", "email", ("a@example.com", "b@example.com")),
        ("/ccadmin/v1/organizationRequests", "offset", ("0", "1")),
        ("/ccadmin/v1/organizationRequests", "status", ("review", "approved")),
    ],
)
async def test_a_single_valued_parameter_sent_twice_with_different_values_is_400(
    client: httpx.AsyncClient, path: str, name: str, values: tuple[str, str]
) -> None:
    """Answering by the last value would hide that the caller asked for two things (a
    contradictory dryRun is refused alike); the same value twice is that value."""
    twice = await client.get(path, params=[(name, values[0]), (name, values[1])])
    assert _error(twice) == (400, LISTS[path], name)
    assert "more than one value" in twice.json()["message"]

    alike = await client.get(path, params=[(name, values[0]), (name, values[0])])
    assert alike.status_code == 200, alike.text


@pytest.mark.parametrize(
    ("method", "path", "query", "code"),
    [
        ("GET", "/ccadmin/v1/organizations", "Limit=1", "100002"),
        ("GET", "/ccadmin/v1/profiles", "OFFSET=1", "100002"),
        ("GET", "/ccadmin/v1/organizationRequests", "Limit=1", "101001"),
        ("GET", "/ccadmin/v1/organizationRequests", "Status=review", "101001"),
        ("GET", "/ccadmin/v1/organizationRequests/or-nope", "Expand=profile", "101001"),
        ("PUT", "/ccadmin/v1/organizationRequests/or-nope", "EXPAND=profile", "101001"),
        ("POST", "/ccadmin/v1/organizationRequests/or-nope/approve", "expAnd=x", "101001"),
        ("POST", "/ccadmin/v1/organizationRequests/or-nope/reject", "Expand=x", "101001"),
    ],
)
async def test_a_misspelt_parameter_is_the_routes_own_invalid_input(
    client: httpx.AsyncClient, method: str, path: str, query: str, code: str
) -> None:
    """A parameter name in the wrong case is refused as the route refuses its other bad input:
    the organization requests routes with their API's 101001 (the code their vendor pages
    list, as for a bad limit, status or expand), every other route with 100002."""
    response = await client.request(method, f"{path}?{query}", json={})

    sent = query.split("=")[0]
    assert _error(response) == (400, code, sent)
    assert response.json()["message"].startswith(f"{sent}: did you mean ")
