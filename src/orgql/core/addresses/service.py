"""An organization's secondary addresses: add, read, update, delete (the vendor's
addOrganizationAddress, getOrganizationAddress, updateOrganizationAddress,
deleteOrganizationAddress).

Rules (DOMAIN.md, "The people of an account"; createOrganization.txt):

- An address belongs to one organization; its ``addressType`` (nickname) is unique within it,
  compared case-insensitively after trimming (the database's unique index decides a race).
  An address of another organization is not found here (190101), like a missing one.
- ``types`` name address types of the reference data (180104 for an unknown one).
- The default billing and shipping addresses are references held by the organization. An
  address flagged ``isDefault...Address: true`` becomes that default; ``false`` on the
  current default clears it, and so does deleting it (the foreign key's ON DELETE SET NULL,
  which clears it in every organization using it): the value is inherited again.
- An organization holds a bounded number of addresses entered by hand (:mod:`limits`,
  190102): counted under the organization's row lock, which every write takes first, so
  address changes of one organization (and its updates) run one at a time. A deletion then
  locks the organizations below that chose the address, then the address
  (:func:`choosers.lock`): organizations' rows before an address's, as an update choosing it
  keeps them (no deadlock with one). Before any of these a deletion holds off moves, with
  or without a subscriber comparing effective values (core.organizations.move_lock): a
  move of a chooser under the owner locks them in the other order (no deadlock with one).
- Events (:mod:`address_events`): ``organization.address.created|updated|deleted``; then
  ``organization.updated`` when the organization's own defaults changed; then one
  ``organization.effectiveValueChanged`` per organization of the subtree whose derived
  default addresses changed, or, for an update of an address in effect as a derived default,
  whose derived address now reads differently (same id, before and after); for a deletion,
  then ``organization.updated`` of each organization below that chose the address as its own
  default (the foreign key cleared it and its version advanced).
- History: the ``addresses`` rows are recorded by the database (migration 0010).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access import permissions
from orgql.core.access.principals import Principal
from orgql.core.addresses import choosers, limits
from orgql.core.addresses import events as address_events
from orgql.core.addresses.input import AddressInput, parse_address
from orgql.core.addresses.nicknames import check_nickname, nickname_taken
from orgql.core.common.addresses import ADDRESS_KEYS
from orgql.core.common.errors import ErrorKind, OrgqlError, quoted
from orgql.core.common.ids import next_ids
from orgql.core.common.validation import Problems, is_storable_text, join
from orgql.core.events import outbox as events
from orgql.core.inheritance import effects
from orgql.core.organizations import service as organizations
from orgql.core.organizations.move_lock import hold_off_moves_always, hold_off_moves_if_compared
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.reads import address_types_by_id
from orgql.db import models, request_models

#: orgql's own code (the vendor's pages name none): no such address in this organization.
ADDRESS_NOT_FOUND = "190101"


@dataclass(frozen=True)
class AddressView:
    """An address with its types and whether it is its organization's default."""

    address: models.Address
    types: list[request_models.AddressType]
    default_billing: bool
    default_shipping: bool


#: What a shopper needs in the organization to change its addresses.
_MANAGE = permissions.Permission.MANAGE_ACCOUNT_ADDRESSES


def not_found(address_id: str) -> OrgqlError:
    return OrgqlError(
        ADDRESS_NOT_FOUND,
        f"Address {quoted(address_id)} is not an address of this organization",
        "addressId",
        ErrorKind.NOT_FOUND,
    )


async def get(session: AsyncSession, organization_id: str, address_id: str) -> AddressView:
    """The organization's address (100001: no such organization; 190101: no such address)."""
    organization = await organizations.get(session, organization_id)
    address = await _owned(session, organization.id, address_id)
    return (await views(session, organization, [address]))[0]


async def views(
    session: AsyncSession, organization: models.Organization, rows: list[models.Address]
) -> list[AddressView]:
    """The views of ``rows`` (addresses of ``organization``): one statement for the types."""
    links = request_models.AddressTypeLink
    found = await session.execute(
        select(links.address_id, request_models.AddressType)
        .join(request_models.AddressType, request_models.AddressType.id == links.address_type_id)
        .where(links.address_id.in_([row.id for row in rows]))
        .order_by(links.address_id, request_models.AddressType.id)
    )
    types: dict[str, list[request_models.AddressType]] = {}
    for address_id, address_type in found:
        types.setdefault(address_id, []).append(address_type)
    return [
        AddressView(
            address=row,
            types=types.get(row.id, []),
            default_billing=organization.billing_address_id == row.id,
            default_shipping=organization.shipping_address_id == row.id,
        )
        for row in rows
    ]


