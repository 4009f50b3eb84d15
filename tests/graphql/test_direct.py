"""Queries a SQL plan has answered are answered again without strawberry's pipeline
(graphql.execution.direct), with the pipeline's answer byte for byte; anything the direct
path does not decide goes to the pipeline, before anything is read, and is answered as it
always was."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from test_sql_plans import _hierarchy, reference  # noqa: F401
from test_sql_plans_shoppers import SHOPPER, _memberships

from graphql_client import GraphQL
from orgql.app import create_app
from orgql.core.common import json_text
from orgql.db.engine import PRIMARY_HELD_CONNECTIONS
from orgql.graphql import request_body
from orgql.graphql.asgi import OrgqlGraphQL
from orgql.graphql.execution import direct as direct_reads
from orgql.graphql.execution import executor as compiled
from orgql.observability.logs import ACCESS_LOGGER
from orgql.settings import Settings

ONE = """
query One($id: ID!, $site: ID) {
  organization(id: $id) {
    id repositoryId name derivedDescription parentOrganization { id name }
    ancestorOrganizations { id name }
    effectiveSiteProperties(site: $site) { approvalRequired contract { displayName } }
  }
}
"""

PAGE = """
query Page($first: Int, $after: String) {
  organizations(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name derivedDescription ancestorOrganizations { id name } } }
  }
}
"""


class Requests:
    """POSTs to the app, each with the access log's ``direct`` field of its line and the
    statements it sent."""

    def __init__(
        self, client: httpx.AsyncClient, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
    ) -> None:
        self.client = client
        self.engine = engine
        self.caplog = caplog

    async def post(self, body: Any, **kwargs: Any) -> tuple[httpx.Response, bool, int]:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        self.caplog.clear()
        event.listen(self.engine.sync_engine, "before_cursor_execute", count)
        try:
            if isinstance(body, bytes):
                response = await self.client.post("/graphql", content=body, **kwargs)
            else:
                response = await self.client.post("/graphql", json=body, **kwargs)
        finally:
            event.remove(self.engine.sync_engine, "before_cursor_execute", count)
        lines = [r for r in self.caplog.records if r.name == ACCESS_LOGGER]
        assert len(lines) == 1
        return response, bool(getattr(lines[0], "direct", None)), len(statements)


def _headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in ("x-request-id", "date")}


@pytest.fixture
def requests_for(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> Callable[..., Any]:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)

    def make(token: str | None) -> Any:
        class Opened:
            async def __aenter__(self) -> Requests:
                self.client = client_for(app, app_state, token=token)
                return Requests(await self.client.__aenter__(), engine, caplog)

            async def __aexit__(self, *exc: Any) -> None:
                await self.client.__aexit__(*exc)

        return Opened()

    return make


async def test_the_second_request_of_a_document_is_answered_directly_and_identically(
    requests_for: Callable[..., Any],
    client: httpx.AsyncClient,
    session: AsyncSession,
    identity_provider: Any,
) -> None:
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    await _memberships(session, ids)
    cases = [
        ("admin", {"query": ONE, "variables": {"id": ids[3]}}),
        (
            "admin",
            {"query": ONE, "variables": {"id": ids[3], "site": "site1"}, "operationName": "One"},
        ),
        ("admin", {"query": PAGE, "variables": {"first": 3}}),
        (identity_provider.token(SHOPPER), {"query": PAGE, "variables": {"first": 10}}),
        (identity_provider.token(SHOPPER), {"query": ONE, "variables": {"id": ids[2]}}),
    ]
    seen: set[str] = set()
    for token, body in cases:
        known = body["query"] in seen  # answered before, under this name or none
        seen.add(body["query"])
        async with requests_for(token) as requests:
            first, first_direct, _ = await requests.post(body)
            again, again_direct, statements = await requests.post(body)
            assert first.status_code == again.status_code == 200
            assert again.content == first.content
            assert _headers(again) == _headers(first)
            assert "errors" not in first.json(), first.json()
            assert (first_direct, again_direct, statements) == (known, True, 1), body
    # The variables are this request's own: another organization, another page.
    async with requests_for("admin") as requests:
        other, direct, _ = await requests.post({"query": ONE, "variables": {"id": ids[1]}})
        assert direct
        assert other.json()["data"]["organization"]["repositoryId"] == ids[1]
        after = (await requests.post({"query": PAGE, "variables": {"first": 3}}))[0].json()
        cursor = after["data"]["organizations"]["pageInfo"]["endCursor"]
        second, direct, _ = await requests.post(
            {"query": PAGE, "variables": {"first": 3, "after": cursor}}
        )
        assert direct
        assert (
            second.json()["data"]["organizations"]["edges"][0]
            != (after["data"]["organizations"]["edges"][0])
        )


#: Values of the request besides its body: its site header's, the base of its URL.
OF_THE_REQUEST = """
query OfTheRequest($id: ID!) {
  organization(id: $id) {
    organizationLogoURL approvalRequired
    effectiveSiteProperties { approvalRequired orderPriceLimit }
  }
}
"""


async def test_a_body_sent_again_is_answered_for_its_own_site_header_and_url(
    requests_for: Callable[..., Any],
    client_for: Callable[..., httpx.AsyncClient],
    reference: Starlette,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    """What the direct path keeps of a body (its SQL plan's parameters, for an admin) is kept
    by site header and URL: the same body sent with another is answered directly, as the
    pipeline answers it."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    logo = "/general/hero-image1.jpg"
    leaf = await GraphQL(client).create_organization(
        "With a logo", parentOrganizationId=ids[5], organizationLogo=logo
    )
    body = {"query": OF_THE_REQUEST, "variables": {"id": leaf}}
    cases = [{}, {"x-ccsite": "site1"}, {"x-ccsite": "site2"}, {"host": "elsewhere.test"}, {}]
    answers = []
    async with requests_for("admin") as requests:
        await requests.post(body)  # known
        for headers in cases:
            mine, direct, _ = await requests.post(body, headers=headers)
            async with client_for(reference, reference.state.lifespan) as theirs:
                expected = await theirs.post("/graphql", json=body, headers=headers)
            assert direct, headers
            assert mine.json() == expected.json(), headers
            answers.append(json.dumps(mine.json()))
    assert len(set(answers)) == 4  # each header and host its own answer, the first two alike


async def test_what_the_direct_path_does_not_decide_is_answered_by_the_pipeline(
    requests_for: Callable[..., Any],
    client_for: Callable[..., httpx.AsyncClient],
    reference: Starlette,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    """Every request below, sent after the document was answered (and so known), is
    answered by the pipeline, as the same app without SQL plans answers it."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    one = {"query": ONE, "variables": {"id": ids[3]}}
    page = {"query": PAGE, "variables": {"first": 3}}
    two = ONE + "\nquery Other { __typename }"
    cases: list[tuple[str | None, Any, dict[str, str]]] = [
        (None, one, {}),  # anonymous: the resolvers answer UNAUTHENTICATED
        ("admin", {**one, "variables": {"id": 5.5}}, {}),  # does not coerce
        ("admin", {**one, "variables": {}}, {}),  # a required variable left out
        ("admin", {**one, "variables": {"id": ids[3], "site": "nowhere"}}, {}),  # unknown site
        ("admin", {**page, "variables": {"first": 100_000}}, {}),  # costs too much
        ("admin", {**page, "variables": {"first": -1}}, {}),  # refused by the resolvers
        ("admin", {**page, "variables": {"first": 3, "after": "not a cursor"}}, {}),
        ("admin", {**one, "variables": {"id": "T3JnYW5pemF0aW9uUmVxdWVzdDox"}}, {}),  # wrong type
        ("admin", {**one, "extensions": {}}, {}),
        ("admin", {**one, "operationName": "Nope"}, {}),
        ("admin", {"query": two, "variables": {"id": ids[3]}}, {}),  # which operation?
        ("admin", [one, one], {}),  # a batch
        ("admin", json.dumps(one).encode(), {"content-type": "text/plain"}),
        # strawberry reads a media type's case as sent: not JSON to it, a 400
        ("admin", json.dumps(one).encode(), {"content-type": "Application/JSON"}),
        ("admin", b'{"query": "' + ONE.encode()[:20], {"content-type": "application/json"}),
        ("admin", {**one, "variables": [ids[3]]}, {}),
    ]
    for token, body, headers in cases:
        async with requests_for(token) as requests:
            await requests.post(one)  # the document is known
            await requests.post(page)
            mine, direct, _ = await requests.post(body, headers=headers)
        async with client_for(reference, reference.state.lifespan, token=token) as theirs:
            if isinstance(body, bytes):
                expected = await theirs.post("/graphql", content=body, headers=headers)
            else:
                expected = await theirs.post("/graphql", json=body, headers=headers)
        assert not direct, body
        assert (mine.status_code, mine.json()) == (expected.status_code, expected.json()), body


async def test_variables_are_decoded_as_the_pipeline_decodes_them(
    requests_for: Callable[..., Any],
    client_for: Callable[..., httpx.AsyncClient],
    reference: Starlette,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    """An integer past 64 bits is an integer to both (a faster decoder reads it as a
    float), and a body with NaN is refused by both."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    bodies = [
        b'{"query": %s, "variables": {"id": 123456789012345678901234567890}}',
        b'{"query": %s, "variables": {"id": "%s", "site": NaN}}' % (b"%s", ids[3].encode()),
    ]
    for template in bodies:
        body = template % json.dumps(ONE).encode()
        headers = {"content-type": "application/json"}
        async with requests_for("admin") as requests:
            await requests.post({"query": ONE, "variables": {"id": ids[3]}})
            mine, _, _ = await requests.post(body, headers=headers)
        async with client_for(reference, reference.state.lifespan, token="admin") as theirs:
            expected = await theirs.post("/graphql", content=body, headers=headers)
        assert (mine.status_code, mine.json()) == (expected.status_code, expected.json())


def _graphql(app: Starlette) -> OrgqlGraphQL:
    return next(
        route.endpoint
        for route in app.routes
        if isinstance(getattr(route, "endpoint", None), OrgqlGraphQL)
    )


async def _with_and_without_direct(
    requests: Requests, app: Starlette, body: Any
) -> tuple[tuple[int, Any, int], tuple[int, Any, int]]:
    """(status, body, statements) of ``body`` answered with direct answers on, and off."""
    answers = []
    for enabled in (True, False):
        _graphql(app).direct.enabled = enabled
        try:
            response, _, statements = await requests.post(body)
        finally:
            _graphql(app).direct.enabled = True
        answers.append((response.status_code, response.json(), statements))
    return answers[0], answers[1]


async def test_a_read_the_sql_plan_declined_directly_is_not_read_again(
    requests_for: Callable[..., Any], app: Starlette, client: httpx.AsyncClient
) -> None:
    """A SQL plan that declines after its statement (here: a site that does not exist)
    declines once: the pipeline answering next does not send the same statement again."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    async with requests_for("admin") as requests:
        await requests.post({"query": ONE, "variables": {"id": ids[3]}})  # known
        body = {"query": ONE, "variables": {"id": ids[3], "site": "nowhere"}}
        direct, pipeline = await _with_and_without_direct(requests, app, body)
    assert direct == pipeline


@pytest.mark.parametrize(
    ("lock_timeout", "request_timeout", "code"),
    [
        (0.1, 15.0, "STATEMENT_TIMEOUT"),  # every statement waits for the lock, then fails
        # the pipeline's SQL plan fails at 1 s, the resolvers would at 2 s: past 1.5 s
        (1.0, 1.5, "TIMEOUT"),
    ],
)
async def test_a_failed_statement_answered_directly_is_the_pipelines_answer_in_its_time(
    settings: Settings,
    engine: AsyncEngine,
    client_for: Callable[..., httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
    lock_timeout: float,
    request_timeout: float,
    code: str,
) -> None:
    """The SQL plan's statement fails (it waited too long for a lock) once the document is
    known: the pipeline answers as without direct answers, within the same request timeout
    (not a fresh one), and without sending the failed statement again."""
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    compiled.clear_cache()
    app = create_app(settings.model_copy(update={"db_lock_timeout_seconds": lock_timeout}))
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        ids = await _hierarchy(GraphQL(client))
        requests = Requests(client, state["engine"], caplog)
        body = {"query": ONE, "variables": {"id": ids[3]}}
        await requests.post(body)  # known
        _graphql(app).timeout_seconds = request_timeout
        async with engine.connect() as holder:
            await holder.execute(text("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE"))
            direct, pipeline = await _with_and_without_direct(requests, app, body)
            await holder.rollback()
    assert direct == pipeline
    assert [error["extensions"]["code"] for error in direct[1]["errors"]] == [code]


async def test_a_read_cut_short_by_the_timeout_leaves_no_statement_running(
    app: Starlette, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """The request's timeout cancels the SQL plan's statement (here waiting for a lock): the
    server has stopped it by the time the request is answered, as a session's statement,
    instead of running on for a connection nobody reads (until the lock is free, or the
    statement timeout: a server connection held all that while)."""
    compiled.clear_cache()
    blocked = text(
        "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    ids = await _hierarchy(GraphQL(client))
    body = {"query": ONE, "variables": {"id": ids[3]}}
    await client.post("/graphql", json=body)  # known
    _graphql(app).timeout_seconds = 0.5
    async with engine.connect() as holder:
        await holder.execute(text("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE"))
        response = await client.post("/graphql", json=body)
        still_waiting = await holder.scalar(blocked)
        await holder.rollback()
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert still_waiting == 0


async def test_a_body_is_decoded_once_whichever_path_answers(
    requests_for: Callable[..., Any], client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The direct path decodes a POST body before it knows whether it answers it: the
    pipeline answering next does not decode it again (a megabyte of JSON: 20 ms), and an
    anonymous caller's body is not decoded until the pipeline reads it."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    one = {"query": ONE, "variables": {"id": ids[3]}}
    await client.post("/graphql", json=one)  # known
    decodes: list[object] = []

    def loads_body(body: str | bytes) -> Any:
        decodes.append(body)
        return json_text.loads_body(body)

    monkeypatch.setattr(request_body, "json_text", SimpleNamespace(loads_body=loads_body))
    mutation = {"query": "mutation { unknownField }"}  # any body the pipeline answers
    for token, body in [
        ("admin", one),  # direct
        (None, one),  # anonymous: the pipeline
        ("admin", {**one, "variables": {"id": ids[3], "site": "nowhere"}}),  # declined
        ("admin", mutation),
    ]:
        async with requests_for(token) as requests:
            decodes.clear()
            await requests.post(body)
        assert len(decodes) == 1, body


DEFAULTED = """
query Defaulted($id: ID = "T3JnYW5pemF0aW9uOjE") {
  organization(id: $id) { id name }
}
"""


async def test_an_argument_refused_at_execution_is_the_pipelines_error(
    requests_for: Callable[..., Any], app: Starlette, client: httpx.AsyncClient
) -> None:
    """A variable with a default may stand where null is not allowed; sent as null, the
    argument is refused when the operation runs (not when variables are coerced): the
    pipeline's GraphQL error (200), not an unexpected error (500)."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    async with requests_for("admin") as requests:
        await requests.post({"query": DEFAULTED, "variables": {"id": ids[3]}})  # known
        body = {"query": DEFAULTED, "variables": {"id": None}}
        direct, pipeline = await _with_and_without_direct(requests, app, body)
    assert direct == pipeline
    assert direct[0] == 200


async def test_a_direct_read_past_the_timeout_gives_its_connection_back_closed(
    database_url: str,
    client_for: Callable[..., httpx.AsyncClient],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A direct read waiting on a locked table past the request's timeout answers 503
    TIMEOUT, logged as the direct path's answer; its connection, cancelled mid-statement,
    is closed rather than given back, and the next reads (once the lock is gone) are
    answered on the pool's other connections.

    Only the late read has the short budget (1 s), and only the request's timeout can end
    its wait: the reads before and after it have the usual budget, and the database's lock
    timeout (1 s by default, racing the request's) is far away, so a loaded machine times
    out neither them nor the late read the wrong way."""
    settings = Settings(
        database_url=database_url, db_lock_timeout_seconds=60, db_statement_timeout_seconds=60
    )
    app = create_app(settings)
    body = {"query": ONE, "variables": {"id": "100001"}}
    async with app.router.lifespan_context(app) as state, client_for(app, state) as gateway:
        assert (await gateway.post("/graphql", json=body)).status_code == 200  # now known
        pool = state["engine"].sync_engine.pool
        async with engine.connect() as locker:
            await locker.execute(text("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE"))
            usual, _graphql(app).timeout_seconds = _graphql(app).timeout_seconds, 1.0
            try:
                with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
                    late = await gateway.post("/graphql", json=body)
            finally:
                _graphql(app).timeout_seconds = usual
            await locker.rollback()
        assert late.status_code == 503, late.text
        assert [e["extensions"]["code"] for e in late.json()["errors"]] == ["TIMEOUT"]
        [line] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
        assert line.direct is True  # type: ignore[attr-defined]
        assert pool.checkedout() == 0
        for _ in range(3):
            again = await gateway.post("/graphql", json=body)
            assert again.status_code == 200
            assert again.json()["data"]["organization"]["repositoryId"] == "100001"
        assert pool.checkedout() == 0


async def test_connections_past_the_pool_size_are_kept_for_the_next_burst(
    database_url: str,
    client_for: Callable[..., httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Concurrent direct reads past ``ORGQL_DB_POOL_SIZE`` open connections up to the
    ceiling (twice the size, and the two held long, none of them held here), and given back,
    those stay open: a second burst opens none (SQLAlchemy's overflow closed them at once,
    and every burst paid new connections; db.engine.make_engine). No error is logged, and
    none stays checked out."""
    settings = Settings(database_url=database_url, db_pool_size=2)
    ceiling = 2 * 2 + PRIMARY_HELD_CONNECTIONS
    app = create_app(settings)
    body = {"query": ONE, "variables": {"id": "100001"}}
    async with app.router.lifespan_context(app) as state, client_for(app, state) as gateway:
        assert (await gateway.post("/graphql", json=body)).status_code == 200  # now known
        engine = state["engine"].sync_engine
        opened: list[object] = []
        event.listen(engine, "connect", lambda *_: opened.append(None))
        with caplog.at_level(logging.WARNING):
            for _ in range(2):
                burst = (gateway.post("/graphql", json=body) for _ in range(12))
                answers = await asyncio.gather(*burst)
                assert [a.status_code for a in answers] == [200] * 12
                assert engine.pool.checkedout() == 0
                # The first burst fills the pool at most (the first request's is open).
                assert len(opened) <= ceiling - 1
                kept = engine.pool.checkedin()
                assert kept <= ceiling
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
        assert engine.pool.size() == ceiling
        assert kept == len(opened) + 1 > 2  # past the size, and every one kept


async def test_a_fault_before_the_read_is_answered_by_the_pipeline(
    requests_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in the direct path before its read (here: the SQL plan's lookup raising) is no
    500: logged, and the pipeline answers as it would have."""
    compiled.clear_cache()
    body = {"query": ONE, "variables": {"id": "100001"}}
    async with requests_for("admin") as requests:
        expected, _, _ = await requests.post(body)

        def broken(*args: Any) -> Any:
            raise RuntimeError("a bug")

        monkeypatch.setattr(direct_reads, "known_sql_read", broken)
        answer, direct, _ = await requests.post(body)
    assert (answer.status_code, answer.content, direct) == (200, expected.content, False)
    assert any(r.exc_info and "direct answer failed" in r.getMessage() for r in caplog.records)


async def test_a_document_known_under_no_name_alone_is_still_answered_directly(
    requests_for: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A document of one operation is remembered under its operation's name and under none;
    when the least recently used goes first and only the entry under no name is left, a
    request naming no operation is still answered directly, with no fault logged."""
    compiled.clear_cache()
    monkeypatch.setattr(compiled, "MAX_DOCUMENTS", 3)
    one = {"query": ONE, "variables": {"id": "100001"}}
    async with requests_for("admin") as requests:
        await requests.post(one)  # remembered as (One) and (no name)
        await requests.post({"query": PAGE, "variables": {"first": 1}})  # (One) forgotten
        answer, direct, _ = await requests.post(one)
        faults = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert (answer.status_code, direct, faults) == (200, True, [])


async def test_a_document_asked_under_no_name_stays_known_under_no_name(
    requests_for: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document of one operation asked for under no name is remembered under no name as
    long as under its operation's name: other documents do not push that entry out alone
    while requests naming no operation keep asking, and those are answered directly (they
    went to the pipeline, every time, until the named entry was forgotten too)."""
    compiled.clear_cache()
    monkeypatch.setattr(compiled, "MAX_DOCUMENTS", 3)
    one = {"query": ONE, "variables": {"id": "100001"}}
    answered: list[bool] = []
    async with requests_for("admin") as requests:
        await requests.post(one)  # remembered as (One) and (no name)
        answered.append((await requests.post(one))[1])
        await requests.post({"query": PAGE, "variables": {"first": 1}})  # two entries more
        for _ in range(2):
            answer, direct, _ = await requests.post(one)
            assert answer.status_code == 200
            answered.append(direct)
    assert answered == [True, True, True]


DIRECTED = """
query Directed($id: ID!, $withParent: Boolean = true) {
  organization(id: $id) {
    ...Named
    parentOrganization @include(if: $withParent) { id name }
  }
}
fragment Named on Organization { id repositoryId name }
"""


async def test_directive_variables_and_their_defaults_choose_the_plan_as_the_pipeline_does(
    requests_for: Callable[..., Any],
    client_for: Callable[..., httpx.AsyncClient],
    reference: Starlette,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    """An @include decided by a variable (left to its default, or given) is answered
    directly only by the plan of that value, once the pipeline has planned it; a fragment's
    fields too. Every answer is the pipeline's (the same app without SQL plans)."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    default = {"query": DIRECTED, "variables": {"id": ids[3]}}
    without = {"query": DIRECTED, "variables": {"id": ids[3], "withParent": False}}
    given = {"query": DIRECTED, "variables": {"id": ids[3], "withParent": True}}
    cases = [(default, False), (default, True), (without, False), (without, True)]
    cases += [(given, True), (default, True)]  # true given or by default: one plan
    for body, answered_directly in cases:
        async with requests_for("admin") as requests:
            mine, direct, _ = await requests.post(body)
        async with client_for(reference, reference.state.lifespan, token="admin") as theirs:
            expected = await theirs.post("/graphql", json=body)
        assert direct == answered_directly, body
        assert (mine.status_code, mine.json()) == (expected.status_code, expected.json()), body
        organization = mine.json()["data"]["organization"]
        assert ("parentOrganization" in organization) == body["variables"].get("withParent", True)
