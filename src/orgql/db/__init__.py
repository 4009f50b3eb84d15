"""Database access: engine, ORM models, migrations and the embedded server.

Importing any part of this package imports every ORM model module, so that
``Base.metadata`` (Alembic's target, the mappers' registry) always holds every table and
index, whichever models the caller happens to use.
"""

from orgql.db import (
    access_models,
    document_models,
    event_models,
    financial_models,
    history_models,
    models,
    request_models,
)

__all__ = [
    "access_models",
    "document_models",
    "event_models",
    "financial_models",
    "history_models",
    "models",
    "request_models",
]
