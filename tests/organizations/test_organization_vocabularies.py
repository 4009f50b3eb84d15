"""One vocabulary of organization types and one of customer types
(core/organizations/vocabularies.py), and every form agrees: the database's CHECK as Alembic
left it, the ORM's, the createOrganization parser, the OpenAPI document's enums and the
GraphQL fields' descriptions (GraphQL takes and answers them as strings)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from sqlalchemy import CheckConstraint
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import check_values
from orgql.core.organizations import input as organization_input
from orgql.core.organizations.vocabularies import CustomerType, OrganizationType, spelled
from orgql.db import models
from orgql.graphql.schema import default_schema
from orgql.rest.routes import openapi_json

#: (vocabulary, column, OCC key, CHECK constraint)
VOCABULARIES = [
    (OrganizationType, "type", "type", "ck_organizations_type_known"),
    (CustomerType, "customer_type", "customerType", "ck_organizations_customer_type_known"),
]


@pytest.mark.parametrize(("vocabulary", "column", "key", "check"), VOCABULARIES)
async def test_the_migrated_database_checks_exactly_the_vocabulary(
    engine: AsyncEngine, vocabulary: type[StrEnum], column: str, key: str, check: str
) -> None:
    assert await check_values(engine, check) == [member.value for member in vocabulary]


@pytest.mark.parametrize(("vocabulary", "column", "key", "check"), VOCABULARIES)
def test_the_orm_and_the_parser_use_the_vocabulary(
    vocabulary: type[StrEnum], column: str, key: str, check: str
) -> None:
    table = models.Base.metadata.tables["organizations"]
    (constraint,) = (c for c in table.constraints if c.name == check)
    assert isinstance(constraint, CheckConstraint)
    values = ", ".join(f"'{member.value}'" for member in vocabulary)
    assert str(constraint.sqltext) == f"{column} IN ({values})"
    parsed = {
        "type": organization_input.ORGANIZATION_TYPES,
        "customer_type": organization_input.CUSTOMER_TYPES,
    }[column]
    assert list(parsed) == [member.value for member in vocabulary]


@pytest.mark.parametrize(("vocabulary", "column", "key", "check"), VOCABULARIES)
def test_the_openapi_enums_are_the_vocabulary(
    vocabulary: type[StrEnum], column: str, key: str, check: str
) -> None:
    schemas: Any = openapi_json()["components"]["schemas"]
    every = [member.value for member in vocabulary]
    assert schemas["CreateOrganization"]["properties"][key] == {"enum": every}
    assert schemas["UpdateOrganization"]["properties"][key] == {"enum": [*every, None]}


def test_the_graphql_fields_describe_the_vocabularies() -> None:
    organization = default_schema().get_type_by_name("Organization")
    assert organization is not None
    described = {
        field.python_name: field.description
        for field in organization.fields  # type: ignore[union-attr]
    }
    assert described["type"] == "none, company, division, department or group"
    assert described["customer_type"] == spelled(CustomerType)
