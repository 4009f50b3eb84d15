"""One vocabulary of webhook delivery statuses (core/events/delivery_status.py), and every
form agrees: the database's CHECK as Alembic left it, the ORM's, the core's filter and the
GraphQL enum."""

from __future__ import annotations

from sqlalchemy import CheckConstraint
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.types.enum import StrawberryEnumDefinition

from database_checks import check_values
from orgql.core.events import webhooks
from orgql.core.events.delivery_status import DeliveryStatus
from orgql.db import (
    event_models,  # noqa: F401 (the table's metadata)
    models,
)
from orgql.graphql.schema import default_schema

CHECK = "ck_webhook_deliveries_status"
EVERY = [status.value for status in DeliveryStatus]


async def test_the_migrated_database_checks_exactly_the_statuses(engine: AsyncEngine) -> None:
    assert await check_values(engine, CHECK) == EVERY


def test_the_orm_and_the_core_use_the_statuses() -> None:
    table = models.Base.metadata.tables["webhook_deliveries"]
    (check,) = (c for c in table.constraints if c.name == CHECK)
    assert isinstance(check, CheckConstraint)
    assert str(check.sqltext) == "status IN ('pending', 'delivered', 'failed')"
    assert list(webhooks.DELIVERY_STATUSES) == EVERY


def test_the_graphql_enum_is_the_core_vocabulary() -> None:
    enum = default_schema().get_type_by_name("WebhookDeliveryStatus")
    assert isinstance(enum, StrawberryEnumDefinition)
    assert enum.wrapped_cls is DeliveryStatus
    assert {value.name: value.value for value in enum.values} == {
        "PENDING": "pending",
        "DELIVERED": "delivered",
        "FAILED": "failed",
    }
