"""SQL plans keep the answer budget (graphql.execution.answer_budget): lists they answer
whole (members, addresses, site values) may outgrow what the cost counted, and an answer of
more fields than ORGQL_GRAPHQL_MAX_COST is the compiled plan's, which stops it with
ANSWER_TOO_LARGE as the resolvers do; up to the limit, the SQL plan answers it. The
reference is the same app without SQL plans (tests/graphql/test_sql_plans.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from test_sql_plans import _answer
from test_sql_plans_shoppers import SHOPPER

from graphql_client import GraphQL
from orgql.app import create_app
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution import page_sql
from orgql.settings import Settings

#: The limit of these apps: small, so that a few hundred members outgrow it.
LIMIT = 200

MEMBERS = "query($id: ID!) { organization(id: $id) { repositoryId members { email } } }"
PAGE = """
query($after: String) {
  organizations(first: 1, after: $after) {
    edges { node { repositoryId members { email } } }
  }
}
"""


async def _app(settings: Settings, engine: AsyncEngine, sql_plans: bool) -> Starlette:
    update = {"graphql_max_cost": LIMIT, "graphql_sql_plans": sql_plans}
    return create_app(settings.model_copy(update=update), engine=engine)


@pytest.fixture
async def apps(settings: Settings, engine: AsyncEngine) -> AsyncIterator[list[Starlette]]:
    """The app with SQL plans and its reference, both answering at most LIMIT fields."""
    started = []
    mine = await _app(settings, engine, sql_plans=True)
    theirs = await _app(settings, engine, sql_plans=False)
    async with (
        mine.router.lifespan_context(mine) as mine_state,
        theirs.router.lifespan_context(theirs) as theirs_state,
    ):
        for app, state in ((mine, mine_state), (theirs, theirs_state)):
            app.state.lifespan = state
            started.append(app)
        yield started


async def _members(session: AsyncSession, organization_id: str, count: int) -> None:
    """``count`` more members of the organization (an active profile each)."""
    await session.execute(
        text(
            "INSERT INTO profiles (id, email, receive_email, active)"
            " SELECT :o || '-p' || g, :o || '-p' || g || '@budget.test', false, true"
            " FROM generate_series(1, :n) g"
        ),
        {"o": organization_id, "n": count},
    )
    await session.execute(
        text(
            "INSERT INTO organization_members (organization_id, profile_id)"
            " SELECT CAST(:o AS varchar), :o || '-p' || g FROM generate_series(1, :n) g"
        ),
        {"o": organization_id, "n": count},
    )
    await session.commit()


async def test_an_answer_past_the_budget_is_refused_as_the_resolvers_refuse_it(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    apps: list[Starlette],
    engine: AsyncEngine,
    session: AsyncSession,
    identity_provider: Any,
) -> None:
    compiled.clear_cache()
    async with client_for(app, app_state, token="admin") as admin:
        graphql = GraphQL(admin)
        # organization(id): the root, the organization's two fields and a member's one:
        # LIMIT fields with LIMIT - 3 members (the shopper one of them), one more too many.
        # The page: the connection's field and the edge's besides.
        ids = [
            await graphql.create_organization(f"Budget {number}", members=[SHOPPER])
            for number in range(4)
        ]
    for organization_id, members in zip(ids, (3, 2, 5, 4), strict=True):
        await _members(session, organization_id, LIMIT - members - 1)
    mine, theirs = apps
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    cases = [
        (MEMBERS, {"id": ids[0]}, True),
        (MEMBERS, {"id": ids[1]}, False),
        (PAGE, {"after": _before(ids[2])}, True),
        (PAGE, {"after": _before(ids[3])}, False),
    ]
    for token in ("admin", identity_provider.token(SHOPPER)):
        async with (
            client_for(mine, mine.state.lifespan, token=token) as ours,
            client_for(theirs, theirs.state.lifespan, token=token) as reference,
        ):
            for document, variables, answered in cases:
                statements.clear()
                event.listen(engine.sync_engine, "before_cursor_execute", count)
                try:
                    answer = await _answer(ours, document, variables)
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", count)
                assert answer == await _answer(reference, document, variables), variables
                status, body = answer
                codes = [
                    value
                    for error in dict(body).get("errors", [])
                    for key, value in dict(dict(error)["extensions"]).items()
                    if key == "code"
                ]
                assert (status, codes) == (200, [] if answered else ["ANSWER_TOO_LARGE"])
                # Answered by the SQL plan in one statement, or by the compiled plan after it.
                assert statements[0].startswith(page_sql.MARK)
                assert (len(statements) == 1) is answered, [s[:60] for s in statements]


def _before(organization_id: str) -> str:
    """The cursor of the id just before ``organization_id`` (a page starting at it)."""
    from orgql.graphql import cursors

    return cursors.organization_cursor(str(int(organization_id) - 1))
