"""One typed settings object, read from ``ORGQL_*`` environment variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orgql.database_urls import check_distinct_servers, replica_url_list, to_asyncpg_url


def default_data_dir() -> Path:
    """The user's own data folder (``~/.local/share/orgql`` on Linux, ``~/Library/Application
    Support/orgql`` on macOS, ``%LOCALAPPDATA%\\orgql`` on Windows): every ``orgql`` command
    finds the same embedded database and development signing key, whatever folder it runs in."""
    return Path(platformdirs.user_data_dir("orgql", appauthor=False))


class Settings(BaseSettings):
    # hide_input_in_errors: a refused URL's password is not printed with the refusal.
    model_config = SettingsConfigDict(
        env_prefix="ORGQL_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL server; unset means an embedded server under data_dir.",
    )
    database_replica_urls: str = Field(
        default="",
        description="Streaming replicas of the primary, comma-separated PostgreSQL URLs:"
        " queries and REST GETs read from them (docs/scaling.md).",
    )
    replica_max_lag_seconds: float = Field(
        default=5.0, gt=0, description="A replica replaying further behind is skipped."
    )
    replica_wait_seconds: float = Field(
        default=0.5,
        ge=0,
        le=10,
        description="A read presenting a consistency token waits this long at most for a"
        " replica to replay it, then reads from the primary.",
    )
    replica_check_interval_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How often each worker checks its replicas."
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="The embedded PostgreSQL's data and the development signing key; default:"
        " the user's data folder (~/.local/share/orgql on Linux), the same for every command.",
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
    # Never hang on a database that is gone (docs/operations.md, "Health"): every wait is bounded.
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
    # Slow clients (docs/security.md): trickled requests and unread answers hold no connection.
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A request's headers must arrive this soon after its first byte (408).",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A request's whole body must arrive this soon after its headers (408).",
    )
    write_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A client that reads none of its answer for this long is disconnected.",
    )
    max_header_bytes: int = Field(
        default=64 * 1024,
        ge=4096,
        description="Largest request line and headers (431); h11 keeps its own 16 KiB (400).",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description='json: one JSON object per line (docs/operations.md, "Logs").'
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
    financial_max_page_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="A larger upstream page fails the sync."
    )
    financial_max_sync_accounts: int = Field(
        default=10_000, ge=1, description="Customer accounts one sync may fetch and store."
    )
    financial_max_sync_addresses: int = Field(
        default=10_000, ge=1, description="Account site addresses one sync may fetch and store."
    )

    # Authentication (docs/security.md). Admin access tokens: HS256 JWTs we sign.
    environment: Literal["development", "production"] = Field(
        default="development",
        description="production: a signing key is required and the developer aids are off.",
    )
    auth_signing_key: SecretStr | None = Field(
        default=None,
        description="HS256 key of admin access tokens (32+ bytes); unset in development: "
        "a generated key kept in data_dir/auth-signing-key.",
    )
    auth_signing_key_file: Path | None = Field(
        default=None,
        description="A file holding the signing key instead (a Docker secret, e.g."
        " /run/secrets/orgql_signing_key); surrounding whitespace is ignored.",
    )
    auth_issuer: str = Field(default="orgql", description="iss of the admin access tokens.")
    auth_audience: str = Field(default="orgql-admin", description="aud of admin access tokens.")
    auth_token_ttl_seconds: int = Field(
        default=300, ge=10, le=86400, description="Lifetime of an admin access token."
    )
    # Shoppers: bearer JWTs from the merchant's identity provider; `sub` is a profile id.
    shopper_issuer: str | None = Field(default=None, description="iss of shopper tokens.")
    shopper_audience: str | None = Field(default=None, description="aud of shopper tokens.")
    shopper_jwks_url: str | None = Field(
        default=None, description="The identity provider's JWKS (keys chosen by kid)."
    )
    shopper_public_key: str | None = Field(
        default=None, description="A static PEM public key instead of a JWKS URL."
    )
    shopper_algorithms: list[str] = Field(
        default=["RS256"], description="Accepted signature algorithms of shopper tokens."
    )
    # Which profile a shopper token names (docs/storefront.md): its claim, matched against.
    shopper_identity_claim: str = Field(
        default="sub", description="The shopper token's claim (a string) naming the shopper."
    )
    shopper_identity_match: Literal["id", "email", "customerContactId"] = Field(
        default="id",
        description="The profile field that claim is matched against: id, email (compared"
        " as the database does, lower(btrim(email))) or customerContactId.",
    )

    # GraphQL limits (docs/security.md). production turns the developer aids off together.
    graphql_max_depth: int = Field(default=12, ge=1, description="Deepest field nesting.")
    graphql_max_aliases: int = Field(default=30, ge=1, description="Aliases in one document.")
    graphql_max_tokens: int = Field(default=3000, ge=10, description="Tokens in one document.")
    graphql_max_directives: int = Field(
        default=5, ge=1, description="Directives on one field or fragment."
    )
    graphql_max_cost: int = Field(
        default=20000,
        ge=1,
        description="Fields times connection pages (`first`) of one operation.",
    )
    graphql_max_fields: int = Field(default=1000, ge=1, description="Fields, fragments expanded.")
    graphql_max_repeats: int = Field(default=30, ge=1, description="Same name at one place.")
    graphql_max_fragments: int = Field(default=60, ge=1, description="Fragments at one place.")
    graphql_max_batch: int = Field(
        default=10, ge=1, le=100, description="Operations in one batched request."
    )
    graphql_timeout_seconds: float = Field(
        default=15.0, gt=0, description="One GraphQL request, parsing to response."
    )
    graphql_introspection: bool = True
    graphql_field_suggestions: bool = True
    graphql_compiled_executor: bool = Field(
        default=True,
        description="Run queries on plans compiled once per document (docs/benchmarks.md)"
        "; false: graphql-core's executor for everything.",
    )
    graphql_sql_plans: bool = Field(
        default=True,
        description="With the compiled executor: organizations pages read in one statement"
        " and composed without resolvers (docs/benchmarks.md).",
    )
    # Persisted documents and queries over GET (docs/spa-clients.md).
    graphql_persisted_queries: bool = Field(
        default=True,
        description="Automatic persisted queries (Apollo's protocol): documents registered"
        " by hash, kept in the database.",
    )
    graphql_persisted_max_documents: int = Field(
        default=10_000, ge=1, description="Persisted documents kept; the oldest go first."
    )
    graphql_persisted_max_bytes: int = Field(
        default=32_768,
        ge=1024,
        le=262_144,  # the table's CHECK (db.document_models.MAX_DOCUMENT_BYTES)
        description="Longest document registered (a longer one runs, unregistered).",
    )
    graphql_trusted_documents: Path | None = Field(
        default=None,
        description="Manifest of trusted documents (Relay's or GraphQL Code Generator's"
        " persisted output, or Apollo's manifest): only those run.",
    )
    graphql_get_max_url_bytes: int = Field(
        default=8192,
        ge=256,
        description="Longest path and query string of a GraphQL GET (414 beyond).",
    )
    # Subscriptions over WebSocket (graphql-transport-ws, docs/spa-clients.md).
    graphql_ws_max_connections: int = Field(
        default=1000,
        ge=0,
        description="Signed-in WebSocket connections per process (close 1013 beyond).",
    )
    graphql_ws_max_awaiting_init: int = Field(
        default=100,
        ge=1,
        description="WebSocket connections per process awaiting connection_init, apart from"
        " the signed-in ones; past it, a new one closes the oldest (4408).",
    )
    graphql_ws_max_subscriptions: int = Field(
        default=20, ge=1, le=1000, description="Subscriptions running on one connection."
    )
    graphql_ws_queue_events: int = Field(
        default=1000,
        ge=1,
        description="Events a subscriber may fall behind; beyond, it is dropped (close 4008).",
    )
    graphql_ws_poll_interval_seconds: float = Field(
        default=0.5, gt=0, description="The live feed's poll, besides its LISTEN wake-ups."
    )
    graphql_ws_init_timeout_seconds: float = Field(
        default=10.0, gt=0, description="From the WebSocket's opening to connection_init."
    )
    graphql_ws_max_message_bytes: int = Field(
        default=65_536, ge=1024, description="Largest WebSocket message a client may send."
    )
    db_statement_timeout_seconds: float | None = Field(
        default=10.0, gt=0, description="PostgreSQL statement_timeout of the app's connections."
    )
    db_lock_timeout_seconds: float | None = Field(
        default=1.0,
        gt=0,
        description="PostgreSQL lock_timeout of the app's connections: a write waiting longer"
        " for a row another transaction holds answers 503 STATEMENT_TIMEOUT with Retry-After.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body, on every route (413)."
    )
    idempotency_ttl_seconds: int = Field(
        default=24 * 3600,
        ge=1,
        description="How long an Idempotency-Key answers its retries; an older key is"
        " forgotten (a request with it runs anew) and deleted.",
    )
    idempotency_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a running Idempotency-Key is held; a key still running after"
        " it (its process died) is taken over by the next request with it.",
    )

    # Change events (docs/change-events.md): the dispatcher in every worker.
    webhook_dispatcher: bool = Field(
        default=True, description="Run the webhook dispatcher in this process."
    )
    webhook_poll_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often an idle dispatcher looks for due deliveries."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Connect / read / write timeout of one webhook POST."
    )
    webhook_backoff_base_seconds: float = Field(
        default=10.0, ge=0, description="Delay after the first failed attempt; doubled after each."
    )
    webhook_backoff_max_seconds: float = Field(
        default=3600.0, ge=0, description="Upper bound of one retry delay."
    )
    webhook_backoff_jitter: float = Field(
        default=0.2, ge=0, le=1, description="A delay is lowered by a random part up to this."
    )
    webhook_max_attempts: int = Field(
        default=12, ge=1, le=100, description="Attempts before a delivery is given up (failed)."
    )
    webhook_batch_size: int = Field(
        default=20, ge=1, le=500, description="Deliveries one dispatcher sends at once."
    )
    webhook_retention_seconds: float = Field(
        default=7 * 24 * 3600,
        gt=0,
        description="How long delivered and given-up deliveries, and events with no delivery"
        " left, are kept; the dispatcher deletes older ones every 10 minutes.",
    )
    # Egress (docs/change-events.md, "Where webhooks may go"): no port scans from inside.
    webhook_allow_private_targets: bool | None = Field(
        default=None,
        description="Webhook URLs may reach private, loopback, link-local, unique-local,"
        " multicast and reserved addresses (checked at registration and at each delivery);"
        " unset: allowed in development, refused in production.",
    )

    @field_validator("shopper_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        allowed = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"}
        wrong = [name for name in value if name not in allowed]
        if wrong or not value:
            raise ValueError(f"shopper algorithms must be among {sorted(allowed)}: {wrong}")
        return value

    @field_validator("shopper_identity_claim")
    @classmethod
    def _claim_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.:/-]{1,100}", value):
            raise ValueError(
                "ORGQL_SHOPPER_IDENTITY_CLAIM must name a claim: 1 to 100 letters, digits or"
                " _ . : / -"
            )
        return value

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        return to_asyncpg_url(value) if value else None

    @field_validator("database_replica_urls")
    @classmethod
    def _check_replica_urls(cls, value: str) -> str:
        return replica_url_list(value)

    @model_validator(mode="after")
    def _distinct_servers(self) -> Settings:
        check_distinct_servers(self.database_url, self.replica_urls)
        return self

    @field_validator("webhook_allow_private_targets", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def allows_private_webhook_targets(self) -> bool:
        """ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS, or the profile's default when unset."""
        if self.webhook_allow_private_targets is None:
            return self.environment == "development"
        return self.webhook_allow_private_targets

    @property
    def replica_urls(self) -> list[str]:
        """ORGQL_DATABASE_REPLICA_URLS as a list (asyncpg URLs)."""
        return [url for url in self.database_replica_urls.split(",") if url]
