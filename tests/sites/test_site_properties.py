"""updateSiteOrganizationProperties through the service: the rules of
``spec/updateSiteOrganizationProperties.txt`` and DOMAIN.md ("Site properties update"), and
reading own and effective (inherited) values per site.

The demo hierarchy is "Sample" 100001 (siteUS contract 100010) → "Sample East" 100002 →
"Sample East Purchasing" 100003; sites siteUS, site1 and site2 are B2B.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

import pytest
from sqlalchemy import func, select
from sqlalchemy import update as update_rows
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from database_checks import backend_pid, wait_until_blocked_on_a_lock
from orgql.core.access.principals import SYSTEM
from orgql.core.common.errors import ErrorDetail, ErrorKind, OrgqlError
from orgql.core.inheritance.rules import Inherited
from orgql.core.reference.data import import_reference_data, parse_reference_data
from orgql.core.sites import service as site_properties
from orgql.core.sites.approvals import Actor, ActorKind
from orgql.core.sites.service import SiteResult
from orgql.core.sites.views import SiteValues, site_values
from orgql.db import history_models, models
from orgql.db.engine import make_sessionmaker

ROOT, EAST, PURCHASING = "100001", "100002", "100003"
DELEGATED_ADMIN = Actor(ActorKind.DELEGATED_ADMIN, profile_id="110000")

Update = Callable[..., Awaitable[list[SiteResult]]]


class StatementCounter(Protocol):
    @property
    def count(self) -> int: ...

    def reset(self) -> None: ...


def entry(site_id: str, **properties: Any) -> dict[str, Any]:
    return {"site": {"id": site_id}, "properties": properties}


def contract(display_name: str, **changes: Any) -> dict[str, Any]:
    return {
        "displayName": display_name,
        "catalogId": "cloudCatalog",
        "priceListGroupId": "defaultPriceGroup",
        **changes,
    }


@pytest.fixture
def update(session: AsyncSession) -> Update:
    """Parse ``entries`` and apply them to ``organization_id`` (flushed, not committed)."""

    async def apply(
        organization_id: str,
        *entries: Mapping[str, Any],
        actor: Actor = site_properties.MERCHANT_ADMIN,
    ) -> list[SiteResult]:
        updates = site_properties.parse_site_updates(list(entries))
        return await site_properties.update(
            session, organization_id, updates, principal=SYSTEM, actor=actor
        )

    return apply


async def refused(work: Awaitable[object]) -> OrgqlError:
    with pytest.raises(OrgqlError) as caught:
        await work
    return caught.value


def parse_problems(entries: object) -> list[ErrorDetail]:
    with pytest.raises(OrgqlError) as caught:
        site_properties.parse_site_updates(entries)
    assert caught.value.kind is ErrorKind.INVALID
    return caught.value.details


async def values_on(session: AsyncSession, organization_id: str, site_id: str) -> SiteValues:
    """The effective values of one site (which must have some)."""
    found = await site_values(session, organization_id, inherited=True)
    (only,) = [v for v in found if v.site.id == site_id]
    return only


async def grant_approver(session: AsyncSession, organization_id: str, profile_id: str) -> None:
    """Give the profile the organization's approver role (the profile_roles table)."""
    role_id = await session.scalar(
        select(models.RelativeRole.id).where(
            models.RelativeRole.organization_id == organization_id,
            models.RelativeRole.function == "approver",
        )
    )
    assert role_id is not None
    session.add(models.ProfileRole(profile_id=profile_id, role_id=role_id))
    await session.flush()


async def add_profile(session: AsyncSession, profile_id: str, *, active: bool) -> None:
    session.add(models.Profile(id=profile_id, email=f"{profile_id}@example.com", active=active))
    await session.flush()


# ---------------------------------------------------------------- setting and echoing


