"""Descendant pages and counts (core.organizations.descendants) and the effective per-site value
filter (core.inheritance.effective_filter), read straight from the repository."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from effective_tree import K1, K2, Tree, build_tree
from orgql.core.common.errors import OrgqlError
from orgql.core.common.paging import UNREADABLE
from orgql.core.inheritance.effective_filter import EffectiveSiteFilter
from orgql.core.organizations import descendants, repository
from orgql.core.organizations.repository import OrganizationFilter
from orgql.core.sites import views as site_property_views
from orgql.db import models


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await build_tree(session)


async def _page(
    session: AsyncSession,
    ancestor: str,
    where: OrganizationFilter | None = None,
    *,
    limit: int = 100,
    after_id: str | None = None,
) -> repository.OrganizationPage:
    pages = await descendants.descendant_pages(
        session, [ancestor], where or OrganizationFilter(), limit=limit, after_id=after_id
    )
    return pages[ancestor]


def _ids(page: repository.OrganizationPage) -> list[str]:
    return [row.id for row in page.items]


async def _matching(session: AsyncSession, where: OrganizationFilter) -> list[str]:
    page = await repository.organization_page(session, where, limit=100)
    return [row.id for row in page.items]


async def test_descendants_at_every_depth_come_in_id_order(
    session: AsyncSession, tree: Tree
) -> None:
    page = await _page(session, tree.a)

    assert _ids(page) == [tree.b, tree.c, tree.d, tree.e, tree.f]
    assert page.has_next is False


async def test_an_organization_is_not_its_own_descendant_and_a_leaf_has_none(
    session: AsyncSession, tree: Tree
) -> None:
    assert _ids(await _page(session, tree.e)) == []
    assert _ids(await _page(session, "100001")) == ["100002", "100003"]


async def test_keyset_pages_continue_after_the_last_id(session: AsyncSession, tree: Tree) -> None:
    first = await _page(session, tree.a, limit=2)
    second = await _page(session, tree.a, limit=2, after_id=first.items[-1].id)
    third = await _page(session, tree.a, limit=2, after_id=second.items[-1].id)

    assert (_ids(first), first.has_next) == ([tree.b, tree.c], True)
    assert (_ids(second), second.has_next) == ([tree.d, tree.e], True)
    assert (_ids(third), third.has_next) == ([tree.f], False)


async def test_max_depth_counts_levels_below_the_ancestor(
    session: AsyncSession, tree: Tree
) -> None:
    assert _ids(await _page(session, tree.a, OrganizationFilter(max_depth=1))) == [tree.b, tree.f]
    assert _ids(await _page(session, tree.b, OrganizationFilter(max_depth=2))) == [tree.c, tree.d]


async def test_pages_of_several_ancestors_come_from_one_call(
    session: AsyncSession, tree: Tree
) -> None:
    pages = await descendants.descendant_pages(
        session, [tree.a, tree.c, tree.g, "100001"], OrganizationFilter(), limit=1, after_id=None
    )

    assert {key: (_ids(page), page.has_next) for key, page in pages.items()} == {
        tree.a: ([tree.b], True),
        tree.c: ([tree.d], True),
        tree.g: ([tree.h], False),
        "100001": (["100002"], True),
    }


async def test_counts_apply_the_filter_per_ancestor(session: AsyncSession, tree: Tree) -> None:
    counts = await descendants.descendant_counts(
        session, [tree.a, tree.g, tree.e], OrganizationFilter(active=True)
    )

    assert counts == {tree.a: 4, tree.g: 1, tree.e: 0}


async def test_descendant_filter_combines_name_type_and_active(
    session: AsyncSession, tree: Tree
) -> None:
    assert _ids(await _page(session, tree.a, OrganizationFilter(active=False))) == [tree.f]
    assert _ids(await _page(session, tree.a, OrganizationFilter(type="division"))) == [tree.f]
    assert _ids(await _page(session, tree.a, OrganizationFilter(name_contains="tree d"))) == [
        tree.d
    ]


async def test_effective_contract_inherited_from_an_ancestor_or_overridden_by_a_child(
    session: AsyncSession, tree: Tree
) -> None:
    on_site2 = OrganizationFilter(effective=EffectiveSiteFilter("site2", contract_id=K1))

    # A sets K1 (own), B inherits it, C overrides with K2, F and H set K1 themselves.
    assert await _matching(session, on_site2) == [tree.a, tree.b, tree.f, tree.h]
    k2 = OrganizationFilter(effective=EffectiveSiteFilter("site2", contract_id=K2))
    # D sets a row on site2 without a contract: it still inherits C's.
    assert await _matching(session, k2) == [tree.c, tree.d, tree.e]


async def test_no_effective_contract_when_nothing_on_the_path_sets_one(
    session: AsyncSession, tree: Tree
) -> None:
    none = OrganizationFilter(effective=EffectiveSiteFilter("site2", has_contract=False))

    assert await _matching(session, none) == ["100001", "100002", "100003", tree.g]


async def test_effective_approval_matches_only_an_equal_value(
    session: AsyncSession, tree: Tree
) -> None:
    required = OrganizationFilter(effective=EffectiveSiteFilter("site2", approval_required=True))
    not_required = OrganizationFilter(
        effective=EffectiveSiteFilter("site2", approval_required=False)
    )

    assert await _matching(session, required) == [tree.a, tree.b, tree.c, tree.f]
    assert await _matching(session, not_required) == [tree.d, tree.e]


async def test_effective_filter_on_descendants(session: AsyncSession, tree: Tree) -> None:
    where = OrganizationFilter(effective=EffectiveSiteFilter("site2", contract_id=K1))

    assert _ids(await _page(session, tree.a, where)) == [tree.b, tree.f]


async def test_bad_page_requests_are_refused_with_100002(tree: Tree) -> None:
    with pytest.raises(OrgqlError) as refused:
        descendants.check_page(101, UNREADABLE, OrganizationFilter(max_depth=0))

    assert [(d.code, d.field) for d in refused.value.details] == [
        ("100002", "first"),
        ("100002", "after"),
        ("100002", "filter.maxDepth"),
    ]


@pytest.mark.parametrize("site_id", ["siteUS", "site1", "site2"])
async def test_the_filter_agrees_with_the_effective_values_of_every_organization(
    session: AsyncSession, tree: Tree, site_id: str
) -> None:
    """Over every organization: the SQL filter selects exactly those whose effective values
    (core.sites.views, the rule the resolvers and REST use) are the ones asked for."""
    ids = list(
        await session.scalars(select(models.Organization.id).order_by(models.Organization.id))
    )
    effective: dict[str, dict[str, object]] = {}
    for org_id in ids:
        by_site = {
            v.site.id: v
            for v in await site_property_views.site_values(session, org_id, inherited=True)
        }
        values = by_site.get(site_id)
        effective[org_id] = {
            column: values.value(column) if values else None
            for column in (
                "contract_id",
                "approval_required",
                "delegate_approval_management",
                "use_external_approval_webhook",
            )
        }
    contracts = {v["contract_id"] for v in effective.values()} - {None}
    cases: list[tuple[EffectiveSiteFilter, list[str]]] = [
        (
            EffectiveSiteFilter(site_id, contract_id=str(c)),
            [o for o in ids if effective[o]["contract_id"] == c],
        )
        for c in sorted(contracts, key=str)
    ]
    cases += [
        (
            EffectiveSiteFilter(site_id, has_contract=has),
            [o for o in ids if (effective[o]["contract_id"] is not None) is has],
        )
        for has in (True, False)
    ]
    cases += [
        (
            EffectiveSiteFilter(site_id, **{column: flag}),  # type: ignore[arg-type]
            [o for o in ids if effective[o][column] is flag],
        )
        for column in (
            "approval_required",
            "delegate_approval_management",
            "use_external_approval_webhook",
        )
        for flag in (True, False)
    ]

    for where, expected in cases:
        assert await _matching(session, OrganizationFilter(effective=where)) == expected, where
    assert contracts  # the comparison covered some contract on every site


async def test_effective_conditions_combine(session: AsyncSession, tree: Tree) -> None:
    both = EffectiveSiteFilter("site2", contract_id=K1, approval_required=True)
    # H has K1 but no approval setting on its path.
    assert await _matching(session, OrganizationFilter(effective=both)) == [
        tree.a,
        tree.b,
        tree.f,
    ]
    delegated = EffectiveSiteFilter("site2", has_contract=True, delegate_approval_management=True)
    assert await _matching(session, OrganizationFilter(effective=delegated)) == [tree.h]


async def test_a_contract_unknown_on_the_site_matches_nothing(
    session: AsyncSession, tree: Tree
) -> None:
    # K2 is F's own contract on siteUS only: site2 and site1 do not see it there.
    k2_us = OrganizationFilter(effective=EffectiveSiteFilter("siteUS", contract_id=K2))
    assert await _matching(session, k2_us) == [tree.f]
    nothing = OrganizationFilter(effective=EffectiveSiteFilter("site2", contract_id="999999"))
    assert await _matching(session, nothing) == []
