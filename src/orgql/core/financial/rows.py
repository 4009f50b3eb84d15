"""A sync's new rows: the plan's accounts, addresses and links, written by the database.

One ``INSERT ... SELECT ... FROM json_to_recordset(:rows)`` per table, its rows sent as one
JSON text written in a worker thread: the event loop only hands the text to the driver.
(An ``INSERT`` of one parameter set per row had the ORM process each row's parameters
between two awaits: 10,000 addresses held the loop some 100 ms; an array per column, the
driver's encoding of the arrays some 40 ms; docs/financial-sync.md "Bounds".) The ids are
reserved first (core.common.ids), in the plan's order, so the links are known before
anything is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Insert,
    String,
    Text,
    bindparam,
    cast,
    column,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from orgql.core.common.addresses import SYNCED_SOURCE
from orgql.core.common.ids import next_ids
from orgql.core.financial.plan import ADDRESS_KEYS, SyncPlan
from orgql.db import financial_models, models

#: Each table's columns that the rows give, in the JSON rows' keys.
ACCOUNT_COLUMNS = (
    "id",
    "external_account_id",
    "account_number",
    "account_name",
    "business_unit_id",
)
ADDRESS_COLUMNS = ("id", "address_type", "external_address_id", *ADDRESS_KEYS)
LINK_COLUMNS = (
    "customer_account_id",
    "address_id",
    "external_site_id",
    "bill_to",
    "ship_to",
    "primary_bill_to",
    "primary_ship_to",
)


@dataclass(frozen=True)
class Rows:
    """The plan's rows with their ids: each table's as a JSON array of objects."""

    account_ids: list[str]
    #: External address id -> the id of its address.
    address_ids: dict[str, str]
    accounts: str
    addresses: str
    links: str


def rows_of(plan: SyncPlan, ids: Sequence[str]) -> Rows:
    """The rows of ``plan``, the accounts' then the addresses' ids taken from ``ids`` in
    order (pure computation: run in a worker thread)."""
    account_ids = list(ids[: len(plan.accounts)])
    address_ids = dict(
        zip((a.external_id for a in plan.addresses), ids[len(plan.accounts) :], strict=True)
    )
    accounts = [
        {
            "id": account_id,
            "external_account_id": account.account_id,
            "account_number": account.account_number,
            "account_name": account.account_name,
            "business_unit_id": account.business_unit_id,
        }
        for account_id, account in zip(account_ids, plan.accounts, strict=True)
    ]
    addresses = [
        {
            "id": address_ids[planned.external_id],
            # A synced address is nicknamed by its external id (core.financial.plan).
            "address_type": planned.external_id,
            "external_address_id": planned.external_id,
            **planned.values,
        }
        for planned in plan.addresses
    ]
    links = [
        {
            "customer_account_id": account_ids[link.account_index],
            "address_id": address_ids[link.external_address_id],
            "external_site_id": link.site_id,
            "bill_to": link.bill_to,
            "ship_to": link.ship_to,
            "primary_bill_to": link.primary_bill_to,
            "primary_ship_to": link.primary_ship_to,
        }
        for link in plan.links
    ]
    return Rows(account_ids, address_ids, _json(accounts), _json(addresses), _json(links))


async def insert_plan(
    session: AsyncSession, organization_id: str, plan: SyncPlan
) -> tuple[list[str], dict[str, str]]:
    """Insert the plan's accounts, addresses and links (one statement each): the accounts'
    ids in the plan's order, and each address's id by its external id."""
    ids = await next_ids(session, len(plan.accounts) + len(plan.addresses))
    rows = await asyncio.to_thread(rows_of, plan, ids)
    owner = {"organization_id": organization_id, "source": SYNCED_SOURCE}
    for model, columns, constants, text, given in (
        (financial_models.CustomerAccount, ACCOUNT_COLUMNS, owner, rows.accounts, plan.accounts),
        (models.Address, ADDRESS_COLUMNS, owner, rows.addresses, plan.addresses),
        (financial_models.CustomerAccountAddress, LINK_COLUMNS, {}, rows.links, plan.links),
    ):
        if given:
            await session.execute(json_insert(model, columns, constants, text))
    return rows.account_ids, rows.address_ids


def json_insert(
    model: type[models.Base], columns: Sequence[str], constants: Mapping[str, object], rows: str
) -> Insert:
    """``INSERT INTO <model's table> (columns..., constants...) SELECT ... FROM
    json_to_recordset(:rows)``: a row for each object of the JSON array ``rows``, each
    column its key's value (absent: null), and each constant. A column left out takes its
    default, as in any INSERT."""
    table = model.__table__
    incoming = (
        func.json_to_recordset(cast(bindparam("rows", rows, type_=Text), JSON))
        .table_valued(*(column(name, _element(table.c[name].type)) for name in columns))
        .render_derived("incoming", with_types=True)
    )
    return insert(model).from_select(
        [*columns, *constants],
        select(
            *(incoming.c[name] for name in columns),
            *(literal(value, _element(table.c[name].type)) for name, value in constants.items()),
        ),
    )


def _json(rows: Sequence[Mapping[str, object]]) -> str:
    return orjson.dumps(rows).decode()


def _element(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    """A string column's values are read as text, whatever its length (read as varchar(n),
    a longer value would be cut short; the column refuses it, as any INSERT's)."""
    return Text() if isinstance(kind, String) else kind