async def test_set_values_are_returned_with_their_site_and_contract(update: Update) -> None:
    (result,) = await update(
        EAST,
        entry(
            "site2",
            approvalRequired=False,
            orderPriceLimit=1500.5,
            useExternalApprovalWebhook=True,
            contract=contract("East Site 2", contract_terms={"terms": "Net 60"}),
        ),
    )

    assert (result.site.id, result.site.name, result.site.enabled) == ("site2", "Site 2", False)
    assert result.properties is not None
    assert (
        result.properties.approval_required,
        result.properties.order_price_limit,
        result.properties.use_external_approval_webhook,
        result.properties.delegate_approval_management,
    ) == (False, Decimal("1500.5"), True, None)
    assert result.contract is not None
    assert result.properties.contract_id == result.contract.id
    assert (result.contract.display_name, result.contract.terms) == ("East Site 2", "Net 60")


async def test_removal_entries_are_not_echoed(update: Update) -> None:
    results = await update(
        EAST,
        entry("site1", op="remove", contract=None),
        entry("site2", approvalRequired=False),
    )

    assert [r.site.id for r in results] == ["site2"]


async def test_a_key_left_out_keeps_its_value(session: AsyncSession, update: Update) -> None:
    await update(EAST, entry("site1", orderPriceLimit=100, approvalRequired=False))
    await update(EAST, entry("site1", useExternalApprovalWebhook=True))

    (own,) = await site_values(session, EAST)
    assert (own.value("order_price_limit"), own.value("approval_required")) == (
        Decimal("100"),
        False,
    )
    assert own.value("use_external_approval_webhook") is True


async def test_a_replaced_contract_is_the_new_one(session: AsyncSession, update: Update) -> None:
    await update(EAST, entry("site1", contract=contract("First")))
    await update(EAST, entry("site1", contract=contract("Second")))

    (own,) = await site_values(session, EAST)
    assert own.contract is not None
    assert own.contract.display_name == "Second"


async def test_order_price_limit_is_returned_as_it_is_stored(
    session: AsyncSession, update: Update
) -> None:
    """Four decimals, as the column holds them; more are refused, no longer rounded
    (tests/sites/test_site_properties_rest.py)."""
    (result,) = await update(EAST, entry("site1", orderPriceLimit=12.3456))
    returned = result.value("order_price_limit")

    session.expire_all()
    (stored,) = await site_values(session, EAST)
    assert returned == stored.value("order_price_limit") == Decimal("12.3456")


async def test_booleans_sent_as_strings_are_accepted(update: Update) -> None:
    (result,) = await update(EAST, entry("site1", useExternalApprovalWebhook="true"))

    assert result.properties is not None
    assert result.properties.use_external_approval_webhook is True


# ---------------------------------------------------------------- inheritance


async def test_site_override_on_the_middle_hides_the_roots_value_on_that_site_only(
    session: AsyncSession, update: Update
) -> None:
    await update(
        ROOT,
        entry("site1", contract=contract("Root Site 1"), orderPriceLimit=1000),
        entry("site2", contract=contract("Root Site 2"), orderPriceLimit=2000),
    )
    await update(EAST, entry("site1", contract=contract("East Site 1"), orderPriceLimit=500))

    site1 = await values_on(session, PURCHASING, "site1")
    site2 = await values_on(session, PURCHASING, "site2")
    assert site1.contract is not None
    assert site2.contract is not None
    assert (site1.contract.display_name, site1.values["contract_id"].source_id) == (
        "East Site 1",
        EAST,
    )
    assert site1.values["order_price_limit"] == Inherited(Decimal("500"), EAST)
    assert (site2.contract.display_name, site2.values["contract_id"].source_id) == (
        "Root Site 2",
        ROOT,
    )
    assert site2.values["order_price_limit"] == Inherited(Decimal("2000"), ROOT)


async def test_each_value_comes_from_its_nearest_setter_independently(
    session: AsyncSession, update: Update
) -> None:
    await update(ROOT, entry("site1", orderPriceLimit=1000, useExternalApprovalWebhook=True))
    await update(EAST, entry("site1", useExternalApprovalWebhook=False))

    values = (await values_on(session, PURCHASING, "site1")).values
    assert values["order_price_limit"] == Inherited(Decimal("1000"), ROOT)
    assert values["use_external_approval_webhook"] == Inherited(False, EAST)
    assert values["approval_required"] == Inherited(None, None)


