"""The OpenAPI document describes exactly what the REST shim serves; its generator; the
request shapes agree with the keys the core accepts.

No ``from __future__ import annotations``: the shapes below are read at runtime."""

from collections.abc import Collection
from typing import Annotated, Literal, NotRequired, TypedDict

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from orgql.core.financial import sync as financial_sync
from orgql.core.inheritance.fields import SITE_FIELDS, InheritedField, Scope, Wire
from orgql.core.organizations import address_input, site_input
from orgql.core.organizations import changes as organization_changes
from orgql.core.organizations import input as organization_input
from orgql.core.requests import draft as request_draft
from orgql.core.requests import input as request_input
from orgql.rest.financial import shapes as financial_shapes
from orgql.rest.json_schema import Components, FurtherKeys, Schema
from orgql.rest.organizations import shapes as organization_shapes
from orgql.rest.organizations import update_shapes
from orgql.rest.requests import shapes as request_shapes
from orgql.rest.sites import shapes as site_shapes
from orgql.rest.sites.declared_keys import FURTHER_KEYS, SITE_PROPERTY_KEYS, further_keys

OPENAPI = "/ccadmin/v1/openapi.json"


def _served(app: Starlette) -> set[tuple[str, str]]:
    """(path, method) of every route under the REST mounts; HEAD is implied by GET."""
    served: set[tuple[str, str]] = set()
    for mount in app.routes:
        if not isinstance(mount, Mount) or mount.path not in ("/ccadmin", "/ccstore"):
            continue
        for route in mount.routes:
            assert isinstance(route, Route)
            for method in route.methods or ():
                if method != "HEAD":
                    served.add((mount.path + route.path, method.lower()))
    return served


async def test_openapi_document_is_served_as_json(client: httpx.AsyncClient) -> None:
    response = await client.get(OPENAPI)

    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"


async def test_every_served_route_is_described_in_the_openapi_document(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    paths = (await client.get(OPENAPI)).json()["paths"]

    documented = {(path, method) for path, item in paths.items() for method in item}
    assert _served(app) == documented


async def test_every_schema_reference_in_the_openapi_document_resolves(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get(OPENAPI)).json()
    references: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            references.extend(v for k, v in node.items() if k == "$ref")
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    schemas = document["components"]["schemas"]
    assert references
    assert [
        ref for ref in references if ref.removeprefix("#/components/schemas/") not in schemas
    ] == []


class _Inner(TypedDict):
    """An inner shape."""

    id: str


class _Shape(TypedDict):
    text: str
    maybe: int | float | None
    kind: NotRequired[Literal["a", "b"] | None]
    inner: _Inner | None
    items: list[_Inner]
    stamp: Annotated[str | None, Schema(format="date-time")]


def test_the_generator_maps_every_typing_form_it_supports() -> None:
    components = Components()

    assert components.of(_Shape) == {"$ref": "#/components/schemas/_Shape"}
    assert components.schemas == {
        "_Shape": {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "maybe": {"type": ["number", "null"]},
                "kind": {"enum": ["a", "b", None]},
                "inner": {"oneOf": [{"$ref": "#/components/schemas/_Inner"}, {"type": "null"}]},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/_Inner"}},
                "stamp": {"type": ["string", "null"], "format": "date-time"},
            },
            "required": ["text", "maybe", "inner", "items", "stamp"],
            "additionalProperties": False,
        },
        "_Inner": {
            "type": "object",
            "description": "An inner shape.",
            "properties": {"id": {"type": "string"}},
            "required": ["id"],
            "additionalProperties": False,
        },
    }


def test_an_open_shape_allows_further_keys() -> None:
    components = Components(open_shapes=[_Inner])
    components.of(_Inner)

    assert components.schemas["_Inner"]["additionalProperties"] is True


@pytest.mark.parametrize(
    ("shape", "accepted"),
    [
        (organization_shapes.CreateOrganization, organization_input.KNOWN_KEYS),
        (
            update_shapes.UpdateOrganization,
            # members: taken by the shim to core/people (memberships.replace_members)
            organization_input.KNOWN_KEYS - set(organization_changes.NOT_UPDATABLE) | {"members"},
        ),
        (
            organization_shapes.AddressInput,
            {*address_input.ADDRESS_FIELDS, "isDefaultBillingAddress"}
            | {"isDefaultShippingAddress", "repositoryId"},
        ),
        (site_shapes.SitePropertiesInput, {*site_input.SITE_PROPERTY_KEYS, "op"}),
        (request_shapes.CreateOrganizationRequest, request_input.SUBMIT_KEYS),
        (request_shapes.UpdateOrganizationRequest, request_input.UPDATE_KEYS),
        (request_shapes.DraftOrganization, request_draft.DRAFT_KEYS),
        (financial_shapes.SyncFinancialDataRequest, financial_sync.REQUEST_KEYS),
    ],
)
def test_request_shapes_declare_the_keys_the_core_accepts(
    shape: type, accepted: Collection[str]
) -> None:
    components = Components(further_keys=FURTHER_KEYS)
    components.of(shape)

    assert set(components.schemas[shape.__name__]["properties"]) == set(accepted)


def test_further_keys_follow_the_shape_s_own() -> None:
    components = Components(further_keys={_Inner: FurtherKeys({"extra": bool | None}, True)})
    components.of(_Inner)

    schema = components.schemas["_Inner"]
    assert list(schema["properties"]) == ["id", "extra"]
    assert schema["properties"]["extra"] == {"type": ["boolean", "null"]}
    assert schema["required"] == ["id", "extra"]


def test_a_declared_site_value_is_in_every_body_with_site_values() -> None:
    """A per-site value the vendor's shapes do not write is added from its declaration."""
    punchout = InheritedField("punchout_enabled", Scope.SITE, "punchoutEnabled", "p", Wire.FLAG)
    limit = InheritedField("budget", Scope.SITE, "budget", "budget", Wire.DECIMAL)
    for shape, required in [
        (site_shapes.SiteProperties, True),
        (site_shapes.SitePropertiesInput, False),
        (organization_shapes.CreateOrganization, False),
        (update_shapes.UpdateOrganization, False),
    ]:
        further = further_keys(shape, required=required, fields=(*SITE_FIELDS, punchout, limit))
        components = Components(further_keys={shape: further})
        components.of(shape)

        schema = components.schemas[shape.__name__]
        assert list(schema["properties"])[-2:] == ["punchoutEnabled", "budget"]
        assert schema["properties"]["punchoutEnabled"] == {"type": ["boolean", "null"]}
        assert schema["properties"]["budget"] == {"type": ["number", "null"]}
        assert ("budget" in schema.get("required", ())) is required


def test_the_site_values_answered_are_the_declared_ones() -> None:
    assert set(SITE_PROPERTY_KEYS) == {f.own for f in SITE_FIELDS}