async def add(
    session: AsyncSession,
    organization_id: str,
    document: Mapping[str, object],
    *,
    principal: Principal,
) -> AddressView:
    """Add the address ``document`` (addOrganizationAddress's body) to the organization
    (module rules; a shopper: with MANAGE_ACCOUNT_ADDRESSES there, core.access.permissions).
    Who may is decided before the input is read: a shopper without the role learns nothing
    of the input's rules."""
    compare = await hold_off_moves_if_compared(session)
    await permissions.require(session, principal, organization_id, _MANAGE, lock=True)
    new = parse_address(document, partial=False)
    organization = await organizations.locked(session, organization_id)
    assert new.address_type is not None  # parse_address(partial=False) requires it
    await limits.require_organization_room(session, organization.id)
    problems = Problems()
    await _check(session, organization.id, None, new, problems)
    problems.raise_if_any()
    before = await effects.snapshot_subtree(session, organization.id) if compare else None
    own_before = _own_defaults(organization)
    (address_id,) = await next_ids(session, 1)
    address = models.Address(
        id=address_id, organization_id=organization.id, address_type=new.address_type
    )
    for column, value in new.fields.items():
        setattr(address, column, value)
    session.add(address)
    await _flush(session, new)
    await _write_types(session, address_id, new.type_ids or [])
    _set_defaults(organization, address_id, new)
    await _flush(session, new)
    await _emit(
        session,
        address_events.Done(
            events.EventType.ORGANIZATION_ADDRESS_CREATED,
            organization,
            address,
            new.changed_keys(),
            own_before,
            before,
        ),
    )
    return (await views(session, organization, [address]))[0]


async def update(
    session: AsyncSession,
    organization_id: str,
    address_id: str,
    document: Mapping[str, object],
    *,
    principal: Principal,
) -> AddressView:
    """Change the organization's address: the keys ``document`` gives (module rules; a
    shopper: with MANAGE_ACCOUNT_ADDRESSES there, decided before the input is read)."""
    compare = await hold_off_moves_if_compared(session)
    await permissions.require(session, principal, organization_id, _MANAGE, lock=True)
    changes = parse_address(document, partial=True)
    organization = await organizations.locked(session, organization_id)
    address = await _owned(session, organization.id, address_id)
    problems = Problems()
    await _check(session, organization.id, address, changes, problems)
    problems.raise_if_any()
    before = await effects.snapshot_subtree(session, organization.id) if compare else None
    own_before = _own_defaults(organization)
    lines_before = _lines(address)
    if changes.address_type is not None:
        address.address_type = changes.address_type
    for column, value in changes.fields.items():
        setattr(address, column, value)
    await _flush(session, changes)
    changed = [ADDRESS_LINE_KEYS[c] for c, v in lines_before.items() if v != getattr(address, c)]
    if changes.type_ids is not None and await _replace_types(session, address.id, changes.type_ids):
        changed.append("types")
    _set_defaults(organization, address.id, changes)
    await _flush(session, changes)
    if changed or own_before != _own_defaults(organization):  # a no-op tells nothing
        done = address_events.Done(
            events.EventType.ORGANIZATION_ADDRESS_UPDATED,
            organization,
            address,
            sorted(changed),
            own_before,
            before,
            content_changed=any(key != "types" for key in changed),
        )
        await _emit(session, done)
    return (await views(session, organization, [address]))[0]


