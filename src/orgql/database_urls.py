"""PostgreSQL URLs as the settings, the engines and the replicas read them."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def to_asyncpg_url(url: str) -> str:
    """Accept ``postgresql://``, ``postgres://`` and ``postgresql+asyncpg://`` URLs alike."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    # Its scheme only: the rest may hold a password (and the refusal is printed at start).
    scheme = url.split("://", 1)[0][:20] if "://" in url else "none"
    raise ValueError(f"not a PostgreSQL URL (scheme {scheme!r}, expected postgresql://)")


def server_name(url: str) -> str:
    """``host:port/database`` of a PostgreSQL URL, no user or password (log lines, metric
    labels, telling two URLs of one server apart); ValueError for a URL that has none."""
    try:
        parsed = make_url(url)
        port = parsed.port
    except (ArgumentError, ValueError):
        raise ValueError("a PostgreSQL URL that cannot be read (is its port a number?)") from None
    return f"{parsed.host or 'localhost'}:{port or 5432}/{parsed.database or ''}"


def replica_url_list(value: str) -> str:
    """ORGQL_DATABASE_REPLICA_URLS as the settings keep it: comma-separated asyncpg URLs,
    each readable now (ValueError), not at the app's start."""
    urls = [to_asyncpg_url(url.strip()) for url in value.split(",") if url.strip()]
    for url in urls:
        server_name(url)
    return ",".join(urls)


def check_distinct_servers(primary_url: str | None, replica_urls: list[str]) -> None:
    """Each replica once, and never the primary (ValueError): a server named twice would
    take twice the reads, and a primary is not replaying (docs/scaling.md)."""
    primary = server_name(primary_url) if primary_url else None
    seen: set[str] = set()
    for name in map(server_name, replica_urls):
        if name == primary:
            raise ValueError(
                f"ORGQL_DATABASE_REPLICA_URLS names the primary {name}"
                " (ORGQL_DATABASE_URL) as a replica"
            )
        if name in seen:
            raise ValueError(f"ORGQL_DATABASE_REPLICA_URLS names {name} twice")
        seen.add(name)
