"""Per-(organization, site) properties: contract, approval settings, order limit.

Rules of updateSiteOrganizationProperties.txt and DOMAIN.md ("Site properties update"):
the site must exist and be a B2B site (100109); ``op: "remove"`` drops the organization's own
value for the listed keys so it inherits again; enabling approvalRequired needs an active
approver (100083); under delegated approval management the merchant admin may not change
approval settings (100086), and a delegated admin may only when delegation is on (100082).
One call is one transaction: a list with one bad entry changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import update as sa_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from orgql.core.access.principals import Principal
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError, quoted
from orgql.core.common.validation import (
    Problems,
    join,
    too_many,
    unknown_keys,
)
from orgql.core.events import lifecycle as change_events
from orgql.core.events import outbox as events
from orgql.core.inheritance import effects
from orgql.core.inheritance.fields import SITE_FIELDS, SITE_PROPERTY_COLUMNS, Wire
from orgql.core.organizations.site_input import NewContract, parse_contract, read_site_value
from orgql.core.sites import contracts, locks, shopper_approvals
from orgql.core.sites import repository as site_reads
from orgql.core.sites.approvals import MERCHANT_ADMIN, Actor, check_approval_rules
from orgql.core.sites.repository import ContractView
from orgql.db import models

#: OCC property key -> column of :class:`models.SiteOrganizationProperties`.
PROPERTY_COLUMNS = SITE_PROPERTY_COLUMNS
_PROPERTY_KEYS = frozenset([*PROPERTY_COLUMNS, "op"])
_ENTRY_KEYS = frozenset(["site", "properties"])
_LIMIT_PRECISION = Decimal("0.0001")
ENTRIES = "siteOrganizationProperties"  # the request's list, root of every error path


@dataclass(frozen=True)
class SiteUpdate:
    """One entry of the request: set ``values`` (columns; None clears) or remove ``removed``."""

    site_id: str
    path: str  # of the entry in the request ("siteOrganizationProperties[0]"), for error fields
    values: dict[str, object] = field(default_factory=dict)
    contract: NewContract | None = None
    removed: frozenset[str] = frozenset()

    @property
    def is_removal(self) -> bool:
        return bool(self.removed)


@dataclass(frozen=True)
class SiteResult:
    """The own values of one site after an update (``properties`` None: none left)."""

    site: models.Site
    properties: models.SiteOrganizationProperties | None
    contract: ContractView | None = None

    def value(self, column: str) -> object:
        return getattr(self.properties, column) if self.properties is not None else None


def parse_request(doc: Mapping[str, object]) -> list[SiteUpdate]:
    """The REST body ``{"siteOrganizationProperties": [...]}`` (spec's request schema)."""
    problems = Problems()
    unknown_keys(doc, frozenset([ENTRIES]), None, problems, code=Codes.SITE_PROPERTIES_INVALID)
    problems.raise_if_any()
    return parse_site_updates(doc.get("siteOrganizationProperties"))


def parse_site_updates(entries: object) -> list[SiteUpdate]:
    """Validate the ``siteOrganizationProperties`` list (shape rules; codes 100110 and the
    contract's 100073/100074/100075)."""
    problems = Problems()
    invalid = Codes.SITE_PROPERTIES_INVALID
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes) or not entries:
        problems.add(invalid, "siteOrganizationProperties must be a non-empty list", ENTRIES)
        problems.raise_if_any()
    assert isinstance(entries, Sequence)
    if too_many(entries, ENTRIES, ENTRIES, problems, code=invalid):
        problems.raise_if_any()
    updates: list[SiteUpdate] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        path = join(ENTRIES, index)
        if not isinstance(entry, Mapping):
            problems.add(invalid, "each entry must be an object", path)
            continue
        unknown_keys(entry, _ENTRY_KEYS, path, problems, code=invalid)
        site = entry.get("site")
        site_id = site.get("id") if isinstance(site, Mapping) else None
        if not isinstance(site_id, str) or not site_id.strip():
            problems.add(invalid, "site must be an object with an id", join(path, "site.id"))
            site_id = None
        elif site_id in seen:
            problems.add(invalid, f"site {quoted(site_id)} is listed twice", join(path, "site.id"))
        properties = entry.get("properties")
        if not isinstance(properties, Mapping):
            problems.add(invalid, "properties must be an object", join(path, "properties"))
            continue
        update = _parse_properties(site_id or "", properties, path, problems)
        if site_id is not None:
            seen.add(site_id)
            updates.append(update)
    problems.raise_if_any()
    return updates


