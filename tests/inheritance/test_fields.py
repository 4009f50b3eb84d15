"""Each inherited field of the declaration (core/inheritance/fields.py) has its column, its
GraphQL fields and its REST keys, and nothing inherited is exposed that the declaration does
not list: adding an entry without its fields, or a field without its entry, fails here."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from graphql import GraphQLObjectType, GraphQLSchema

from orgql.core.inheritance import effects, fields
from orgql.core.inheritance.effective_filter import EffectiveSiteFilter
from orgql.core.inheritance.fields import ORGANIZATION_FIELDS, SITE_FIELDS, Scope
from orgql.db import models
from orgql.graphql.schema import default_schema
from orgql.rest.json_schema import Components
from orgql.rest.organizations import shapes as organization_shapes
from orgql.rest.sites import shapes as site_shapes
from orgql.rest.sites.declared_keys import FURTHER_KEYS

#: Organization fields named derived* that are not inherited fields of their own: the types
#: of the derived addresses follow the address.
DERIVED_EXTRAS = {"derivedBillingAddressType", "derivedShippingAddressType"}
#: The one site value the Organization type shows in effect (its own values are per site).
SITE_DERIVED = {f.name for f in SITE_FIELDS if f.name.startswith("derived")}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return default_schema()._schema


def _fields(schema: GraphQLSchema, name: str) -> set[str]:
    found = schema.get_type(name)
    assert found is not None, name
    return set(typing.cast(GraphQLObjectType, found).fields)


def _keys(shape: type) -> set[str]:
    """The keys of a REST shape's OpenAPI schema: its own, and any added from the declaration."""
    components = Components(further_keys=FURTHER_KEYS)
    components.of(shape)
    return set(components.schemas[shape.__name__]["properties"])


def test_names_are_unique_and_scopes_are_split() -> None:
    assert len({f.name for f in fields.FIELDS}) == len(fields.FIELDS)
    assert len({(f.scope, f.column) for f in fields.FIELDS}) == len(fields.FIELDS)
    assert fields.FIELDS == ORGANIZATION_FIELDS + SITE_FIELDS
    assert all(f.name == "derived" + f.own[0].upper() + f.own[1:] for f in ORGANIZATION_FIELDS)
    assert not any(f.filterable for f in ORGANIZATION_FIELDS)  # filters are per site


def test_every_column_exists() -> None:
    organization = set(models.Organization.__table__.columns.keys())
    site = set(models.SiteOrganizationProperties.__table__.columns.keys())
    for f in fields.FIELDS:
        assert f.column in (organization if f.scope is Scope.ORGANIZATION else site), f


def test_organization_fields_are_graphql_fields_and_rest_keys(schema: GraphQLSchema) -> None:
    graphql = _fields(schema, "Organization")
    rest = _keys(organization_shapes.Organization)
    declared = {f.name for f in ORGANIZATION_FIELDS}
    for exposed in (graphql, rest):
        assert {f.own for f in ORGANIZATION_FIELDS} <= exposed
        assert {name for name in exposed if name.startswith("derived")} == (
            declared | DERIVED_EXTRAS | SITE_DERIVED
        )


def test_site_fields_are_graphql_fields_and_rest_keys(schema: GraphQLSchema) -> None:
    own = {f.own for f in SITE_FIELDS}
    assert _fields(schema, "SiteOrganizationProperties") == own | {"site", "inheritedFrom"}
    assert _fields(schema, "SitePropertiesInput") == own | {"op"}
    assert _keys(site_shapes.SiteProperties) == own
    assert _keys(site_shapes.SitePropertiesInput) == own | {"op"}


def test_every_value_says_where_it_came_from(schema: GraphQLSchema) -> None:
    assert _fields(schema, "DerivedValueSources") == {f.source for f in ORGANIZATION_FIELDS}
    assert _fields(schema, "SitePropertySources") == {f.source for f in SITE_FIELDS}
    organization = typing.cast(GraphQLObjectType, schema.get_type("Organization"))
    assert str(organization.fields["inheritedFrom"].type) == "DerivedValueSources!"


def test_the_filterable_fields_are_the_filters_conditions(schema: GraphQLSchema) -> None:
    filterable = {f.column for f in SITE_FIELDS if f.filterable}
    core = {field.name for field in dataclasses.fields(EffectiveSiteFilter)}
    assert core - {"site_id", "has_contract"} == filterable
    graphql = _fields(schema, "EffectiveSitePropertiesFilter")
    by_column = {f.column: f.own for f in SITE_FIELDS}
    expected = {by_column[c] + ("Id" if c == "contract_id" else "") for c in filterable}
    assert graphql - {"site", "hasContract"} == expected


def test_effects_name_the_declared_fields() -> None:
    assert list(effects.DERIVED_FIELDS.values()) == [f.name for f in ORGANIZATION_FIELDS]
    assert list(effects.SITE_FIELDS.values()) == [f.name for f in SITE_FIELDS]
