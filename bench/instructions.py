"""Instructions per request, gateway and floor, counted by callgrind (not run by CI).

    apt-get install -y valgrind
    .venv/bin/python bench/instructions.py [--server postgresql://postgres@127.0.0.1:5432/postgres]
                                           [--only depth15,restGet] [--requests 200]
                                           [--database URL] [--keep]

Timed runs (``run.py``) move 20-40% from run to run on a shared machine; this count repeats
within about 1%, so it shows a change of a few percent. For each scenario and each of the
gateway and the floor, a child process runs the app in-process under
``valgrind --tool=callgrind --instr-atstart=no``: it answers the scenario's request a few times
to warm up (the database's plans and the app's caches), then callgrind counts the
instructions of ``--requests`` sequential requests, sent as raw ASGI calls on uvloop (no
sockets, no HTTP parsing: what is counted is the app's own work and its driver's, not the
server's nor PostgreSQL's). The answers are checked against the first one. The gateway's
metrics are kept as ``orgql serve --workers 2`` keeps them, as run.py serves it (prometheus_client's
multiprocess mode, a scratch directory); ``--workers 1`` counts a single-process server.

``--http`` serves each app with uvicorn on a loopback port instead (the gateway with
``orgql serve``'s HTTP protocol, the floor with uvicorn's own) and sends the requests from
this process over one keep-alive connection: the count then holds the server's HTTP parsing
and protocol too (``--vary`` does not apply).

The same body is sent every time, as in ``run.py``: the gateway's direct path then finds it in
its memo of known bodies (``graphql/execution/known_bodies.py``). ``--vary`` appends a
different number of spaces to each GraphQL body, so that it never does.

For a profiler, one child alone answers ``--requests`` requests without callgrind, e.g.:

    py-spy record -r 500 -o depth15.txt --format raw -- .venv/bin/python bench/instructions.py \
        --child gateway depth15 --database URL --requests 20000

(the tokens in BENCH_TOKEN and BENCH_SHOPPER_TOKEN, the floor's database in FLOOR_DATABASE_URL,
PYTHONPATH=bench:src).

Makes a scratch database like ``run.py`` (dropped at the end) unless ``--database`` names one
already prepared; ``--keep`` keeps the scratch database and prints its URL for the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import scenarios
import shoppers
from run import PUBLIC_BASE_URL, ROOT, SCENARIOS, prepare, token_for
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from orgql.database_urls import to_asyncpg_url

#: The floor's path of each scenario that has one (floor.py), and /healthz's: the edge alone.
FLOOR_PATHS = {
    "page": "/",
    "page10": "/",
    "shopperPage": "/shopper",
    "depth15": "/depth15",
    "restGet": scenarios.REST_GET,
    "restList": scenarios.REST_LIST,
}
COUNTED = [*FLOOR_PATHS, "typename", "healthz"]
WARM_UP = 20


def request_of(name: str, target: str) -> tuple[str, str, bytes, bool]:
    """Method, path, body and whether the shopper's token is used."""
    if name == "healthz":
        return "GET", "/healthz", b"", False
    scenario = next(s for s in SCENARIOS if s.name == name)
    path = FLOOR_PATHS[name] if target == "floor" else scenario.url("")
    if scenario.rest:
        return "GET", path, b"", scenario.shopper
    body = json.dumps({"query": scenario.document, "variables": scenario.variables})
    return "POST", path, body.encode(), scenario.shopper


