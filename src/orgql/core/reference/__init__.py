"""Reference data (sites, catalogs, price list groups, methods, dynamic properties) and the
demo seed."""
