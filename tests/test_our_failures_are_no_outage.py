"""An ``OSError`` or a ``TimeoutError`` that did not come from the database is a bug of
ours, however much it looks like a connection failure: a file the code reads missing,
another service refusing the connection, our own bound on a call to a service that does not
answer. It is answered as any bug is (REST: 500 with an error id; GraphQL: the masked
internal error) and logged once at ERROR with its traceback, never a 503 "retry later"
logged as one warning without a traceback (observability.database.unavailability: only
the driver's failures count)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgql.core.common.errors import Codes
from orgql.core.sites import service as site_properties

UPDATE = "/ccadmin/v1/organizations/100001/updateSiteOrganizationProperties"
ENTRIES = {"siteOrganizationProperties": [{"site": {"id": "siteUS"}, "properties": {}}]}
MUTATION = """
mutation { updateSiteOrganizationProperties(id: "100001",
  input: [{site: "siteUS", properties: {}}]) { userErrors { code } } }
"""


@dataclass(frozen=True)
class Bug:
    """Code of ours that fails with ``raises``, which no database raised."""

    run: Callable[[], Awaitable[None]]
    raises: type[Exception]


@pytest.fixture(params=["missing_file", "refused_service", "silent_service"])
def bug(request: pytest.FixtureRequest, tmp_path: Path, silent_port: int) -> Bug:
    async def read_a_missing_file() -> None:
        (tmp_path / "missing.json").read_text()

    async def call_a_refused_service() -> None:
        # Port 1 on the loopback interface refuses connections at once.
        await asyncio.open_connection("127.0.0.1", 1)

    async def outwait_a_silent_service() -> None:
        async with asyncio.timeout(0.05):  # our own bound: the service never answers
            reader, _ = await asyncio.open_connection("127.0.0.1", silent_port)
            await reader.read(1)

    return {
        "missing_file": Bug(read_a_missing_file, FileNotFoundError),
        "refused_service": Bug(call_a_refused_service, ConnectionRefusedError),
        "silent_service": Bug(outwait_a_silent_service, TimeoutError),
    }[request.param]


@pytest.fixture
def failing_update(bug: Bug, monkeypatch: pytest.MonkeyPatch) -> Bug:
    """The core's update of site values, which both transports call, failing with ``bug``."""

    async def update(*args: Any, **kwargs: Any) -> Any:
        await bug.run()

    monkeypatch.setattr(site_properties, "update", update)
    return bug


def _problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The warnings and errors the transports logged."""
    return [
        r
        for r in caplog.records
        if r.name.startswith(("orgql.graphql", "orgql.rest")) and r.levelno >= logging.WARNING
    ]


async def test_rest_answers_a_bug_that_raised_an_os_or_timeout_error_with_a_500(
    client: httpx.AsyncClient, failing_update: Bug, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await client.post(UPDATE, json=ENTRIES)

    assert response.status_code == 500, response.text
    assert "retry-after" not in response.headers
    body = response.json()
    assert (body["errorCode"], body["status"]) == (Codes.SITE_PROPERTIES_UPDATE_FAILED, "500")
    [logged] = _problems(caplog)
    assert logged.levelno == logging.ERROR
    assert logged.exc_info is not None
    assert logged.exc_info[0] is failing_update.raises
    assert body["message"].split("error id ")[1].split()[0] in logged.getMessage()


async def test_graphql_masks_a_bug_that_raised_an_os_or_timeout_error_as_internal(
    client: httpx.AsyncClient, failing_update: Bug, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await client.post("/graphql", json={"query": MUTATION})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {"updateSiteOrganizationProperties": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "internal"
    [logged] = _problems(caplog)
    assert logged.levelno == logging.ERROR
    assert logged.exc_info is not None
    assert logged.exc_info[0] is failing_update.raises
    assert error["extensions"]["reference"] in logged.getMessage()
