"""Customer accounts, their addresses, and the syncFinancialData mutation."""
