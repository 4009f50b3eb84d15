"""An organization's type and customer type (spec/createOrganization.txt): the one declaration
of each vocabulary. The database checks (``db/models.py``), the REST schemas and the GraphQL
fields' descriptions are derived from them, and
``tests/organizations/test_organization_vocabularies.py`` holds them to them. GraphQL answers
and takes them as strings (an enum would change its wire format)."""

from enum import StrEnum


class OrganizationType(StrEnum):
    NONE = "none"
    COMPANY = "company"
    DIVISION = "division"
    DEPARTMENT = "department"
    GROUP = "group"


class CustomerType(StrEnum):
    STANDARD = "Standard"
    PREFERRED = "Preferred"
    ENTERPRISE = "Enterprise"
    OEM = "OEM"
    DISTRIBUTOR = "Distributor"
    SUPPLIER = "Supplier"


def spelled(vocabulary: type[StrEnum]) -> str:
    """``none, company, division, department or group``: the values as a description says."""
    *most, last = (member.value for member in vocabulary)
    return f"{', '.join(most)} or {last}"
