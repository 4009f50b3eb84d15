"""Constants and builders shared by the financial data tests (fixtures: conftest.py)."""

from __future__ import annotations

from typing import Any

from orgql.settings import Settings

SYNC = "/ccadmin/v1/organizations/{}/syncFinancialData"


#: The upstream's timeout where a test makes it hang (the timeout is what the test expects).
HANG_TIMEOUT_SECONDS = 0.5
#: Elsewhere: a loopback upstream answers well within it, however loaded the machine.
TIMEOUT_SECONDS = 10.0


def upstream_settings(database_url: str, base_url: str, **overrides: Any) -> Settings:
    """An app reading financial data from ``base_url``, with quick retries so that failing
    upstreams fail the test run quickly too (a hanging one: pass HANG_TIMEOUT_SECONDS)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "financial_base_url": base_url,
        "financial_token": "secret-token",
        "financial_timeout_seconds": TIMEOUT_SECONDS,
        "financial_retries": 2,
        "financial_backoff_seconds": 0.01,
        "financial_backoff_max_seconds": 0.02,
        "financial_page_size": 2,
    }
    values.update(overrides)
    return Settings(**values)


#: Everything a sync may change for an organization (see the financial_snapshot fixture).
Snapshot = dict[str, Any]
