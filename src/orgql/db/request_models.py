"""ORM models of organization requests (self-registration) and the address types a request's
addresses may be tagged with.

Kept apart from :mod:`orgql.db.models` (one concept per module); migrations own the schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Computed, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orgql.core.requests.statuses import RequestStatus
from orgql.db.models import Base, _created_at, one_of


class AddressType(Base):
    """Reference data an address may be tagged with ("Billing", "Shipping", ...)."""

    __tablename__ = "address_types"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(254))


class AddressTypeLink(Base):
    """An address tagged with an address type (OCC ``address.types``)."""

    __tablename__ = "address_type_links"

    address_id: Mapped[str] = mapped_column(
        ForeignKey("addresses.id", ondelete="CASCADE"), primary_key=True
    )
    address_type_id: Mapped[str] = mapped_column(ForeignKey("address_types.id"), primary_key=True)

    __table_args__ = (Index("ix_address_type_links_address_type_id", "address_type_id"),)


class OrganizationRequest(Base):
    """A self-registration request (migration 0003 explains the draft's representation)."""

    __tablename__ = "organization_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(
        String(16), server_default=text(f"'{RequestStatus.REVIEW}'")
    )
    requester_comments: Mapped[str | None] = mapped_column(String(1000))
    approver_comments: Mapped[str | None] = mapped_column(String(1000))
    related_organization_name: Mapped[str | None] = mapped_column(String(254))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    #: The organization to be, as a createOrganization document (validated on every write).
    organization_draft: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb")
    )
    profile_email: Mapped[str] = mapped_column(String(254))
    profile_email_key: Mapped[str] = mapped_column(
        String(254), Computed("lower(btrim(profile_email))", persisted=True)
    )
    profile_first_name: Mapped[str] = mapped_column(String(254))
    profile_last_name: Mapped[str] = mapped_column(String(254))
    profile_customer_contact_id: Mapped[str | None] = mapped_column(String(254))
    profile_party_id: Mapped[str | None] = mapped_column(String(254))
    profile_party_number: Mapped[str | None] = mapped_column(String(254))
    profile_receive_email: Mapped[bool | None] = mapped_column(Boolean)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    #: A profile was linked; with ``profile_id`` NULL since, it has been deleted.
    profile_linked: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()

    # RETURNING brings back what the database computes (status default, email key, dates).
    __mapper_args__ = {"eager_defaults": True}

    __table_args__ = (
        CheckConstraint(one_of("status", RequestStatus), name="status_known"),
        CheckConstraint(
            "(status = 'approved') = (organization_id IS NOT NULL)",
            name="organization_iff_approved",
        ),
        CheckConstraint("status <> 'approved' OR profile_linked", name="approved_has_profile"),
        CheckConstraint("profile_id IS NULL OR profile_linked", name="profile_linked"),
        Index("ix_organization_requests_status_created", "status", "created_at", "id"),
        Index("ix_organization_requests_created", "created_at", "id"),
        Index("ix_organization_requests_profile_id", "profile_id"),
        Index("ix_organization_requests_organization_id", "organization_id"),
    )
