"""The built-in financial source: the gateway's own ``financial_source_*`` tables, so that
the embedded demo syncs without any upstream (selected when no upstream URL is set)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgql.core.common import addresses as address_fields
from orgql.core.financial.source import (
    FinancialSourceError,
    SourceAccount,
    SourceAddress,
    SourceSite,
    SyncBounds,
)
from orgql.db import financial_models
from orgql.observability.database import expected_failure, log_failure

logger = logging.getLogger("orgql.financial")


class BuiltinFinancialSource:
    """Reads in a session of its own, as an upstream would answer: what it returns does not
    depend on the sync's transaction. The sync holds no connection while it asks
    (core.financial.sync), so this read takes the one connection the sync has then."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], bounds: SyncBounds) -> None:
        self._sessionmaker = sessionmaker
        self._bounds = bounds

    async def customer_accounts(
        self, party_id: str, business_unit_id: int | None
    ) -> Sequence[SourceAccount]:
        account, site = (
            financial_models.FinancialSourceAccount,
            financial_models.FinancialSourceSite,
        )
        statement = (
            select(account, site)
            .outerjoin(site, site.account_id == account.account_id)
            .where(account.party_id == party_id)
            .order_by(account.account_id, site.site_id)
            # A row per site, or per account without one: more rows than both bounds together
            # pass one of them, and no more of them are read.
            .limit(self._bounds.accounts + self._bounds.addresses + 1)
        )
        if business_unit_id is not None:
            statement = statement.where(account.business_unit_id == business_unit_id)
        try:
            async with self._sessionmaker() as session:
                rows = (await session.execute(statement)).all()
        except SQLAlchemyError as exc:
            if expected_failure(exc) is not None:
                # The gateway's own database unavailable (no connection free, say): the
                # transports answer that (503, Retry-After), not as the source failing.
                raise
            log_failure(logger, exc, "reading the built-in financial source failed")
            raise FinancialSourceError("the built-in financial source could not be read") from None
        accounts: dict[str, tuple[financial_models.FinancialSourceAccount, list[SourceSite]]] = {}
        for account_row, site_row in rows:
            _, sites = accounts.setdefault(account_row.account_id, (account_row, []))
            if site_row is not None:
                sites.append(_site(site_row))
        self._bounds.check(len(accounts), sum(len(sites) for _, sites in accounts.values()))
        return [
            SourceAccount(
                account_id=row.account_id,
                account_number=row.account_number,
                account_name=row.account_name,
                business_unit_id=row.business_unit_id,
                sites=tuple(sites),
            )
            for row, sites in accounts.values()
        ]


def _site(row: financial_models.FinancialSourceSite) -> SourceSite:
    return SourceSite(
        site_id=row.site_id,
        address=SourceAddress(
            row.external_address_id,
            **{column: getattr(row, column) for column in address_fields.POSTAL_COLUMNS},
        ),
        bill_to=row.bill_to,
        ship_to=row.ship_to,
        primary_bill_to=row.primary_bill_to,
        primary_ship_to=row.primary_ship_to,
    )