async def test_effective_values_list_the_sites_set_on_the_organization_or_an_ancestor(
    session: AsyncSession, update: Update
) -> None:
    await update(EAST, entry("site2", orderPriceLimit=10))

    found = await site_values(session, PURCHASING, inherited=True)

    assert [v.site.id for v in found] == ["site2", "siteUS"]
    assert found[1].contract is not None
    assert (found[1].contract.id, found[1].values["contract_id"].source_id) == ("100010", ROOT)


async def test_own_values_list_only_the_sites_the_organization_sets(
    session: AsyncSession, update: Update
) -> None:
    await update(EAST, entry("site2", orderPriceLimit=10))

    found = await site_values(session, EAST)

    assert [v.site.id for v in found] == ["site2"]
    assert found[0].values["order_price_limit"] == Inherited(Decimal("10"), EAST)


async def test_reading_effective_values_costs_the_same_statements_at_any_depth(
    session: AsyncSession, update: Update, statement_counter: StatementCounter
) -> None:
    await update(ROOT, entry("site1", contract=contract("Root Site 1")))
    await update(EAST, entry("site2", contract=contract("East Site 2")))
    await session.flush()

    statement_counter.reset()
    at_root = await site_values(session, ROOT, inherited=True)
    root_statements = statement_counter.count
    statement_counter.reset()
    at_depth_3 = await site_values(session, PURCHASING, inherited=True)

    assert [len(at_root), len(at_depth_3)] == [2, 3]
    # One: the path, the chain's site rows with their contracts, the sites.
    assert statement_counter.count == root_statements == 1


async def test_remove_restores_the_inherited_value(session: AsyncSession, update: Update) -> None:
    await update(ROOT, entry("site1", contract=contract("Root Site 1")))
    await update(EAST, entry("site1", contract=contract("East Site 1"), orderPriceLimit=5))

    await update(EAST, entry("site1", op="remove", contract=None))

    values = await values_on(session, EAST, "site1")
    assert values.contract is not None
    assert (values.contract.display_name, values.values["contract_id"].source_id) == (
        "Root Site 1",
        ROOT,
    )
    assert values.values["order_price_limit"] == Inherited(Decimal("5"), EAST)


async def test_remove_with_nothing_to_inherit_leaves_null(
    session: AsyncSession, update: Update
) -> None:
    await update(EAST, entry("site1", contract=contract("East Site 1"), orderPriceLimit=5))

    await update(EAST, entry("site1", op="remove", contract={}, orderPriceLimit=7))

    assert await site_values(session, EAST) == []
    assert [v.site.id for v in await site_values(session, EAST, inherited=True)] == ["siteUS"]


async def test_removing_the_last_own_value_deletes_the_sites_row(
    session: AsyncSession, update: Update
) -> None:
    await update(EAST, entry("site1", orderPriceLimit=5))
    await update(EAST, entry("site1", op="remove", orderPriceLimit=None))

    rows = await session.scalars(
        select(models.SiteOrganizationProperties).where(
            models.SiteOrganizationProperties.organization_id == EAST
        )
    )
    assert list(rows) == []


async def test_null_contract_clears_the_own_contract_so_it_inherits(
    session: AsyncSession, update: Update
) -> None:
    await update(ROOT, entry("site1", contract=contract("Root Site 1")))
    await update(EAST, entry("site1", contract=contract("East Site 1")))

    await update(EAST, entry("site1", contract=None))

    values = await values_on(session, EAST, "site1")
    assert values.values["contract_id"].source_id == ROOT


# ---------------------------------------------------------------- 100108, 100109


async def test_unknown_organization_is_100108_not_found(update: Update) -> None:
    error = await refused(update("999999", entry("site1", orderPriceLimit=1)))

    assert (error.code, error.field, error.kind) == ("100108", "id", ErrorKind.NOT_FOUND)


async def test_organization_id_holding_a_nul_character_is_100108(update: Update) -> None:
    error = await refused(update("1\x00", entry("site1", orderPriceLimit=1)))

    assert (error.code, error.kind) == ("100108", ErrorKind.NOT_FOUND)


async def test_reading_an_unknown_organization_is_100108(session: AsyncSession) -> None:
    error = await refused(site_values(session, "999999", inherited=True))

    assert (error.code, error.kind) == ("100108", ErrorKind.NOT_FOUND)


