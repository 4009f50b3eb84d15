"""``viewer``: the signed-in shopper's profile, accounts, roles and registration requests."""
