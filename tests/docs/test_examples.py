"""Every request example of README.md and docs/*.md runs, in page order, against a fresh
demo database through the ASGI app, and answers what the page shows (generated values
normalised). One test per page: a page's examples may build on each other, pages do not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from docs import examples
from orgql.auth.tokens import Authenticator
from orgql.settings import Settings

#: The demo shopper: profile 110000, Shelly Smith, member (and admin) of 100001 "Sample".
SHOPPER_PROFILE = "110000"

PAGES = [page for page in examples.pages() if "```http" in page.read_text("utf-8")]


def test_the_pages_hold_examples() -> None:
    assert examples.ROOT / "README.md" in PAGES
    assert len(PAGES) >= 5


@pytest.mark.parametrize("page", examples.pages(), ids=lambda page: page.name)
def test_every_example_follows_the_format(page: Path) -> None:
    for example in examples.parse_page(page):
        examples.parse_request(example.request_text, example.where)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
async def test_the_examples_answer_as_shown(
    page: Path,
    app: Starlette,
    app_state: Mapping[str, Any],
    settings: Settings,
    identity_provider: Any,
    client_for: Callable[..., httpx.AsyncClient],
) -> None:
    variables = {
        "ADMIN_TOKEN": Authenticator(settings).issue_admin("operator").access_token,
        "SHOPPER_TOKEN": identity_provider.token(SHOPPER_PROFILE),
        "PAGE_START": datetime.now(UTC).isoformat(),
    }
    async with client_for(app, app_state, token=None) as client:
        client.base_url = httpx.URL(examples.BASE_URL)  # links as `dev.py serve` writes them
        for example in examples.parse_page(page):
            await examples.run(example, client, variables)
