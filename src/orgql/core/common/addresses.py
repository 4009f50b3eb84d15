"""The fields of a postal address, declared once: their columns (``addresses``), and from
them the OCC keys callers write (camelCase of the column).

Every other list of address fields derives from these (the core's address parsing, the
financial sync's plan and its source contract) or is held to them by
``tests/test_address_fields.py`` (the database models, the financial source's address,
the GraphQL types and inputs, the REST shapes), because those must stay typed classes and
keep their published order.
"""

from __future__ import annotations

from orgql.core.common.names import camel

#: The postal lines, in OCC order: what a financial source's address holds and a sync
#: writes.
POSTAL_COLUMNS = (
    "address1",
    "address2",
    "address3",
    "city",
    "state",
    "postal_code",
    "country",
    "county",
)

#: Every field of an address a caller writes: the contact around the postal lines.
ADDRESS_COLUMNS = ("company_name", "first_name", "last_name", *POSTAL_COLUMNS, "phone_number")

#: The fields an address of an organization must have (createOrganization, address updates):
#: the REST AddressInput shape's required keys.
REQUIRED_COLUMNS = (
    "address1",
    "city",
    "company_name",
    "country",
    "phone_number",
    "postal_code",
    "state",
)

#: Column -> OCC key.
POSTAL_KEYS = {column: camel(column) for column in POSTAL_COLUMNS}
ADDRESS_KEYS = {column: camel(column) for column in ADDRESS_COLUMNS}
#: The OCC keys of :data:`REQUIRED_COLUMNS`.
REQUIRED_KEYS = frozenset(ADDRESS_KEYS[column] for column in REQUIRED_COLUMNS)

#: ``addresses.source`` of the addresses a financial sync writes (and removes again on the
#: next sync, core.financial.sync), and ``customer_accounts.source`` of its accounts; every
#: other address is entered by hand (``manual``).
SYNCED_SOURCE = "financial"
