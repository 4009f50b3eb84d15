"""GraphiQL in a real browser, offline: Debian's headless Chromium, driven through the
DevTools protocol over a pipe, opens the page of a real ``orgql serve``, runs a query and
reads the result pane. Every host but the loopback one is unresolvable for the browser, so
the page can only work with the scripts and styles the gateway serves itself."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgql.graphiql import ASSET_DIR, PACKAGES

DEADLINE_SECONDS = 60
#: Admin tokens (and so the prefilled header) come with the authentication work (issue 6).
AUTHENTICATION = importlib.util.find_spec("orgql.auth") is not None
CHROMIUM = shutil.which("chromium")
ASSETS_BUILT = all(
    (ASSET_DIR / name).is_file() for _, files in PACKAGES.values() for name in files.values()
)

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"
    ),
    pytest.mark.skipif(not ASSETS_BUILT, reason="run `python -m orgql.graphiql.build` first"),
]


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
def gateway(database_url: str, tmp_path: Path) -> Iterator[str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "ORGQL_DATABASE_URL": database_url, "ORGQL_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(  # noqa: S603 (our own command)
        [sys.executable, "-m", "orgql", "serve", "--host", "127.0.0.1", "--port", str(port)],
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


QUERY = '{ organization(id: "100003") { name ancestorOrganizations { name } } }'
EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror')"
RESULT = "document.querySelector('.result-window .CodeMirror')"


def test_graphiql_runs_a_query_offline_with_the_admin_token_prefilled(
    gateway: str, browser: DevTools
) -> None:
    page = Page(browser, f"{gateway}/graphql")

    page.wait_for(f"!!({EDITOR} && {RESULT})", "GraphiQL's editors")
    # The variables and headers editors, in that order.
    variables, headers = page.evaluate(
        "[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]"
        ".map(editor => editor.CodeMirror.getValue())"
    )
    page.evaluate(f"{EDITOR}.CodeMirror.setValue({json.dumps(QUERY)})")
    page.evaluate("document.querySelector('.graphiql-execute-button').click()")
    shown = page.wait_for(f"{RESULT}.CodeMirror.getValue()", "the result pane")
    loaded = page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")

    assert json.loads(shown) == {
        "data": {
            "organization": {
                "name": "Sample East Purchasing",
                "ancestorOrganizations": [{"name": "Sample"}, {"name": "Sample East"}],
            }
        }
    }
    assert variables == ""
    if AUTHENTICATION:  # the token that let the query through
        assert list(json.loads(headers)) == ["Authorization"]
        assert json.loads(headers)["Authorization"].startswith("Bearer ey")
    assert {url.split("?")[0] for url in loaded if "/graphiql/assets/" in url} == {
        f"{gateway}/graphiql/assets/{name}"
        for _, files in PACKAGES.values()
        for name in files.values()
    }
    assert all(url.startswith(gateway) for url in loaded)
