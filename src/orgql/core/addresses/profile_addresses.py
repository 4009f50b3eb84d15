"""A profile's own addresses (the vendor's profile shipping addresses): list, add, update,
delete.

Rules (DOMAIN.md, "The people of an account": "a profileAddressManager [manages] their own"):

- An address has one owner, an organization or a profile (the database's
  ``ck_addresses_one_owner``). A profile's address is parsed and validated as an
  organization's (:func:`orgql.core.addresses.input.parse_address`: addressType and the
  required lines), without what only an organization's has: no default flags (a profile has no
  default address here) and no address types (the reference data's types tag an account's
  addresses).
- Its ``addressType`` (nickname) is unique within the profile, compared case-insensitively
  after trimming (the database's ``uq_addresses_profile_type`` decides a race).
- A profile holds at most :data:`MAX_PROFILE_ADDRESSES` addresses (:data:`TOO_MANY_ADDRESSES`).
- Who may: the merchant admin, any profile's; a shopper, only their own profile's, and only
  while they hold ``profileAddressManager`` in at least one active account they are a member
  of (:mod:`orgql.core.access.permissions`; an inactive profile holds nothing): else
  ``FORBIDDEN``, decided before the input is read and anything written. An address of
  another profile is not found (190101), like a missing one; a shopper reads only their own.
- Writes lock the profile's row, so the count and the nickname are decided one write at a
  time per profile.
- Events: ``profile.address.created|updated|deleted`` ``{profileId, addressId, changed}``
  (``changed``: the OCC keys given to an add, the keys whose values an update changed,
  sorted; none on a delete), filed under the profile's parent organization as the contact's
  own events are; an update that changes nothing tells nothing. No personal data travels in
  them (not even the nickname), as in the contact's: a receiver reads the address by id.
- History: the database records the rows as entity kind ``profile_address`` (migration 0023).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access import permissions
from orgql.core.access.principals import Principal
from orgql.core.addresses.input import AddressInput, parse_address
from orgql.core.addresses.limits import TOO_MANY_ADDRESSES
from orgql.core.addresses.nicknames import check_nickname, nickname_taken
from orgql.core.addresses.service import ADDRESS_LINE_KEYS, ADDRESS_NOT_FOUND
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError, quoted
from orgql.core.common.ids import distinct_keys, next_ids
from orgql.core.common.validation import Problems, is_storable_text
from orgql.core.events import outbox as events
from orgql.core.people import repository as people_reads
from orgql.core.people.codes import PeopleCodes
from orgql.db import models

#: The most addresses one profile holds (a storefront's address book, bounded; refused with
#: core.addresses.limits.TOO_MANY_ADDRESSES, an organization's bound's code).
MAX_PROFILE_ADDRESSES = 100


def not_found(address_id: str) -> OrgqlError:
    return OrgqlError(
        ADDRESS_NOT_FOUND,
        f"Address {quoted(address_id)} is not an address of this profile",
        "id",
        ErrorKind.NOT_FOUND,
    )


def may_read(principal: Principal, profile_id: str) -> bool:
    """Whether the caller reads the profile's addresses: an admin any, a shopper their own."""
    return principal.is_admin or (principal.is_shopper and principal.subject == profile_id)


async def addresses_by_profile(
    session: AsyncSession, profile_ids: Iterable[str]
) -> dict[str, list[models.Address]]:
    """The addresses of each profile, oldest first: one statement (callers check
    :func:`may_read`)."""
    keys = distinct_keys(profile_ids)
    found: dict[str, list[models.Address]] = defaultdict(list)
    if keys:
        address = models.Address
        rows = await session.scalars(
            select(address)
            .where(address.profile_id.in_(keys))
            .order_by(address.created_at, address.id)
        )
        for row in rows:
            assert row.profile_id is not None
            found[row.profile_id].append(row)
    return found


