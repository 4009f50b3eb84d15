"""What a caller may see of an organization: one rule, applied by every transport.

DOMAIN.md, "The people of an account": a shopper sees the accounts they are a member of; of
their ancestors only id and name (for breadcrumbs), and nothing of any other account. An
inactive contact counts for nothing: no access. A deactivated account is shown as inactive to
its shoppers, with no effective contract or payment values.

So for one caller and one organization the answer is a :class:`View`:

- ``FULL``: admins, for every organization; a shopper, for the accounts their active profile
  is a member of: directly, or below a member organization whose roles apply to divisions
  (core.organizations.membership, the rule of core.access.permissions too).
- ``INACTIVE``: a shopper's deactivated account: ``FULL`` except for its contract and payment
  values (own, inherited and per-site), which the transports answer as absent.
- ``BREADCRUMB``: an ancestor of one of the shopper's accounts (not one itself): its id and
  name, reached only through an account's parent and ancestors (never read by id).
- ``NONE``: everything else, answered exactly as an id that does not exist, so that a
  shopper learns nothing of other accounts, not even that they exist.

A shopper's memberships (and the ids on their accounts' paths) are read once per request, in
one statement (:func:`load`); a profile that is inactive or does not exist reads as a shopper
with no membership. The organizations below a lending member organization are not read:
an organization is decided by its stored path (an account may have 100,000 divisions).
Anonymous callers see nothing.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access.principals import Principal
from orgql.core.organizations import membership, repository
from orgql.core.organizations import service as organizations
from orgql.db import models

#: Of a deactivated account, what its shoppers are not shown (DOMAIN.md, "with no effective
#: contract or payment values"): these columns (of models.Organization and
#: models.SiteOrganizationProperties), own, inherited and in effect on any site.
WITHHELD_WHEN_INACTIVE = frozenset(
    {"contract_id", "payment_methods", "use_all_payment_methods_from_site"}
)

#: Matches no organization id (ids are never empty): the filter of a caller who may read none.
_NOTHING = ""


class View(enum.Enum):
    FULL = "full"
    INACTIVE = "inactive"
    BREADCRUMB = "breadcrumb"
    NONE = "none"


@dataclass(frozen=True)
class Access:
    """What one caller may see (for a shopper: their memberships of this request)."""

    everything: bool
    #: The organizations the caller's active profile is itself a member of.
    members: frozenset[str] = frozenset()
    #: Those of them whose roles apply to divisions: the caller is a member of every
    #: organization below them too.
    lenders: frozenset[str] = frozenset()
    #: The ancestors of the caller's own memberships (ids on their paths).
    ancestors: frozenset[str] = frozenset()

    def may_read(self, organization_id: str, path: Sequence[str] = ()) -> bool:
        """Whether the organization (its id, and its stored ``path``: needed when the caller
        has lending memberships) may be read by id (FULL or INACTIVE views)."""
        return self.is_member(organization_id, path) or self.everything

    def is_member(self, organization_id: str, path: Sequence[str]) -> bool:
        """Whether the caller is a member of the organization, directly or below a lending
        member organization (core.organizations.membership.reaches, in Python)."""
        return organization_id in self.members or not self.lenders.isdisjoint(path)

    def view(self, organization: models.Organization) -> View:
        """The caller's view of ``organization`` (see the module's docstring)."""
        if self.everything:
            return View.FULL
        if self.is_member(organization.id, organization.path):
            return _member_view(organization)
        if organization.id in self.ancestors:
            return View.BREADCRUMB
        return View.NONE


def _member_view(organization: models.Organization) -> View:
    return View.FULL if organization.active else View.INACTIVE


def listed_view(principal: Principal, organization: models.Organization) -> View:
    """The view of an organization listed under :func:`scoped_filter` (for a shopper: one of
    their accounts, known without reading their access)."""
    return View.FULL if principal.is_admin else _member_view(organization)


def withheld(view: View) -> frozenset[str]:
    """The columns whose values (own, inherited, in effect) the transports answer as absent
    in ``view`` (see WITHHELD_WHEN_INACTIVE)."""
    return WITHHELD_WHEN_INACTIVE if view is View.INACTIVE else frozenset()


#: The access of admins (and of in-process work).
EVERYTHING = Access(everything=True)
#: The access of anonymous callers, and of shoppers whose profile is inactive or unknown.
NOTHING = Access(everything=False)


async def load(session: AsyncSession, principal: Principal) -> Access:
    """The caller's access: no statement for an admin or an anonymous caller, one for a
    shopper (their active profile's memberships and those organizations' paths)."""
    if principal.is_admin:
        return EVERYTHING
    if not principal.is_shopper or not principal.subject:
        return NOTHING
    found = await membership.member_sources(session, principal.subject)
    if not found:
        return NOTHING
    ancestors = frozenset(ancestor for path, _ in found.values() for ancestor in path)
    lenders = frozenset(org_id for org_id, (_, lends) in found.items() if lends)
    return Access(False, members=frozenset(found), lenders=lenders, ancestors=ancestors)


def scoped_filter(
    principal: Principal, where: repository.OrganizationFilter
) -> repository.OrganizationFilter:
    """``where``, narrowed to what ``principal`` may list: the organizations their active
    profile is a member of, directly or from above (checked inside the page's own statement,
    no extra round trip)."""
    if principal.is_admin:
        return where
    subject = principal.subject if principal.is_shopper else None
    # A NUL cannot be stored, so names no profile (and PostgreSQL refuses it as a parameter).
    member = subject if subject and "\x00" not in subject else _NOTHING
    return dataclasses.replace(
        where, member_profile_id=member, withheld_when_inactive=WITHHELD_WHEN_INACTIVE
    )


async def get_organization(
    session: AsyncSession, access: Access, organization_id: str
) -> models.Organization:
    """The organization, if the caller may read it by id; else the 100001 of a missing id
    (an ancestor is not read by id: its breadcrumb comes with the account below it)."""
    if access.may_read(organization_id) or access.lenders:
        found = await organizations.get(session, organization_id)
        if access.may_read(found.id, found.path):
            return found
    raise organizations.not_found(organization_id)  # the very answer of a missing id
