"""One typed settings object, read from ``ORGQL_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def to_asyncpg_url(url: str) -> str:
    """Accept ``postgresql://``, ``postgres://`` and ``postgresql+asyncpg://`` URLs alike."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORGQL_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL server; unset means an embedded server under data_dir.",
    )
    data_dir: Path = Field(
        default=Path(".orgql"), description="Where the embedded PostgreSQL keeps its data."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_base_url: str | None = Field(
        default=None,
        description="Base URL used in `links` and logo URLs; default: the request's own base.",
    )
    media_path: str = Field(
        default="/file", description="Path prefix under which organization logos are served."
    )
    db_pool_size: int = Field(default=10, ge=1)
    # Never hang on a database that is gone (README "Health"): every wait is bounded.
    db_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Opening one database connection."
    )
    db_command_timeout_seconds: float = Field(
        default=30.0, gt=0, description="One SQL statement, from sending it to its last row."
    )
    db_pool_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Waiting for a free connection of the pool."
    )
    shutdown_timeout_seconds: float = Field(
        default=30.0, gt=0, description="SIGTERM: how long in-flight requests may still run."
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one JSON object per line (README \"Logs\")."
    )
    graphiql: bool = True
    log_level: str = "info"

    # Financial system of record (syncFinancialData). No base URL: the built-in source, the
    # gateway's own financial_source_* tables, answers instead.
    financial_base_url: str | None = Field(
        default=None,
        description="Upstream financial REST service, e.g. https://erp.example.com/api/v1.",
    )
    financial_token: SecretStr | None = Field(
        default=None, description="Bearer token for the upstream (wins over user/password)."
    )
    financial_username: str | None = Field(default=None, description="HTTP Basic user.")
    financial_password: SecretStr | None = Field(default=None, description="HTTP Basic password.")
    financial_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Connect / read / write timeout of one upstream request."
    )
    financial_retries: int = Field(
        default=2, ge=0, le=10, description="Retries of a transient failure (5xx, 429, network)."
    )
    financial_backoff_seconds: float = Field(
        default=0.2, ge=0, description="First retry delay; doubled on each further retry."
    )
    financial_backoff_max_seconds: float = Field(
        default=2.0, ge=0, description="Upper bound of one retry delay."
    )
    financial_deadline_seconds: float = Field(
        default=30.0, gt=0, description="Upper bound of a whole fetch, retries included."
    )
    financial_page_size: int = Field(
        default=200, ge=1, le=1000, description="Customer accounts asked for per upstream page."
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        return to_asyncpg_url(value) if value else None
