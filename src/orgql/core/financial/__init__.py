"""Financial data: customer (billing) accounts and their addresses, synced from the financial
system of record through a :class:`~orgql.core.financial.source.FinancialSource`."""
