"""ORM model of organization history: the rows triggers record of every tracked write.

Kept apart from :mod:`orgql.db.models` (one concept per module); migration 0010 owns the
schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orgql.db.models import Base


class OrganizationHistory(Base):
    """One row written in a tracked table, recorded by a trigger in the writing transaction
    (migration 0010 explains the columns). Read-only for the application."""

    __tablename__ = "organization_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    #: organization, site_properties, address, member, contract, profile or profile_role
    #: (migration 0016), address_type (0017), profile_address (0023: a profile's own
    #: address, filed under the profile's parent organization).
    entity_kind: Mapped[str] = mapped_column(String(32))
    #: The entity's id; ``organization:site`` for site properties, ``organization:profile``
    #: for members, ``role:profile`` for a held role.
    entity_id: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[str | None] = mapped_column(String(40))
    #: baseline (the row as it was when history was installed), insert, update or delete.
    operation: Mapped[str] = mapped_column(String(8))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_organization_history_organization_id", "organization_id", "id"),
        Index("ix_organization_history_entity", "entity_kind", "entity_id", "changed_at", "id"),
    )
