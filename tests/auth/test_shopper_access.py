"""A shopper (a bearer token of the merchant's identity provider, ``sub`` = profile id)
reads the organizations they are a member of, and of their ancestors only id and name;
every other account is answered as a missing id; an inactive profile reads nothing. The
rule is core.access.checks; GraphQL and REST are checked side by side. Demo data: profile 110000
is a member of 100001 only (100002 is its child, 100003 its grandchild)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import vendor_ids
from orgql.db import models

SHOPPER = "110000"
OWN = "100001"
ORGANIZATION = "query($id: ID!) { organization(id: $id) { id name derivedDescription } }"


async def _graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    # The id format is tests/graphql/test_node.py's; these compare ids with REST's.
    body: dict[str, Any] = vendor_ids(response.json())
    return body


async def test_a_shopper_reads_their_own_organization_through_graphql(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, ORGANIZATION, id=OWN)

    assert body == {
        "data": {"organization": {"id": OWN, "name": "Sample", "derivedDescription": None}}
    } or (body["data"]["organization"]["id"] == OWN and "errors" not in body)


@pytest.mark.parametrize("other", ["100002", "100003"])
async def test_another_account_by_id_is_answered_as_a_missing_id_through_graphql(
    shopper_client: Callable[[str], httpx.AsyncClient], other: str
) -> None:
    async with shopper_client(SHOPPER) as client:
        refused = await _graphql(client, ORGANIZATION, id=other)
        missing = await _graphql(client, ORGANIZATION, id="999999")

    assert refused == missing == {"data": {"organization": None}}


async def test_the_organizations_connection_holds_only_the_shoppers_accounts(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = "{ organizations(first: 100) { totalCount edges { node { id } } } }"
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, query)

    assert body["data"]["organizations"] == {"totalCount": 1, "edges": [{"node": {"id": OWN}}]}


async def test_a_filter_naming_another_account_finds_nothing(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = '{ organizations(filter: {parentId: "100001"}) { totalCount edges { node { id } } } }'
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, query)

    assert body["data"]["organizations"] == {"totalCount": 0, "edges": []}


@pytest.mark.parametrize(
    "field",
    ["childOrganizations { edges { node { id } } }", "descendants { edges { node { id } } }"],
)
async def test_a_shopper_cannot_navigate_down_to_other_accounts(
    shopper_client: Callable[[str], httpx.AsyncClient], field: str
) -> None:
    query = f"{{ organizations {{ edges {{ node {{ id {field} }} }} }} }}"
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, query)

    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


async def test_a_profile_without_memberships_reads_no_organization(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client("no-such-profile") as client:
        one = await _graphql(client, ORGANIZATION, id=OWN)
        page = await _graphql(client, "{ organizations { totalCount } }")

    assert (one["data"], page["data"]) == (
        {"organization": None},
        {"organizations": {"totalCount": 0}},
    )


async def test_a_shopper_updating_another_account_through_graphql_finds_no_such_account(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    mutation = (
        'mutation { updateSiteOrganizationProperties(id: "%s", input: [{site: "siteUS",'
        " properties: {orderPriceLimit: 5}}]) { userErrors { code } } }"
    )
    async with shopper_client(SHOPPER) as client:
        other = await _graphql(client, mutation % "100002")
        missing = await _graphql(client, mutation % "no-such-account")

    assert other == missing
    assert other["data"]["updateSiteOrganizationProperties"] == {"userErrors": [{"code": "100001"}]}


# ---------------------------------------------------------------- REST


async def test_a_shopper_reads_their_own_organization_through_rest(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHOPPER) as client:
        response = await client.get(f"/ccstore/v1/organizations/{OWN}")

    assert (response.status_code, response.json()["id"]) == (200, OWN)


@pytest.mark.parametrize("other", ["100002", "100003"])
async def test_another_account_through_rest_is_the_404_of_a_missing_id(
    shopper_client: Callable[[str], httpx.AsyncClient], other: str
) -> None:
    async with shopper_client(SHOPPER) as client:
        refused = await client.get(f"/ccstore/v1/organizations/{other}")
        missing = await client.get("/ccstore/v1/organizations/999999")

    assert refused.status_code == missing.status_code == 404
    assert refused.text.replace(other, "<id>") == missing.text.replace("999999", "<id>")


async def test_a_shopper_token_does_not_open_the_admin_api(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHOPPER) as client:
        read = await client.get(f"/ccadmin/v1/organizations/{OWN}")
        write = await client.post(
            "/ccadmin/v1/organizations/100002/updateSiteOrganizationProperties", json={}
        )

    assert (read.status_code, write.status_code) == (401, 401)


async def test_an_anonymous_caller_cannot_read_an_organization_through_rest(
    anonymous_client: httpx.AsyncClient,
) -> None:
    response = await anonymous_client.get(f"/ccstore/v1/organizations/{OWN}")

    assert (response.status_code, response.json()["errorCode"]) == (401, "401")


@pytest.mark.parametrize(
    "overrides",
    [{"exp": 1}, {"aud": "another-app"}, {"iss": "https://other-idp.example.com/"}],
    ids=["expired", "wrong audience", "wrong issuer"],
)
async def test_a_shopper_token_that_is_not_valid_reads_nothing(
    app: Any,
    app_state: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    overrides: dict[str, Any],
) -> None:
    token = identity_provider.token(SHOPPER, **overrides)
    async with client_for(app, app_state, token=token) as client:
        body = await _graphql(client, ORGANIZATION, id=OWN)
        rest = await client.get(f"/ccstore/v1/organizations/{OWN}")

    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert rest.status_code == 401


# ---------------------------------------------------------------- anonymous storefront


async def test_an_anonymous_caller_reads_the_sites(anonymous_client: httpx.AsyncClient) -> None:
    body = await _graphql(anonymous_client, "{ sites { id } }")

    assert sorted(site["id"] for site in body["data"]["sites"]) == ["site1", "site2", "siteUS"]


async def test_an_anonymous_caller_may_submit_an_organization_request(
    anonymous_client: httpx.AsyncClient,
) -> None:
    response = await anonymous_client.post("/ccstore/v1/organizationRequests", json={})

    assert response.status_code == 400  # validated, not refused (401)


# ---------------------------------------------------------------- keys from a JWKS URL


async def test_shopper_tokens_are_checked_against_a_jwks_url(
    settings: Any,
    engine: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    jwks_url: str,
) -> None:
    from orgql.app import create_app

    configured = settings.model_copy(
        update={"shopper_public_key": None, "shopper_jwks_url": jwks_url}
    )
    app = create_app(configured, engine=engine)
    good = identity_provider.token(SHOPPER)
    import jwt as pyjwt

    header_kid = pyjwt.encode(
        {
            "iss": identity_provider.issuer,
            "aud": identity_provider.audience,
            "sub": SHOPPER,
            "exp": 9999999999,
        },
        identity_provider.private_pem,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    async with app.router.lifespan_context(app) as state:
        async with client_for(app, state, token=header_kid) as client:
            own = await client.get(f"/ccstore/v1/organizations/{OWN}")
        async with client_for(app, state, token=good) as client:
            no_kid = await client.get(f"/ccstore/v1/organizations/{OWN}")

    assert (own.status_code, no_kid.status_code) == (200, 401)


# ---------------------------------------------------------------- one rule on both transports
# core.access.checks: a shopper sees their accounts; of their ancestors only id and name; nothing of
# any other account (answered as a missing id); an inactive profile sees nothing.

DEEP = "120000"  # a member of 100003 only: its ancestors are 100002 and 100001
INACTIVE = "120001"  # an inactive profile, a member of 100001
BOTH = "120002"  # a member of 100001 and of 100003, not of 100002 between them
BREADCRUMBS = [{"id": "100001", "name": "Sample"}, {"id": "100002", "name": "Sample East"}]
UP = "query($id: ID!) { organization(id: $id) { id %s } }"


@pytest.fixture
async def shoppers(session: AsyncSession) -> None:
    profiles = [(DEEP, True, ["100003"]), (INACTIVE, False, [OWN]), (BOTH, True, [OWN, "100003"])]
    for profile_id, active, organization_ids in profiles:
        session.add(models.Profile(id=profile_id, email=f"{profile_id}@example.com", active=active))
        await session.flush()
        session.add_all(
            models.OrganizationMember(organization_id=organization_id, profile_id=profile_id)
            for organization_id in organization_ids
        )
    await session.commit()


def _crumbs(organizations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": o["id"], "name": o["name"]} for o in organizations]


@pytest.mark.usefixtures("shoppers")
async def test_both_transports_show_a_shopper_the_same_breadcrumbs(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = UP % "ancestorOrganizations { id name } parentOrganization { id name }"
    async with shopper_client(DEEP) as client:
        body = await _graphql(client, query, id="100003")
        rest = (await client.get("/ccstore/v1/organizations/100003")).json()

    assert body == {
        "data": {
            "organization": {
                "id": "100003",
                "ancestorOrganizations": BREADCRUMBS,
                "parentOrganization": BREADCRUMBS[-1],
            }
        }
    }
    assert _crumbs(rest["ancestorOrganizations"]) == BREADCRUMBS
    assert rest["ancestorOrganizations"] == [
        {"id": "100001", "repositoryId": "100001", "name": "Sample"},
        {"id": "100002", "repositoryId": "100002", "name": "Sample East"},
    ]
    assert rest["parentOrganization"] == rest["ancestorOrganizations"][-1]


def _organization_fields() -> list[str]:
    """Every field of the Organization type but id, repositoryId and name, each with a
    selection of its own (``__typename`` below an object)."""
    from graphql import GraphQLObjectType, get_named_type

    from orgql.graphql.schema import default_schema

    organization = default_schema()._schema.get_type("Organization")
    assert isinstance(organization, GraphQLObjectType)
    return [
        f"{name} {{ __typename }}"
        if isinstance(get_named_type(field.type), GraphQLObjectType)
        else name
        for name, field in organization.fields.items()
        if name not in ("id", "repositoryId", "name")
    ]


@pytest.mark.usefixtures("shoppers")
@pytest.mark.parametrize("field", _organization_fields())
async def test_any_other_field_of_a_breadcrumb_is_forbidden(
    shopper_client: Callable[[str], httpx.AsyncClient], field: str
) -> None:
    async with shopper_client(DEEP) as client:
        crumbs = await _graphql(client, UP % f"ancestorOrganizations {{ id {field} }}", id="100003")
        parent = await _graphql(client, UP % f"parentOrganization {{ id {field} }}", id="100003")

    for body, where in ((crumbs, ["ancestorOrganizations", 0]), (parent, ["parentOrganization"])):
        codes = {error["extensions"]["code"] for error in body["errors"]}
        paths = [error["path"] for error in body["errors"]]
        assert codes == {"FORBIDDEN"}
        assert ["organization", *where, field.split()[0]] in paths


@pytest.mark.usefixtures("shoppers")
async def test_a_breadcrumb_refuses_nullable_fields_with_null_and_keeps_id_and_name(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(DEEP) as client:
        body = await _graphql(
            client, UP % "parentOrganization { id name description }", id="100003"
        )

    assert body["data"] == {
        "organization": {
            "id": "100003",
            "parentOrganization": {"id": "100002", "name": "Sample East", "description": None},
        }
    }
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["organization", "parentOrganization", "description"], "FORBIDDEN")
    ]


@pytest.mark.usefixtures("shoppers")
async def test_an_ancestor_of_a_shoppers_account_is_not_read_by_id_on_either_transport(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(DEEP) as client:
        ancestor = await _graphql(client, ORGANIZATION, id="100002")
        missing = await _graphql(client, ORGANIZATION, id="999999")
        ancestor_rest = await client.get("/ccstore/v1/organizations/100002")
        missing_rest = await client.get("/ccstore/v1/organizations/999999")

    assert ancestor == missing == {"data": {"organization": None}}
    assert ancestor_rest.status_code == missing_rest.status_code == 404
    assert ancestor_rest.text.replace("100002", "<id>") == missing_rest.text.replace(
        "999999", "<id>"
    )


@pytest.mark.usefixtures("shoppers")
async def test_an_ancestor_that_is_also_the_shoppers_account_is_seen_whole(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = UP % "ancestorOrganizations { id name active }"
    async with shopper_client(BOTH) as client:
        body = await _graphql(client, query, id="100003")
        full = await _graphql(client, UP % "active", id=OWN)
        rest = (await client.get("/ccstore/v1/organizations/100003")).json()

    # 100001 is theirs (active answers); 100002 is a breadcrumb (active is refused, and being
    # non-null nulls the whole list up to the nullable organization).
    assert full["data"] == {"organization": {"id": OWN, "active": True}}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["organization", "ancestorOrganizations", 1, "active"], "FORBIDDEN")
    ]
    assert rest["ancestorOrganizations"] == [
        {"id": "100001", "repositoryId": "100001", "name": "Sample", "active": True},
        {"id": "100002", "repositoryId": "100002", "name": "Sample East"},
    ]


@pytest.mark.usefixtures("shoppers")
@pytest.mark.parametrize("field", ["ancestorOrganizations { id }", "parentOrganization { id }"])
async def test_a_breadcrumb_is_not_navigated_further(
    shopper_client: Callable[[str], httpx.AsyncClient], field: str
) -> None:
    query = UP % f"parentOrganization {{ id {field} }}"
    async with shopper_client(DEEP) as client:
        body = await _graphql(client, query, id="100003")

    assert {error["extensions"]["code"] for error in body["errors"]} == {"FORBIDDEN"}


@pytest.mark.usefixtures("shoppers")
async def test_a_shopper_at_the_root_has_no_breadcrumbs(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = UP % "ancestorOrganizations { id } parentOrganization { id }"
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, query, id=OWN)
        rest = (await client.get(f"/ccstore/v1/organizations/{OWN}")).json()

    assert body == {
        "data": {
            "organization": {"id": OWN, "ancestorOrganizations": [], "parentOrganization": None}
        }
    }
    assert (rest["ancestorOrganizations"], rest["parentOrganization"]) == ([], None)


@pytest.mark.usefixtures("shoppers")
@pytest.mark.parametrize("profile", [INACTIVE, "no-such-profile"])
async def test_an_inactive_or_unknown_profile_sees_nothing_on_either_transport(
    shopper_client: Callable[[str], httpx.AsyncClient], profile: str
) -> None:
    async with shopper_client(profile) as client:
        one = await _graphql(client, ORGANIZATION, id=OWN)
        page = await _graphql(client, "{ organizations { totalCount edges { node { id } } } }")
        rest = await client.get(f"/ccstore/v1/organizations/{OWN}")
        missing_rest = await client.get("/ccstore/v1/organizations/999999")

    assert (one["data"], page["data"]) == (
        {"organization": None},
        {"organizations": {"totalCount": 0, "edges": []}},
    )
    assert rest.status_code == missing_rest.status_code == 404
    assert rest.text.replace(f"'{OWN}'", "<id>") == missing_rest.text.replace("'999999'", "<id>")


async def test_a_profile_deactivated_after_signing_in_loses_access_at_once(
    shopper_client: Callable[[str], httpx.AsyncClient], session: AsyncSession
) -> None:
    async with shopper_client(SHOPPER) as client:
        before = await client.get(f"/ccstore/v1/organizations/{OWN}")
        profile = await session.get(models.Profile, SHOPPER)
        assert profile is not None
        profile.active = False
        await session.commit()
        after = await client.get(f"/ccstore/v1/organizations/{OWN}")
        body = await _graphql(client, ORGANIZATION, id=OWN)

    assert (before.status_code, after.status_code) == (200, 404)
    assert body == {"data": {"organization": None}}


@pytest.mark.usefixtures("shoppers")
async def test_a_shoppers_access_is_read_once_per_request(
    shopper_client: Callable[[str], httpx.AsyncClient], statement_counter: Any
) -> None:
    one = UP % "ancestorOrganizations { id name } parentOrganization { id name }"
    async with shopper_client(BOTH) as client:
        statement_counter.reset()
        await _graphql(client, one, id="100003")
        single = statement_counter.count
        statement_counter.reset()
        page = await _graphql(
            client,
            "{ organizations { edges { node { id ancestorOrganizations { id name }"
            " parentOrganization { id } } } } }",
        )
        paged = statement_counter.count

    assert [edge["node"]["id"] for edge in page["data"]["organizations"]["edges"]] == [
        OWN,
        "100003",
    ]
    # One each: the SQL plans read the organization (or the page) narrowed to the shopper's
    # memberships, with its ancestors as breadcrumbs, in one statement (the resolvers: access,
    # the organization, its chain; a page: the page with its ancestors, access).
    assert (single, paged) == (1, 1)


# ---------------------------------------------------------------- a deactivated account

WITHHELD = """
  contract { repositoryId } derivedContract { repositoryId }
  paymentMethods derivedPaymentMethods
  useAllPaymentMethodsFromSite derivedUseAllPaymentMethodsFromSite
  effectiveSiteProperties { contract { repositoryId } inheritedFrom { contract } }
  siteOrganizationProperties { contract { repositoryId } }
