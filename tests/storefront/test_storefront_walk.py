"""Issue 18's storefront session, end to end, as a storefront SPA runs it (docs/storefront.md,
"A storefront session, end to end"): tokens of an identity provider whose keys the app fetches
as a JWKS over loopback HTTP, matched to profiles by their verified email; GraphQL only for the
shopper, the account chosen with the X-CCOrganization header; the merchant admin sets up
beforehand only what a merchant would (over REST)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette

from orgql.app import create_app
from orgql.db import models
from orgql.settings import Settings

SHELLY, SHELLY_EMAIL = "110000", "shelly.smith@example.com"
SAMPLE, EAST = "100001", "100002"
DANA_EMAIL, BO_EMAIL = "dana.diaz@example.com", "bo.berg@example.com"

VIEWER = """{ viewer {
  profile { repositoryId email }
  organizations { organization { repositoryId name } roles permissions } } }"""
ACCOUNT = """{ viewer { currentOrganization {
  repositoryId name
  ancestorOrganizations { repositoryId name }
  contract(site: "siteUS") { repositoryId }
  derivedContract(site: "siteUS") {
    repositoryId displayName catalog { displayName } priceListGroup { displayName } }
  effectiveSiteProperties(site: "siteUS") { inheritedFrom { contract } }
  secondaryAddresses { addressType address { address1 city } } } } }"""
ADD_ADDRESS = """mutation($org: ID!, $input: OrganizationAddressInput!) {
  addOrganizationAddress(organizationId: $org, input: $input) {
    address { addressType address { address1 city } } userErrors { code field } } }"""
INVITE = """mutation($input: CreateContactInput!) {
  createContact(input: $input) {
    contact { repositoryId email parentOrganization { id name } } userErrors { code field } } }"""
GRANT = """mutation($id: ID!, $roles: [RoleInput!]!) {
  grantRoles(contactId: $id, roles: $roles) {
    contact { roles { function organizationId } } userErrors { code field } } }"""
SET_UP = """mutation($id: ID!, $org: ID!) {
  appendSecondaryOrganizations(contactId: $id, organizationIds: [$org]) { userErrors { code } }
  grantRoles(contactId: $id, roles: [{function: ADMIN, organizationId: $org},
                                     {function: ACCOUNT_ADDRESS_MANAGER, organizationId: $org}]) {
    contact { roles { function organizationId } } userErrors { code field } } }"""
DOCK = {
    "addressType": "East Dock",
    "address": {
        "companyName": "Sample East",
        "address1": "12 Harbor Road",
        "city": "Portland",
        "state": "ME",
        "postalCode": "04101",
        "country": "US",
        "phoneNumber": "207-555-0142",
    },
}


class Storefront:
    """The app trusting the loopback identity provider, shoppers matched by verified email."""

    def __init__(
        self,
        app: Starlette,
        state: Any,
        identity_provider: Any,
        client_for: Callable[..., httpx.AsyncClient],
    ) -> None:
        self.app, self.state = app, state
        self.identity_provider, self.client_for = identity_provider, client_for

    def shopper(self, email: str) -> httpx.AsyncClient:
        """A client signed in as the identity provider's user with ``email`` (verified); its
        subject is the provider's own id, not a profile id."""
        token = self.identity_provider.token(
            f"idp|{email}", kid="k1", email=email, email_verified=True
        )
        return self.client_for(self.app, self.state, token=token)

    def merchant(self) -> httpx.AsyncClient:
        return self.client_for(self.app, self.state)


@pytest.fixture
async def storefront(
    settings: Settings,
    engine: AsyncEngine,
    identity_provider: Any,
    jwks_url: str,
    client_for: Callable[..., httpx.AsyncClient],
) -> AsyncIterator[Storefront]:
    configured = settings.model_copy(
        update={
            "shopper_public_key": None,
            "shopper_jwks_url": jwks_url,
            "shopper_identity_claim": "email",
            "shopper_identity_match": "email",
        }
    )
    app = create_app(configured, engine=engine)
    async with app.router.lifespan_context(app) as state:
        yield Storefront(app, state or {}, identity_provider, client_for)


async def graphql(
    client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def merchant_sets_up(merchant: httpx.AsyncClient) -> None:
    """Shelly, the demo's admin of Sample, a member of its division Sample East too, with its
    admin and accountAddressManager roles. The contract is the demo's: Sample's on siteUS."""
    answer = await graphql(merchant, SET_UP, id=SHELLY, org=EAST)
    assert answer == {
        "data": {
            "appendSecondaryOrganizations": {"userErrors": []},
            "grantRoles": {
                "contact": {
                    "roles": [
                        {"function": "admin", "organizationId": SAMPLE},
                        {"function": "admin", "organizationId": EAST},
                        {"function": "accountAddressManager", "organizationId": EAST},
                    ]
                },
                "userErrors": [],
            },
        }
    }


async def invite(shelly: httpx.AsyncClient, email: str, first_name: str, function: str) -> str:
    """Shelly adds a colleague to Sample East with one role; the colleague's profile id."""
    contact = {"email": email, "firstName": first_name, "parentOrganizationId": EAST}
    created = await graphql(shelly, INVITE, input=contact)
    payload = created["data"]["createContact"]
    assert payload["userErrors"] == []
    assert payload["contact"]["email"] == email
    assert payload["contact"]["parentOrganization"] == {"id": EAST, "name": "Sample East"}
    profile_id: str = payload["contact"]["repositoryId"]
    granted = await graphql(
        shelly, GRANT, id=profile_id, roles=[{"function": function, "organizationId": EAST}]
    )
    assert granted["data"]["grantRoles"] == {
        "contact": {"roles": [{"function": function.lower(), "organizationId": EAST}]},
        "userErrors": [],
    }
    return profile_id


async def address_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(models.Address)) or 0)


