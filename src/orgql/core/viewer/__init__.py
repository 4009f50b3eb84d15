"""The signed-in shopper's own view: their profile, accounts, roles and requests."""
