"""The HTTP financial source: an upstream REST service keyed by party (contract.py).

Failure policy, most specific first:
- timeouts, network failures (refused, reset, a body cut short) and HTTP 5xx / 429 are
  transient: retried up to ``retries`` times after ``backoff * 2**n`` seconds (at most
  ``backoff_max``);
- any other status, a malformed body or an answer outside the contract is final at once;
- the whole fetch (every page, every retry) must end within ``deadline`` seconds;
- a page's body is read as it arrives and refused (final) past ``max_page_bytes``, decoded
  within that bound (gzip or deflate, once: page_body.py; no more than the bound is ever
  inflated, however small the compressed body), and parsed
  in a worker thread, not in the event loop (1 MiB, the default bound, takes some 40 ms to
  parse; in a thread the loop waits 10-20 ms at most, while orjson's decoder and the garbage
  collector hold the GIL; 4 MiB 110-130 ms); the sync's bounds (:class:`SyncBounds`) are
  checked after each page, and no further page is asked for once one is passed.
Each is a :class:`FinancialSourceError`; the sync turns it into 100193.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from orgql.core.financial.source import (
    FinancialSourceError,
    SourceAccount,
    SyncBounds,
)
from orgql.financial_sources.contract import Page, parse_page
from orgql.financial_sources.page_body import ACCEPT_ENCODING, PageBody, too_large, wire_bound
from orgql.settings import Settings

#: Pages of one fetch at most: an upstream that always says "hasMore" cannot loop us forever.
MAX_PAGES = 10_000

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """The failure policy's numbers (no defaults of its own: the app's are the settings',
    :meth:`from_settings`)."""

    retries: int
    backoff: float
    backoff_max: float
    deadline: float

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1, 2, ...)."""
        return float(min(self.backoff_max, self.backoff * 2 ** (retry - 1)))

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            retries=settings.financial_retries,
            backoff=settings.financial_backoff_seconds,
            backoff_max=settings.financial_backoff_max_seconds,
            deadline=settings.financial_deadline_seconds,
        )


def make_client(settings: Settings) -> httpx.AsyncClient:
    """The upstream's client: base URL, credentials and timeouts from the settings."""
    assert settings.financial_base_url is not None
    auth: httpx.Auth | None = None
    # The codings PageBody reads (httpx would ask for brotli and zstd too, were they installed).
    headers = {
        "Accept": "application/json",
        "Accept-Encoding": ACCEPT_ENCODING,
        "User-Agent": "orgql",
    }
    if settings.financial_token is not None:
        headers["Authorization"] = f"Bearer {settings.financial_token.get_secret_value()}"
    elif settings.financial_username is not None:
        password = settings.financial_password
        auth = httpx.BasicAuth(
            settings.financial_username, password.get_secret_value() if password else ""
        )
    return httpx.AsyncClient(
        base_url=settings.financial_base_url.rstrip("/") + "/",
        auth=auth,
        headers=headers,
        timeout=httpx.Timeout(settings.financial_timeout_seconds),
        follow_redirects=False,
    )


class HttpFinancialSource:
    def __init__(
        self,
        client: httpx.AsyncClient,
        policy: RetryPolicy,
        *,
        page_size: int,
        max_page_bytes: int,
        bounds: SyncBounds,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = client
        self._policy = policy
        self._page_size = page_size
        self._max_page_bytes = max_page_bytes
        self._bounds = bounds
        self._sleep = sleep

    async def customer_accounts(
        self, party_id: str, business_unit_id: int | None
    ) -> Sequence[SourceAccount]:
        try:
            async with asyncio.timeout(self._policy.deadline):
                return await self._all_pages(party_id, business_unit_id)
        except TimeoutError:
            raise FinancialSourceError(
                f"the financial service gave no complete answer within {self._policy.deadline:g} s"
            ) from None

    async def _all_pages(self, party_id: str, business_unit_id: int | None) -> list[SourceAccount]:
        path = f"parties/{quote(party_id, safe='')}/customerAccounts"
        accounts: list[SourceAccount] = []
        addresses = 0
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {"offset": len(accounts), "limit": self._page_size}
            if business_unit_id is not None:
                params["businessUnitId"] = business_unit_id
            page = await self._page(path, params)
            accounts.extend(page.accounts)
            addresses += sum(len(account.sites) for account in page.accounts)
            self._bounds.check(len(accounts), addresses)
            if not page.has_more:
                return accounts
            if not page.accounts:
                raise FinancialSourceError(
                    "the financial service said hasMore but sent an empty page"
                )
        raise FinancialSourceError(f"the financial service sent more than {MAX_PAGES} pages")

    async def _page(self, path: str, params: dict[str, str | int]) -> Page:
        failure, detail = "", None  # the last attempt's failure, and its detail for the log
        for attempt in range(self._policy.retries + 1):
            if attempt:
                await self._sleep(self._policy.delay(attempt))
            try:
                async with self._client.stream("GET", path, params=params) as response:
                    status = response.status_code
                    if status >= 500 or status == 429:
                        failure, detail = f"answered HTTP {status}", None
                        continue  # the body unread: the connection is closed
                    if status != 200:
                        raise FinancialSourceError(f"the financial service answered HTTP {status}")
                    body = await self._body(response)
            except httpx.TimeoutException as exc:
                failure, detail = f"timed out ({type(exc).__name__})", None
                continue
            except httpx.TransportError as exc:
                # The library's words (an address, an errno) go to the log, not the caller.
                failure = f"could not be reached or broke off ({type(exc).__name__})"
                detail = str(exc) or None
                continue
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FinancialSourceError(
                    f"the financial service request failed ({type(exc).__name__})",
                    detail=str(exc) or None,
                ) from None
            return await asyncio.to_thread(parse_page, body)
        attempts = self._policy.retries + 1
        raise FinancialSourceError(
            f"the financial service {failure} ({attempts} attempt{'s' * (attempts > 1)})",
            detail=detail,
        )

    async def _body(self, response: httpx.Response) -> bytes:
        """The page's body (decoded), read as it arrives: past ``max_page_bytes`` it is
        refused at once and no more of it is read, nor inflated (final: a larger page would be
        larger again). Read raw and decoded by :class:`PageBody`, never by httpx, which
        inflates a chunk whole and every coding listed (page_body.py): one layer of gzip or
        deflate, or none; any other Content-Encoding (br, zstd, two layers, an unknown one) is
        refused before the body is read, and a compressed body that is corrupt, cut short or
        followed by other bytes is broken (final, as malformed JSON is)."""
        bound = self._max_page_bytes
        body = PageBody(response.headers.get_list("Content-Encoding", split_commas=True), bound)
        declared = response.headers.get("Content-Length", "")
        # An encoded body's length is not the decoded one's, only the most it may take.
        limit = wire_bound(bound) if body.encoded else bound
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise too_large(bound)
        async for chunk in response.aiter_raw():
            await body.feed(chunk)
        return body.end()
