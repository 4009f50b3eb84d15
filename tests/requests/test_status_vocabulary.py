"""One vocabulary of request statuses (core/requests/statuses.py), and every form of it agrees:
the database's CHECK as Alembic left it, the ORM's, the GraphQL enum and the OpenAPI
document's enums."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, DefaultClause
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.types.enum import StrawberryEnumDefinition

from database_checks import check_values
from orgql.core.requests.statuses import FINAL_STATUSES, OPEN_STATUSES, RequestStatus
from orgql.db import models
from orgql.graphql.schema import default_schema
from orgql.rest.routes import openapi_json

STATUS_CHECK = "ck_organization_requests_status_known"


def test_open_and_final_statuses_split_the_vocabulary() -> None:
    assert sorted(OPEN_STATUSES + FINAL_STATUSES) == sorted(RequestStatus)
    assert not set(OPEN_STATUSES) & set(FINAL_STATUSES)


async def test_the_migrated_database_checks_exactly_the_statuses(engine: AsyncEngine) -> None:
    assert await check_values(engine, STATUS_CHECK) == [status.value for status in RequestStatus]


def test_the_orm_declares_the_check_from_the_statuses() -> None:
    table = models.Base.metadata.tables["organization_requests"]
    (check,) = (c for c in table.constraints if c.name == STATUS_CHECK)
    assert isinstance(check, CheckConstraint)
    assert str(check.sqltext) == "status IN ('review', 'moreInfoNeeded', 'approved', 'rejected')"
    default = table.c.status.server_default
    assert isinstance(default, DefaultClause)
    assert str(default.arg) == "'review'" == f"'{RequestStatus.REVIEW.value}'"


def test_the_graphql_enum_is_the_core_vocabulary() -> None:
    enum = default_schema().get_type_by_name("OrganizationRequestStatus")
    assert isinstance(enum, StrawberryEnumDefinition)
    assert enum.wrapped_cls is RequestStatus
    values = {value.name: value.value for value in enum.values}
    assert values == {
        "REVIEW": "review",
        "MORE_INFO_NEEDED": "moreInfoNeeded",
        "APPROVED": "approved",
        "REJECTED": "rejected",
    }
    assert values == {status.name: status.value for status in RequestStatus}


def test_the_openapi_enums_are_the_statuses() -> None:
    document: Any = openapi_json()
    schemas = document["components"]["schemas"]
    listed = document["paths"]["/ccadmin/v1/organizationRequests"]["get"]["parameters"]
    (status_parameter,) = (p for p in listed if p["name"] == "status")

    every = [status.value for status in RequestStatus]
    assert schemas["OrganizationRequest"]["properties"]["status"] == {"enum": every}
    assert status_parameter["schema"] == {"enum": every}
    assert schemas["UpdateOrganizationRequest"]["properties"]["status"] == {
        "enum": [status.value for status in OPEN_STATUSES]
    }
