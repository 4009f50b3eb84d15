"""The public edge under attack: replays hostile requests against a real ``orgql serve``
(production profile) and measures each answer and ``/healthz`` while it is in flight
(not run by CI; the suite has a test per case, this measures them on a real server).

    .venv/bin/python bench/edge.py [--server postgresql://postgres@127.0.0.1:5432/postgres]

Makes a scratch database (migrated, demo-seeded, plus a chain of organizations as deep as
the hierarchy allows; dropped at the end), starts ``orgql serve`` with
``ORGQL_ENVIRONMENT=production`` and sends every case of issue 15 ("The public edge") one
after the other. While a case is in flight, another thread asks ``/healthz`` every 20 ms.
A case passes when its answer has the expected status class within ``--budget`` seconds
(2) and no ``/healthz`` took longer than ``--health-budget`` (0.1 s). Exit status 1 when
any case fails. Slow clients are measured apart: they take the configured header/body bound
by design.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
from run import free_port, start, stop, token_for
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from orgql.core.reference.demo import seed_demo
from orgql.database_urls import to_asyncpg_url
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.db.migrate import upgrade

#: An answer's status (None: no answer, by design) and whether its body refuses.
Answer = tuple[int | None, bool]

#: Depth of the chain built under the demo's "Sample" for the ancestors case (the issue's 42).
CHAIN_DEPTH = 42


@dataclass
class Outcome:
    name: str
    status: int | None
    #: The body refuses (GraphQL top-level errors or userErrors): a refusal answered as 200.
    refused: bool
    seconds: float
    health_worst: float
    health_polls: int
    expected: str
    note: str = ""
    ok: bool = field(init=False, default=False)


def _refuses(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    if body.get("errors"):
        return True
    payloads = (body.get("data") or {}).values()
    return any(isinstance(p, dict) and p.get("userErrors") for p in payloads)


def _nest(depth: int) -> str:
    return "[" * depth + "]" * depth


def _fragments_doubling(count: int) -> str:
    parts = ["{ ...F0 }"]
    parts.extend(
        f"fragment F{index} on Query {{ ...F{index + 1} ...F{index + 1} }}"
        for index in range(count - 1)
    )
    parts.append(f"fragment F{count - 1} on Query {{ __typename }}")
    return " ".join(parts)


def _ancestors(org_id: str, levels: int) -> str:
    inner = "id name"
    for _ in range(levels):
        inner = f"id name ancestorOrganizations {{ {inner} }}"
    return f'{{ organization(id: "{org_id}") {{ {inner} }} }}'


INTROSPECTION_FRAGMENTS = """
fragment T on __Type { name kind fields(includeDeprecated: true) { name args { name type { ...R } }
  type { ...R } } inputFields { name type { ...R } } enumValues(includeDeprecated: true) { name }
  possibleTypes { name } interfaces { name } }
fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
"""


def _introspection_aliases(count: int) -> str:
    aliases = " ".join(f"a{i}: __schema {{ types {{ ...T }} }}" for i in range(count))
    return f"{{ {aliases} }} {INTROSPECTION_FRAGMENTS}"


class Edge:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.admin = {"Authorization": f"Bearer {token}"}
        self.outcomes: list[Outcome] = []

    def measure(self, name: str, expected: str, send: Callable[[], Answer], note: str = "") -> None:
        """Run ``send`` in a thread, poll /healthz meanwhile; record status and times."""
        result: list[Answer] = []
        failure: list[BaseException] = []

        def attack() -> None:
            try:
                result.append(send())
            except BaseException as error:  # the outcome says what happened
                failure.append(error)

        worst, polls = 0.0, 0
        thread = threading.Thread(target=attack, daemon=True)
        started = time.perf_counter()
        thread.start()
        with httpx.Client(base_url=self.base, timeout=10) as health:
            while thread.is_alive() or polls == 0:
                asked = time.perf_counter()
                with contextlib.suppress(httpx.HTTPError):
                    health.get("/healthz")
                worst = max(worst, time.perf_counter() - asked)
                polls += 1
                thread.join(0.02)
                if time.perf_counter() - started > 120:
                    note = f"{note} (gave up after 120 s)".strip()
                    break
        seconds = time.perf_counter() - started
        status, refused = result[0] if result else (None, False)
        if failure:
            note = f"{note} {type(failure[0]).__name__}: {failure[0]}".strip()
        self.outcomes.append(Outcome(name, status, refused, seconds, worst, polls, expected, note))

    def post_graphql(self, body: bytes | str, *, admin: bool = True, **headers: str) -> Answer:
        content = body.encode() if isinstance(body, str) else body
        with httpx.Client(base_url=self.base, timeout=130) as client:
            response = client.post(
                "/graphql",
                content=content,
                headers={
                    "content-type": "application/json",
                    **(self.admin if admin else {}),
                    **headers,
                },
            )
        if "x-request-id" not in response.headers:
            raise AssertionError(f"{response.status_code} without x-request-id")
        return response.status_code, _refuses(response)

    def query(self, document: str, *, admin: bool = True) -> Callable[[], Answer]:
        return lambda: self.post_graphql(json.dumps({"query": document}), admin=admin)

    def rest(self, method: str, path: str, body: object, **headers: str) -> Callable[[], Answer]:
        def send() -> Answer:
            with httpx.Client(base_url=self.base, timeout=130) as client:
                response = client.request(
                    method, path, json=body, headers={**self.admin, **headers}
                )
            return response.status_code, False

        return send


def build_chain(base: str, token: str) -> str:
    """Organizations nested CHAIN_DEPTH deep (as deep as the hierarchy allows); the deepest id."""
    parent = "100001"
    with httpx.Client(base_url=base, timeout=30) as client:
        for level in range(CHAIN_DEPTH):
            response = client.post(
                "/ccadmin/v1/organizations",
                json={"name": f"edge chain {level}", "parentOrganization": {"id": parent}},
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code != 200:
                print(f"chain stops at level {level}: {response.status_code} {response.text}")
                break
            parent = response.json()["id"]
    return parent


def truncated_body(base: str, token: str, key: str) -> Answer:
    """Announce 400 bytes, send 40, hang up: the write must not run (checked afterwards)."""
    host, port = base.removeprefix("http://").split(":")
    body = json.dumps({"name": "edge truncated " + "x" * 100}).encode()
    request = (
        f"POST /ccadmin/v1/organizations HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request + body[:40])
    return None, False


def slow_client(base: str, what: str) -> tuple[float, bytes]:
    """Trickle the headers (or a body) one byte a second; time until the server answers or
    closes."""
    host, port = base.removeprefix("http://").split(":")
    head = f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    started = time.perf_counter()
    answer = b""
    with socket.create_connection((host, int(port)), timeout=120) as sock:
        if what == "body":
            sock.sendall(f"{head}Content-Length: 1000\r\n\r\n".encode())
            payload = b"{" + b" " * 999
        else:
            payload = f"{head}X-Slow: {'a' * 1000}".encode()
        try:
            for byte in payload:
                sock.sendall(bytes([byte]))
                readable = sock.recv(4096) if _readable(sock, 1.0) else None
                if readable is not None:
                    answer = readable
                    break
                if time.perf_counter() - started > 110:
                    break
        except OSError:
            pass
    return time.perf_counter() - started, answer


def _readable(sock: socket.socket, timeout: float) -> bool:
    ready, _, _ = select.select([sock], [], [], timeout)
    return bool(ready)


async def prepare(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_demo(session)
    finally:
        await engine.dispose()


def run_cases(edge: Edge, deepest: str, database_url: str) -> None:
    big = list(range(40_000))
    cases: list[tuple[str, str, Callable[[], Answer]]] = [
        (
            "fragment cycle, anonymous",
            "refused",
            edge.query("{ ...A } fragment A on Query { ...A ...A }", admin=False),
        ),
        ("20 fragments spreading the next twice", "refused", edge.query(_fragments_doubling(20))),
        (
            f"ancestorOrganizations x6 on a {CHAIN_DEPTH}-deep chain",
            "refused",
            edge.query(_ancestors(deepest, 6)),
        ),
        ("30 aliases of __schema { types }", "refused", edge.query(_introspection_aliases(30))),
        ("body: invalid UTF-8", "4xx", lambda: edge.post_graphql(b"\xff\xfe{")),
        ("body: 100,000 nested arrays", "4xx", lambda: edge.post_graphql(_nest(100_000))),
        (
            "body: 5,000 levels inside variables",
            "4xx",
            lambda: edge.post_graphql(
                '{"query": "{ __typename }", "variables": {"a": ' + _nest(5000) + "}}"
            ),
        ),
        (
            "body: a 5,000-digit integer",
            "4xx",
            lambda: edge.post_graphql('{"query": "{ __typename }", "x": ' + "9" * 5000 + "}"),
        ),
        ("body: null", "4xx", lambda: edge.post_graphql("null")),
        ('body: "x"', "4xx", lambda: edge.post_graphql('"x"')),
        ("body: 1", "4xx", lambda: edge.post_graphql("1")),
        ("body: [{...}, 1]", "4xx", lambda: edge.post_graphql('[{"query": "{ __typename }"}, 1]')),
        (
            "REST: 40,000 payment methods",
            "4xx",
            edge.rest(
                "POST",
                "/ccadmin/v1/organizations",
                {"name": "edge big list", "paymentMethods": [str(i) for i in big]},
            ),
        ),
        (
            "REST: 40,000 dynamic-property keys",
            "4xx",
            edge.rest(
                "POST",
                "/ccadmin/v1/organizations",
                {"name": "edge many keys", **{f"k{i}": i for i in big}},
            ),
        ),
        (
            "GraphQL: 40,000 members in createOrganization",
            "refused",
            lambda: edge.post_graphql(
                json.dumps(
                    {
                        "query": "mutation($m: [ID!]) { createOrganization(input:"
                        ' {name: "edge members", members: $m}) { userErrors { code } } }',
                        "variables": {"m": [str(i) for i in big]},
                    }
                )
            ),
        ),
        (
            "anonymous: sites { name } 745 times, behind a comment of its own",
            "refused",
            edge.query(f"# {secrets.token_hex(8)}\n{{{' sites { name }' * 745} }}", admin=False),
        ),
        (
            "anonymous: 500,000 ids in a variable",
            "refused",
            lambda: edge.post_graphql(
                json.dumps(
                    {
                        "query": "query($i: [ID!]!) { nodes(ids: $i) { id } }",
                        "variables": {"i": [1] * 500_000},
                    },
                    separators=(",", ":"),
                ),
                admin=False,
            ),
        ),
        (
            "production: suggestion probe",
            "refused",
            edge.query('{ organization(id: "100001") { nam } organizations(filtr: {}) { x } }'),
        ),
    ]
    for name, expected, send in cases:
        edge.measure(name, expected, send)

    key = secrets.token_hex(8)
    edge.measure(
        "Idempotency-Key: body cut short",
        "none",
        lambda: truncated_body(edge.base, edge.admin["Authorization"][7:], key),
    )
    edge.measure(
        "Idempotency-Key: the full retry",
        "2xx",
        edge.rest(
            "POST",
            "/ccadmin/v1/organizations",
            {"name": "edge truncated " + "x" * 100},
            **{"Idempotency-Key": key},
        ),
    )

    lock_case(edge, database_url)


def lock_case(edge: Edge, database_url: str) -> None:
    """Another transaction holds organization 100001's row lock: writes to it answer 503."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    loop = asyncio.new_event_loop()
    held = threading.Event()
    release = threading.Event()

    async def hold() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("BEGIN"))
            await connection.execute(
                text("SELECT 1 FROM organizations WHERE id = '100001' FOR UPDATE")
            )
            held.set()
            await asyncio.to_thread(release.wait, 120)
            await connection.execute(text("ROLLBACK"))
        await engine.dispose()

    thread = threading.Thread(target=loop.run_until_complete, args=(hold(),), daemon=True)
    thread.start()
    held.wait(30)
    try:
        edge.measure(
            "REST PUT while another transaction holds the row",
            "503",
            edge.rest("PUT", "/ccadmin/v1/organizations/100001", {"description": "edge"}),
        )
        edge.measure(
            "GraphQL update while another transaction holds the row",
            "503",
            edge.query(
                'mutation { updateOrganization(id: "100001", input: {description: "edge"})'
                " { userErrors { code } } }"
            ),
        )
    finally:
        release.set()
        thread.join(30)