async def test_a_shopper_picks_an_account_adds_an_address_and_an_invited_admin_sees_it(
    storefront: Storefront, session: AsyncSession
) -> None:
    async with storefront.merchant() as merchant:
        await merchant_sets_up(merchant)

    async with storefront.shopper(SHELLY_EMAIL) as shelly:
        # 1. Who am I, and for which accounts may I buy?
        viewer = await graphql(shelly, VIEWER)
        assert viewer == {
            "data": {
                "viewer": {
                    "profile": {"repositoryId": SHELLY, "email": SHELLY_EMAIL},
                    "organizations": [
                        {
                            "organization": {"repositoryId": SAMPLE, "name": "Sample"},
                            "roles": ["ADMIN"],
                            "permissions": ["READ_ACCOUNT", "MANAGE_CONTACTS", "MANAGE_APPROVALS"],
                        },
                        {
                            "organization": {"repositoryId": EAST, "name": "Sample East"},
                            "roles": ["ADMIN", "ACCOUNT_ADDRESS_MANAGER"],
                            "permissions": [
                                "READ_ACCOUNT",
                                "MANAGE_CONTACTS",
                                "MANAGE_APPROVALS",
                                "MANAGE_ACCOUNT_ADDRESSES",
                            ],
                        },
                    ],
                }
            }
        }

        # 2. The storefront picks Sample East with the header; its contract on siteUS is
        # Sample's, inherited: it has none of its own.
        east = {"X-CCOrganization": EAST}
        account = await graphql(shelly, ACCOUNT, headers=east)
        assert account == {
            "data": {
                "viewer": {
                    "currentOrganization": {
                        "repositoryId": EAST,
                        "name": "Sample East",
                        "ancestorOrganizations": [{"repositoryId": SAMPLE, "name": "Sample"}],
                        "contract": None,
                        "derivedContract": {
                            "repositoryId": "100010",
                            "displayName": "Sample Master Contract",
                            "catalog": {"displayName": "Cloud Catalog"},
                            "priceListGroup": {"displayName": "Default Price Group"},
                        },
                        "effectiveSiteProperties": {"inheritedFrom": {"contract": SAMPLE}},
                        "secondaryAddresses": [],
                    }
                }
            }
        }

        # 3. As its address manager, an address for the account.
        added = await graphql(shelly, ADD_ADDRESS, org=EAST, input=DOCK)
        assert added == {
            "data": {
                "addOrganizationAddress": {
                    "address": {
                        "addressType": "East Dock",
                        "address": {"address1": "12 Harbor Road", "city": "Portland"},
                    },
                    "userErrors": [],
                }
            }
        }
        dock = [added["data"]["addOrganizationAddress"]["address"]]
        account = await graphql(shelly, ACCOUNT, headers=east)
        assert account["data"]["viewer"]["currentOrganization"]["secondaryAddresses"] == dock

        # 4. As its admin, a colleague invited as an admin (and another as a buyer).
        dana = await invite(shelly, DANA_EMAIL, "Dana", "ADMIN")
        bo = await invite(shelly, BO_EMAIL, "Bo", "BUYER")

    # 5. The colleague signs in with the same identity provider and sees the account.
    async with storefront.shopper(DANA_EMAIL) as colleague:
        assert await graphql(colleague, VIEWER) == {
            "data": {
                "viewer": {
                    "profile": {"repositoryId": dana, "email": DANA_EMAIL},
                    "organizations": [
                        {
                            "organization": {"repositoryId": EAST, "name": "Sample East"},
                            "roles": ["ADMIN"],
                            "permissions": ["READ_ACCOUNT", "MANAGE_CONTACTS", "MANAGE_APPROVALS"],
                        }
                    ],
                }
            }
        }

    # 6. A buyer may read the account but not add to its addresses: refused, nothing changed.
    count = await address_count(session)
    async with storefront.shopper(BO_EMAIL) as buyer:
        viewer = await graphql(buyer, VIEWER)
        refused = await graphql(
            buyer, ADD_ADDRESS, org=EAST, input={**DOCK, "addressType": "Buyer Dock"}
        )
        account = await graphql(buyer, ACCOUNT, headers=east)
    assert viewer["data"]["viewer"] == {
        "profile": {"repositoryId": bo, "email": BO_EMAIL},
        "organizations": [
            {
                "organization": {"repositoryId": EAST, "name": "Sample East"},
                "roles": ["BUYER"],
                "permissions": ["READ_ACCOUNT"],
            }
        ],
    }
    assert refused == {
        "data": {"addOrganizationAddress": None},
        "errors": [
            {
                "message": f"Your roles in organization '{EAST}' do not allow this"
                " (the accountAddressManager role)",
                "locations": [{"line": 2, "column": 3}],
                "path": ["addOrganizationAddress"],
                "extensions": {"code": "FORBIDDEN", "field": None},
            }
        ],
    }
    assert account["data"]["viewer"]["currentOrganization"]["secondaryAddresses"] == dock
    assert await address_count(session) == count