"""
WITHHELD_KEYS = [
    "contract",
    "derivedContract",
    "paymentMethods",
    "derivedPaymentMethods",
    "useAllPaymentMethodsFromSite",
    "derivedUseAllPaymentMethodsFromSite",
]


@pytest.fixture
async def deactivated(session: AsyncSession) -> None:
    organization = await session.get(models.Organization, OWN)
    assert organization is not None
    organization.active = False
    await session.commit()


@pytest.mark.usefixtures("deactivated")
async def test_a_deactivated_account_shows_its_shoppers_no_contract_or_payment_values(
    shopper_client: Callable[[str], httpx.AsyncClient], client: httpx.AsyncClient
) -> None:
    query = UP % f"active {WITHHELD}"
    page = f"{{ organizations {{ edges {{ node {{ id active {WITHHELD} }} }} }} }}"
    async with shopper_client(SHOPPER) as shopper:
        one = await _graphql(shopper, query, id=OWN)
        listed = await _graphql(shopper, page)
        rest = (await shopper.get(f"/ccstore/v1/organizations/{OWN}")).json()
    admin = await _graphql(client, query, id=OWN)
    admin_rest = (await client.get(f"/ccstore/v1/organizations/{OWN}")).json()

    nothing = {
        "id": OWN,
        "active": False,
        "contract": None,
        "derivedContract": None,
        "paymentMethods": None,
        "derivedPaymentMethods": None,
        "useAllPaymentMethodsFromSite": None,
        "derivedUseAllPaymentMethodsFromSite": None,
        "effectiveSiteProperties": {"contract": None, "inheritedFrom": {"contract": None}},
        "siteOrganizationProperties": [{"contract": None}],
    }
    assert one == {"data": {"organization": nothing}}
    assert listed == {"data": {"organizations": {"edges": [{"node": nothing}]}}}
    assert rest["active"] is False
    assert {key: rest[key] for key in WITHHELD_KEYS} == dict.fromkeys(WITHHELD_KEYS)
    # The admin still sees them all (on both transports).
    seen = admin["data"]["organization"]
    assert seen["derivedContract"] == {"repositoryId": "100010"}
    assert seen["effectiveSiteProperties"]["inheritedFrom"] == {"contract": OWN}
    assert (seen["paymentMethods"], seen["useAllPaymentMethodsFromSite"]) == (["card"], False)
    assert admin_rest["derivedContract"]["repositoryId"] == "100010"
    assert admin_rest["paymentMethods"] == ["card"]


@pytest.mark.usefixtures("shoppers", "deactivated")
async def test_a_deactivated_ancestor_is_still_a_breadcrumb_and_its_values_still_inherit(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = UP % "ancestorOrganizations { id name } derivedContract { repositoryId }"
    async with shopper_client(DEEP) as client:
        body = await _graphql(client, query, id="100003")
        rest = (await client.get("/ccstore/v1/organizations/100003")).json()

    # README, "Deactivate": descendants still inherit a deactivated organization's values.
    assert body == {
        "data": {
            "organization": {
                "id": "100003",
                "ancestorOrganizations": BREADCRUMBS,
                "derivedContract": {"repositoryId": "100010"},
            }
        }
    }
    assert _crumbs(rest["ancestorOrganizations"]) == BREADCRUMBS
    assert rest["derivedContract"]["repositoryId"] == "100010"


@pytest.mark.parametrize(
    "subject", ["a\x00b", "\ud800", "x" * 41], ids=["nul", "lone surrogate", "too long"]
)
async def test_a_subject_no_profile_can_have_is_refused_as_not_a_profile_id(
    app: Any,
    app_state: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    subject: str,
) -> None:
    token = identity_provider.token(subject)
    async with client_for(app, app_state, token=token) as client:
        body = await _graphql(client, UP % "ancestorOrganizations { id }", id=OWN)
        rest = await client.get(f"/ccstore/v1/organizations/{OWN}")

    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "the token's subject is not a profile id"
    assert rest.status_code == 401


@pytest.mark.usefixtures("deactivated")
@pytest.mark.parametrize(
    ("condition", "shopper_finds"),
    [
        ('contractId: "100010"', []),
        ("hasContract: true", []),
        ("hasContract: false", [OWN]),
        ("hasContract: false, approvalRequired: true", []),
        ("hasContract: false, approvalRequired: false", [OWN]),
    ],
)
async def test_no_filter_reveals_a_deactivated_accounts_contract_to_its_shoppers(
    shopper_client: Callable[[str], httpx.AsyncClient],
    client: httpx.AsyncClient,
    condition: str,
    shopper_finds: list[str],
) -> None:
    query = (
        f'{{ organizations(filter: {{effective: {{site: "siteUS", {condition}}}}})'
        " { totalCount edges { node { id } } } }"
    )
    async with shopper_client(SHOPPER) as shopper:
        body = await _graphql(shopper, query)
    admin = await _graphql(client, query)

    found = body["data"]["organizations"]
    assert [edge["node"]["id"] for edge in found["edges"]] == shopper_finds
    assert found["totalCount"] == len(shopper_finds)
    # The admin filters on the values as they are: 100001 sets contract 100010 on siteUS.
    admin_finds = [e["node"]["id"] for e in admin["data"]["organizations"]["edges"]]
    assert (OWN in admin_finds) is (condition in ('contractId: "100010"', "hasContract: true"))


@pytest.mark.usefixtures("shoppers")
async def test_breadcrumbs_are_answered_alike_by_graphql_cores_executor(
    settings: Any,
    engine: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    from orgql.app import create_app

    query = UP % (
        "parentOrganization { id name description version }"
        " ancestorOrganizations { id repositoryId name }"
    )
    plain = create_app(
        settings.model_copy(update={"graphql_compiled_executor": False}), engine=engine
    )
    token = identity_provider.token(DEEP)
    async with (
        plain.router.lifespan_context(plain) as state,
        client_for(plain, state, token=token) as client,
    ):
        reference = await _graphql(client, query, id="100003")
    async with shopper_client(DEEP) as client:
        compiled = await _graphql(client, query, id="100003")

    assert compiled == reference
    assert reference["data"] == {
        "organization": {
            "id": "100003",
            "parentOrganization": None,
            "ancestorOrganizations": [
                {"id": "100001", "repositoryId": "100001", "name": "Sample"},
                {"id": "100002", "repositoryId": "100002", "name": "Sample East"},
            ],
        }
    }
    assert {e["extensions"]["code"] for e in reference["errors"]} == {"FORBIDDEN"}