async def remove(
    session: AsyncSession, organization_id: str, address_id: str, *, principal: Principal
) -> None:
    """Delete the organization's address; a default it was (here or below, where an
    organization uses it) is cleared and inherited again (module rules; a shopper: with
    MANAGE_ACCOUNT_ADDRESSES there)."""
    compare = await hold_off_moves_always(session)  # it locks choosers a move may hold
    await permissions.require(session, principal, organization_id, _MANAGE, lock=True)
    organization = await organizations.locked(session, organization_id)
    await choosers.lock(session, organization.id, [address_id])  # before the address: lock order
    address = await _owned(session, organization.id, address_id, lock=True)
    before = await effects.snapshot_subtree(session, organization.id) if compare else None
    own_before = _own_defaults(organization)
    chosen_by = await choosers.of_addresses(session, organization.id, [address.id])
    await session.delete(address)
    await session.flush()
    # ON DELETE SET NULL cleared the references in the database: read them afresh.
    await session.refresh(organization)
    await _emit(
        session,
        address_events.Done(
            events.EventType.ORGANIZATION_ADDRESS_DELETED,
            organization,
            address,
            [],
            own_before,
            before,
        ),
    )
    await events.emit_many(session, await choosers.updated_events(session, chosen_by))


# ------------------------------------------------------------------ helpers


async def _owned(
    session: AsyncSession, organization_id: str, address_id: str, *, lock: bool = False
) -> models.Address:
    """The organization's address (else 100xxx not found); ``lock``: ``FOR UPDATE``, which
    waits for a transaction making it a default (core.organizations.references.
    referenced_address): its choosers are read once that one has committed."""
    address = None
    if is_storable_text(address_id) and len(address_id) <= 40:
        address = await session.get(
            models.Address, address_id, with_for_update=lock, populate_existing=lock
        )
    if address is None or address.organization_id != organization_id:
        raise not_found(address_id)
    return address


async def _check(
    session: AsyncSession,
    organization_id: str,
    current: models.Address | None,
    changes: AddressInput,
    problems: Problems,
) -> None:
    """The rules that need the stored address (``current``; None: an add) or the database: a
    nickname seen whole and free (core.addresses.nicknames), known address types."""
    if changes.address_type is not None:
        nickname = changes.address_type
        await check_nickname(session, "organization", organization_id, current, nickname, problems)
    if changes.type_ids:
        known = await address_types_by_id(session, changes.type_ids)
        for index, type_id in enumerate(changes.type_ids):
            if type_id not in known:
                problems.add(
                    RequestCodes.ADDRESS_TYPE_UNKNOWN,
                    f"Invalid address type ID {type_id}",
                    join(join("address.types", index), "id"),
                )


async def _flush(session: AsyncSession, changes: AddressInput) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        if "uq_addresses_org_type" in str(exc.orig):  # a concurrent add took the nickname
            raise nickname_taken("organization", changes.address_type or "") from None
        raise


async def _write_types(session: AsyncSession, address_id: str, type_ids: list[str]) -> None:
    session.add_all(
        request_models.AddressTypeLink(address_id=address_id, address_type_id=type_id)
        for type_id in type_ids
    )
    if type_ids:
        await session.flush()


#: The columns an update compares, with their OCC keys (addressType and the lines).
ADDRESS_LINE_KEYS = {"address_type": "addressType", **ADDRESS_KEYS}


def _lines(address: models.Address) -> dict[str, str | None]:
    return {column: getattr(address, column) for column in ADDRESS_LINE_KEYS}


async def _replace_types(session: AsyncSession, address_id: str, type_ids: list[str]) -> bool:
    """Set the address's types to ``type_ids``; False (nothing written) if they are those."""
    links = request_models.AddressTypeLink
    current = set(
        await session.scalars(select(links.address_type_id).where(links.address_id == address_id))
    )
    if current == set(type_ids):
        return False
    await session.execute(delete(links).where(links.address_id == address_id))
    await _write_types(session, address_id, type_ids)
    return True


def _own_defaults(organization: models.Organization) -> dict[str, str | None]:
    return {column: getattr(organization, column) for column, _ in choosers.DEFAULTS}


def _set_defaults(organization: models.Organization, address_id: str, flags: AddressInput) -> None:
    for column, flag in (
        ("billing_address_id", flags.default_billing),
        ("shipping_address_id", flags.default_shipping),
    ):
        if flag is True:
            setattr(organization, column, address_id)
        elif flag is False and getattr(organization, column) == address_id:
            setattr(organization, column, None)


async def _emit(session: AsyncSession, done: address_events.Done) -> None:
    after = None
    if done.before is not None:
        after = await effects.snapshot_subtree(session, done.organization.id)
    await events.emit_many(session, address_events.events_of(done, after))
