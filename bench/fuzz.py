"""Fuzz the public edge of a real ``orgql serve`` (production profile) with schemathesis
(not run by CI: the suite runs a smaller fuzz through the ASGI app, tests/auth/test_fuzz.py).

    .venv/bin/python bench/fuzz.py [--server postgresql://postgres@127.0.0.1:5432/postgres]
                                   [--rest 2000] [--graphql 2000] [--slow 5]

Makes a scratch database (migrated, demo-seeded; dropped at the end), starts the gateway
with ``ORGQL_ENVIRONMENT=production``, draws at least ``--rest`` requests from the REST
shim's OpenAPI document and ``--graphql`` operations from the GraphQL schema, sends each
over HTTP (REST with an admin token; GraphQL alternately as admin and anonymous) and counts
answers of 5xx, answers slower than ``--slow`` seconds and answers that leak SQL or a
traceback. Exit status 1 when any is found.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from edge import production_gateway
from hypothesis import HealthCheck, given, settings

from orgql.graphql.schema import default_schema
from orgql.rest.routes import openapi_json

#: What must never reach a caller (as in tests/auth/test_fuzz.py).
LEAKS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "sqlalchemy", "asyncpg", "Traceback")


def draw(loaded: Any, wanted: int, seed: int) -> list[Any]:
    """At least ``wanted`` cases spread over every operation: rounds of examples per
    operation, each round with its own seed, until there are enough (an operation with few
    possible inputs gives few)."""
    operations = [result.ok() for result in loaded.get_all_operations()]
    per_operation = -(-wanted // len(operations))
    cases: list[Any] = []
    for round_seed in range(seed * 100, seed * 100 + 20):
        for operation in operations:

            @given(operation.as_strategy())
            @settings(
                max_examples=per_operation,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def collect(case: Any) -> None:
                cases.append(case)

            collect._hypothesis_internal_use_seed = round_seed  # type: ignore[attr-defined]
            collect()
        if len(cases) >= wanted:
            break
    return cases


def headers_of(case: Any) -> dict[str, str]:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    return {k: v for k, v in headers.items() if all(32 <= ord(c) < 127 for c in k + v)}


@dataclass
class Tally:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    slowest_label: str = ""

    def record(self, label: str, response: httpx.Response, seconds: float, slow: float) -> None:
        self.sent += 1
        self.statuses[response.status_code] += 1
        if seconds > self.slowest:
            self.slowest, self.slowest_label = seconds, label
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {label}: {response.text[:200]}")
        if seconds > slow:
            self.failures.append(f"{seconds:.1f} s {label}")
        # Error answers only: a 200 may rightly echo what an earlier case stored (a name
        # "DELETE FROM …" in a list of organizations).
        leaked = [leak for leak in LEAKS if leak in response.text]
        if response.status_code >= 400 and leaked:
            self.failures.append(f"leaks {leaked} {label}")


def fuzz_rest(client: httpx.Client, token: str, wanted: int, slow: float) -> Tally:
    tally = Tally()
    for case in draw(schemathesis.openapi.from_dict(openapi_json()), wanted, seed=1):
        kwargs: dict[str, Any] = {
            "params": case.query or None,
            "headers": {**headers_of(case), "Authorization": f"Bearer {token}"},
        }
        if case.body is not None and not isinstance(case.body, schemathesis.core.NotSet):
            kwargs["json" if case.media_type == "application/json" else "data"] = case.body
        started = time.perf_counter()
        response = client.request(case.method, case.formatted_path, **kwargs)
        tally.record(
            f"{case.method} {case.formatted_path}", response, time.perf_counter() - started, slow
        )
    return tally


def fuzz_graphql(client: httpx.Client, token: str, wanted: int, slow: float) -> Tally:
    tally = Tally()
    cases = draw(schemathesis.graphql.from_file(default_schema().as_str()), wanted, seed=2)
    for index, case in enumerate(cases):
        headers = {"Authorization": f"Bearer {token}"} if index % 2 == 0 else {}
        started = time.perf_counter()
        response = client.post("/graphql", json={"query": case.body}, headers=headers)
        tally.record(str(case.body)[:200], response, time.perf_counter() - started, slow)
    return tally


def main(args: argparse.Namespace) -> int:
    # An hour: the run outlives the default five minutes of one admin token.
    with (
        production_gateway(
            args.server,
            "orgql_fuzz",
            ORGQL_AUTH_TOKEN_TTL_SECONDS="3600",  # noqa: S106 (a TTL)
        ) as gateway,
        httpx.Client(base_url=gateway.base, timeout=60) as client,
    ):
        tallies = {
            "REST": fuzz_rest(client, gateway.token, args.rest, args.slow),
            "GraphQL": fuzz_graphql(client, gateway.token, args.graphql, args.slow),
        }

    failed = False
    for transport, tally in tallies.items():
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))
        print(
            f"{transport}: {tally.sent} cases; statuses {statuses}; slowest"
            f" {tally.slowest:.2f} s ({tally.slowest_label[:80]}); {len(tally.failures)} failures"
        )
        for failure in tally.failures[:20]:
            print(f"  {failure}")
        wanted = args.rest if transport == "REST" else args.graphql
        failed = failed or bool(tally.failures) or tally.sent < wanted
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rest", type=int, default=2000, help="REST cases at least")
    parser.add_argument("--graphql", type=int, default=2000, help="GraphQL cases at least")
    parser.add_argument("--slow", type=float, default=5.0, help="seconds; slower is a failure")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(parse_args()))