async def lifespan(app: Any) -> tuple[dict[str, Any], asyncio.Task[None], asyncio.Queue[Any]]:
    """Start the lifespan of a bare ASGI app: its state, the task and its inbox."""
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    state: dict[str, Any] = {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set_result(None)
        elif message["type"] == "lifespan.startup.failed":
            started.set_exception(RuntimeError(message.get("message", "startup failed")))

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    task = asyncio.create_task(app(scope, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    await started
    return state, task, inbox


def wait_for(path: Path) -> None:
    """Block until ``path`` exists: no event loop iterations, so nothing to count."""
    while not path.exists():
        time.sleep(0.005)


async def child(args: argparse.Namespace) -> None:
    os.environ["ORGQL_DATABASE_URL"] = args.database
    if args.target == "floor":
        sys.path.insert(0, str(ROOT / "bench"))
        import floor

        app: Any = floor.app
    else:
        from orgql.app import create_app
        from orgql.settings import Settings

        app = create_app(
            Settings(
                database_url=args.database,
                webhook_dispatcher=False,
                graphiql=False,
                public_base_url=PUBLIC_BASE_URL,
            )
        )
        # As a worker of `orgql serve` does (app.app_from_env): what exists at the start is
        # frozen, out of the cyclic garbage collector's passes.
        gc.collect()
        gc.freeze()
    if args.http:
        await serve_http(app, args)
        return
    state, task, inbox = await lifespan(app)
    method, path, body, shopper = request_of(args.scenario, args.target)
    path, _, query = path.partition("?")
    token = os.environ["BENCH_SHOPPER_TOKEN" if shopper else "BENCH_TOKEN"]

    async def call(number: int) -> bytes:
        sent = body + b" " * (number % 4096) if args.vary and body else body
        headers = [
            (b"host", b"bench.example"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-length", str(len(sent)).encode()),
        ]
        if sent:
            headers.append((b"content-type", b"application/json"))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": dict(state),
        }
        chunks: list[bytes] = []
        status: list[int] = []
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": sent, "more_body": False}
            await asyncio.Event().wait()  # the client stays connected
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        if status != [200]:
            raise SystemExit(f"{args.scenario} on the {args.target}: status {status}")
        return b"".join(chunks)

    first = await call(0)
    for number in range(1, WARM_UP):
        await call(number)
    if args.go:
        print("READY", flush=True)
        wait_for(Path(args.go))  # callgrind_control switches counting on meanwhile
    same = True
    for number in range(args.requests):
        same = await call(WARM_UP + number) == first and same
    print(f"DONE {same}", flush=True)
    if args.go:
        wait_for(Path(args.go + ".off"))
    await inbox.put({"type": "lifespan.shutdown"})
    await task


async def serve_http(app: Any, args: argparse.Namespace) -> None:
    """``--http``: ``app`` under uvicorn on a loopback port (the gateway with orgql serve's
    protocol, the floor with uvicorn's), until the parent, which sends the requests, is
    done. Counted: the server's whole work, its HTTP parsing and protocol included."""
    import uvicorn

    protocol: Any = "httptools"
    if args.target == "gateway":
        from orgql.slow_clients import PROTOCOLS

        protocol = PROTOCOLS["httptools"]
    config = uvicorn.Config(
        app, http=protocol, loop="none", log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:  # noqa: ASYNC110 (uvicorn's Server has no event for it)
        await asyncio.sleep(0.01)
    print(f"READY {listening.getsockname()[1]}", flush=True)
    # A thread waits for the parent: a few hundred instructions every 5 ms.
    await asyncio.to_thread(wait_for, Path(args.go + ".off"))
    server.should_exit = True
    await serving


def http_requests(port: int, scenario: str, target: str, count: int, env: dict[str, str]) -> bool:
    """``count`` requests of ``scenario`` to ``target`` over one keep-alive connection:
    whether every answer was 200 and the same."""
    method, path, body, shopper = request_of(scenario, target)
    token = env["BENCH_SHOPPER_TOKEN" if shopper else "BENCH_TOKEN"]
    headers = {"Authorization": f"Bearer {token}", "Host": "bench.example"}
    if body:
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    answers = set()
    for _ in range(count):
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        answers.add((response.status, response.read()))
    connection.close()
    return len(answers) == 1 and next(iter(answers))[0] == 200


def switch(state: str, pid: int) -> None:
    """Switch callgrind's counting in process ``pid`` on or off."""
    control = shutil.which("callgrind_control") or "callgrind_control"
    subprocess.run([control, "-i", state, str(pid)], check=True, capture_output=True)


def count(args: argparse.Namespace, scenario: str, target: str, env: dict[str, str]) -> str:
    """One child under callgrind: instructions per request, and whether every answer was the
    first one."""
    with tempfile.TemporaryDirectory() as scratch:
        out, go = f"{scratch}/callgrind.out", f"{scratch}/go"
        command = [
            shutil.which("valgrind") or "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            target,
            scenario,
            "--database",
            args.database,
            "--requests",
            str(args.requests),
            "--go",
            go,
            *(["--vary"] if args.vary else []),
            *(["--http"] if args.http else []),
        ]
        if args.workers > 1 and target == "gateway":
            # As `orgql serve --workers N` runs: prometheus_client's multiprocess mode.
            os.mkdir(f"{scratch}/metrics")
            env = {**env, "PROMETHEUS_MULTIPROC_DIR": f"{scratch}/metrics"}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            assert process.stdout is not None
            lines = iter(process.stdout.readline, "")
            ready = next(lines, "").split()
            if ready[:1] != ["READY"]:
                process.wait()
                raise SystemExit(f"{scenario} on the {target}: the child did not start")
            if args.http:  # the requests are sent from here, the warm-up too
                port = int(ready[1])
                first_ok = http_requests(port, scenario, target, WARM_UP, env)
                switch("on", process.pid)
                counted_ok = http_requests(port, scenario, target, args.requests, env)
                done = ["DONE", str(first_ok and counted_ok)]
            else:
                switch("on", process.pid)
                Path(go).touch()
                done = next(lines, "").split()
            switch("off", process.pid)
            Path(go + ".off").touch()
            process.wait()
        finally:  # the child never outlives this run, whatever failed
            if process.poll() is None:
                process.kill()
                process.wait()
        totals = re.search(r"^totals: (\d+)", Path(out).read_text(), re.M)
        if not totals or done[:1] != ["DONE"]:
            raise SystemExit(f"{scenario} on the {target}: no count")
        same = "same" if done[1] == "True" else "DIFFERENT"
        return f"{int(totals.group(1)) // args.requests:,} ({same})"


def main(args: argparse.Namespace) -> None:
    server_url = to_asyncpg_url(args.server)
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    async def admin_sql(sql: str) -> None:
        async with admin.connect() as connection:
            await connection.execute(text(sql))

    made = None
    if args.database is None:
        made = f"orgql_instructions_{os.getpid()}_{secrets.token_hex(3)}"
        args.database = make_url(server_url).set(database=made).render_as_string(False)
        asyncio.run(admin_sql(f'CREATE DATABASE "{made}"'))
    data_dir = tempfile.mkdtemp(prefix="orgql-instructions-")
    identity = shoppers.IdentityProvider.generate()
    try:
        if made:
            asyncio.run(prepare(args.database))
        env = {
            **os.environ,
            "ORGQL_DATABASE_URL": args.database,
            "ORGQL_DATA_DIR": data_dir,
            "ORGQL_LOG_LEVEL": "warning",
            "ORGQL_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "FLOOR_DATABASE_URL": make_url(args.database)
            .set(drivername="postgresql")
            .render_as_string(False),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src")]),
            **identity.environment(),
        }
        env["BENCH_TOKEN"] = token_for(env) or ""
        env["BENCH_SHOPPER_TOKEN"] = identity.token(scenarios.SHOPPER)
        chosen = args.only.split(",") if args.only else COUNTED
        mode = "multiprocess metrics" if args.workers > 1 else "one process"
        print(f"instructions per request, {args.requests} requests, callgrind, {mode}\n")
        print("| scenario | gateway | floor | gateway/floor |\n|---|---|---|---|")
        for scenario in chosen:
            gateway = count(args, scenario, "gateway", env)
            floor = count(args, scenario, "floor", env) if scenario in FLOOR_PATHS else ""
            ratio = ""
            if floor:
                ratio = f"{_number(gateway) / _number(floor):.2f}"
            print(f"| {scenario} | {gateway} | {floor} | {ratio} |", flush=True)
    finally:
        if made and not args.keep:
            asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{made}" WITH (FORCE)'))
        elif made:
            print(f"\nkept: --database {args.database}")
        asyncio.run(admin.dispose())


def _number(cell: str) -> int:
    return int(cell.split()[0].replace(",", ""))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "ORGQL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="PostgreSQL server (its maintenance database); a scratch database is made on it",
    )
    parser.add_argument("--database", help="a database run.py's way prepared, kept as it is")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--only", help=f"comma-separated, of {','.join(COUNTED)}")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="the gateway's metrics as with `orgql serve --workers N` (>1: multiprocess mode,"
        " as run.py's default of 2 workers); the requests still run in one process",
    )
    parser.add_argument("--vary", action="store_true", help="a different GraphQL body each time")
    parser.add_argument(
        "--http",
        action="store_true",
        help="serve with uvicorn on loopback and count the whole server (HTTP included)",
    )
    parser.add_argument(
        "--child", nargs=2, metavar=("TARGET", "SCENARIO"), help="gateway|floor SCENARIO, alone"
    )
    parser.add_argument("--go", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        import uvloop

        arguments.target, arguments.scenario = arguments.child
        uvloop.run(child(arguments))
    else:
        main(arguments)
