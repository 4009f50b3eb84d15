"""GraphiQL in a real browser, offline: Debian's headless Chromium, driven through the
DevTools protocol over a pipe, opens the page of a real ``orgql serve``, runs the example
query it opens with and reads the result pane. Every host but the loopback one is
unresolvable for the browser, so the page can only work with the scripts and styles the
gateway serves itself.

Two installations are tried: this source tree (once ``python -m orgql.graphiql.build`` ran)
and a wheel built from a clean copy of the tracked files (no assets: the build fetches them
from the npm registry), installed into a fresh virtual environment. That venv borrows its
dependencies from the running interpreter (a .pth file) rather than downloading them:
what is tested is the wheel's own content and its ``orgql`` command (about 15 s, once per
session)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgql.graphiql import ASSET_DIR, EXAMPLE_QUERY, PACKAGES, TOKEN_PATH
from tracked_tree import copy_tracked

DEADLINE_SECONDS = 60
#: Admin tokens (and so the prefilled header) come with the authentication work (issue 6).
AUTHENTICATION = importlib.util.find_spec("orgql.auth") is not None
CHROMIUM = shutil.which("chromium")
ASSETS_BUILT = all(
    (ASSET_DIR / name).is_file() for _, files in PACKAGES.values() for name in files.values()
)

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"
)


def run(command: list[str], **options: Any) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)  # noqa: S603
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with orgql installed from a wheel built from a clean copy of the tree."""
    if not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout (the wheel is built from its tracked files)")
    base = tmp_path_factory.mktemp("wheel")
    clean = base / "clean"
    copy_tracked(clean)
    assert not (clean / "src/orgql/graphiql/assets").exists()
    environment = {
        k: v for k, v in os.environ.items() if k != "ORGQL_BUILD_WITHOUT_GRAPHIQL_ASSETS"
    }
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run(
        [*pip, "wheel", "--no-deps", "--quiet", "-w", str(base / "dist"), str(clean)],
        env=environment,
    )
    [wheel] = (base / "dist").glob("orgql-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)]
    )
    [site] = (venv / "lib").glob("python3*/site-packages")
    dependencies = [path for path in sys.path if path.endswith("site-packages")]
    (site / "borrowed-dependencies.pth").write_text("\n".join(dependencies) + "\n")
    return venv


@pytest.fixture(params=["source", "wheel"])
def command(request: pytest.FixtureRequest) -> list[str]:
    """How ``orgql`` is run: from this tree, or the wheel's command in its fresh venv."""
    if request.param == "source":
        if not ASSETS_BUILT:
            pytest.skip("run `python -m orgql.graphiql.build` first")
        return [sys.executable, "-m", "orgql"]
    venv: Path = request.getfixturevalue("wheel_venv")
    python = str(venv / "bin" / "python")
    where = subprocess.run(  # noqa: S603
        [python, "-c", "import orgql; print(orgql.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    ).stdout
    assert where.startswith(str(venv)), where  # the wheel's orgql, not this tree's
    printed = subprocess.run(  # noqa: S603
        [str(venv / "bin" / "orgql"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert printed == f"orgql {version('orgql')}\n"
    return [str(venv / "bin" / "orgql")]


class DevTools:
    """Chrome DevTools protocol over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out)."""

    def __init__(self, user_data: Path) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # Above 4, so that placing them on 3 and 4 in the child overwrites neither.
        high = [
            os.dup2(fd, 100 + index)
            for index, fd in enumerate((to_browser_read, from_browser_write))
        ]
        os.close(to_browser_read)
        os.close(from_browser_write)

        def place_pipes() -> None:
            os.dup2(100, 3)
            os.dup2(101, 4)

        assert CHROMIUM is not None
        self.process = subprocess.Popen(  # noqa: S603 (Debian's chromium)
            [
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-pipe",
                f"--user-data-dir={user_data}",
                # Offline: nothing resolves but the loopback address.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "about:blank",
            ],
            pass_fds=(3, 4, *high),
            preexec_fn=place_pipes,  # a dup2 before exec: no locks involved
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in high:
            os.close(fd)
        self._buffer = b""
        self._next_id = 0

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                raise AssertionError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


class Page:
    def __init__(self, devtools: DevTools, url: str) -> None:
        self.devtools = devtools
        target = devtools.call("Target.createTarget", url=url)["targetId"]
        self.session = devtools.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]

    def evaluate(self, expression: str) -> Any:
        reply = self.devtools.call(
            "Runtime.evaluate", self.session, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in reply:
            raise AssertionError(reply["exceptionDetails"])
        return reply["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not (value := self.evaluate(expression)):
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}")
            time.sleep(0.1)
        return value


@pytest.fixture
def gateway(database_url: str, tmp_path: Path, command: list[str]) -> Iterator[str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "ORGQL_DATABASE_URL": database_url,
        "ORGQL_DATA_DIR": str(tmp_path),
        # Shorter than the page's renewal margin: it must renew before its first query.
        "ORGQL_AUTH_TOKEN_TTL_SECONDS": "10",
    }
    if command[0] != sys.executable:  # the wheel's command sees none of this tree
        env.pop("PYTHONPATH", None)
    process = subprocess.Popen(  # noqa: S603 (our own command)
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            assert process.poll() is None, "orgql serve exited"
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "orgql serve did not answer"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=DEADLINE_SECONDS)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    devtools = DevTools(tmp_path / "chromium")
    try:
        yield devtools
    finally:
        devtools.close()


EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror')"
RESULT = "document.querySelector('.result-window .CodeMirror')"


def test_graphiql_runs_its_example_query_offline_with_a_renewed_admin_token(
    gateway: str, browser: DevTools
) -> None:
    page = Page(browser, f"{gateway}/graphql")

    page.wait_for(f"!!({EDITOR} && {RESULT})", "GraphiQL's editors")
    # The variables and headers editors, in that order.
    variables, headers = page.evaluate(
        "[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]"
        ".map(editor => editor.CodeMirror.getValue())"
    )
    opened_with = page.evaluate(f"{EDITOR}.CodeMirror.getValue()")
    page.evaluate("document.querySelector('.graphiql-execute-button').click()")
    # The pane may show the schema's introspection answer first: wait for the query's.
    shown = page.wait_for(
        f"{RESULT}.CodeMirror.getValue().includes('organizations')"
        f" && {RESULT}.CodeMirror.getValue()",
        "the example query's result",
    )
    loaded = page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")

    assert opened_with == EXAMPLE_QUERY
    result = json.loads(shown)
    assert "errors" not in result, result
    assert result["data"]["organizations"]["edges"][0]["node"]["name"] == "Sample"
    assert variables == ""
    if AUTHENTICATION:  # the token the page was given, renewed before the query (10 s left)
        assert list(json.loads(headers)) == ["Authorization"]
        assert json.loads(headers)["Authorization"].startswith("Bearer ey")
        assert f"{gateway}{TOKEN_PATH}" in loaded
    assert {url.split("?")[0] for url in loaded if "/graphiql/assets/" in url} == {
        f"{gateway}/graphiql/assets/{name}"
        for _, files in PACKAGES.values()
        for name in files.values()
    }
    assert all(url.startswith(gateway) for url in loaded)
