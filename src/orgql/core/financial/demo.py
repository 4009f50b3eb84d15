"""Demo records of the built-in financial source: the party of demo organization 100001.

Synced as a whole they give the vendor's sample answer's shape: three customer accounts and
two addresses refused because the system of record has no city for them."""

from __future__ import annotations

from orgql.db import financial_models

DEMO_PARTY_ID = "300100100001"

EAST_UNIT = 300000001
EUROPE_UNIT = 300000002


def demo_accounts() -> list[financial_models.FinancialSourceAccount]:
    return [
        financial_models.FinancialSourceAccount(
            account_id="300100010002",
            party_id=DEMO_PARTY_ID,
            account_number="10002",
            account_name="Sample East",
            business_unit_id=EAST_UNIT,
        ),
        financial_models.FinancialSourceAccount(
            account_id="300100010003",
            party_id=DEMO_PARTY_ID,
            account_number="10003",
            account_name="Sample Midwest",
            business_unit_id=EAST_UNIT,
        ),
        financial_models.FinancialSourceAccount(
            account_id="300100020001",
            party_id=DEMO_PARTY_ID,
            account_number="20001",
            account_name="Sample Europe",
            business_unit_id=EUROPE_UNIT,
        ),
    ]


def demo_sites() -> list[financial_models.FinancialSourceSite]:
    us = {"country": "US"}
    return [
        financial_models.FinancialSourceSite(
            site_id="300100020101",
            account_id="300100010002",
            external_address_id="300100628304101",
            address1="1 Main Street",
            city="Boston",
            state="MA",
            postal_code="02110",
            bill_to=True,
            primary_bill_to=True,
            ship_to=True,
            primary_ship_to=True,
            **us,
        ),
        financial_models.FinancialSourceSite(
            site_id="300100020102",
            account_id="300100010002",
            external_address_id="300100628304102",
            address1="500 Dock Road",
            state="MA",
            postal_code="02210",
            ship_to=True,
            **us,
        ),
        financial_models.FinancialSourceSite(
            site_id="300100020103",
            account_id="300100010003",
            external_address_id="300100628304103",
            address1="200 South Wacker Drive",
            city="Chicago",
            state="IL",
            postal_code="60606",
            bill_to=True,
            ship_to=True,
            **us,
        ),
        financial_models.FinancialSourceSite(
            site_id="17276",
            account_id="300100020001",
            external_address_id="17277",
            address1="Unit 4, Harbour Estate",
            postal_code="D02 X285",
            country="IE",
            bill_to=True,
        ),
        financial_models.FinancialSourceSite(
            site_id="17278",
            account_id="300100020001",
            external_address_id="17278",
            address1="10 Rue de Rivoli",
            city="Paris",
            postal_code="75001",
            country="FR",
            bill_to=True,
            primary_bill_to=True,
        ),
    ]