async def test_unknown_site_is_100109(update: Update) -> None:
    error = await refused(update(EAST, entry("site1"), entry("nowhere", orderPriceLimit=1)))

    assert [(d.code, d.message, d.field) for d in error.details] == [
        ("100109", "Site 'nowhere' does not exist", "siteOrganizationProperties[1].site.id")
    ]


async def test_non_b2b_site_is_100109(session: AsyncSession, update: Update) -> None:
    consumer = {"sites": [{"id": "siteB2C", "name": "Consumer Store", "b2b": False}]}
    await import_reference_data(session, parse_reference_data(consumer))

    error = await refused(update(EAST, entry("siteB2C", orderPriceLimit=1)))

    assert [(d.code, d.message, d.field) for d in error.details] == [
        ("100109", "Site 'siteB2C' is not a B2B site", "siteOrganizationProperties[0].site.id")
    ]


async def test_removal_on_an_unknown_site_is_reported_at_the_entrys_site(
    update: Update,
) -> None:
    error = await refused(update(EAST, entry("nowhere", op="remove", contract=None)))

    assert [(d.code, d.field) for d in error.details] == [
        ("100109", "siteOrganizationProperties[0].site.id")
    ]


# ---------------------------------------------------------------- contract codes


async def test_unknown_catalog_is_100064(update: Update) -> None:
    error = await refused(update(EAST, entry("site1", contract=contract("C", catalogId="nope"))))

    assert [(d.code, d.field) for d in error.details] == [
        ("100064", "siteOrganizationProperties[0].properties.contract.catalogId")
    ]


async def test_unknown_price_list_group_is_20187(update: Update) -> None:
    error = await refused(
        update(EAST, entry("site1", contract=contract("C", priceListGroupId="nope")))
    )

    assert [(d.code, d.field) for d in error.details] == [
        ("20187", "siteOrganizationProperties[0].properties.contract.priceListGroupId")
    ]


@pytest.mark.parametrize(
    ("changes", "code", "key"),
    [
        ({"catalogId": None}, "100073", "catalogId"),
        ({"catalogId": "  "}, "100073", "catalogId"),
        ({"priceListGroupId": None}, "100074", "priceListGroupId"),
        ({"externalContractReference": " padded "}, "100075", "externalContractReference"),
        ({"externalContractReference": 42}, "100075", "externalContractReference"),
        ({"catalogId": 7}, "100064", "catalogId"),
        ({"displayName": None}, "100110", "displayName"),
        ({"startDate": "yesterday"}, "100110", "startDate"),
        ({"description": "x" * 1001}, "00004", "description"),
    ],
)
def test_contract_problem_has_its_code(changes: dict[str, Any], code: str, key: str) -> None:
    problems = parse_problems([entry("site1", contract=contract("C", **changes))])

    assert [(d.code, d.field) for d in problems] == [
        (code, f"siteOrganizationProperties[0].properties.contract.{key}")
    ]


