"""Constants and builders shared by the financial data tests (fixtures: conftest.py)."""

from __future__ import annotations

from typing import Any

from orgql.settings import Settings

SYNC = "/ccadmin/v1/organizations/{}/syncFinancialData"


def upstream_settings(database_url: str, base_url: str, **overrides: Any) -> Settings:
    """An app reading financial data from ``base_url``: a short timeout and quick retries,
    so that failing upstreams fail the test run quickly too."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "financial_base_url": base_url,
        "financial_token": "secret-token",
        "financial_timeout_seconds": 0.5,
        "financial_retries": 2,
        "financial_backoff_seconds": 0.01,
        "financial_backoff_max_seconds": 0.02,
        "financial_page_size": 2,
    }
    values.update(overrides)
    return Settings(**values)


#: Everything a sync may change for an organization (see the financial_snapshot fixture).
Snapshot = dict[str, Any]
