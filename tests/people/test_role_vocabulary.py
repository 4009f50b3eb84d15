"""One vocabulary of relative role functions (core/people/roles.py): the database's
CHECK as Alembic left it and the ORM's hold exactly its values, and a new organization owns
one role of each."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from database_checks import check_values
from orgql.core.people.roles import ROLE_FUNCTIONS, RoleFunction
from orgql.db import models

FUNCTION_CHECK = "ck_relative_roles_function_known"


def test_the_functions_are_the_five_occ_roles_in_creation_order() -> None:
    assert [function.value for function in ROLE_FUNCTIONS] == [
        "admin",
        "buyer",
        "approver",
        "accountAddressManager",
        "profileAddressManager",
    ]


async def test_the_migrated_database_checks_exactly_the_functions(engine: AsyncEngine) -> None:
    assert await check_values(engine, FUNCTION_CHECK) == [f.value for f in RoleFunction]


def test_the_orm_declares_the_check_from_the_functions() -> None:
    table = models.Base.metadata.tables["relative_roles"]
    (check,) = (c for c in table.constraints if c.name == FUNCTION_CHECK)
    assert isinstance(check, CheckConstraint)
    assert str(check.sqltext) == (
        "function IN ('admin', 'buyer', 'approver', 'accountAddressManager',"
        " 'profileAddressManager')"
    )


async def test_every_demo_organization_owns_one_role_of_each_function(
    session: AsyncSession,
) -> None:
    rows = (await session.execute(select(models.RelativeRole))).scalars().all()
    by_organization: dict[str, list[str]] = {}
    for row in rows:
        by_organization.setdefault(row.organization_id, []).append(row.function)
    assert by_organization
    for functions in by_organization.values():
        assert sorted(functions) == sorted(RoleFunction)