# ---------------------------------------------------------------- 100110


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([], "siteOrganizationProperties"),
        ({"site": {"id": "site1"}}, "siteOrganizationProperties"),
        (["site1"], "siteOrganizationProperties[0]"),
        ([{"properties": {}}], "siteOrganizationProperties[0].site.id"),
        ([{"site": "site1", "properties": {}}], "siteOrganizationProperties[0].site.id"),
        ([{"site": {"id": 1}, "properties": {}}], "siteOrganizationProperties[0].site.id"),
        ([{"site": {"id": "site1"}}], "siteOrganizationProperties[0].properties"),
        ([{"site": {"id": "site1"}, "properties": []}], "siteOrganizationProperties[0].properties"),
        ([{**entry("site1"), "extra": 1}], "siteOrganizationProperties[0].extra"),
        ([entry("site1"), entry("site1")], "siteOrganizationProperties[1].site.id"),
        (
            [entry("site1", approvalRequired="yes")],
            "siteOrganizationProperties[0].properties.approvalRequired",
        ),
        (
            [entry("site1", delegateApprovalManagement=1)],
            "siteOrganizationProperties[0].properties.delegateApprovalManagement",
        ),
        (
            [entry("site1", useExternalApprovalWebhook=[])],
            "siteOrganizationProperties[0].properties.useExternalApprovalWebhook",
        ),
        (
            [entry("site1", orderPriceLimit="lots")],
            "siteOrganizationProperties[0].properties.orderPriceLimit",
        ),
        (
            [entry("site1", orderPriceLimit=-1)],
            "siteOrganizationProperties[0].properties.orderPriceLimit",
        ),
        (
            [entry("site1", orderPriceLimit=True)],
            "siteOrganizationProperties[0].properties.orderPriceLimit",
        ),
        (
            [entry("site1", orderPriceLimit=1e300)],
            "siteOrganizationProperties[0].properties.orderPriceLimit",
        ),
        ([entry("site1", contract="c1")], "siteOrganizationProperties[0].properties.contract"),
        ([entry("site1", priceLimit=5)], "siteOrganizationProperties[0].properties.priceLimit"),
        (
            [entry("site1", op="delete", contract=None)],
            "siteOrganizationProperties[0].properties.op",
        ),
        ([entry("site1", op="remove")], "siteOrganizationProperties[0].properties"),
    ],
    ids=[
        "empty list",
        "not a list",
        "entry not an object",
        "no site",
        "site not an object",
        "site id not a string",
        "no properties",
        "properties not an object",
        "unknown entry key",
        "site listed twice",
        "approvalRequired not a boolean",
        "delegateApprovalManagement not a boolean",
        "useExternalApprovalWebhook not a boolean",
        "orderPriceLimit not a number",
        "orderPriceLimit negative",
        "orderPriceLimit a boolean",
        "orderPriceLimit too large",
        "contract not an object",
        "unknown property key",
        "op other than remove",
        "op remove without keys",
    ],
)
def test_malformed_entries_are_100110(entries: object, field: str) -> None:
    assert [(d.code, d.field) for d in parse_problems(entries)] == [("100110", field)]


def test_every_malformed_entry_is_reported_at_once() -> None:
    problems = parse_problems(
        [entry("site1", approvalRequired="maybe"), entry("site2", op="undo", contract=None)]
    )

    assert [d.field for d in problems] == [
        "siteOrganizationProperties[0].properties.approvalRequired",
        "siteOrganizationProperties[1].properties.op",
    ]


def test_request_body_with_an_unknown_key_is_100110() -> None:
    with pytest.raises(OrgqlError) as caught:
        site_properties.parse_request({"siteOrganizationProperties": [entry("site1")], "x": 1})

    assert (caught.value.code, caught.value.field) == ("100110", "x")


def test_request_body_without_the_list_is_100110() -> None:
    with pytest.raises(OrgqlError) as caught:
        site_properties.parse_request({})

    assert (caught.value.code, caught.value.field) == ("100110", "siteOrganizationProperties")


# ---------------------------------------------------------------- 100083: active approver


async def test_enabling_approval_without_an_approver_is_100083(update: Update) -> None:
    error = await refused(update(EAST, entry("site1", approvalRequired=True)))

    assert [(d.code, d.field) for d in error.details] == [
        ("100083", "siteOrganizationProperties[0].properties.approvalRequired")
    ]


async def test_enabling_approval_succeeds_once_a_profile_holds_the_approver_role(
    session: AsyncSession, update: Update
) -> None:
    await grant_approver(session, EAST, "110000")

    (result,) = await update(EAST, entry("site1", approvalRequired=True))

    assert result.properties is not None
    assert result.properties.approval_required is True


async def test_an_inactive_approver_does_not_count(session: AsyncSession, update: Update) -> None:
    await add_profile(session, "119999", active=False)
    await grant_approver(session, EAST, "119999")

    error = await refused(update(EAST, entry("site1", approvalRequired=True)))

    assert error.code == "100083"


async def test_an_approver_of_another_organization_does_not_count(
    session: AsyncSession, update: Update
) -> None:
    await grant_approver(session, ROOT, "110000")

    error = await refused(update(EAST, entry("site1", approvalRequired=True)))

    assert error.code == "100083"


