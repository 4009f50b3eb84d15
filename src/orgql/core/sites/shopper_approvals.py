"""A shopper's updateSiteOrganizationProperties: an account's admin manages its approval
settings on a site where the account delegates approval management (DOMAIN.md, "The people
of an account"; core.access.permissions, MANAGE_APPROVALS).

The approval settings are core.sites.approvals.APPROVAL_SETTINGS (``approvalRequired``,
``orderPriceLimit`` and ``useExternalApprovalWebhook``), the same list that binds the
merchant admin under delegation (100086). Any other
property in a shopper's input (a contract, ``delegateApprovalManagement`` itself, which is
the merchant's to give) is refused (FORBIDDEN) and nothing changes. An account the shopper
is not a member of is answered as a missing one (100001). The approval rules of
core.sites.approvals (100083: the last active approver) apply to them as a delegated admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access import permissions
from orgql.core.access.principals import Principal
from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.organizations.move_lock import hold_off_moves_if_compared
from orgql.core.sites.approvals import (
    APPROVAL_SETTING_KEYS,
    APPROVAL_SETTINGS,
    MERCHANT_ADMIN,
    Actor,
    ActorKind,
)

if TYPE_CHECKING:
    from orgql.core.sites.service import SiteUpdate

#: The columns a shopper may set or remove (the approval settings).
SHOPPER_SETTINGS = frozenset(APPROVAL_SETTINGS)


async def actor_of(
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    updates: Sequence[SiteUpdate],
) -> Actor:
    """Who the update acts as: the merchant admin, or (a shopper allowed to) the account's
    delegated admin; raises the refusal of a shopper who may not (module docstring)."""
    if principal.is_admin:
        return MERCHANT_ADMIN
    # The move lock before the standing locks the account's row, as begin_update takes it
    # before its own (core.organizations.move_lock): else a move that holds it and then
    # locks the account's row, and this mutation, each wait for the other (a deadlock).
    await hold_off_moves_if_compared(session)
    # Read once, holding (core.access.permissions._hold): the checks below, one per site,
    # look at that standing, which no revocation changes until the transaction ends.
    standing = await permissions.member_standing(session, principal, organization_id, lock=True)
    for update in updates:
        beyond = (set(update.values) | set(update.removed)) - SHOPPER_SETTINGS
        if beyond or update.contract is not None:
            raise OrgqlError(
                permissions.FORBIDDEN,
                "An account's admin changes only its approval settings"
                f" ({', '.join(APPROVAL_SETTING_KEYS)})",
                f"{update.path}.properties",
                ErrorKind.FORBIDDEN,
            )
    for site_id in sorted({update.site_id for update in updates}):
        await permissions.require_of(
            session, standing, permissions.Permission.MANAGE_APPROVALS, site_id=site_id
        )
    return Actor(ActorKind.DELEGATED_ADMIN, principal.subject)