def _parse_properties(
    site_id: str, properties: Mapping[str, object], entry_path: str, problems: Problems
) -> SiteUpdate:
    invalid = Codes.SITE_PROPERTIES_INVALID
    path = join(entry_path, "properties")
    unknown_keys(properties, _PROPERTY_KEYS, path, problems, code=invalid, what="site property")
    op = properties.get("op")
    if op is not None:
        if op != "remove":
            problems.add(invalid, "op must be 'remove'", join(path, "op"))
        keys = [key for key in properties if key in PROPERTY_COLUMNS]
        if not keys:
            problems.add(invalid, "op 'remove' needs the keys to remove", path)
        removed = frozenset(PROPERTY_COLUMNS[key] for key in keys)
        return SiteUpdate(site_id, entry_path, removed=removed)
    values: dict[str, object] = {}
    contract: NewContract | None = None
    if "contract" in properties:
        contract_doc = properties["contract"]
        if contract_doc is None:
            values["contract_id"] = None
        elif not isinstance(contract_doc, Mapping):
            problems.add(invalid, "contract must be an object or null", join(path, "contract"))
        else:
            contract = _parse_contract(contract_doc, join(path, "contract"), problems)
    for inherited in SITE_FIELDS:
        if inherited.own not in properties or inherited.wire is Wire.CONTRACT:
            continue
        value = read_site_value(inherited, properties, path, problems, code=invalid)
        if isinstance(value, Decimal):
            # Rounded as the NUMERIC(19, 4) column will store it, so the response shows the
            # stored value (PostgreSQL rounds half away from zero; the value is not negative).
            value = value.quantize(_LIMIT_PRECISION, ROUND_HALF_UP)
        values[inherited.column] = value
    return SiteUpdate(site_id, entry_path, values=values, contract=contract)


def _parse_contract(doc: Mapping[str, object], path: str, problems: Problems) -> NewContract | None:
    """The contract rules of createOrganization, except that a malformed value is this
    operation's 100110 rather than createOrganization's generic 100002."""
    own = Problems()
    contract = parse_contract(doc, path, own)
    for detail in own.details:
        code = Codes.SITE_PROPERTIES_INVALID if detail.code == Codes.INVALID_INPUT else detail.code
        problems.add(code, detail.message, detail.field)
    return contract


@dataclass(frozen=True)
class Plan:
    """An update checked against every rule, not yet written (:func:`prepare`)."""

    organization: models.Organization
    sites: Mapping[str, models.Site]
    own_rows: Mapping[tuple[str, str], models.SiteOrganizationProperties]
    #: Each entry with the organization's own values (by column) before and after it.
    entries: Sequence[tuple[SiteUpdate, Mapping[str, object], dict[str, object]]]

    def changed_keys(self) -> list[str]:
        """The OCC keys whose own value the plan changes (a new contract always does)."""
        names = {column: name for name, column in PROPERTY_COLUMNS.items()}
        return sorted(
            {
                names[column]
                for u, before, after in self.entries
                for column in PROPERTY_COLUMNS.values()
                if before[column] != after[column] or (column == "contract_id" and u.contract)
            }
        )


async def update(
    session: AsyncSession,
    organization_id: str,
    updates: Sequence[SiteUpdate],
    *,
    principal: Principal,
    actor: Actor | None = None,
) -> list[SiteResult]:
    """Apply ``updates`` to the organization; returns the resulting own values of every site
    that was set (removal entries are not echoed, as in the vendor's response). A shopper
    acts as the account's delegated admin (core.sites.shopper_approvals: only the approval
    settings, only where the account delegates them).

    Emits ``organization.siteProperties.updated``, then ``organization.effectiveValueChanged``
    for each organization of the subtree (itself included) whose effective values changed
    (:mod:`change_events`; the two subtree snapshots cost four statements, and are taken only
    when a webhook subscription takes those events).

    Five statements when nobody takes those events and no contract is given: the locked
    organization (with the writer's name and whether the events are wanted), the sites with
    the chain's own values and the approver count, the write, the version, the events."""
    if actor is None or not principal.is_admin:  # ``actor``: an in-process caller's own
        actor = await shopper_approvals.actor_of(session, principal, organization_id, updates)
    organization, compare = await _begin(session, organization_id)
    plan = await prepare(session, organization_id, updates, actor=actor, locked=organization)
    organization = plan.organization
    before = await effects.snapshot_subtree(session, organization.id) if compare else None
    results = await write(session, plan)
    changes = []
    if before is not None:
        changes = effects.diff(before, await effects.snapshot_subtree(session, organization.id))
    cause = events.EventType.ORGANIZATION_SITE_PROPERTIES_UPDATED
    data = {"id": organization.id, "sites": [_changed(u) for u in updates]}
    await events.emit_many(
        session,
        [
            events.Event(cause, organization.id, data),
            *change_events.effective_value_events(
                changes, change_events.Cause(organization.id, cause)
            ),
        ],
    )
    return results


