"""One typed settings object, read from ``ORGQL_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
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
    graphiql: bool = True
    log_level: str = "info"

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        return to_asyncpg_url(value) if value else None