async def addresses_by_id(
    session: AsyncSession, principal: Principal, address_ids: Iterable[str]
) -> dict[str, models.Address]:
    """The profile addresses with these ids that the caller may read (others: absent)."""
    keys = [key for key in distinct_keys(address_ids) if len(key) <= 40]
    if not keys:
        return {}
    address = models.Address
    rows = await session.scalars(
        select(address).where(address.id.in_(keys), address.profile_id.is_not(None))
    )
    return {row.id: row for row in rows if row.profile_id and may_read(principal, row.profile_id)}


async def add(
    session: AsyncSession, principal: Principal, profile_id: str, document: Mapping[str, object]
) -> models.Address:
    """Add the address ``document`` (as addOrganizationAddress's body) to the profile (module
    rules; 22002: no such profile). Who may is decided before the input is read."""
    await _authorize(session, principal, profile_id)
    new = _parse(document, partial=False)
    profile = await _locked_profile(session, profile_id, "profileId")
    assert new.address_type is not None  # parse_address(partial=False) requires it
    count = await session.scalar(
        select(func.count())
        .select_from(models.Address)
        .where(models.Address.profile_id == profile.id)
    )
    if (count or 0) >= MAX_PROFILE_ADDRESSES:
        raise OrgqlError(
            TOO_MANY_ADDRESSES,
            f"A profile holds at most {MAX_PROFILE_ADDRESSES} addresses: delete one first",
            None,
            ErrorKind.CONFLICT,
        )
    await _check_nickname(session, profile.id, None, new.address_type)
    (address_id,) = await next_ids(session, 1)
    address = models.Address(id=address_id, profile_id=profile.id, address_type=new.address_type)
    for column, value in new.fields.items():
        setattr(address, column, value)
    session.add(address)
    await _flush(session, new.address_type)
    await _emit(
        session, events.EventType.PROFILE_ADDRESS_CREATED, profile, address, new.changed_keys()
    )
    return address


async def update(
    session: AsyncSession, principal: Principal, address_id: str, document: Mapping[str, object]
) -> models.Address:
    """Change the keys ``document`` gives (as updateOrganizationAddress's body) of a
    profile's address (module rules). Who may is decided before the input is read."""
    await _authorize_own(session, principal)
    changes = _parse(document, partial=True)
    profile, address = await _locked(session, principal, address_id)
    if changes.address_type is not None:
        await _check_nickname(session, profile.id, address, changes.address_type)
    before = {column: getattr(address, column) for column in ADDRESS_LINE_KEYS}
    if changes.address_type is not None:
        address.address_type = changes.address_type
    for column, value in changes.fields.items():
        setattr(address, column, value)
    await _flush(session, changes.address_type)
    changed = sorted(
        ADDRESS_LINE_KEYS[column]
        for column, value in before.items()
        if value != getattr(address, column)
    )
    if changed:  # a no-op tells nothing
        await _emit(session, events.EventType.PROFILE_ADDRESS_UPDATED, profile, address, changed)
    return address


async def remove(session: AsyncSession, principal: Principal, address_id: str) -> None:
    """Delete a profile's address (module rules)."""
    await _authorize_own(session, principal)
    profile, address = await _locked(session, principal, address_id)
    await session.delete(address)
    await session.flush()
    await _emit(session, events.EventType.PROFILE_ADDRESS_DELETED, profile, address, None)


# ------------------------------------------------------------------ helpers


def _parse(document: Mapping[str, object], *, partial: bool) -> AddressInput:
    """The document parsed as an organization's address, less what only those have (module
    rules)."""
    changes = parse_address(document, partial=partial)
    problems = Problems()
    for flag, given in (
        ("isDefaultBillingAddress", changes.default_billing),
        ("isDefaultShippingAddress", changes.default_shipping),
    ):
        if given is not None:
            problems.add(
                Codes.INVALID_INPUT, "a profile's address has no default flags", f"address.{flag}"
            )
    if changes.type_ids is not None:
        problems.add(Codes.INVALID_INPUT, "a profile's address has no types", "address.types")
    problems.raise_if_any()
    return changes


