"""createOrganization through the service, and the views the transports render from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.inheritance.rules import Inherited
from orgql.core.organizations.views import OrganizationView, load_views
from orgql.db import models
from orgql.db.engine import make_sessionmaker

CreateOrganization = Callable[..., Awaitable[models.Organization]]

LOGO = "/general/hero-image1.jpg"


@dataclass
class Hierarchy:
    """root -> a -> b -> c, built by the ``hierarchy`` fixture."""

    root: models.Organization
    a: models.Organization
    b: models.Organization
    c: models.Organization

    def id_of(self, level: str | None) -> str | None:
        return getattr(self, level).id if level else None


@pytest.fixture
async def hierarchy(
    create_organization: CreateOrganization,
    make_address: Callable[..., dict[str, Any]],
    make_contract: Callable[..., dict[str, Any]],
) -> Hierarchy:
    """Four levels where each derived field is set at a different level, some skipping
    levels: the root sets nearly everything, a and b override some, c sets only its DUNS."""
    root = await create_organization(
        {
            "name": "Acme",
            "description": "Acme holding",
            "type": "company",
            "customerType": "Enterprise",
            "dunsNumber": "123456789",
            "taxExemptionCode": "ROOT-EXEMPT",
            "uniqueId": "U-ROOT",
            "organizationLogo": LOGO,
            "paymentMethods": ["card"],
            "shippingMethods": ["shippingMethodId1"],
            "useAllPaymentMethodsFromSite": True,
            "useAllShippingMethodsFromSite": True,
            "secondaryAddresses": [
                make_address(
                    "Headquarters", isDefaultBillingAddress=True, isDefaultShippingAddress=True
                )
            ],
            "contract": make_contract("Acme master contract"),
        }
    )
    a = await create_organization(
        {
            "name": "Acme Division",
            "parentOrganization": {"id": root.id},
            "type": "division",
            "taxReferenceNumber": "TAX-A",
            "paymentMethods": ["cash"],
            "secondaryAddresses": [make_address("Warehouse", isDefaultShippingAddress=True)],
            "contract": make_contract("Division contract on site1"),
        },
        site_id="site1",
    )
    b = await create_organization(
        {
            "name": "Acme Department",
            "parentOrganization": {"id": a.id},
            "description": "Acme department",
            "taxExemptionCode": "B-EXEMPT",
            "useAllPaymentMethodsFromSite": False,
        }
    )
    c = await create_organization(
        {"name": "Acme Team", "parentOrganization": {"id": b.id}, "dunsNumber": "111111111"}
    )
    return Hierarchy(root, a, b, c)


async def view_of(
    session: AsyncSession, organization: models.Organization, site_id: str | None = "siteUS"
) -> OrganizationView:
    [view] = await load_views(session, [organization], site_id)
    return view


async def refusal(create: Any) -> OrgqlError:
    with pytest.raises(OrgqlError) as caught:
        await create
    return caught.value


# ---------------------------------------------------------------- derived values


@pytest.mark.parametrize(
    ("column", "value", "source"),
    [
        pytest.param("description", "Acme department", "b", id="description-from-parent"),
        pytest.param("type", "division", "a", id="type-skips-one-level"),
        pytest.param("customer_type", "Enterprise", "root", id="customerType-from-root"),
        pytest.param("duns_number", "111111111", "c", id="dunsNumber-own-wins"),
        pytest.param("tax_reference_number", "TAX-A", "a", id="taxReferenceNumber"),
        pytest.param("vat_reference_number", None, None, id="vatReferenceNumber-nobody-sets"),
        pytest.param("tax_exemption_code", "B-EXEMPT", "b", id="taxExemptionCode-nearest"),
        pytest.param("unique_id", "U-ROOT", "root", id="uniqueId-from-root"),
        pytest.param("organization_logo", LOGO, "root", id="organizationLogo-from-root"),
        pytest.param("payment_methods", ["cash"], "a", id="paymentMethods-nearest"),
        pytest.param("shipping_methods", ["shippingMethodId1"], "root", id="shippingMethods"),
        pytest.param(
            "use_all_payment_methods_from_site", False, "b", id="useAllPayment-false-overrides"
        ),
        pytest.param("use_all_shipping_methods_from_site", True, "root", id="useAllShipping"),
    ],
)
async def test_leaf_derives_each_value_from_the_nearest_organization_that_sets_it(
    session: AsyncSession, hierarchy: Hierarchy, column: str, value: object, source: str | None
) -> None:
    view = await view_of(session, hierarchy.c)

    assert view.derived[column] == Inherited(value, hierarchy.id_of(source))


async def test_leaf_derives_the_billing_address_of_the_root(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    view = await view_of(session, hierarchy.c)

    address = view.derived_address("billing_address_id")
    assert address is not None
    assert (address.id, address.organization_id, address.address_type) == (
        hierarchy.root.billing_address_id,
        hierarchy.root.id,
        "Headquarters",
    )


async def test_leaf_derives_the_shipping_address_of_the_nearest_setter(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    view = await view_of(session, hierarchy.c)

    address = view.derived_address("shipping_address_id")
    assert address is not None
    assert (address.id, address.organization_id, address.address_type) == (
        hierarchy.a.shipping_address_id,
        hierarchy.a.id,
        "Warehouse",
    )


async def test_secondary_address_marked_default_becomes_the_own_default(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    view = await view_of(session, hierarchy.root)

    assert [(a.address_type, a.id) for a in view.addresses] == [
        ("Headquarters", hierarchy.root.billing_address_id)
    ]
    assert hierarchy.root.shipping_address_id == hierarchy.root.billing_address_id


async def test_derived_contract_for_the_default_site_skips_unset_levels(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    view = await view_of(session, hierarchy.c, "siteUS")

    contract = view.derived_contract
    assert contract is not None
    assert (contract.display_name, contract.catalog_id, contract.price_list_group_id) == (
        "Acme master contract",
        "cloudCatalog",
        "defaultPriceGroup",
    )
    assert view.effective_site_properties["contract_id"].source_id == hierarchy.root.id


async def test_derived_contract_for_another_site_comes_from_that_sites_setter(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    view = await view_of(session, hierarchy.c, "site1")

    contract = view.derived_contract
    assert contract is not None
    assert contract.display_name == "Division contract on site1"
    assert view.effective_site_properties["contract_id"].source_id == hierarchy.a.id


async def test_derived_contract_is_null_on_a_site_where_nobody_sets_one(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    view = await view_of(session, hierarchy.c, "site2")

    assert (view.derived_contract, view.effective_site_properties["contract_id"]) == (
        None,
        Inherited(None, None),
    )


async def test_leaf_has_no_contract_of_its_own(session: AsyncSession, hierarchy: Hierarchy) -> None:
    view = await view_of(session, hierarchy.c, "siteUS")

    assert (view.own_site_properties, view.contract) == (None, None)


async def test_site_properties_go_to_the_named_site_only(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    rows = await session.scalars(
        select(models.SiteOrganizationProperties.site_id).where(
            models.SiteOrganizationProperties.organization_id == hierarchy.a.id
        )
    )

    assert list(rows) == ["site1"]


async def test_contract_with_every_field_is_stored(
    session: AsyncSession,
    create_organization: CreateOrganization,
    make_contract: Callable[..., dict[str, Any]],
) -> None:
    organization = await create_organization(
        {
            "name": "Contracted",
            "contract": make_contract(
                "Full contract",
                description="All fields",
                externalContractReference="EXT-1",
                startDate="2024-01-01T00:00:00.000Z",
                endDate="2025-01-01T00:00:00Z",
                contract_terms={"terms": "Net 30"},
            ),
        }
    )

    view = await view_of(session, organization)
    contract = view.contract
    assert contract is not None
    assert (
        contract.display_name,
        contract.description,
        contract.catalog_name,
        contract.price_list_group_name,
        contract.external_contract_reference,
        contract.start_date.isoformat() if contract.start_date else None,
        contract.end_date.isoformat() if contract.end_date else None,
        contract.terms,
    ) == (
        "Full contract",
        "All fields",
        "Cloud Catalog",
        "Default Price Group",
        "EXT-1",
        "2024-01-01T00:00:00+00:00",
        "2025-01-01T00:00:00+00:00",
        "Net 30",
    )


async def test_ancestors_are_listed_from_the_root_down_to_the_parent(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    view = await view_of(session, hierarchy.c)

    assert [org.id for org in view.ancestors] == [
        hierarchy.root.id,
        hierarchy.a.id,
        hierarchy.b.id,
    ]


async def test_root_has_no_ancestors(session: AsyncSession, hierarchy: Hierarchy) -> None:
    view = await view_of(session, hierarchy.root)

    assert (view.ancestors, view.parent) == ([], None)


async def test_ancestor_path_is_stored_by_the_database(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    stored = await session.scalar(
        select(models.Organization.path).where(models.Organization.id == hierarchy.c.id)
    )

    assert stored == [hierarchy.root.id, hierarchy.a.id, hierarchy.b.id]


# ---------------------------------------------------------------- what create stores


async def test_create_makes_the_five_relative_roles_with_distinct_ids(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    organization = await create_organization({"name": "Roles Inc"})

    view = await view_of(session, organization)
    assert sorted(role.function for role in view.roles) == [
        "accountAddressManager",
        "admin",
        "approver",
        "buyer",
        "profileAddressManager",
    ]
    role_ids = {role.id for role in view.roles}
    assert len(role_ids) == 5
    assert organization.id not in role_ids


async def test_create_adds_the_members(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    organization = await create_organization(
        {"name": "Members Inc", "members": [{"repositoryId": "110000"}]}
    )

    view = await view_of(session, organization)
    assert [(p.id, p.email) for p in view.members] == [("110000", "shelly.smith@example.com")]


async def test_create_trims_the_name_and_defaults_active_to_true(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    organization = await create_organization({"name": "  Spaced Inc  "})

    stored = (
        await session.execute(
            select(models.Organization.name, models.Organization.active).where(
                models.Organization.id == organization.id
            )
        )
    ).one()
    assert tuple(stored) == ("Spaced Inc", True)


async def test_dynamic_property_is_stored(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    organization = await create_organization(
        {"name": "Dynamic Inc"}, dynamic_properties={"dynamicProperty1": "blue"}
    )

    stored = await session.scalar(
        select(models.Organization.dynamic_properties).where(
            models.Organization.id == organization.id
        )
    )
    assert stored == {"dynamicProperty1": "blue"}


async def test_dynamic_property_of_the_wrong_type_is_refused(
    create_organization: CreateOrganization,
) -> None:
    error = await refusal(
        create_organization({"name": "Dynamic Inc"}, dynamic_properties={"dynamicProperty1": 7})
    )

    assert (error.code, error.field, error.kind) == (
        "100002",
        "dynamicProperty1",
        ErrorKind.INVALID,
    )


async def test_dynamic_property_longer_than_its_definition_allows_is_refused(
    create_organization: CreateOrganization,
) -> None:
    error = await refusal(
        create_organization(
            {"name": "Dynamic Inc"}, dynamic_properties={"dynamicProperty1": "x" * 255}
        )
    )

    assert (error.code, error.field) == ("00004", "dynamicProperty1")


async def test_unknown_dynamic_property_is_refused(
    create_organization: CreateOrganization,
) -> None:
    error = await refusal(
        create_organization({"name": "Dynamic Inc"}, dynamic_properties={"favouriteColour": "red"})
    )

    assert (error.code, error.field) == ("100002", "favouriteColour")


async def test_site_values_are_stored_for_the_default_site(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    organization = await create_organization(
        {
            "name": "Approvals Inc",
            "approvalRequired": True,
            "orderPriceLimit": "0",
            "delegateApprovalManagement": False,
            "useExternalApprovalWebhook": "true",
        }
    )

    view = await view_of(session, organization, "siteUS")
    own = view.own_site_properties
    assert own is not None
    assert (
        own.site_id,
        own.contract_id,
        own.approval_required,
        own.order_price_limit,
        own.delegate_approval_management,
        own.use_external_approval_webhook,
    ) == ("siteUS", None, True, Decimal(0), False, True)


async def test_site_values_go_to_the_site_named_by_the_caller(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    organization = await create_organization(
        {"name": "Site One Inc", "approvalRequired": True}, site_id="site1"
    )

    rows = await session.execute(
        select(
            models.SiteOrganizationProperties.site_id,
            models.SiteOrganizationProperties.approval_required,
        ).where(models.SiteOrganizationProperties.organization_id == organization.id)
    )
    assert [tuple(row) for row in rows] == [("site1", True)]


async def test_unknown_site_is_refused(create_organization: CreateOrganization) -> None:
    error = await refusal(create_organization({"name": "Nowhere Inc"}, site_id="siteMars"))

    assert (error.code, error.field) == ("100002", "x-ccsite")


async def test_site_values_without_any_default_site_are_refused(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    await session.execute(update(models.Site).values(is_default=False))

    error = await refusal(create_organization({"name": "Homeless Inc", "approvalRequired": True}))

    assert (error.code, error.field) == ("100002", "x-ccsite")


async def test_organization_without_site_values_needs_no_default_site(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    await session.execute(update(models.Site).values(is_default=False))

    organization = await create_organization({"name": "Siteless Inc"})

    rows = await session.scalars(
        select(models.SiteOrganizationProperties.site_id).where(
            models.SiteOrganizationProperties.organization_id == organization.id
        )
    )
    assert list(rows) == []


# ---------------------------------------------------------------- references that must exist


async def test_unknown_parent_is_refused(create_organization: CreateOrganization) -> None:
    error = await refusal(
        create_organization({"name": "Orphan", "parentOrganization": {"id": "999999"}})
    )

    assert (error.code, error.field, error.kind) == (
        "100002",
        "parentOrganization.id",
        ErrorKind.INVALID,
    )


async def test_unknown_member_is_refused(create_organization: CreateOrganization) -> None:
    error = await refusal(
        create_organization({"name": "Lonely", "members": [{"id": "110000"}, {"id": "nobody"}]})
    )

    assert (error.code, error.field) == ("22002", "members[1]")


async def test_unknown_payment_method_is_refused(create_organization: CreateOrganization) -> None:
    error = await refusal(
        create_organization({"name": "Payer", "paymentMethods": ["card", "barter"]})
    )

    assert (error.code, error.field) == ("100118", "paymentMethods[1]")


async def test_unknown_shipping_method_is_refused(create_organization: CreateOrganization) -> None:
    error = await refusal(create_organization({"name": "Shipper", "shippingMethods": ["teleport"]}))

    assert (error.code, error.field) == ("100119", "shippingMethods[0]")


async def test_unknown_logo_is_refused(create_organization: CreateOrganization) -> None:
    error = await refusal(
        create_organization({"name": "Logo Inc", "organizationLogo": "/general/missing.png"})
    )

    assert (error.code, error.field) == ("100052", "organizationLogo")


async def test_unknown_catalog_is_refused(
    create_organization: CreateOrganization, make_contract: Callable[..., dict[str, Any]]
) -> None:
    error = await refusal(
        create_organization(
            {"name": "Catalog Inc", "contract": make_contract("C", catalogId="noCatalog")}
        )
    )

    assert (error.code, error.field) == ("100064", "contract.catalogId")


async def test_unknown_price_list_group_is_refused(
    create_organization: CreateOrganization, make_contract: Callable[..., dict[str, Any]]
) -> None:
    error = await refusal(
        create_organization(
            {"name": "Prices Inc", "contract": make_contract("C", priceListGroupId="noGroup")}
        )
    )

    assert (error.code, error.field) == ("20187", "contract.priceListGroupId")


async def test_every_unknown_reference_is_reported_at_once(
    create_organization: CreateOrganization,
) -> None:
    error = await refusal(
        create_organization(
            {
                "name": "Everything Wrong",
                "parentOrganization": {"id": "999999"},
                "members": ["nobody"],
                "paymentMethods": ["barter"],
                "shippingMethods": ["teleport"],
            }
        )
    )

    assert [(d.code, d.field) for d in error.details] == [
        ("100002", "parentOrganization.id"),
        ("22002", "members[0]"),
        ("100118", "paymentMethods[0]"),
        ("100119", "shippingMethods[0]"),
    ]


async def test_billing_address_of_an_ancestor_is_accepted(
    session: AsyncSession, create_organization: CreateOrganization, hierarchy: Hierarchy
) -> None:
    warehouse = hierarchy.a.shipping_address_id
    organization = await create_organization(
        {
            "name": "Billed at the warehouse",
            "parentOrganization": {"id": hierarchy.c.id},
            "billingAddress": {"repositoryId": warehouse},
        }
    )

    view = await view_of(session, organization)
    assert view.derived["billing_address_id"] == Inherited(warehouse, organization.id)


async def test_billing_address_not_of_an_ancestor_is_refused(
    create_organization: CreateOrganization, hierarchy: Hierarchy
) -> None:
    # 150001 belongs to the demo organization "Sample", not to an ancestor of the new one.
    error = await refusal(
        create_organization(
            {
                "name": "Wrong billing",
                "parentOrganization": {"id": hierarchy.c.id},
                "billingAddress": {"repositoryId": "150001"},
            }
        )
    )

    assert (error.code, error.field) == ("100053", "billingAddress.repositoryId")


async def test_shipping_address_not_of_an_ancestor_is_refused(
    create_organization: CreateOrganization, hierarchy: Hierarchy
) -> None:
    error = await refusal(
        create_organization(
            {
                "name": "Wrong shipping",
                "parentOrganization": {"id": hierarchy.c.id},
                "shippingAddress": {"repositoryId": "150001"},
            }
        )
    )

    assert (error.code, error.field) == ("100054", "shippingAddress.repositoryId")


async def test_billing_address_and_a_secondary_address_marked_default_are_refused_together(
    create_organization: CreateOrganization,
    make_address: Callable[..., dict[str, Any]],
) -> None:
    error = await refusal(
        create_organization(
            {
                "name": "Two billing defaults",
                "parentOrganization": {"id": "100001"},
                "billingAddress": {"repositoryId": "150001"},
                "secondaryAddresses": [make_address("Office", isDefaultBillingAddress=True)],
            }
        )
    )

    assert (error.code, error.field) == ("100053", "billingAddress")


async def test_shipping_address_of_a_distant_ancestor_is_accepted(
    session: AsyncSession, create_organization: CreateOrganization
) -> None:
    organization = await create_organization(
        {
            "name": "Shipped to Sample HQ",
            "parentOrganization": {"id": "100003"},
            "shippingAddress": {"repositoryId": "150001"},
        }
    )

    view = await view_of(session, organization)
    assert (view.derived["shipping_address_id"], view.derived["billing_address_id"]) == (
        Inherited("150001", organization.id),
        Inherited("150001", "100001"),
    )


async def test_default_address_of_a_root_is_refused(
    create_organization: CreateOrganization,
) -> None:
    error = await refusal(
        create_organization({"name": "New root", "billingAddress": {"repositoryId": "150001"}})
    )

    assert (error.code, error.field) == ("100053", "billingAddress.repositoryId")


async def test_unknown_default_address_is_refused(
    create_organization: CreateOrganization,
) -> None:
    error = await refusal(
        create_organization(
            {
                "name": "Unknown shipping",
                "parentOrganization": {"id": "100001"},
                "shippingAddress": {"repositoryId": "999999"},
            }
        )
    )

    assert (error.code, error.field) == ("100054", "shippingAddress.repositoryId")


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["Sample", "sample", "  SAMPLE  "])
async def test_duplicate_name_is_refused_case_insensitively_after_trimming(
    create_organization: CreateOrganization, name: str
) -> None:
    error = await refusal(create_organization({"name": name}))

    assert (error.code, error.field, error.kind) == ("100005", "name", ErrorKind.CONFLICT)


async def test_duplicate_name_that_only_the_database_recognises_is_still_a_conflict(
    create_organization: CreateOrganization,
) -> None:
    # Python lowers "İ" to "i̇" (two code points), PostgreSQL to "i": the in-code check misses
    # the clash and the unique index catches it.
    await create_organization({"name": "istanbul"})

    error = await refusal(create_organization({"name": "İSTANBUL"}))

    assert (error.code, error.field, error.kind) == ("100005", "name", ErrorKind.CONFLICT)


@pytest.mark.parametrize("with_contract", [False, True], ids=["alone", "with-contract"])
async def test_address_types_that_only_the_database_finds_equal_are_invalid_input(
    create_organization: CreateOrganization,
    make_address: Callable[..., dict[str, Any]],
    make_contract: Callable[..., dict[str, Any]],
    with_contract: bool,
) -> None:
    # Python lowers "İ" to "i̇", PostgreSQL to "i": the unique index on the address nickname
    # refuses what the in-code check let through, after the organization row was written.
    document: dict[str, Any] = {
        "name": "Two offices",
        "secondaryAddresses": [make_address("İzmir"), make_address("izmir")],
    }
    if with_contract:
        document["contract"] = make_contract("Offices contract")

    error = await refusal(create_organization(document))

    assert (error.code, error.kind) == ("100002", ErrorKind.INVALID)


# ---------------------------------------------------------------- a failed create changes nothing

COUNTED = (
    models.Organization,
    models.Address,
    models.RelativeRole,
    models.OrganizationMember,
    models.SiteOrganizationProperties,
    models.Contract,
    models.ContractTerms,
)


async def row_counts(session: AsyncSession) -> dict[str, int]:
    return {
        model.__tablename__: await session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


async def test_create_failing_after_its_first_write_leaves_no_rows(
    engine: AsyncEngine,
    session: AsyncSession,
    create_organization: CreateOrganization,
    make_address: Callable[..., dict[str, Any]],
) -> None:
    before = await row_counts(session)

    # The organization row is written before the database refuses the second address.
    with pytest.raises(OrgqlError):
        await create_organization(
            {
                "name": "Half written",
                "members": ["110000"],
                "secondaryAddresses": [make_address("İzmir"), make_address("izmir")],
            }
        )
    await session.rollback()

    async with make_sessionmaker(engine)() as fresh:
        assert await row_counts(fresh) == before


async def test_create_refused_by_a_check_leaves_no_rows(
    engine: AsyncEngine,
    session: AsyncSession,
    create_organization: CreateOrganization,
    make_address: Callable[..., dict[str, Any]],
    make_contract: Callable[..., dict[str, Any]],
) -> None:
    before = await row_counts(session)

    with pytest.raises(OrgqlError):
        await create_organization(
            {
                "name": "Refused",
                "members": ["110000"],
                "shippingMethods": ["teleport"],
                "secondaryAddresses": [make_address("Office", isDefaultBillingAddress=True)],
                "contract": make_contract("Refused contract"),
            }
        )
    await session.rollback()

    async with make_sessionmaker(engine)() as fresh:
        assert await row_counts(fresh) == before


# ---------------------------------------------------------------- statements per page


async def test_views_of_a_hundred_organizations_cost_the_statements_of_one(
    engine: AsyncEngine,
    session: AsyncSession,
    create_organization: CreateOrganization,
    make_address: Callable[..., dict[str, Any]],
    make_contract: Callable[..., dict[str, Any]],
    statement_counter: Any,
) -> None:
    # A holding (not on the page) with the default address and contract, and a 100-strong
    # tree below it, five levels deep, with members, addresses and contracts here and there.
    holding = await create_organization(
        {
            "name": "Holding",
            "secondaryAddresses": [make_address("Head office", isDefaultBillingAddress=True)],
            "contract": make_contract("Holding contract"),
        }
    )
    page: list[models.Organization] = []
    for index in range(100):
        parent = page[(index - 1) // 3] if index else holding
        document: dict[str, Any] = {
            "name": f"Unit {index:03}",
            "parentOrganization": {"id": parent.id},
        }
        if index % 10 == 5:
            document["secondaryAddresses"] = [make_address("Depot", isDefaultShippingAddress=True)]
            document["members"] = ["110000"]
        if index % 7 == 3:
            document["contract"] = make_contract(f"Contract {index}")
        page.append(await create_organization(document))
    await session.commit()
    ids = [org.id for org in page]

    async def statements_for(organization_ids: list[str]) -> int:
        async with make_sessionmaker(engine)() as fresh:
            organizations = list(
                await fresh.scalars(
                    select(models.Organization).where(models.Organization.id.in_(organization_ids))
                )
            )
            statement_counter.reset()
            views = await load_views(fresh, organizations, "siteUS")
            assert len(views) == len(organization_ids)
            return int(statement_counter.count)

    deepest = ids[-1]
    assert await statements_for(ids) == await statements_for([deepest])


# ---------------------------------------------------------------- the tree in the database


async def test_database_refuses_a_parent_change_that_makes_a_cycle(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    with pytest.raises(IntegrityError, match="cannot be its own ancestor"):
        await session.execute(
            update(models.Organization)
            .where(models.Organization.id == hierarchy.root.id)
            .values(parent_id=hierarchy.c.id)
        )


async def test_database_refuses_an_organization_as_its_own_parent(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    with pytest.raises(IntegrityError, match="cannot be its own ancestor"):
        await session.execute(
            update(models.Organization)
            .where(models.Organization.id == hierarchy.b.id)
            .values(parent_id=hierarchy.b.id)
        )


async def paths(session: AsyncSession, hierarchy: Hierarchy) -> dict[str, list[str]]:
    rows = await session.execute(
        select(models.Organization.name, models.Organization.path).where(
            models.Organization.id.in_([hierarchy.a.id, hierarchy.b.id, hierarchy.c.id])
        )
    )
    return dict(rows.all())


async def test_parent_change_repaths_the_descendants(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    await session.execute(
        update(models.Organization)
        .where(models.Organization.id == hierarchy.b.id)
        .values(parent_id=hierarchy.root.id)
    )

    assert await paths(session, hierarchy) == {
        "Acme Division": [hierarchy.root.id],
        "Acme Department": [hierarchy.root.id],
        "Acme Team": [hierarchy.root.id, hierarchy.b.id],
    }


async def test_detaching_a_subtree_makes_its_top_a_root(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    await session.execute(
        update(models.Organization)
        .where(models.Organization.id == hierarchy.a.id)
        .values(parent_id=None)
    )

    assert await paths(session, hierarchy) == {
        "Acme Division": [],
        "Acme Department": [hierarchy.a.id],
        "Acme Team": [hierarchy.a.id, hierarchy.b.id],
    }


async def test_moving_a_subtree_under_another_tree_repaths_it(
    session: AsyncSession, hierarchy: Hierarchy
) -> None:
    # 100003 is "Sample East Purchasing" of the demo, below 100001 and 100002.
    await session.execute(
        update(models.Organization)
        .where(models.Organization.id == hierarchy.a.id)
        .values(parent_id="100003")
    )

    assert await paths(session, hierarchy) == {
        "Acme Division": ["100001", "100002", "100003"],
        "Acme Department": ["100001", "100002", "100003", hierarchy.a.id],
        "Acme Team": ["100001", "100002", "100003", hierarchy.a.id, hierarchy.b.id],
    }
