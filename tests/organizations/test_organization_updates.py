"""updateOrganization through the service: partial updates, clearing to inherit, moves,
deactivation, versions and dry runs (README "Changing accounts")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.core.common.errors import Codes, ErrorKind, OrgqlError
from orgql.core.inheritance import effects
from orgql.core.inheritance.effects import ValueChange
from orgql.core.organizations import service as organizations
from orgql.core.organizations import updates as organization_updates
from orgql.core.organizations.changes import parse_changes
from orgql.core.organizations.input import parse_new_organization
from orgql.db import models


async def create(session: AsyncSession, document: Mapping[str, Any]) -> models.Organization:
    return await organizations.create(session, parse_new_organization(document))


async def change(
    session: AsyncSession, organization_id: str, document: Mapping[str, Any], **options: Any
) -> organization_updates.UpdateResult:
    known = {k: v for k, v in document.items() if k != "dynamic"}
    return await organization_updates.update(
        session, organization_id, parse_changes(known, document.get("dynamic")), **options
    )


async def row(session: AsyncSession, organization_id: str) -> models.Organization:
    found = await session.scalar(
        select(models.Organization)
        .where(models.Organization.id == organization_id)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def derived(session: AsyncSession, organization_id: str) -> Mapping[str, object]:
    return (await effects.snapshot_subtree(session, organization_id))[organization_id].derived


async def test_partial_update_changes_only_the_given_values(session: AsyncSession) -> None:
    await change(session, "100003", {"description": "Buys paper", "customerType": "OEM"})
    updated = await row(session, "100003")
    assert (updated.description, updated.customer_type) == ("Buys paper", "OEM")
    assert (updated.name, updated.type, updated.tax_reference_number) == (
        "Sample East Purchasing",
        "department",
        "EAST-TAX-1",
    )


async def test_clearing_a_value_makes_the_subtree_inherit_it_again(session: AsyncSession) -> None:
    await change(session, "100002", {"customerType": "OEM", "paymentMethods": ["cash"]})
    assert (await derived(session, "100003"))["derivedCustomerType"] == "OEM"

    await change(session, "100002", {"customerType": None, "paymentMethods": []})

    east = await row(session, "100002")
    assert (east.customer_type, east.payment_methods) == (None, None)
    for organization_id in ("100002", "100003"):
        values = await derived(session, organization_id)
        assert values["derivedCustomerType"] == "Enterprise"  # the root's
        assert values["derivedPaymentMethods"] == ["card"]


async def test_a_refused_update_lists_every_problem_and_changes_nothing(
    session: AsyncSession,
) -> None:
    before = (await row(session, "100002")).version
    with pytest.raises(OrgqlError) as refused:
        await change(
            session,
            "100002",
            {"dunsNumber": "12", "paymentMethods": ["bitcoin"], "members": ["110000"]},
        )
    codes = {(d.code, d.field) for d in refused.value.details}
    assert codes == {
        (Codes.INVALID_INPUT, "dunsNumber"),
        (Codes.INVALID_INPUT, "members"),
    }  # shape errors first: references are checked only for a well-formed document
    with pytest.raises(OrgqlError) as unknown:
        await change(session, "100002", {"paymentMethods": ["bitcoin"]})
    assert unknown.value.code == Codes.PAYMENT_METHODS_INVALID
    east = await row(session, "100002")
    assert (east.duns_number, east.payment_methods, east.version) == (None, None, before)


async def test_a_name_is_unique_on_update_too(session: AsyncSession) -> None:
    with pytest.raises(OrgqlError) as taken:
        await change(session, "100003", {"name": "  sample EAST "})
    assert (taken.value.code, taken.value.kind) == (Codes.NAME_EXISTS, ErrorKind.CONFLICT)
    await change(session, "100003", {"name": "SAMPLE East Purchasing"})  # its own name
    assert (await row(session, "100003")).name == "SAMPLE East Purchasing"


async def test_a_move_rewrites_the_paths_of_the_whole_subtree(session: AsyncSession) -> None:
    west = await create(session, {"name": "Sample West", "parentOrganization": {"id": "100001"}})
    await change(session, "100002", {"parentOrganization": {"id": west.id}})
    assert (await row(session, "100002")).path == ["100001", west.id]
    assert (await row(session, "100003")).path == ["100001", west.id, "100002"]

    await change(session, "100002", {"parentOrganization": None})  # to the root
    assert (await row(session, "100002")).path == []
    assert (await row(session, "100003")).path == ["100002"]


@pytest.mark.parametrize("target", ["100002", "100003"])
async def test_moving_under_itself_or_a_descendant_is_refused(
    session: AsyncSession, target: str
) -> None:
    with pytest.raises(OrgqlError) as refused:
        await change(session, "100002", {"parentOrganization": {"id": target}})
    assert (refused.value.code, refused.value.field) == (
        Codes.INVALID_INPUT,
        "parentOrganization.id",
    )
    assert "its own ancestor" in refused.value.message
    assert (await row(session, "100003")).path == ["100001", "100002"]


async def test_no_organization_is_created_below_the_deepest_level(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(organizations, "MAX_HIERARCHY_DEPTH", 4)  # the demo chain has 3
    fourth = await create(session, {"name": "Level 4", "parentOrganization": {"id": "100003"}})

    with pytest.raises(OrgqlError) as refused:
        await create(session, {"name": "Level 5", "parentOrganization": {"id": fourth.id}})
    assert (refused.value.code, refused.value.field) == (
        Codes.INVALID_INPUT,
        "parentOrganization.id",
    )
    assert refused.value.message == (
        "the organization would be at level 5 of its hierarchy; a hierarchy has at most 4 levels"
    )


async def test_a_move_that_would_take_its_subtree_below_the_deepest_level_is_refused(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(organizations, "MAX_HIERARCHY_DEPTH", 4)
    top = await create(session, {"name": "Top"})
    child = await create(session, {"name": "Child", "parentOrganization": {"id": top.id}})

    with pytest.raises(OrgqlError) as refused:  # top at level 4, its child at 5
        await change(session, top.id, {"parentOrganization": {"id": "100003"}})
    assert "would be at level 5" in refused.value.message
    assert (await row(session, child.id)).path == [top.id]

    await change(session, top.id, {"parentOrganization": {"id": "100002"}})  # 3 and 4
    assert (await row(session, child.id)).path == ["100001", "100002", top.id]


async def test_a_deactivated_organization_takes_no_new_children(session: AsyncSession) -> None:
    other = await create(session, {"name": "Other"})
    await organization_updates.set_active(session, "100002", False)
    assert (await row(session, "100002")).active is False
    assert (await row(session, "100003")).active is True  # children are left as they are

    for attempt in (
        create(session, {"name": "Child", "parentOrganization": {"id": "100002"}}),
        change(session, other.id, {"parentOrganization": {"id": "100002"}}),
    ):
        with pytest.raises(OrgqlError) as refused:
            await attempt
        assert refused.value.field == "parentOrganization.id"
        assert "deactivated" in refused.value.message

    await organization_updates.set_active(session, "100002", True)
    await change(session, other.id, {"parentOrganization": {"id": "100002"}})
    assert (await row(session, other.id)).path == ["100001", "100002"]


async def test_every_change_bumps_the_version_and_a_stale_one_is_refused(
    session: AsyncSession,
) -> None:
    assert (await row(session, "100002")).version == 1
    await change(session, "100002", {"description": "v2"}, expected_version=1)
    assert (await row(session, "100002")).version == 2
    with pytest.raises(OrgqlError) as stale:
        await change(session, "100002", {"description": "lost"}, expected_version=1)
    assert (stale.value.code, stale.value.kind) == (Codes.VERSION_CONFLICT, ErrorKind.STALE)
    assert (await row(session, "100002")).description == "v2"

    await change(session, "100002", {"parentOrganization": None})  # a move bumps the mover
    await organization_updates.set_active(session, "100002", False)
    assert (await row(session, "100002")).version == 4
    assert (await row(session, "100003")).version == 1  # a repath alone is no change


async def test_site_values_given_to_update_bump_the_version(session: AsyncSession) -> None:
    await change(session, "100002", {"approvalRequired": False}, site_id="site1")
    assert (await row(session, "100002")).version == 2
    with pytest.raises(OrgqlError) as refused:
        await change(session, "100002", {"approvalRequired": True})
    assert (refused.value.code, refused.value.field) == (
        Codes.NO_ACTIVE_APPROVER,
        "approvalRequired",
    )


async def test_a_dry_run_lists_exactly_the_changed_values_and_changes_nothing(
    session: AsyncSession,
) -> None:
    west = await create(
        session,
        {"name": "West", "customerType": "OEM", "paymentMethods": ["cash"]},
    )
    result = await change(session, "100002", {"parentOrganization": {"id": west.id}}, dry_run=True)

    assert result.effects is not None
    by_change = {
        (c.organization_id, c.field, c.site_id): (c.before, c.after) for c in result.effects
    }
    for organization_id in ("100002", "100003"):
        assert by_change.pop((organization_id, "derivedCustomerType", None)) == (
            "Enterprise",
            "OEM",
        )
        assert by_change.pop((organization_id, "derivedPaymentMethods", None)) == (
            ["card"],
            ["cash"],
        )
        assert by_change.pop((organization_id, "derivedContract", "siteUS")) == ("100010", None)
        for column in (
            "approvalRequired",
            "delegateApprovalManagement",
            "useExternalApprovalWebhook",
        ):
            assert by_change.pop((organization_id, column, "siteUS")) == (False, None)
    # The root's other values (DUNS, logo, methods flags, addresses) nobody on West's side sets.
    assert {key[1] for key in by_change} == {
        "derivedDunsNumber",
        "derivedTaxExemptionCode",
        "derivedOrganizationLogo",
        "derivedShippingMethods",
        "derivedUseAllPaymentMethodsFromSite",
        "derivedUseAllShippingMethodsFromSite",
        "derivedBillingAddress",
        "derivedShippingAddress",
    }
    assert {key[0] for key in by_change} == {"100002", "100003"}
    assert (await row(session, "100002")).path == ["100001"]
    assert (await row(session, "100003")).path == ["100001", "100002"]
    assert (await row(session, "100002")).version == 1


async def test_a_dry_run_of_an_update_names_only_descendants_that_inherit(
    session: AsyncSession,
) -> None:
    result = await change(session, "100001", {"taxReferenceNumber": "ROOT-TAX"}, dry_run=True)
    assert result.effects == [
        ValueChange("100001", "derivedTaxReferenceNumber", None, None, "ROOT-TAX"),
        ValueChange("100002", "derivedTaxReferenceNumber", None, None, "ROOT-TAX"),
        # 100003 sets its own tax reference number: unaffected.
    ]
    assert (await row(session, "100001")).tax_reference_number is None


async def test_a_dry_run_reports_the_same_errors(session: AsyncSession) -> None:
    with pytest.raises(OrgqlError) as refused:
        await change(session, "100001", {"parentOrganization": {"id": "100003"}}, dry_run=True)
    assert refused.value.field == "parentOrganization.id"


async def test_the_snapshot_costs_two_statements_whatever_the_subtree_size(
    session: AsyncSession, engine: AsyncEngine, statement_counter: Any
) -> None:
    parent = "100003"
    for index in range(30):  # a chain: depth grows with size
        parent = (
            await create(session, {"name": f"Deep {index}", "parentOrganization": {"id": parent}})
        ).id
    await session.commit()

    counts = []
    for root in ("100003", "100001"):  # 31 organizations, then 33
        statement_counter.reset()
        snapshot = await effects.snapshot_subtree(session, root)
        counts.append((len(snapshot), statement_counter.count))
    assert counts == [(31, 2), (33, 2)]

    statement_counter.reset()
    await change(session, "100001", {"description": "x"}, dry_run=True)
    small = statement_counter.count
    statement_counter.reset()
    await change(session, parent, {"description": "x"}, dry_run=True)
    assert statement_counter.count == small

    moves = []
    for mover in ("100003", parent):  # 31 organizations move, then 1
        statement_counter.reset()
        result = await change(session, mover, {"parentOrganization": None}, dry_run=True)
        assert result.effects
        moves.append(statement_counter.count)
    assert moves[0] == moves[1]


async def test_a_move_that_would_orphan_an_inherited_default_address_is_refused(
    session: AsyncSession,
) -> None:
    # 100003 uses the root's headquarters as its own default billing address.
    await change(session, "100003", {"billingAddress": {"id": "150001"}})
    west = await create(session, {"name": "West"})

    with pytest.raises(OrgqlError) as refused:
        await change(session, "100002", {"parentOrganization": {"id": west.id}})
    assert [(d.code, d.field) for d in refused.value.details] == [
        (Codes.INVALID_BILLING_ADDRESS, "parentOrganization.id")
    ]
    assert "'100003' uses address '150001'" in refused.value.message

    await change(session, "100003", {"billingAddress": None})
    await change(session, "100002", {"parentOrganization": {"id": west.id}})
    assert (await row(session, "100003")).path == [west.id, "100002"]


async def test_a_default_address_must_be_own_or_an_ancestors(session: AsyncSession) -> None:
    other = await create(
        session,
        {
            "name": "Other",
            "secondaryAddresses": [
                {
                    "addressType": "Office",
                    "address": {
                        "address1": "1 Road",
                        "city": "Austin",
                        "companyName": "Other",
                        "country": "US",
                        "phoneNumber": "1",
                        "postalCode": "73301",
                        "state": "TX",
                        "isDefaultShippingAddress": True,
                    },
                }
            ],
        },
    )
    assert other.shipping_address_id is not None
    with pytest.raises(OrgqlError) as refused:
        await change(session, "100003", {"shippingAddress": {"id": other.shipping_address_id}})
    assert (refused.value.code, refused.value.field) == (
        Codes.INVALID_SHIPPING_ADDRESS,
        "shippingAddress.repositoryId",
    )
    await change(session, other.id, {"billingAddress": {"id": other.shipping_address_id}})
    assert (await row(session, other.id)).billing_address_id == other.shipping_address_id


async def test_with_effects_applies_the_change_and_reports_what_the_dry_run_did(
    session: AsyncSession,
) -> None:
    document = {"taxReferenceNumber": "ROOT-TAX", "customerType": None}
    planned = await change(session, "100001", document, dry_run=True)
    done = await change(session, "100001", document, with_effects=True)
    assert done.effects == planned.effects
    assert done.effects is not None
    assert len(done.effects) == 5  # 2 tax numbers, 3 customer types
    assert (await row(session, "100001")).tax_reference_number == "ROOT-TAX"