async def _locked_profile(session: AsyncSession, profile_id: str, field: str) -> models.Profile:
    """The profile, its row locked until the transaction ends (22002: none)."""
    profile = await people_reads.profile(session, profile_id, lock=True)
    if profile is None:
        raise OrgqlError(
            PeopleCodes.PROFILE_NOT_FOUND,
            f"Profile {quoted(profile_id)} does not exist",
            field,
            ErrorKind.NOT_FOUND,
        )
    return profile


async def _authorize(session: AsyncSession, principal: Principal, profile_id: str) -> None:
    """Return if the caller may manage the profile's addresses, else raise FORBIDDEN
    (module rules): a shopper's accounts, then their standing in all of them at once."""
    if principal.is_admin:
        return
    subject = principal.subject if principal.is_shopper else None
    if subject is not None and subject == profile_id:
        # The profile's row first, as the mutation locks it (FOR UPDATE): the standing's
        # FOR SHARE of it then changes nothing, where taking the shared lock first would have
        # two concurrent changes of one's addresses each wait for the other's (a deadlock).
        await people_reads.profile(session, subject, lock=True)
        accounts = await people_reads.memberships(session, [subject])
        found = await permissions.standings(
            session, subject, sorted(accounts.get(subject, ())), lock=True
        )
        wanted = permissions.Permission.MANAGE_OWN_ADDRESSES
        if any(wanted in standing.permissions for standing in found.values()):
            return
    raise OrgqlError(
        permissions.FORBIDDEN,
        "Managing your addresses needs the profileAddressManager role in an active account"
        " you are a member of",
        None,
        ErrorKind.FORBIDDEN,
    )


async def _authorize_own(session: AsyncSession, principal: Principal) -> None:
    """A shopper changes their own profile's addresses only (:func:`_locked` finds no other)."""
    if not principal.is_admin:
        await _authorize(session, principal, principal.subject or "")


async def _locked(
    session: AsyncSession, principal: Principal, address_id: str
) -> tuple[models.Profile, models.Address]:
    """The profile (locked) and its address named ``address_id``, which the caller may
    manage (:func:`_authorize_own` first); 190101 for an id that names no address of a
    profile the caller may read."""
    address = None
    if is_storable_text(address_id) and len(address_id) <= 40:
        address = await session.get(models.Address, address_id)
    if address is None or address.profile_id is None or not may_read(principal, address.profile_id):
        raise not_found(address_id)
    profile = await _locked_profile(session, address.profile_id, "id")
    # Read again under the profile's lock: a write that committed meanwhile is seen.
    address = await session.get(models.Address, address_id, populate_existing=True)
    if address is None or address.profile_id != profile.id:
        raise not_found(address_id)
    return profile, address


async def _check_nickname(
    session: AsyncSession, profile_id: str, current: models.Address | None, nickname: str
) -> None:
    """The nickname of the profile's address ``current`` (None: a new one): seen whole and
    free in the profile (core.addresses.nicknames; 100002)."""
    problems = Problems()
    await check_nickname(session, "profile", profile_id, current, nickname, problems)
    problems.raise_if_any()


async def _flush(session: AsyncSession, nickname: str | None) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        if "uq_addresses_profile_type" in str(exc.orig):  # a concurrent write took it
            raise nickname_taken("profile", nickname or "") from None
        raise


async def _emit(
    session: AsyncSession,
    kind: events.EventType,
    profile: models.Profile,
    address: models.Address,
    changed: list[str] | None,
) -> None:
    data: dict[str, object] = {"profileId": profile.id, "addressId": address.id}
    if changed is not None:
        data["changed"] = changed
    await events.emit_many(session, [events.Event(kind, profile.parent_organization_id, data)])
