"""An error's path naming a dynamic property the operator defined is no caller's invention,
and a client matches it against the property's id: it is answered whole, REST's
``o:errorPath`` and a userError's ``field`` alike, even for the longest id reference data
allows (core.reference.data: 254 characters). Only keys the caller made up are cut short
(core.common.errors.FIELD_CHARACTERS; tests/rest/test_quoted_values.py)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL
from orgql.core.reference.data import DynamicPropertyItem
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from rest.builders import ORGANIZATIONS

_ID_COLUMN = models.DynamicPropertyDefinition.__table__.c.id.type
assert isinstance(_ID_COLUMN, String)
assert _ID_COLUMN.length is not None
#: The longest id a dynamic property may have (its column; reference data allows as many).
LONGEST_ID = _ID_COLUMN.length
#: A valid dynamic property id (reference data: ``^[A-Za-z_][A-Za-z0-9_]*$``) of that length.
DEFINED = "loyaltyProgramMembershipTier_" + "x" * (LONGEST_ID - 29)

CREATE = """mutation($values: JSON) {
  createOrganization(input: {name: "Tiers", dynamicProperties: $values}) {
    organization { id } userErrors { code field } } }"""


@pytest.fixture
async def defined(engine: AsyncEngine) -> str:
    """DEFINED, a number property, as reference data imports it."""
    DynamicPropertyItem.model_validate({"id": DEFINED, "type": "number"})
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(models.DynamicPropertyDefinition(id=DEFINED, data_type="number"))
    return DEFINED


async def test_a_defined_property_of_the_longest_id_is_named_whole_in_o_error_path(
    client: httpx.AsyncClient, defined: str
) -> None:
    assert len(defined) == 254

    response = await client.post(ORGANIZATIONS, json={"name": "Tiers", defined: "gold"})

    assert (response.status_code, response.json()["errorCode"]) == (400, "100002")
    assert response.json()["o:errorPath"] == defined


async def test_a_defined_property_of_the_longest_id_is_named_whole_in_a_user_error(
    graphql: GraphQL, defined: str
) -> None:
    answer = await graphql.data(CREATE, {"values": {defined: "gold"}})

    assert answer["createOrganization"] == {
        "organization": None,
        "userErrors": [{"code": "100002", "field": defined}],
    }
