"""The effective settings as ``ORGQL_*`` lines (``orgql settings``), secrets masked."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from orgql.settings import Settings

MASK = "********"
#: Settings whose default depends on ORGQL_ENVIRONMENT (None: the profile decides), shown as
#: they apply.
BY_PROFILE: dict[str, Callable[[Settings], object]] = {
    "webhook_allow_private_targets": lambda settings: settings.allows_private_webhook_targets,
}


def _mask_url(url: str) -> str:
    """A URL with its password (if any) masked; the rest stays readable."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL SQLAlchemy reads: show nothing that may be a secret
        return MASK if "@" in url else url
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def _render(value: object) -> str:
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return "" if value is None else str(value)


def environment_name(field: str) -> str:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return f"{prefix}{field}".upper()


def effective_settings(settings: Settings) -> list[str]:
    """``ORGQL_NAME=value`` per setting, in declaration order; ``# default`` marks the
    values nobody set (``# default (production)`` where the profile chose it). Secrets
    (SecretStr) and URL passwords are masked."""
    lines = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        profile = value is None and name in BY_PROFILE
        if profile:
            value = BY_PROFILE[name](settings)
        text = _render(value)
        if name.endswith("_url") and isinstance(value, str):
            text = _mask_url(value)
        elif name.endswith("_urls") and isinstance(value, str):
            text = ",".join(_mask_url(url) for url in value.split(",") if url)
        origin = "" if name in settings.model_fields_set else "  # default"
        if profile:
            origin = f"  # default ({settings.environment})"
        lines.append(f"{environment_name(name)}={text}{origin}")
    return lines
