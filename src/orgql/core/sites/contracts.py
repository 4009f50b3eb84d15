"""Contracts: the catalog and price list group an account buys with, on one site.

A contract belongs to the (organization, site) whose properties reference it; a new contract
is written for each change, so what an account bought under stays readable."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes
from orgql.core.common.ids import next_ids
from orgql.core.common.validation import Problems, join
from orgql.core.organizations import repository
from orgql.core.organizations.site_input import NewContract
from orgql.db import models


async def check_references(
    session: AsyncSession, contracts: Sequence[tuple[str, NewContract]], problems: Problems
) -> None:
    """The catalog (100064) and price list group (20187) of each ``(path, contract)`` must
    exist; two statements for any number of contracts."""
    if not contracts:
        return
    catalogs = await repository.existing_ids(
        session, models.Catalog.id, [c.catalog_id for _, c in contracts]
    )
    groups = await repository.existing_ids(
        session, models.PriceListGroup.id, [c.price_list_group_id for _, c in contracts]
    )
    for path, contract in contracts:
        if contract.catalog_id not in catalogs:
            problems.add(
                Codes.CATALOG_INVALID,
                f"Unknown catalog {contract.catalog_id!r}",
                join(path, "catalogId"),
            )
        if contract.price_list_group_id not in groups:
            problems.add(
                Codes.PRICE_LIST_GROUP_INVALID,
                f"Unknown price list group {contract.price_list_group_id!r}",
                join(path, "priceListGroupId"),
            )


async def insert(session: AsyncSession, contract: NewContract) -> str:
    """Write ``contract`` (and its terms); returns the new contract's id."""
    contract_id, terms_id = await next_ids(session, 2)
    if contract.terms is not None:
        session.add(models.ContractTerms(id=terms_id, terms=contract.terms))
        await session.flush()  # no ORM relationships: the terms row must exist first
    session.add(
        models.Contract(
            id=contract_id,
            display_name=contract.display_name,
            description=contract.description,
            catalog_id=contract.catalog_id,
            price_list_group_id=contract.price_list_group_id,
            start_date=contract.start_date,
            end_date=contract.end_date,
            external_contract_reference=contract.external_contract_reference,
            terms_id=terms_id if contract.terms is not None else None,
        )
    )
    await session.flush()
    return contract_id