async def test_keeping_approval_enabled_needs_no_approver(
    session: AsyncSession, update: Update
) -> None:
    await session.execute(
        update_rows(models.SiteOrganizationProperties)
        .where(models.SiteOrganizationProperties.organization_id == ROOT)
        .values(approval_required=True)
    )

    (result,) = await update(ROOT, entry("siteUS", approvalRequired=True, orderPriceLimit=9))

    assert result.properties is not None
    assert result.properties.order_price_limit == Decimal("9")


# ---------------------------------------------------------------- 100086: merchant admin


@pytest.mark.parametrize(
    "change",
    [{"approvalRequired": False}, {"orderPriceLimit": 100}, {"useExternalApprovalWebhook": True}],
    ids=["approval", "limit", "webhook"],
)
async def test_merchant_admin_may_not_change_approval_settings_under_delegation(
    update: Update, change: dict[str, Any]
) -> None:
    await update(EAST, entry("site1", delegateApprovalManagement=True))

    error = await refused(update(EAST, entry("site1", **change)))

    assert [(d.code, d.field) for d in error.details] == [
        ("100086", "siteOrganizationProperties[0].properties")
    ]


@pytest.mark.parametrize(
    "setting",
    [{"orderPriceLimit": 5}, {"useExternalApprovalWebhook": True}],
    ids=["limit", "webhook"],
)
async def test_merchant_admin_may_not_remove_approval_settings_under_delegation(
    update: Update, setting: dict[str, Any]
) -> None:
    await update(EAST, entry("site1", **setting))
    await update(EAST, entry("site1", delegateApprovalManagement=True))

    removal = dict.fromkeys(setting)
    error = await refused(update(EAST, entry("site1", op="remove", **removal)))

    assert [(d.code, d.field) for d in error.details] == [
        ("100086", "siteOrganizationProperties[0].properties")
    ]


async def test_delegation_inherited_from_the_parent_binds_the_merchant_admin(
    update: Update,
) -> None:
    await update(EAST, entry("site1", delegateApprovalManagement=True))

    error = await refused(update(PURCHASING, entry("site1", orderPriceLimit=100)))

    assert error.code == "100086"


async def test_delegation_on_another_site_does_not_bind_the_merchant_admin(
    update: Update,
) -> None:
    await update(EAST, entry("site2", delegateApprovalManagement=True))

    (result,) = await update(EAST, entry("site1", orderPriceLimit=100))

    assert result.site.id == "site1"


async def test_merchant_admin_may_change_the_contract_under_delegation(
    update: Update,
) -> None:
    await update(EAST, entry("site1", delegateApprovalManagement=True))

    (result,) = await update(EAST, entry("site1", contract=contract("C")))

    assert result.contract is not None


async def test_merchant_admin_may_end_delegation_and_change_approval_at_once(
    update: Update,
) -> None:
    await update(EAST, entry("site1", delegateApprovalManagement=True))

    (result,) = await update(
        EAST, entry("site1", delegateApprovalManagement=False, orderPriceLimit=100)
    )

    assert result.properties is not None
    assert result.properties.order_price_limit == Decimal("100")


# ---------------------------------------------------------------- 100082: delegated admin


async def test_delegated_admin_without_delegation_is_100082(update: Update) -> None:
    error = await refused(update(EAST, entry("site1", orderPriceLimit=100), actor=DELEGATED_ADMIN))

    assert [(d.code, d.field) for d in error.details] == [
        ("100082", "siteOrganizationProperties[0].properties")
    ]


async def test_delegated_admin_may_change_approval_settings_under_delegation(
    update: Update,
) -> None:
    await update(ROOT, entry("site1", delegateApprovalManagement=True))

    (result,) = await update(
        EAST, entry("site1", orderPriceLimit=100, approvalRequired=False), actor=DELEGATED_ADMIN
    )

    assert result.properties is not None
    assert result.properties.order_price_limit == Decimal("100")


async def test_delegated_admin_may_not_change_the_delegation_itself(update: Update) -> None:
    await update(EAST, entry("site1", delegateApprovalManagement=True))

    error = await refused(
        update(EAST, entry("site1", delegateApprovalManagement=False), actor=DELEGATED_ADMIN)
    )

    assert error.code == "100082"


# ---------------------------------------------------------------- all or nothing


