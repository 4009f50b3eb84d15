"""The per-site inherited values that the REST shapes carry besides the vendor's keys.

The site-property keys of the vendor (contract, approvalRequired, orderPriceLimit,
delegateApprovalManagement, useExternalApprovalWebhook) are written in the ``TypedDict``
shapes, with the exact types of the vendor's pages. Any other site-scope value of the
declaration (``core/inheritance/fields.py``) is added here to the schemas of the bodies that
carry site values, its JSON type from its wire kind, so that adding one to the declaration
needs no edit of the REST shim: the site-properties read and update, createOrganization and
updateOrganization all accept and answer it (``tests/rest/test_openapi.py`` holds each body to
the keys the core accepts).
"""

from collections.abc import Iterable

from orgql.core.inheritance.fields import SITE_FIELDS, InheritedField, Wire
from orgql.rest.json_schema import FurtherKeys
from orgql.rest.organizations.shapes import CreateOrganization
from orgql.rest.organizations.update_shapes import UpdateOrganization
from orgql.rest.sites.shapes import SiteProperties, SitePropertiesInput

#: The JSON type of a value of each wire kind the core reads from a site-properties document
#: (``core/organizations/site_input.read_site_value``); null clears it, and is answered when
#: the value is not set. A contract has its own shapes.
_TYPES: dict[Wire, object] = {Wire.FLAG: bool | None, Wire.DECIMAL: float | None}


def further_keys(
    shape: type, *, required: bool, fields: Iterable[InheritedField] = SITE_FIELDS
) -> FurtherKeys:
    """The declared site values that ``shape`` does not write itself, in declaration order."""
    written = shape.__annotations__
    types: dict[str, object] = {}
    for inherited in fields:
        if inherited.own in written:
            continue
        if inherited.wire not in _TYPES:
            raise TypeError(f"{inherited.own}: no REST type for a {inherited.wire} site value")
        types[inherited.own] = _TYPES[inherited.wire]
    return FurtherKeys(types, required=required)


#: Each body with site values -> the declared ones it does not write.
FURTHER_KEYS: dict[type, FurtherKeys] = {
    SiteProperties: further_keys(SiteProperties, required=True),
    SitePropertiesInput: further_keys(SitePropertiesInput, required=False),
    CreateOrganization: further_keys(CreateOrganization, required=False),
    UpdateOrganization: further_keys(UpdateOrganization, required=False),
}

#: The keys of one site's values as answered: the vendor's, in its sample's order, then the
#: declared others.
SITE_PROPERTY_KEYS: tuple[str, ...] = (
    *SiteProperties.__annotations__,
    *FURTHER_KEYS[SiteProperties].types,
)
