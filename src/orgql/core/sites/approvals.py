"""Who may change approval settings on a site, and when (updateSiteOrganizationProperties).

DOMAIN.md, "Site properties update": enabling approvalRequired needs an active approver
(100083); under delegated approval management the merchant admin may not change approval
settings (100086), and a delegated admin may only when delegation is on (100082).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from orgql.core.common.errors import Codes
from orgql.core.common.validation import Problems, join
from orgql.core.inheritance.fields import site_field
from orgql.core.inheritance.rules import derive_site_value
from orgql.db import models

#: The approval settings, the one list (columns): what the vendor's page calls approval
#: management (order approval required, the order price limit, the order approval check
#: by external webhook). The merchant admin may not change them under delegation (100086),
#: an account's admin only them (core.sites.shopper_approvals).
APPROVAL_SETTINGS = ("approval_required", "order_price_limit", "use_external_approval_webhook")
#: Their OCC keys, for messages.
APPROVAL_SETTING_KEYS = tuple(site_field(column).own for column in APPROVAL_SETTINGS)


class ActorKind(Enum):
    MERCHANT_ADMIN = "merchant_admin"
    #: An account's own administrator, acting under delegated approval management.
    DELEGATED_ADMIN = "delegated_admin"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    profile_id: str | None = None


MERCHANT_ADMIN = Actor(ActorKind.MERCHANT_ADMIN)


def check_approval_rules(
    path: str,
    site_id: str,
    before: Mapping[str, object],
    after: Mapping[str, object],
    chain: Sequence[str],
    own_rows: Mapping[tuple[str, str], models.SiteOrganizationProperties],
    actor: Actor,
    approvers: int,
    problems: Problems,
) -> None:
    """The approval rules of one entry (module docstring); ``path`` names the entry."""
    changes_approval = any(before[c] != after[c] for c in APPROVAL_SETTINGS)
    ancestors_delegate = {
        org_id: row.delegate_approval_management
        for org_id in chain[1:]
        if (row := own_rows.get((org_id, site_id))) is not None
    }
    delegated = derive_site_value(
        chain,
        {chain[0]: after["delegate_approval_management"], **ancestors_delegate},
    ).value
    if actor.kind is ActorKind.MERCHANT_ADMIN and changes_approval and delegated is True:
        problems.add(
            Codes.APPROVAL_DELEGATED,
            "Merchant admin is not allowed to do approval management with delegate approval"
            f" management set to true ({', '.join(APPROVAL_SETTING_KEYS)})",
            join(path, "properties"),
        )
    if actor.kind is ActorKind.DELEGATED_ADMIN:
        changes_delegation = (
            before["delegate_approval_management"] != after["delegate_approval_management"]
        )
        if changes_delegation or (changes_approval and delegated is not True):
            problems.add(
                Codes.DELEGATION_NOT_ENABLED,
                "The account does not have the delegate approval management option enabled;"
                " requiring order approvals or changing purchase limits cannot be done",
                join(path, "properties"),
            )
    enables_approval = (
        after["approval_required"] is True and before["approval_required"] is not True
    )
    if enables_approval and approvers == 0:
        problems.add(
            Codes.NO_ACTIVE_APPROVER,
            "You must create at least one active approver for the account before you can"
            " enable the approval required option",
            join(path, "properties.approvalRequired"),
        )
