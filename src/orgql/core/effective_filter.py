"""Filtering organizations by the per-site values in effect for them, in SQL.

Rule (DOMAIN.md, "Derived values"; the same as :func:`inheritance.derive_site_value` and the
``effectiveSiteProperties`` resolver): within one site, each value is the organization's own
when not null, else its nearest ancestor's that is not null, up to the root; null when nothing
on the path sets it. Columns inherit independently: a child that sets only approvalRequired
still inherits its contract.

Each condition is a correlated subquery over the organization's stored path (the primary key
of ``site_organization_properties`` finds the rows), so a filtered page is still one keyset
statement whatever the depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import InstrumentedAttribute

from orgql.db import models


@dataclass(frozen=True)
class EffectiveSiteFilter:
    """Conditions on the values in effect on ``site_id``; all given ones apply. A value
    condition matches only an equal effective value (an unset value, null, matches none)."""

    site_id: str
    contract_id: str | None = None
    #: True: some contract is in effect; False: none is.
    has_contract: bool | None = None
    approval_required: bool | None = None
    delegate_approval_management: bool | None = None
    use_external_approval_webhook: bool | None = None


def effective_value(
    organization: type[models.Organization],
    site_id: str,
    column: InstrumentedAttribute[object],
) -> ColumnElement[object]:
    """The value of ``column`` in effect for ``organization`` on ``site_id``, as a scalar
    subquery: the organization's own non-null value, else the nearest ancestor's."""
    table = models.SiteOrganizationProperties
    # path is root first, direct parent last; with the organization appended, the larger the
    # position, the nearer the owner.
    chain = func.array_append(organization.path, organization.id)
    return (
        select(column)
        .where(
            table.site_id == site_id,
            table.organization_id == func.any(chain),
            column.is_not(None),
        )
        .order_by(func.array_position(chain, table.organization_id).desc())
        .limit(1)
        .scalar_subquery()
    )


def effective_condition(
    organization: type[models.Organization], where: EffectiveSiteFilter
) -> ColumnElement[bool]:
    """The SQL condition an organization meets when its effective values match ``where``."""
    table = models.SiteOrganizationProperties
    conditions: list[ColumnElement[bool]] = []

    def value(column: InstrumentedAttribute[object]) -> ColumnElement[object]:
        return effective_value(organization, where.site_id, column)

    if where.contract_id is not None:
        conditions.append(value(table.contract_id) == where.contract_id)
    if where.has_contract is not None:
        contract = value(table.contract_id)
        conditions.append(contract.is_not(None) if where.has_contract else contract.is_(None))
    for name in (
        "approval_required",
        "delegate_approval_management",
        "use_external_approval_webhook",
    ):
        wanted = getattr(where, name)
        if wanted is not None:
            conditions.append(value(getattr(table, name)) == wanted)
    return and_(*conditions) if conditions else true()
