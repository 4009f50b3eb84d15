"""Answers no route gives: a path no route has (404), a method its route does not take (405),
an exception no handler caught (500). (/graphql's own 405 is graphql.asgi's:
tests/graphql/test_get_queries.py.) Each is JSON in the shape of the path asked, a GraphQL
error body on /graphql and an errorModel elsewhere, never Starlette's plain text; the 500
quotes the id under which its traceback was logged, once. The GraphQL endpoint is
``/graphql`` below the root path the app is served under (``uvicorn --root-path``), and
``/graphql/``, which redirects there: the edge's refusals take GraphQL's shape on each."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from raw_asgi import get_raw

BOOM = "/test/boom"


async def _raise(request: Request) -> Response:
    raise RuntimeError("secret internals: SELECT * FROM organizations")


async def test_a_path_no_route_has_is_a_404_error_model(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    entry = {"errorCode": "404", "message": "No such resource", "status": "404"}
    assert response.json() == {**entry, "errors": [entry]}


async def test_a_method_a_health_route_does_not_take_is_a_405_error_model(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/healthz")

    assert (response.status_code, response.json()["errorCode"]) == (405, "405")
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("method", "status", "allow"), [("GET", 404, None), ("POST", 405, "GET, HEAD")]
)
async def test_a_refusal_of_graphiqls_static_assets_is_an_error_model(
    client: httpx.AsyncClient, method: str, status: int, allow: str | None
) -> None:
    """Starlette's StaticFiles raises its 404 and 405: the app's router answers them."""
    response = await client.request(method, "/graphiql/assets/missing.js")

    assert (response.status_code, response.json()["errorCode"]) == (status, str(status))
    assert response.headers.get("allow") == allow


async def test_head_of_a_route_still_answers(client: httpx.AsyncClient) -> None:
    response = await client.head("/healthz")

    assert response.status_code == 200


async def test_an_exception_escaping_a_route_is_a_500_error_model_logged_once(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.router.routes.append(Route(BOOM, _raise))

    with caplog.at_level(logging.INFO, logger="orgql"):
        response = await client.get(BOOM)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["errorCode"], body["status"]) == ("500", "500")
    error_id = body["message"].split("error id ")[1].split()[0]
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    [logged] = [record for record in caplog.records if record.exc_info]
    assert (logged.levelno, logged.exc_info[0]) == (logging.ERROR, RuntimeError)
    assert error_id in logged.getMessage()
    [access] = [record for record in caplog.records if record.name == "orgql.access"]
    assert access.getMessage() == f"GET {BOOM} 500"
    assert response.headers["x-request-id"]


async def test_an_exception_escaping_on_graphql_is_a_graphql_500_logged_once(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Ahead of the endpoint's own route (which takes every method: graphql.asgi.METHODS).
    app.router.routes.insert(0, Route("/graphql", _raise, methods=["PUT"]))

    with caplog.at_level(logging.INFO, logger="orgql"):
        response = await client.put("/graphql")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["errors"]
    reference = error["extensions"]["reference"]
    assert error == {
        "message": f"Unexpected error (reference {reference}).",
        "extensions": {"code": "internal", "reference": reference},
    }
    assert "secret" not in response.text
    [logged] = [record for record in caplog.records if record.exc_info]
    assert (logged.levelno, logged.exc_info[0]) == (logging.ERROR, RuntimeError)
    assert reference in logged.getMessage()
    [access] = [record for record in caplog.records if record.name == "orgql.access"]
    assert access.getMessage() == "PUT /graphql 500"


@pytest.mark.parametrize("path", ["/graphql", "/graphql/", "/readyz"])
async def test_a_query_string_not_utf8_is_a_400_on_every_path_not_a_logged_500(
    app: Starlette,
    app_state: Mapping[str, Any],
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    with caplog.at_level(logging.INFO, logger="orgql"):
        status, body = await get_raw(app, app_state, path, b"query=%7Bx%7D&a=caf\xe9")

    assert status == 400
    if path.startswith("/graphql"):
        [error] = orjson.loads(body)["errors"]
        assert error == {
            "message": "the query string is not UTF-8",
            "extensions": {"code": "BAD_REQUEST"},
        }
    else:
        document = orjson.loads(body)
        assert (document["errorCode"], document["message"]) == (
            "100002",
            "the query string is not UTF-8",
        )
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    [access] = [record for record in caplog.records if record.name == "orgql.access"]
    assert access.getMessage() == f"GET {path} 400"


async def _lose_the_database(request: Request) -> Response:
    """Fails as the database driver fails when PostgreSQL refuses the connection (port 1 on
    the loopback interface refuses at once): an OSError the driver raised, not any OSError
    (observability.database.unavailability)."""
    await asyncpg.connect("postgresql://postgres@127.0.0.1:1/unreachable")
    raise AssertionError("connected to port 1")


@pytest.mark.parametrize("path", ["/test/lost", "/ccadmin/v1/test/lost"])
async def test_a_lost_database_escaping_on_any_path_is_a_503_logged_as_one_warning(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    app.router.routes.insert(0, Route(path, _lose_the_database))

    with caplog.at_level(logging.INFO, logger="orgql"):
        response = await client.get(path)

    assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    assert response.json()["errorCode"] == "503"
    assert response.headers["x-request-id"]
    assert [r.levelno for r in caplog.records if r.levelno >= logging.WARNING] == [logging.WARNING]
    [access] = [record for record in caplog.records if record.name == "orgql.access"]
    assert access.getMessage() == f"GET {path} 503"


#: Where a GraphQL client talks to the endpoint: below a root path, and with a trailing slash.
GRAPHQL_SPELLINGS = [("", "/graphql/"), ("/api", "/graphql"), ("/api", "/graphql/")]


@pytest.mark.parametrize(("root_path", "path"), GRAPHQL_SPELLINGS)
async def test_a_refusal_at_the_edge_is_graphql_shaped_wherever_the_endpoint_is_reached(
    app: Starlette,
    app_state: Mapping[str, Any],
    client_for: Callable[..., httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
    root_path: str,
    path: str,
) -> None:
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"

    async with client_for(app, app_state, root_path=root_path) as client:
        with caplog.at_level(logging.INFO, logger="orgql"):
            response = await client.post(root_path + path, content=body)

    assert response.status_code == 413
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "the request body is larger than 1048576 bytes",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }
    [access] = [record for record in caplog.records if record.name == "orgql.access"]
    assert access.__dict__["transport"] == "graphql"


@pytest.mark.parametrize("root_path", ["", "/api"])
async def test_graphql_with_a_trailing_slash_redirects_to_the_endpoint(
    app: Starlette,
    app_state: Mapping[str, Any],
    client_for: Callable[..., httpx.AsyncClient],
    root_path: str,
) -> None:
    async with client_for(app, app_state, root_path=root_path) as client:
        response = await client.post(f"{root_path}/graphql/", json={"query": "{ __typename }"})
        answer = await client.post(response.headers["location"], json={"query": "{ __typename }"})

    assert response.status_code == 307
    assert response.headers["location"] == f"{root_path}/graphql"
    assert answer.json() == {"data": {"__typename": "Query"}}


#: A path spelled with the trailing slash its route does not have, and that route's path.
SLASHED = [
    ("/graphql/?debug=1", "/graphql?debug=1"),
    ("/ccadmin/v1/organizations/?limit=2", "/ccadmin/v1/organizations?limit=2"),
]


@pytest.mark.parametrize("root_path", ["", "/api"])
@pytest.mark.parametrize(("asked", "route"), SLASHED)
async def test_a_trailing_slash_redirects_to_a_relative_location_whatever_the_host_says(
    app: Starlette,
    app_state: Mapping[str, Any],
    client_for: Callable[..., httpx.AsyncClient],
    root_path: str,
    asked: str,
    route: str,
) -> None:
    """The Host header is the client's to write: a redirect built on it would send a page
    that relays it (a cache, a proxy) to any site. A relative Location (RFC 9110 10.2.2)
    resolves against the URL the client used; 307 keeps the method and body."""
    async with client_for(app, app_state, root_path=root_path) as client:
        response = await client.post(
            root_path + asked, json={"query": "{ __typename }"}, headers={"Host": "evil.example"}
        )

    assert (response.status_code, response.headers["location"]) == (307, root_path + route)


async def test_rest_under_a_root_path_keeps_its_error_model_and_its_operation_name(
    app: Starlette,
    app_state: Mapping[str, Any],
    client_for: Callable[..., httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with client_for(app, app_state, root_path="/api") as client:
        with caplog.at_level(logging.INFO, logger="orgql.access"):
            response = await client.post("/api/ccadmin/v1/organizations", content=b"{" * 2_000_000)
        missing = await client.get("/api/graphql/more")
        mounted = await client.get("/api/ccadmin/graphql")

    assert (response.status_code, response.json()["errorCode"]) == (413, "100002")
    [access] = [record for record in caplog.records if record.name == "orgql.access"]
    assert (access.__dict__["transport"], access.__dict__["operation"]) == (
        "rest",
        "createOrganization",
    )
    assert (missing.status_code, missing.json()["errorCode"]) == (404, "404")
    assert (mounted.status_code, mounted.json()["errorCode"]) == (404, "404")


@pytest.mark.parametrize(
    "encoding", ["gzip", "GZIP", "identity, gzip", "br", "deflate", "x-anything"]
)
async def test_a_content_encoded_body_is_415_error_model_and_nothing_runs(
    client: httpx.AsyncClient, encoding: str
) -> None:
    """orgql decodes no request body: one sent with a Content-Encoding was read as if it were
    plain (a plain body said to be gzip created the organization)."""
    before = (await client.get("/ccadmin/v1/organizations")).json()["totalResults"]

    response = await client.post(
        "/ccadmin/v1/organizations",
        content=b'{"name": "Encoded"}',
        headers={"content-type": "application/json", "content-encoding": encoding},
    )

    assert response.status_code == 415
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
        "100002",
        "Content-Encoding",
    )
    assert (await client.get("/ccadmin/v1/organizations")).json()["totalResults"] == before


async def test_a_content_encoded_graphql_request_is_415_graphql_shaped(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        content=orjson.dumps({"query": "{ __typename }"}),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )

    assert response.status_code == 415
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNSUPPORTED_MEDIA_TYPE"}
    assert response.json()["data"] is None


async def test_identity_content_encoding_is_a_plain_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=orjson.dumps({"query": "{ __typename }"}),
        headers={"content-type": "application/json", "content-encoding": "Identity"},
    )

    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("path", ["/ccadmin/v1/organizations", "/graphql"])
async def test_a_content_length_of_non_ascii_digits_is_not_a_500(
    app: Starlette, app_state: Mapping[str, Any], path: str
) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` raises: a server that lets the header
    through (latin-1 byte 0xB2) got a 500 from the body limit's check."""
    status, _ = await get_raw(app, app_state, path, b"", [(b"content-length", b"\xb2")])

    assert status < 500


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("GET", "/ccadmin/v1/organizations/no-such-organization", 404),
        ("GET", "/ccadmin/v1/organizations?limit=x", 400),
        ("DELETE", "/healthz", 405),
        ("GET", "/graphql?query=%7Bsites%7Bname%7D%7D&variables=%7Bbad", 400),
    ],
)
async def test_an_error_answer_is_kept_in_no_cache(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    """A 404 or a 405 is cacheable by default (RFC 9111) and a refusal is no answer for the
    next caller of the URL: every error answer that says no Cache-Control of its own is
    ``no-store``, REST and GraphQL, a route's and the edge's."""
    response = await client.request(method, path)

    assert (response.status_code, response.headers.get("cache-control")) == (status, "no-store")


async def test_an_error_answer_with_a_cache_control_of_its_own_keeps_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    async def gone(request: Request) -> Response:
        return Response(status_code=410, headers={"Cache-Control": "max-age=60"})

    app.router.routes.insert(0, Route("/test/gone", gone))

    response = await client.get("/test/gone")

    assert (response.status_code, response.headers["cache-control"]) == (410, "max-age=60")


async def test_a_lost_database_answer_is_kept_in_no_cache(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    app.router.routes.insert(0, Route("/test/lost", _lose_the_database))

    response = await client.get("/test/lost")

    assert (response.status_code, response.headers["cache-control"]) == (503, "no-store")
