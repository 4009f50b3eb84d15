"""syncFinancialData: handler and JSON shapes."""
