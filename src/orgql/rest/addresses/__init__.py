"""``/ccadmin/v1/organizations/{id}/secondaryAddresses``: the vendor's address operations."""