def judge(outcome: Outcome, budget: float, health_budget: float) -> bool:
    status = outcome.status
    if outcome.expected == "none":
        fits = status is None
    elif outcome.expected == "4xx":
        fits = status is not None and 400 <= status < 500
    elif outcome.expected == "refused":
        fits = status is not None and (400 <= status < 500 or (status == 200 and outcome.refused))
    elif outcome.expected == "2xx":
        fits = status is not None and 200 <= status < 300
    else:
        fits = status == int(outcome.expected)
    return fits and outcome.seconds <= budget and outcome.health_worst <= health_budget


@dataclass
class Gateway:
    """A production-profile ``orgql serve`` on a scratch database, with an admin token."""

    base: str
    token: str
    database_url: str


@contextlib.contextmanager
def production_gateway(server: str, prefix: str, **env: str) -> Iterator[Gateway]:
    """A scratch database on ``server`` (migrated, demo-seeded, dropped at the end) served by
    ``orgql serve`` in the production profile with ``env`` added; stopped at the end."""
    server_url = to_asyncpg_url(server)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    database_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    async def admin_sql(sql: str) -> None:
        async with admin.connect() as connection:
            await connection.execute(text(sql))

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    gateway = None
    try:
        asyncio.run(prepare(database_url))
        environment = {
            **os.environ,
            "ORGQL_DATABASE_URL": database_url,
            "ORGQL_ENVIRONMENT": "production",
            "ORGQL_AUTH_SIGNING_KEY": secrets.token_urlsafe(48),
            "ORGQL_LOG_LEVEL": "warning",
            "ORGQL_WEBHOOK_DISPATCHER": "false",
            **env,
        }
        token = token_for(environment)
        if token is None:
            raise SystemExit("orgql token failed")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gateway = start(
            [sys.executable, "-m", "orgql", "serve", "--port", str(port)],
            environment,
            f"{base}/healthz",
        )
        yield Gateway(base, token, database_url)
    finally:
        if gateway is not None:
            stop(gateway)
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main(args: argparse.Namespace) -> int:
    with production_gateway(args.server, "orgql_edge") as gateway:
        deepest = build_chain(gateway.base, gateway.token)
        edge = Edge(gateway.base, gateway.token)
        run_cases(edge, deepest, gateway.database_url)
        slow = {what: slow_client(gateway.base, what) for what in ("headers", "body")}

    failed = 0
    print("| case | expected | status | seconds | worst /healthz ms | polls | verdict |")
    print("|---|---|---|---|---|---|---|")
    for outcome in edge.outcomes:
        ok = judge(outcome, args.budget, args.health_budget)
        failed += not ok
        print(
            f"| {outcome.name} | {outcome.expected} | {outcome.status} |"
            f" {outcome.seconds:.2f} | {outcome.health_worst * 1000:.0f} | {outcome.health_polls}"
            f" | {'ok' if ok else 'FAIL'} {outcome.note} |"
        )
    for what, (seconds, answer) in slow.items():
        first_line = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "(closed)"
        print(f"slow client trickling its {what}: {first_line} after {seconds:.1f} s")
    print(f"{len(edge.outcomes) - failed} of {len(edge.outcomes)} cases ok")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per case")
    parser.add_argument("--health-budget", type=float, default=0.1, help="seconds per /healthz")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(parse_args()))
