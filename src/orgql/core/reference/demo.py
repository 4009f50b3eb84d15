"""Demo data: the reference data and the small hierarchy that make every example request
in ``shared/spec/`` succeed as written (``orgql seed-demo``). Seeding twice is harmless."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.ids import next_ids
from orgql.core.financial.demo import DEMO_PARTY_ID, demo_accounts, demo_sites
from orgql.core.history import service as history
from orgql.core.people.roles import ROLE_FUNCTIONS, RoleFunction
from orgql.core.reference.data import import_reference_data, parse_reference_data
from orgql.db import financial_models, models

#: The demo hierarchy's root: a database holding it holds the demo data (``orgql reset-demo``).
DEMO_ROOT_ID = "100001"


def demo_reference_document() -> object:
    text = resources.files("orgql.demo").joinpath("reference.json").read_text("utf-8")
    return json.loads(text)


async def seed_demo(session: AsyncSession) -> bool:
    """Load the demo data; returns False if the demo hierarchy was there already.

    Each part is added only where it is missing, so a database seeded by an older version
    gains what later versions added (the financial source records, for one)."""
    await history.set_actor(session, "system:seed")
    await import_reference_data(session, parse_reference_data(demo_reference_document()))
    if await session.get(models.Organization, DEMO_ROOT_ID) is not None:
        await _seed_financial_source(session)
        return False

    # The models declare no relationships (reads are explicit), so the unit of work does not
    # order inserts by foreign key: each flush below writes what the next one refers to.
    session.add(
        models.ContractTerms(id="100011", terms="Standard terms of the Sample master contract")
    )
    await session.flush()
    session.add_all(
        [
            models.Contract(
                id="100010",
                display_name="Sample Master Contract",
                description="Prices every Sample account pays on the US store",
                catalog_id="cloudCatalog",
                price_list_group_id="defaultPriceGroup",
                start_date=datetime(2016, 1, 1, tzinfo=UTC),
                external_contract_reference="SAMPLE-MASTER",
                terms_id="100011",
            ),
        ]
    )
    root = models.Organization(
        id="100001",
        name="Sample",
        type="company",
        customer_type="Enterprise",
        active=True,
        duns_number="987654321",
        party_id=DEMO_PARTY_ID,
        tax_exemption_code="SAMPLEEXEMPT",
        organization_logo="/general/hero-image1.jpg",
        payment_methods=["card"],
        shipping_methods=["shippingMethodId1"],
        use_all_payment_methods_from_site=False,
        use_all_shipping_methods_from_site=False,
    )
    east = models.Organization(
        id="100002", name="Sample East", type="division", active=True, parent_id="100001"
    )
    purchasing = models.Organization(
        id="100003",
        name="Sample East Purchasing",
        type="department",
        active=True,
        parent_id="100002",
        tax_reference_number="EAST-TAX-1",
    )
    # Inserted parent first: the path trigger reads the parent's path.
    for organization in (root, east, purchasing):
        session.add(organization)
        await session.flush()
    session.add_all(
        [
            models.Address(
                id="150001",
                organization_id="100001",
                address_type="Headquarters",
                company_name="Sample",
                address1="1 Main Street",
                city="Boston",
                state="MA",
                postal_code="02110",
                country="US",
                phone_number="617-555-0100",
            ),
            models.SiteOrganizationProperties(
                organization_id="100001",
                site_id="siteUS",
                contract_id="100010",
                approval_required=False,
                delegate_approval_management=False,
                use_external_approval_webhook=False,
            ),
        ]
    )
    # A Core insert names only these columns: the seed also runs on a database migrated to
    # an older revision (tests/history/test_history_baseline.py), before profiles had a
    # parent organization (0016).
    await session.execute(
        insert(models.Profile).values(
            id="110000",
            first_name="Shelly",
            last_name="Smith",
            email="shelly.smith@example.com",
            receive_email=False,
        )
    )
    await session.flush()
    root.billing_address_id = root.shipping_address_id = "150001"
    await session.flush()
    organization_ids = ["100001", "100002", "100003"]
    role_ids = await next_ids(session, len(organization_ids) * len(ROLE_FUNCTIONS))
    roles = [
        models.RelativeRole(id=role_ids.pop(0), organization_id=org_id, function=function)
        for org_id in organization_ids
        for function in ROLE_FUNCTIONS
    ]
    session.add_all(roles)
    session.add(models.OrganizationMember(organization_id="100001", profile_id="110000"))
    await session.flush()
    admin_role = next(
        r for r in roles if r.organization_id == "100001" and r.function == RoleFunction.ADMIN
    )
    session.add(models.ProfileRole(profile_id="110000", role_id=admin_role.id))
    await session.flush()
    await _seed_financial_source(session)
    count = await session.scalar(select(func.count()).select_from(models.Organization))
    return bool(count)


async def _seed_financial_source(session: AsyncSession) -> None:
    """The built-in financial source's records for 100001's party (syncFinancialData)."""
    root = await session.get(models.Organization, "100001")
    if root is not None and root.party_id is None:
        root.party_id = DEMO_PARTY_ID
    known = await session.scalar(
        select(func.count())
        .select_from(financial_models.FinancialSourceAccount)
        .where(financial_models.FinancialSourceAccount.party_id == DEMO_PARTY_ID)
    )
    if known:
        return
    session.add_all(demo_accounts())
    await session.flush()
    session.add_all(demo_sites())
    await session.flush()