async def test_every_rule_broken_by_a_list_is_reported_at_once(update: Update) -> None:
    await update(EAST, entry("site2", delegateApprovalManagement=True))

    error = await refused(
        update(
            EAST,
            entry("site1", approvalRequired=True),
            entry("site2", orderPriceLimit=5),
            entry("nowhere", orderPriceLimit=5),
        )
    )

    # Site and reference checks come first; the approval rules need existing sites.
    assert [d.code for d in error.details] == ["100109"]


async def test_approval_rules_of_every_entry_are_reported_at_once(update: Update) -> None:
    await update(EAST, entry("site2", delegateApprovalManagement=True))

    error = await refused(
        update(EAST, entry("site1", approvalRequired=True), entry("site2", orderPriceLimit=5))
    )

    assert [(d.code, d.field) for d in error.details] == [
        ("100083", "siteOrganizationProperties[0].properties.approvalRequired"),
        ("100086", "siteOrganizationProperties[1].properties"),
    ]


async def test_a_refused_list_writes_nothing_before_failing(
    session: AsyncSession, update: Update
) -> None:
    contracts = select(func.count()).select_from(models.Contract)
    before = await session.scalar(contracts)

    await refused(
        update(
            EAST,
            entry("site1", contract=contract("Good")),
            entry("site2", contract=contract("Bad", catalogId="nope")),
        )
    )

    assert await session.scalar(contracts) == before
    assert await site_values(session, EAST) == []


# ---------------------------------------------------------------- concurrency


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


async def one_after_the_other(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    first_entries: list[dict[str, Any]],
    second_entries: list[dict[str, Any]],
) -> list[object]:
    """Two updates of "Sample East" in their own transactions: the second starts while the
    first has written but not committed, and is seen waiting before the first commits."""
    first_flushed = asyncio.Event()
    async with sessions() as first, sessions() as second:
        second_pid = await backend_pid(second)

        async def first_writer() -> None:
            await site_properties.update(
                first, EAST, site_properties.parse_site_updates(first_entries), principal=SYSTEM
            )
            first_flushed.set()
            await wait_until_blocked_on_a_lock(engine, second_pid)
            await first.commit()

        async def second_writer() -> None:
            await first_flushed.wait()
            updates = site_properties.parse_site_updates(second_entries)
            try:
                await site_properties.update(second, EAST, updates, principal=SYSTEM)
            except OrgqlError:
                await second.rollback()
                raise
            await second.commit()

        return await asyncio.gather(first_writer(), second_writer(), return_exceptions=True)


async def test_concurrent_updates_of_one_organization_both_apply(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    outcomes = await one_after_the_other(
        engine,
        sessions,
        [entry("site1", orderPriceLimit=500)],
        [entry("site1", useExternalApprovalWebhook=True, contract=contract("Second"))],
    )

    assert outcomes == [None, None]
    async with sessions() as reader:
        (own,) = await site_values(reader, EAST)
    assert (own.value("order_price_limit"), own.value("use_external_approval_webhook")) == (
        Decimal("500"),
        True,
    )
    assert own.contract is not None
    assert own.contract.display_name == "Second"


async def test_a_concurrent_update_is_checked_against_the_committed_delegation(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    outcomes = await one_after_the_other(
        engine,
        sessions,
        [entry("site1", delegateApprovalManagement=True)],
        [entry("site1", orderPriceLimit=100)],
    )

    assert outcomes[0] is None
    assert isinstance(outcomes[1], OrgqlError)
    assert outcomes[1].code == "100086"


async def test_a_value_sent_again_unchanged_keeps_the_version_and_records_nothing(
    session: AsyncSession, update: Update
) -> None:
    await update(EAST, entry("site2", orderPriceLimit=10))
    east = await session.get(models.Organization, EAST)
    assert east is not None
    version = east.version
    history = select(func.count()).select_from(history_models.OrganizationHistory)
    recorded = await session.scalar(history)

    await update(EAST, entry("site2", orderPriceLimit="10.00"))
    await update(EAST, entry("site1", op="remove", orderPriceLimit=None))

    assert east.version == version
    assert await session.scalar(history) == recorded
    await update(EAST, entry("site2", orderPriceLimit=11))
    assert east.version == version + 1
