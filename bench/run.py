"""Load benchmark: the gateway against the floor, on loopback (not run by CI).

    apt-get install -y wrk
    .venv/bin/python bench/run.py [--server postgresql://postgres@127.0.0.1:5432/postgres]
                                  [--workers 2] [--duration 10] [--connections 16]
                                  [--only page,depth15] [--rounds 3] [--count-only]

Makes a scratch database (migrated, demo-seeded, ``dataset.py``'s 100,000 organizations;
dropped at the end), starts ``orgql serve --workers N`` and ``floor.py`` under uvicorn with
the same N, checks that both answer the page scenarios and depth15 with the same JSON, then
drives each scenario with wrk (a Lua POST script) from its own process and prints
requests/s, p50/p99 latency, SQL statements per request, server CPU ms per request and the
server's peak RSS. A read with a floor is driven ``--rounds`` times, gateway and floor
alternately; its ratio is the median of the rounds' ratios (each of a gateway run and the
floor's run just after it), printed with every round's.

Statements per request are counted in-process (the same app, an engine event listener) on
the same documents before the load, so the served app carries no bench-only code. When the
server requires a bearer token, ``orgql token --scope admin`` provides one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import scenarios
import shoppers
import sync_1000
from dataset import generate, load
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from orgql.app import create_app
from orgql.core.reference.demo import seed_demo
from orgql.database_urls import to_asyncpg_url
from orgql.db import models
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.db.migrate import upgrade
from orgql.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scenario:
    name: str
    document: str
    variables: dict[str, Any]
    connections: int | None = None  # None: the --connections default
    unique_name: bool = False  # createOrganization: a fresh name per request
    shopper: bool = False  # with scenarios.SHOPPER's token instead of the admin's
    rest: str | None = None  # a REST GET of this path instead of a GraphQL POST

    def url(self, base: str) -> str:
        """The URL of the scenario on a server at ``base`` (http://host:port)."""
        return base + (self.rest or "/graphql")


SCENARIOS = [
    Scenario("page", scenarios.PAGE, {"first": 100, "after": scenarios.PAGE_AFTER}),
    Scenario("page10", scenarios.PAGE, {"first": 10, "after": scenarios.PAGE_AFTER}),
    Scenario(
        "shopperPage", scenarios.PAGE, {"first": 100, "after": scenarios.PAGE_AFTER}, shopper=True
    ),
    Scenario("depth15", scenarios.EVERYTHING, {"id": scenarios.DEPTH_15}),
    Scenario("restGet", "", {}, rest=scenarios.REST_GET),
    Scenario("restList", "", {}, rest=scenarios.REST_LIST),
    Scenario("typename", scenarios.TYPENAME, {}),
    Scenario("create", scenarios.CREATE, {"name": "NAME"}, unique_name=True),
    Scenario("updateSite", scenarios.UPDATE_SITE, {}, connections=1),
    Scenario("sync1000", scenarios.SYNC, {}, connections=1),
]


#: The scenarios that have a floor, and its path on the floor's server (bench/floor.py;
#: the REST reads' floors answer the gateway's paths, bench/rest_floor.py).
FLOORS = {
    "page": "/",
    "page10": "/",
    "shopperPage": "/shopper",
    "depth15": "/depth15",
    "restGet": scenarios.REST_GET,
    "restList": scenarios.REST_LIST,
}
#: The floors' SQL statements per request where not 2 (pool resets not counted).
FLOOR_STATEMENTS = {"depth15": 1, "restGet": 1, "restList": 1}
#: The base URL of the REST answers' links, the same for the gateway and the floor (their
#: ports differ), so that both answer the same bytes.
PUBLIC_BASE_URL = "http://bench.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(url: str, body: dict[str, Any], token: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def get(url: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310
                return
        except OSError as error:
            if getattr(error, "code", None):  # an HTTP answer (405 on GET /graphql): up
                return
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def token_for(env: dict[str, str]) -> str | None:
    """A bearer token when this orgql has authentication (issue 6), else None."""
    result = subprocess.run(
        [sys.executable, "-m", "orgql", "token", "--scope", "admin"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def lua_script(
    scenario: Scenario, token: str | None, extra_headers: dict[str, str] | None = None
) -> str:
    body = json.dumps({"query": scenario.document, "variables": scenario.variables})
    headers = 'wrk.headers["Content-Type"] = "application/json"\n'
    if token:
        headers += f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    for name, value in (extra_headers or {}).items():
        headers += f'wrk.headers["{name}"] = "{value}"\n'
    method, request_body = ("GET", "nil") if scenario.rest else ("POST", "template")
    common = f"""
wrk.method = "{method}"
{headers}
template = [==[{body}]==]
wrk.body = {request_body}
bad = 0
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true)
     or string.find(body, '"userErrors":[{{', 1, true)
     or string.find(body, '"userErrors": [{{', 1, true) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("BAD %d\\n", total))
end
"""
    if not scenario.unique_name:
        return common
    run = secrets.token_hex(3)
    return (
        common
        + f"""
counter = 0
function request()
  counter = counter + 1
  local name = "Bench {run} " .. tid .. "-" .. counter
  return wrk.format(nil, nil, nil, (string.gsub(template, "NAME", name)))
end
"""
    )


class Sampler:
    """CPU seconds and peak RSS of a server process and its workers."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def processes(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def cpu(self) -> float:
        total = 0.0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def rss(self) -> int:
        total = 0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> Sampler:
        self.peak = self.rss()
        self.start_cpu = self.cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.used_cpu = self.cpu() - self.start_cpu


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(
    url: str,
    scenario: Scenario,
    args: argparse.Namespace,
    token: str | None,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, float]:
    connections = scenario.connections or args.connections
    threads = min(connections, 2)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(scenario, token, extra_headers))
    try:
        out = subprocess.run(
            [  # noqa: S607 (wrk from the PATH, as installed by apt)
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{args.duration}s",
                "--timeout",
                "30s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    found = {
        key: float(value) * UNITS[unit]
        for key, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(re.search(r"BAD (\d+)", out).group(1))  # type: ignore[union-attr]
    return {
        "requests": requests,
        "rps": rps,
        "p50": found["50"],
        "p99": found["99"],
        "bad": bad + (int(non2xx.group(1)) if non2xx else 0),
        "connections": connections,
    }


async def count_statements(
    settings: Settings, token: str | None, shopper_token: str, chosen: list[Scenario]
) -> dict[str, int]:
    """SQL statements of one request of each ``chosen`` scenario, through the same app
    in-process."""
    engine = make_engine(str(settings.database_url), pool_size=2)
    statements: list[str] = []

    def count(*parameters: Any) -> None:
        statements.append(parameters[2])

    app = create_app(settings, engine=engine)
    counts: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with app.router.lifespan_context(app) as state:
            transport = httpx.ASGITransport(app=sync_1000.with_state(app, state))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=headers, timeout=60
            ) as client:
                event.listen(engine.sync_engine, "before_cursor_execute", count)
                for scenario in chosen:
                    variables = dict(scenario.variables)
                    if scenario.unique_name:
                        variables["name"] = f"Statement probe {secrets.token_hex(3)}"
                    statements.clear()
                    response = await request(client, scenario, variables, shopper_token)
                    body = response.json()
                    assert response.status_code == 200, body
                    assert "errors" not in body, body
                    counts[scenario.name] = len(statements)
                event.remove(engine.sync_engine, "before_cursor_execute", count)
    finally:
        await engine.dispose()
    return counts


async def request(
    client: httpx.AsyncClient,
    scenario: Scenario,
    variables: dict[str, Any],
    shopper_token: str,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {shopper_token}"} if scenario.shopper else {}
    if scenario.rest:
        return await client.get(scenario.rest, headers=headers)
    body = {"query": scenario.document, "variables": variables}
    return await client.post("/graphql", json=body, headers=headers)


async def prepare(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_demo(session)
            session.add(
                models.Organization(
                    id=sync_1000.ORGANIZATION, name="Bench sync", party_id=sync_1000.PARTY
                )
            )
    finally:
        await engine.dispose()
    started = time.perf_counter()
    data = generate()
    plain = make_url(database_url).set(drivername="postgresql")
    await load(plain.render_as_string(hide_password=False), data)
    await shoppers.add_shopper(plain.render_as_string(hide_password=False))
    print(
        f"dataset: {len(data.organizations)} organizations, {len(data.addresses)} addresses"
        f" in {time.perf_counter() - started:.1f} s"
    )


def start_upstream() -> str:
    """syncFinancialData's upstream (sync_1000's, 100 accounts x 10 sites) in a thread."""
    ready: list[str] = []
    loop = asyncio.new_event_loop()

    async def serve() -> None:
        server = await sync_1000.serve_upstream(sync_1000.party_accounts(100, 10))
        host, port = server.sockets[0].getsockname()[:2]
        ready.append(f"http://{host}:{port}")
        await asyncio.Event().wait()

    threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True).start()
    while not ready:
        time.sleep(0.01)
    return ready[0]


def start(command: list[str], env: dict[str, str], ready_url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    wait_ready(ready_url, process)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def report(
    name: str, result: dict[str, float], statements: int | str, cpu: float, peak: int
) -> str:
    per_request = cpu * 1000 / result["requests"] if result["requests"] else float("nan")
    return (
        f"| {name} | {result['rps']:.0f} | {result['p50']:.2f} | {result['p99']:.2f} |"
        f" {statements} | {per_request:.2f} | {peak / 2**20:.0f} | {int(result['connections'])} |"
        f" {int(result['bad'])} |"
    )


def main(args: argparse.Namespace) -> None:
    server_url = to_asyncpg_url(args.server)
    name = f"orgql_bench_{os.getpid()}_{secrets.token_hex(3)}"
    database_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    # NullPool: each asyncio.run() below has its own event loop.
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    async def admin_sql(sql: str) -> None:
        async with admin.connect() as connection:
            await connection.execute(text(sql))

    identity = shoppers.IdentityProvider.generate()

    def credential(scenario: Scenario) -> str | None:
        return shopper_token if scenario.shopper else token

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(prepare(database_url))
        upstream = start_upstream()
        env = {
            **os.environ,
            "ORGQL_DATABASE_URL": database_url,
            "ORGQL_FINANCIAL_BASE_URL": upstream,
            "ORGQL_LOG_LEVEL": "warning",
            "ORGQL_GRAPHIQL": "false",
            "ORGQL_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "FLOOR_DATABASE_URL": make_url(database_url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False),
            **identity.environment(),
        }
        token = token_for(env)
        shopper_token = identity.token(scenarios.SHOPPER)
        # Counted in-process without the webhook dispatcher: its polls are no request's.
        settings = Settings(
            database_url=database_url,
            financial_base_url=upstream,
            webhook_dispatcher=False,
            **identity.settings(),
        )
        wanted = set(args.only.split(",")) if args.only else None
        chosen = [s for s in SCENARIOS if wanted is None or s.name in wanted]
        counts = asyncio.run(count_statements(settings, token, shopper_token, chosen))
        if args.count_only:
            for scenario in chosen:
                print(f"{scenario.name}: {counts[scenario.name]} statements")
            return

        gateway_port, floor_port = free_port(), free_port()
        gateway_base = f"http://127.0.0.1:{gateway_port}"
        floor_base = f"http://127.0.0.1:{floor_port}"
        gateway_url, floor_url = f"{gateway_base}/graphql", f"{floor_base}/"
        gateway = start(
            [
                sys.executable,
                "-m",
                "orgql",
                "serve",
                "--workers",
                str(args.workers),
                "--port",
                str(gateway_port),
            ],
            env,
            f"http://127.0.0.1:{gateway_port}/healthz",
        )
        processes.append(gateway)
        floor = start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                "bench",
                "floor:app",
                "--workers",
                str(args.workers),
                "--port",
                str(floor_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env,
            floor_url,
        )
        processes.append(floor)
        page = {"query": scenarios.PAGE, "variables": SCENARIOS[0].variables}
        same = post(gateway_url, page, token) == post(floor_url, page, token)
        print(f"floor and gateway answer the page scenario identically: {same}")
        shopper_page = post(gateway_url, page, shopper_token)
        same_shopper = shopper_page == post(f"{floor_base}/shopper", page, shopper_token)
        print(f"... and the shopper's page identically: {same_shopper}")
        depth15 = {"query": scenarios.EVERYTHING, "variables": {"id": scenarios.DEPTH_15}}
        same_depth15 = post(gateway_url, depth15, token) == post(
            f"{floor_base}/depth15", depth15, token
        )
        print(f"... and depth15 identically: {same_depth15}")
        same_rest = all(
            get(gateway_base + path, token) == get(floor_base + path, token)
            for path in (scenarios.REST_GET, scenarios.REST_LIST)
        )
        print(f"... and the REST reads identically: {same_rest}")
        if not (same and same_shopper and same_depth15 and same_rest):
            raise SystemExit("the floor's answer differs from the gateway's")

        print(
            f"\n{args.workers} workers, {args.duration} s per scenario, wrk on loopback;"
            f" reads with a floor: {args.rounds} rounds, gateway and floor alternately\n\n"
            "| scenario | req/s | p50 ms | p99 ms | SQL/req | server CPU ms/req | peak RSS MiB"
            " | connections | bad responses |\n|---|---|---|---|---|---|---|---|---|"
        )
        ratios: dict[str, list[float]] = {}
        for scenario in chosen:
            floor_path = FLOORS.get(scenario.name)
            # A read with a floor runs gateway and floor alternately, --rounds times: the
            # ratio of each adjacent pair is taken under the same conditions of the machine.
            rounds = args.rounds if floor_path is not None else 1
            for number in range(1, rounds + 1):
                label = f"{scenario.name} ({number})" if rounds > 1 else scenario.name
                with Sampler(gateway.pid) as sampler:
                    url = scenario.url(gateway_base)
                    result = run_wrk(url, scenario, args, credential(scenario))
                used, peak = sampler.used_cpu, sampler.peak
                print(report(label, result, counts[scenario.name], used, peak))
                if floor_path is None:
                    continue
                floor_scenario = dataclasses.replace(scenario, name=f"{label} (floor)")
                with Sampler(floor.pid) as sampler:
                    floor_result = run_wrk(
                        floor_base + floor_path, floor_scenario, args, credential(scenario)
                    )
                statements = FLOOR_STATEMENTS.get(scenario.name, 2)
                print(
                    report(
                        floor_scenario.name,
                        floor_result,
                        statements,
                        sampler.used_cpu,
                        sampler.peak,
                    )
                )
                ratio = result["rps"] / floor_result["rps"]
                ratios.setdefault(scenario.name, []).append(ratio)
                sys.stdout.flush()
        print()
        for read, each in ratios.items():
            rounds_text = ", ".join(f"{r:.2f}" for r in each)
            print(
                f"{read}: gateway/floor = {statistics.median(each):.2f}"
                f" (median of {len(each)} rounds: {rounds_text})"
            )
    finally:
        for process in processes:
            stop(process)
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(admin.dispose())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "ORGQL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="PostgreSQL server (its maintenance database); a scratch database is made on it",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="gateway and floor alternately this many times per read with a floor",
    )
    parser.add_argument(
        "--count-only",
        action="store_true",
        help="count the statements of one request of each scenario, then stop (no load)",
    )
    main(parser.parse_args())
