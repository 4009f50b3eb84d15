"""ORM model of the GraphQL documents persisted by clients (automatic persisted queries,
:mod:`orgql.graphql.persisted`). Kept apart from :mod:`orgql.db.models` (one concept per
module); migration 0018 owns the table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orgql.db.models import Base, _created_at

#: The largest document the table accepts (the setting ORGQL_GRAPHQL_PERSISTED_MAX_BYTES is
#: at most this).
MAX_DOCUMENT_BYTES = 262_144


class PersistedDocument(Base):
    """A GraphQL document by the SHA-256 of its text (lowercase hex), as a client registered
    it; the oldest are forgotten first once the table holds its bound."""

    __tablename__ = "persisted_documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        CheckConstraint(f"octet_length(document) <= {MAX_DOCUMENT_BYTES}", name="document_bounded"),
        Index("ix_persisted_documents_created_at", "created_at"),
    )