async def prepare(
    session: AsyncSession,
    organization_id: str,
    updates: Sequence[SiteUpdate],
    *,
    actor: Actor = MERCHANT_ADMIN,
    locked: models.Organization | None = None,
) -> Plan:
    """Lock the organization (unless the caller did: ``locked``) and check ``updates``
    against every rule; writes nothing."""
    organization = locked or await _locked_organization(session, organization_id)
    problems = Problems()
    chain = [organization.id, *reversed(organization.path)]
    # After the lock (its own statement): the values the previous update committed.
    sites, own_rows, approvers = await site_reads.sites_with_values(
        session, [u.site_id for u in updates], chain
    )
    for u in updates:
        site = sites.get(u.site_id)
        if site is None or not site.b2b:
            what = "does not exist" if site is None else "is not a B2B site"
            message = f"Site {quoted(u.site_id)} {what}"
            problems.add(Codes.SITE_NOT_B2B, message, join(u.path, "site.id"))
    await contracts.check_references(
        session,
        [(join(u.path, "properties.contract"), u.contract) for u in updates if u.contract],
        problems,
    )
    problems.raise_if_any()

    entries: list[tuple[SiteUpdate, Mapping[str, object], dict[str, object]]] = []
    for u in updates:
        current = own_rows.get((organization.id, u.site_id))
        before = {c: getattr(current, c) if current else None for c in PROPERTY_COLUMNS.values()}
        after = dict(before)
        for column in u.removed:
            after[column] = None
        after.update(u.values)
        check_approval_rules(
            u.path, u.site_id, before, after, chain, own_rows, actor, approvers, problems
        )
        entries.append((u, before, after))
    problems.raise_if_any()
    return Plan(organization, sites, own_rows, entries)


async def write(session: AsyncSession, plan: Plan) -> list[SiteResult]:
    """Write a prepared plan and, when it changes something, bump the organization's
    version; emits nothing (the caller tells what it did)."""
    organization = plan.organization
    written: list[tuple[models.Site, models.SiteOrganizationProperties | None]] = []
    # A value sent again unchanged changes nothing: no new version (others' If-Match stays
    # valid), no history entry.
    changed = bool(plan.changed_keys())
    for u, _, after in plan.entries:
        if u.contract is not None:
            after["contract_id"] = await contracts.insert(session, u.contract)
        had_row = (organization.id, u.site_id) in plan.own_rows
        row = await _write(session, organization.id, u.site_id, after, plan.own_rows)
        changed = changed or had_row != (row is not None)
        if not u.is_removal:
            written.append((plan.sites[u.site_id], row))
    await session.flush()
    if changed:
        await bump_version(session, organization)
    contract_ids = [row.contract_id for _, row in written if row and row.contract_id]
    contract_views = await site_reads.contracts_by_id(session, contract_ids)
    return [
        SiteResult(
            site, row, contract_views.get(row.contract_id) if row and row.contract_id else None
        )
        for site, row in written
    ]


async def bump_version(session: AsyncSession, organization: models.Organization) -> None:
    """Advance the organization's version (its ETag): its per-site values are part of what
    it shows, though they live in another table than the row the version trigger watches."""
    table = models.Organization
    version = await session.scalar(
        sa_update(table)
        .where(table.id == organization.id)
        .values(version=table.version + 1)
        .returning(table.version)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(organization, "version", version)


def _changed(update: SiteUpdate) -> dict[str, object]:
    """What one entry changed, in OCC names (the event's data; the values are read back)."""
    names = {column: name for name, column in PROPERTY_COLUMNS.items()}
    return {
        "siteId": update.site_id,
        "set": sorted(names[c] for c in update.values) + (["contract"] if update.contract else []),
        "removed": sorted(names[c] for c in update.removed),
    }


async def _begin(session: AsyncSession, organization_id: str) -> tuple[models.Organization, bool]:
    found = await locks.begin_update(session, organization_id)
    if found is None:
        raise not_found(organization_id)
    return found


async def _locked_organization(session: AsyncSession, organization_id: str) -> models.Organization:
    organization = await locks.locked_organization(session, organization_id)
    if organization is None:
        raise not_found(organization_id)
    return organization


def not_found(organization_id: str) -> OrgqlError:
    return OrgqlError(
        Codes.SITE_PROPERTIES_ORGANIZATION_NOT_FOUND,
        f"Organization {quoted(organization_id)} does not exist",
        "id",
        ErrorKind.NOT_FOUND,
    )


async def _write(
    session: AsyncSession,
    organization_id: str,
    site_id: str,
    values: Mapping[str, object],
    own_rows: Mapping[tuple[str, str], models.SiteOrganizationProperties],
) -> models.SiteOrganizationProperties | None:
    """Store the own values; a row left with no value is deleted (nothing set on that site)."""
    row = own_rows.get((organization_id, site_id))
    if all(value is None for value in values.values()):
        if row is not None:
            await session.delete(row)
        return None
    if row is None:
        row = models.SiteOrganizationProperties(organization_id=organization_id, site_id=site_id)
        session.add(row)
    for column, value in values.items():
        setattr(row, column, value)
    return row
