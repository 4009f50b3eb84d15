"""Time syncFinancialData for an organization with 1,000 addresses (not run by CI).

    .venv/bin/python bench/sync_1000.py [--server postgresql://postgres@127.0.0.1:5432/test]
                                        [--accounts 100] [--sites 10] [--runs 7]

Creates a scratch database on the server (migrated, demo-seeded; dropped afterwards), an
organization whose party has ``accounts`` x ``sites`` addresses on an upstream financial
service on loopback (a real HTTP server, the README's contract), and POSTs
``/ccadmin/v1/organizations/{id}/syncFinancialData`` through the app ``runs`` times: each
run fetches the pages over HTTP, removes the previous run's 1,000 addresses and creates
1,000 new ones in one transaction. Prints the wall time of each run (the first one has
nothing to remove) and of the upstream fetch alone, and the SQL statements of a run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from orgql.app import create_app
from orgql.auth.tokens import Authenticator
from orgql.core.reference.demo import seed_demo
from orgql.database_urls import to_asyncpg_url
from orgql.db import models
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.db.migrate import upgrade
from orgql.financial_sources import bounds_of
from orgql.financial_sources.http import HttpFinancialSource, RetryPolicy, make_client
from orgql.settings import Settings

PARTY = "bench-party"
ORGANIZATION = "900001"


def party_accounts(accounts: int, sites: int) -> list[dict[str, Any]]:
    return [
        {
            "accountId": f"bench-{a}",
            "accountNumber": str(10000 + a),
            "accountName": f"Bench account {a}",
            "businessUnitId": 300000001,
            "sites": [
                {
                    "siteId": f"bench-{a}-{s}",
                    "uses": [
                        {"purpose": "BILL_TO", "primary": a == 0 and s == 0},
                        {"purpose": "SHIP_TO", "primary": a == 0 and s == 1},
                    ],
                    "address": {
                        "externalId": f"addr-{a}-{s}",
                        "address1": f"{s + 1} Bench Street",
                        "address2": f"Suite {a}",
                        "city": "Boston",
                        "state": "MA",
                        "postalCode": "02110",
                        "country": "US",
                    },
                }
                for s in range(sites)
            ],
        }
        for a in range(accounts)
    ]


async def serve_upstream(accounts: list[dict[str, Any]]) -> asyncio.Server:
    """GET /parties/{party}/customerAccounts?offset&limit, one request per connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        target = head.split(b" ", 2)[1].decode()
        query = dict(parse_qsl(urlsplit(target).query))
        offset, limit = int(query.get("offset", "0")), int(query.get("limit", "100"))
        body = json.dumps(
            {
                "items": accounts[offset : offset + limit],
                "hasMore": offset + limit < len(accounts),
            }
        ).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def main(args: argparse.Namespace) -> None:
    server_url = to_asyncpg_url(args.server)
    name = f"orgql_bench_sync_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(database_url, pool_size=5)
    upstream = await serve_upstream(party_accounts(args.accounts, args.sites))
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_demo(session)
            session.add(models.Organization(id=ORGANIZATION, name="Bench", party_id=PARTY))
        host, port = upstream.sockets[0].getsockname()[:2]
        settings = Settings(
            database_url=database_url,
            financial_base_url=f"http://{host}:{port}",
            financial_page_size=args.page_size,
        )
        await run(settings, engine, args)
    finally:
        upstream.close()
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def run(settings: Settings, engine: Any, args: argparse.Namespace) -> None:
    addresses = args.accounts * args.sites
    async with make_client(settings) as upstream_client:
        source = HttpFinancialSource(
            upstream_client,
            RetryPolicy.from_settings(settings),
            page_size=settings.financial_page_size,
            max_page_bytes=settings.financial_max_page_bytes,
            bounds=bounds_of(settings),
        )
        fetches = []
        for _ in range(args.runs):
            started = time.perf_counter()
            fetched = await source.customer_accounts(PARTY, None)
            fetches.append(time.perf_counter() - started)
        assert sum(len(a.sites) for a in fetched) == addresses

    statements: list[str] = []

    def count(*parameters: Any) -> None:
        statements.append(parameters[2])

    app = create_app(settings, engine=engine)
    timings = []
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=with_state(app, state))
        token = Authenticator(settings).issue_admin("bench").access_token
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            for number in range(args.runs):
                event.listen(engine.sync_engine, "before_cursor_execute", count)
                statements.clear()
                started = time.perf_counter()
                response = await client.post(
                    f"/ccadmin/v1/organizations/{ORGANIZATION}/syncFinancialData", json={}
                )
                timings.append(time.perf_counter() - started)
                event.remove(engine.sync_engine, "before_cursor_execute", count)
                body = response.json()
                assert response.status_code == 200, body
                assert len(body["customerAccountIds"]) == args.accounts, body
                assert body["failedAddressItems"] == []
                print(
                    f"run {number + 1}: {timings[-1] * 1000:7.1f} ms"
                    f"  ({len(statements)} SQL statements)"
                )
    async with engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT count(*) FROM addresses WHERE organization_id = :id"),
            {"id": ORGANIZATION},
        )
    assert stored == addresses, stored
    steady = timings[1:] or timings
    print(
        f"\n{addresses} addresses ({args.accounts} accounts x {args.sites} sites),"
        f" {args.runs} runs, page size {settings.financial_page_size}"
    )
    print(f"first sync (nothing to remove): {timings[0] * 1000:.1f} ms")
    print(
        f"re-sync (remove 1000, create 1000): median {statistics.median(steady) * 1000:.1f} ms,"
        f" min {min(steady) * 1000:.1f} ms, max {max(steady) * 1000:.1f} ms"
    )
    print(
        f"upstream fetch alone: median {statistics.median(fetches) * 1000:.1f} ms,"
        f" min {min(fetches) * 1000:.1f} ms"
    )


def with_state(app: Any, state: Any) -> Any:
    """Give each request the lifespan state, as a server does (httpx runs no lifespan)."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "state": dict(state or {})}
        await app(scope, receive, send)

    return asgi


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "ORGQL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server (its maintenance database); a scratch database is made on it",
    )
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    asyncio.run(main(parser.parse_args()))
