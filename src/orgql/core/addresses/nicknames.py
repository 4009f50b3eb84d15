"""An address's nickname (``addressType``): one rule for an organization's addresses
(core.addresses.service) and a profile's (core.addresses.profile_addresses).

- Seen whole (core.common.characters): no invisible or control character, no combining mark
  first; the address's stored nickname sent back as it is is kept (a row stored before the
  rule takes every other change).
- Free in its owner: no other address of the organization (or the profile) has it, compared
  case-insensitively after trimming. The database's unique keys (``uq_addresses_org_type``,
  ``uq_addresses_profile_type``) decide a race; :func:`nickname_taken` words that refusal
  as this check does. Both sides are compared as those keys compare them, in PostgreSQL
  (``lower(btrim(...))``): Python's ``lower``/``strip`` disagree with it on some letters
  (a final sigma, a dotted capital I) and spaces, and the check would refuse a nickname the
  key accepts or miss one only the key then catches. :func:`database_keys` reads those keys
  of many nicknames at once (a financial sync's external ids, core.financial.plan).

Both problems are 100002 at ``addressType``, collected: a caller raises them with the rest of
its input's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import String, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.characters import check_seen
from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.validation import Problems
from orgql.db import models

#: Who holds an address: an organization or a profile (the database's one owner).
Owner = Literal["organization", "profile"]


async def check_nickname(
    session: AsyncSession,
    owner: Owner,
    owner_id: str,
    current: models.Address | None,
    nickname: str,
    problems: Problems,
) -> None:
    """Records why ``nickname`` may not name ``current`` (None: an address being added) of
    the ``owner`` ``owner_id`` (the module's rules) in ``problems``."""
    check_seen("addressType", nickname, current.address_type if current else None, problems)
    address = models.Address
    column = address.organization_id if owner == "organization" else address.profile_id
    taken = await session.scalar(
        select(address.id).where(
            column == owner_id,
            func.lower(func.btrim(address.address_type))
            == func.lower(func.btrim(literal(nickname, String))),
            address.id != (current.id if current is not None else ""),
        )
    )
    if taken is not None:
        problems.add(Codes.INVALID_INPUT, _taken_message(owner, nickname), "addressType")


async def database_keys(session: AsyncSession, nicknames: Iterable[str]) -> dict[str, str]:
    """Each nickname's key as the unique keys compare it (``lower(btrim(...))``, in PostgreSQL),
    in one statement (none without nicknames). The nicknames must be storable text
    (core.common.validation.is_storable_text)."""
    wanted = list(set(nicknames))
    if not wanted:
        return {}
    nickname = func.unnest(literal(wanted, ARRAY(String))).column_valued("nickname")
    rows = await session.execute(select(nickname, func.lower(func.btrim(nickname))))
    return dict(rows.all())  # a list: a Result has keys(), dict() would index it


def nickname_taken(owner: Owner, nickname: str) -> OrgqlError:
    """The refusal of a nickname another address of the owner holds (a race the unique key
    decided)."""
    return OrgqlError(Codes.INVALID_INPUT, _taken_message(owner, nickname), "addressType")


def _taken_message(owner: Owner, nickname: str) -> str:
    return f"the {owner} has an address with addressType {nickname!r} already"
