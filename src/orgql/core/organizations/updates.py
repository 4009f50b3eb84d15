"""Changing an organization: update, move, deactivate and reactivate, with versions.

Rules (DOMAIN.md, docs/changing-accounts.md):

- An update has createOrganization's rules; a key left out is unchanged, a cleared value is
  inherited again (:mod:`organization_changes`).
- A move takes the subtree along (the path trigger of migration 0001 rewrites the
  descendants' paths in the same statement). Moving under the organization itself or one of
  its descendants is refused (100002), and so is moving under a deactivated organization.
  Moves run one at a time (a transaction-level advisory lock), so two opposite moves that
  would together form a cycle cannot both pass their checks: the second one sees the first's
  committed result and is refused.
- Deactivation is ``active: false``; nothing is deleted. A deactivated organization is still
  read and listed (``active: false``), its children are left as they are, and it takes no new
  children (create or move under it: 100002).
- Versions: the row is locked before the expected version is compared, so of two updates
  expecting one version exactly one passes (the other: 412, :attr:`Codes.VERSION_CONFLICT`).
- A dry run applies the change inside a SAVEPOINT, compares the subtree's effective values
  before and after (:mod:`effects`) and rolls the savepoint back: it reports the same errors
  and changes nothing.
- Events (:mod:`change_events`): a committed update emits what it changed (updated, moved,
  deactivated/reactivated) and one effectiveValueChanged per organization of the subtree
  whose derived or effective values changed, in one statement; a refused update or a dry run
  emits nothing. No move commits between the two snapshots (the move lock, shared); a
  concurrent change of an ancestor waits for the organization's row lock (the path trigger
  rewrites the organization's row).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, ErrorKind, OrgqlError, quoted
from orgql.core.common.validation import Problems, is_storable_text, join
from orgql.core.events import lifecycle as change_events
from orgql.core.events import outbox as events
from orgql.core.inheritance.effects import ValueChange, diff, snapshot_subtree
from orgql.core.inheritance.rules import DERIVED_COLUMNS
from orgql.core.organizations import dynamic_properties
from orgql.core.organizations import service as organizations
from orgql.core.organizations.changes import OrganizationChanges
from orgql.core.organizations.input import NewOrganization, check_name
from orgql.core.organizations.move_lock import hold_off_moves, lock_moves
from orgql.core.organizations.references import referenced_address
from orgql.core.sites import service as site_properties
from orgql.db import models

_ADDRESS_COLUMNS = (
    ("billing_address_id", Codes.INVALID_BILLING_ADDRESS, "billingAddress"),
    ("shipping_address_id", Codes.INVALID_SHIPPING_ADDRESS, "shippingAddress"),
)


@dataclass(frozen=True)
class UpdateResult:
    """The organization after the update (as it was, for a dry run) and, for a dry run or
    ``with_effects``, the derived and effective values the change alters in its subtree."""

    organization: models.Organization
    effects: list[ValueChange] | None = None


async def update(
    session: AsyncSession,
    organization_id: str,
    changes: OrganizationChanges,
    *,
    expected_version: int | frozenset[int] | None = None,
    site_id: str | None = None,
    dry_run: bool = False,
    with_effects: bool = False,
) -> UpdateResult:
    """Apply ``changes`` to the organization (see the module's rules).

    ``expected_version`` None skips the version check; a set of versions passes if the
    organization is at any of them (REST's If-Match list). Site-specific values go to
    ``site_id`` (the x-ccsite header) or the default site. Unknown organization: 100001.
    ``dry_run``: check, compute the effects, write nothing (and emit nothing). Otherwise the
    change's events are emitted (:mod:`change_events`). ``with_effects``: return the effects
    too."""
    compare = dry_run or with_effects or await _effects_wanted(session, changes)
    if changes.move is not None:
        await lock_moves(session)
    elif compare:
        await hold_off_moves(session)  # no move commits between the two snapshots
    organization = await organizations.locked(session, organization_id)
    expected = {expected_version} if isinstance(expected_version, int) else expected_version
    if expected is not None and organization.version not in expected:
        raise OrgqlError(
            Codes.VERSION_CONFLICT,
            f"Organization {organization_id!r} is at version {organization.version}, not"
            f" {' or '.join(map(str, sorted(expected)))}: read it again and reapply the change",
            None,
            ErrorKind.STALE,
        )
    site_update = await _check(session, organization, changes, site_id)
    if not dry_run:
        return await _apply_with_events(
            session, organization, changes, site_update, compare=compare, with_effects=with_effects
        )

    before = await snapshot_subtree(session, organization.id)
    savepoint = await session.begin_nested()
    try:
        await _apply(session, organization, changes, site_update)
        after = await snapshot_subtree(session, organization.id)
    finally:
        await savepoint.rollback()
    await session.refresh(organization)
    return UpdateResult(organization, diff(before, after))


async def _apply_with_events(
    session: AsyncSession,
    organization: models.Organization,
    changes: OrganizationChanges,
    site_update: site_properties.SiteUpdate | None,
    *,
    compare: bool,
    with_effects: bool,
) -> UpdateResult:
    """Apply the change and emit its events. With ``compare``, the subtree's values are
    compared around the write: two snapshots, four statements whatever the subtree's size."""
    own_before = change_events.own_values(organization)
    before = await snapshot_subtree(session, organization.id) if compare else None
    site_keys = await _apply(session, organization, changes, site_update)
    effects = []
    if before is not None:
        effects = diff(before, await snapshot_subtree(session, organization.id))
    done = change_events.Update(
        organization,
        own_before,
        site_id=site_update.site_id if site_update is not None else None,
        site_keys=site_keys,
        effects=effects,
    )
    await events.emit_many(session, change_events.update_events(done))
    return UpdateResult(organization, effects if with_effects else None)


async def _effects_wanted(session: AsyncSession, changes: OrganizationChanges) -> bool:
    """Whether the change's effects on its subtree are to be computed for the events: the
    change can alter what the subtree inherits, and a subscriber takes those events."""
    return _compares_subtree(changes) and await events.wanted(
        session, events.EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED
    )


def _compares_subtree(changes: OrganizationChanges) -> bool:
    """Whether the change can alter what the subtree inherits (an inherited column, a site
    value, a move), so that its effects are found by comparing two snapshots."""
    return (
        changes.move is not None
        or changes.site_update is not None
        or any(column in DERIVED_COLUMNS for column in changes.columns)
    )


async def set_active(
    session: AsyncSession,
    organization_id: str,
    active: bool,
    *,
    expected_version: int | None = None,
) -> models.Organization:
    """Deactivate (``active=False``) or reactivate an organization; nothing is deleted."""
    changes = OrganizationChanges(columns={"active": active})
    result = await update(session, organization_id, changes, expected_version=expected_version)
    return result.organization


async def _check(
    session: AsyncSession,
    organization: models.Organization,
    changes: OrganizationChanges,
    site_id: str | None,
) -> site_properties.SiteUpdate | None:
    """Every rule that needs the database; returns the site update addressed to its site."""
    problems = Problems()
    columns = changes.columns
    plain = {
        column: value
        for column, value in columns.items()
        if value is not None
        and column not in ("active", "billing_address_id", "roles_apply_to_divisions")
        and column != "shipping_address_id"
    }
    # createOrganization's reference rules: payment/shipping methods, logo, dynamic properties.
    probe = NewOrganization(
        name=organization.name, columns=plain, dynamic_properties=changes.dynamic_properties
    )
    await organizations.check_references(session, probe, problems)

    ancestors = list(organization.path)
    if changes.move is not None:
        ancestors = await _check_move(session, organization, changes.move.parent_id, problems)
        await _check_kept_addresses(session, organization, changes, ancestors, problems)
    for column, code, field in _ADDRESS_COLUMNS:
        address_id = columns.get(column)
        if isinstance(address_id, str):
            await _check_address(
                session, address_id, [*ancestors, organization.id], code, field, problems
            )

    check_name(changes.name, organization.name, problems)
    site_update = None
    if changes.site_update is not None:
        site = await organizations.resolve_site(session, site_id, field="x-ccsite")
        if site is None:
            problems.add(
                Codes.INVALID_INPUT,
                "no site to store site-specific properties on: name one or configure a default"
                " site",
                "x-ccsite",
            )
        else:
            site_update = dataclasses.replace(changes.site_update, site_id=site.id, path="")
    problems.raise_if_any()

    if changes.name is not None:
        await organizations.check_name_free(session, changes.name, other_than=organization.id)
    return site_update


async def _check_move(
    session: AsyncSession,
    organization: models.Organization,
    parent_id: str | None,
    problems: Problems,
) -> list[str]:
    """The organization's ancestors after the move; a parent that does not exist, is
    deactivated, or is the organization or one of its descendants is refused."""
    if parent_id is None:
        return []
    field = "parentOrganization.id"
    # FOR SHARE, read afresh: a concurrent deactivation of the parent commits before this
    # check or waits for this move (the path trigger takes the same lock, later).
    parent = None
    if is_storable_text(parent_id):
        parent = await session.scalar(
            select(models.Organization)
            .where(models.Organization.id == parent_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
    if parent is None:
        problems.add(
            Codes.INVALID_INPUT, f"Parent organization {quoted(parent_id)} does not exist", field
        )
        return list(organization.path)
    if parent.id == organization.id or organization.id in parent.path:
        problems.add(
            Codes.INVALID_INPUT,
            f"Organization {organization.id!r} cannot move under {parent.id!r}: that is itself"
            " or one of its descendants, and an organization cannot be its own ancestor",
            field,
        )
    elif not parent.active and parent.id != organization.parent_id:
        problems.add(Codes.INVALID_INPUT, organizations.inactive_parent(parent.id), field)
    else:
        # The subtree's deepest organization, at its new level (moves are serialized by
        # the move lock, and creates under the subtree wait for it: no race deepens it).
        org = models.Organization
        deepest = await session.scalar(
            select(func.max(func.cardinality(org.path))).where(org.path.contains([organization.id]))
        )
        below = (deepest or len(organization.path)) - len(organization.path)
        level = len(parent.path) + 2 + below
        if level > organizations.MAX_HIERARCHY_DEPTH:
            problems.add(Codes.INVALID_INPUT, organizations.too_deep(level), field)
    return [*parent.path, parent.id]


async def _check_kept_addresses(
    session: AsyncSession,
    organization: models.Organization,
    changes: OrganizationChanges,
    ancestors: list[str],
    problems: Problems,
) -> None:
    """After a move, every default address in the subtree must still belong to the
    organization using it or one of its ancestors (the rule createOrganization applies).
    An address owned inside the subtree stays valid; one owned above it must be owned by
    a new ancestor. One statement for the whole subtree."""
    org, address = models.Organization, models.Address
    rows = await session.execute(
        select(org.id, address.id, address.organization_id, address.id == org.billing_address_id)
        .join(
            address,
            or_(address.id == org.billing_address_id, address.id == org.shipping_address_id),
        )
        .where(or_(org.id == organization.id, org.path.contains([organization.id])))
    )
    subtree_owned = [(row[0], row[1], row[2], bool(row[3])) for row in rows]
    subtree = {user for user, *_ in subtree_owned} | {organization.id}
    for user, address_id, owner, billing in subtree_owned:
        column, code, field = _ADDRESS_COLUMNS[0] if billing else _ADDRESS_COLUMNS[1]
        if user == organization.id and column in changes.columns:
            continue  # replaced by this update, checked with the new ancestors
        if owner is None or owner in ancestors or owner in subtree:
            continue  # (an address of no organization: not an inherited one)
        problems.add(
            code,
            f"Organization {user!r} uses address {address_id!r} of {owner!r} as its default"
            f" {field.removesuffix('Address')} address; after the move {owner!r} is not its"
            " ancestor. Choose another default address first",
            "parentOrganization.id",
        )


async def _check_address(
    session: AsyncSession,
    address_id: str,
    owners: list[str],
    code: str,
    field: str,
    problems: Problems,
) -> None:
    """A default address must be the organization's own or one of its ancestors' (after the
    move, when the update moves it), read under the foreign key's lock (a concurrent
    deletion: refused here, not failed at commit)."""
    address = await referenced_address(session, address_id)
    if address is None or address.organization_id not in owners:
        problems.add(
            code,
            f"Address {quoted(address_id)} is not an address of this organization or its ancestors",
            join(field, "repositoryId"),
        )


async def _apply(
    session: AsyncSession,
    organization: models.Organization,
    changes: OrganizationChanges,
    site_update: site_properties.SiteUpdate | None,
) -> list[str]:
    """Write the change; returns the OCC keys of the site values it changed."""
    if changes.name is not None:
        organization.name = changes.name
    for column, value in changes.columns.items():
        setattr(organization, column, value)
    if changes.move is not None:
        organization.parent_id = changes.move.parent_id
    if changes.dynamic_properties:
        merged = dict(organization.dynamic_properties or {})
        for key, value in changes.dynamic_properties.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = dynamic_properties.kept(merged.get(key), value)
        organization.dynamic_properties = merged  # a new dict: JSONB changes are not tracked
    try:
        await session.flush()
    except IntegrityError as exc:
        error = organizations.integrity_error(exc, changes.name or organization.name)
        if error.kind is ErrorKind.INTERNAL:
            raise  # not a rule the caller broke: a 500 with an error id, logged
        raise error from None
    if site_update is None:
        return []
    try:
        plan = await site_properties.prepare(session, organization.id, [site_update])
    except OrgqlError as error:
        raise _site_error(error) from None
    await site_properties.write(session, plan)
    return plan.changed_keys()


def _site_error(error: OrgqlError) -> OrgqlError:
    """Name the site rules' errors by the update document's keys."""
    details = [
        dataclasses.replace(
            detail,
            field=(detail.field or "").removeprefix("properties.").replace("site.id", "x-ccsite")
            or None,
        )
        for detail in error.details
    ]
    return OrgqlError.from_details(details, error.kind)
