"""Batch reads of synced financial data: each function takes many keys, costs one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.ids import distinct_keys
from orgql.db import financial_models, models


@dataclass(frozen=True)
class AccountAddress:
    """A synced address of a customer account, with what the account uses it for."""

    link: financial_models.CustomerAccountAddress
    address: models.Address


async def customer_accounts_by_organization(
    session: AsyncSession, organization_ids: Iterable[str]
) -> dict[str, list[financial_models.CustomerAccount]]:
    """Each organization's synced customer accounts, in the order the sync created them."""
    keys = distinct_keys(organization_ids)
    result: dict[str, list[financial_models.CustomerAccount]] = defaultdict(list)
    if keys:
        account = financial_models.CustomerAccount
        rows = await session.scalars(
            select(account)
            .where(account.organization_id.in_(keys))
            # Ids come from one sequence: numeric order is creation order.
            .order_by(account.organization_id, func.length(account.id), account.id)
        )
        for row in rows:
            result[row.organization_id].append(row)
    return result


async def addresses_by_customer_account(
    session: AsyncSession, account_ids: Iterable[str]
) -> dict[str, list[AccountAddress]]:
    """Each account's addresses with their uses, in creation order."""
    keys = distinct_keys(account_ids)
    result: dict[str, list[AccountAddress]] = defaultdict(list)
    if keys:
        link, address = financial_models.CustomerAccountAddress, models.Address
        rows = await session.execute(
            select(link, address)
            .join(address, address.id == link.address_id)
            .where(link.customer_account_id.in_(keys))
            .order_by(link.customer_account_id, func.length(address.id), address.id)
        )
        for link_row, address_row in rows:
            result[link_row.customer_account_id].append(AccountAddress(link_row, address_row))
    return result


async def billing_addresses_by_organization(
    session: AsyncSession, organization_ids: Iterable[str]
) -> dict[str, list[models.Address]]:
    """Each organization's synced addresses that some account bills to, in creation order."""
    keys = distinct_keys(organization_ids)
    result: dict[str, list[models.Address]] = defaultdict(list)
    if keys:
        link, address = financial_models.CustomerAccountAddress, models.Address
        billed = select(link.address_id).where(link.bill_to.is_(True))
        rows = await session.scalars(
            select(address)
            .where(address.organization_id.in_(keys), address.id.in_(billed))
            .order_by(address.organization_id, func.length(address.id), address.id)
        )
        for row in rows:
            assert row.organization_id is not None
            result[row.organization_id].append(row)
    return result


async def customer_accounts_by_id(
    session: AsyncSession, ids: Iterable[str]
) -> dict[str, financial_models.CustomerAccount]:
    """Customer accounts by their ids (a refetch by global id), one statement."""
    keys = distinct_keys(ids)
    if not keys:
        return {}
    account = financial_models.CustomerAccount
    rows = await session.scalars(select(account).where(account.id.in_(keys)))
    return {row.id: row for row in rows}
