"""The REST reads of organizations (getOrganization, listOrganizations, the storefront's
GET) answer from one statement (core.organizations.snapshots) exactly the bytes the batched
views rendered by rest.render.organization answer (the writes' renderer, the reference
here): every organization of a forest with values at several levels and on three sites, every
page of the list in several orders, a shopper's deactivated account; and each costs one
statement."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.responses import Response

from orgql.core.access import checks as access
from orgql.core.access.principals import Principal, Role
from orgql.core.organizations import repository
from orgql.core.organizations import service as organizations
from orgql.core.organizations.input import parse_new_organization
from orgql.core.organizations.query_filter import parse_q
from orgql.core.organizations.sorting import parse_sort
from orgql.core.organizations.views import load_views
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from orgql.rest import render
from orgql.rest.requests.render import EXPAND_VALUES
from orgql.settings import Settings
from rest.builders import contract, secondary_address

ORGANIZATIONS = "/ccadmin/v1/organizations"
STORE = "/ccstore/v1/organizations"
SHOPPER = "110000"
SITES = (None, "siteUS", "site1", "site2")
#: Own values of the chain below "Sample East Purchasing" (100003), level by level: the
#: site each one's site values go to, and what else it sets.
LEVELS: tuple[tuple[str | None, dict[str, Any]], ...] = (
    (
        "site1",
        {
            "description": "Rich top",
            "secondaryAddresses": [
                secondary_address("Office", isDefaultBillingAddress=True),
                secondary_address("Dock", isDefaultShippingAddress=True),
            ],
            "contract": contract(
                contract_terms={"terms": "Top terms"},
                startDate="2026-01-02T03:04:05.678Z",
                externalContractReference="TOP-1",
            ),
            "approvalRequired": True,
            "orderPriceLimit": 1234.5678,
            "useAllPaymentMethodsFromSite": True,
        },
    ),
    (None, {"vatReferenceNumber": "VAT-1", "members": [SHOPPER], "orderPriceLimit": 2500}),
    (
        "site2",
        {
            "paymentMethods": ["card"],
            "secondaryAddresses": [secondary_address("Store", isDefaultShippingAddress=True)],
            "contract": contract(displayName="Second", description="On site2"),
            "delegateApprovalManagement": True,
            "orderPriceLimit": 0.0001,
            "dunsNumber": "012345678",
        },
    ),
    ("siteUS", {"uniqueId": "U-3", "approvalRequired": False, "members": [SHOPPER]}),
)


def _bytes(body: object) -> bytes:
    """As Starlette's JSONResponse writes ``body``."""
    return json.dumps(
        body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


@pytest.fixture
async def forest(session: AsyncSession) -> list[str]:
    """A chain of four organizations below 100003 (the third deactivated), each with a
    dynamic property; and two siblings of the first."""
    created: list[str] = []
    async with session.begin():
        parent = "100003"
        for level, (site, values) in enumerate(LEVELS):
            document = {"name": f"Rich {level}", "parentOrganization": {"id": parent}, **values}
            dynamic = {"dynamicProperty1": f"value {level}"} if level != 1 else {}
            new = parse_new_organization(document, dynamic)
            parent = (await organizations.create(session, new, site_id=site)).id
            created.append(parent)
        for name in ("Rich sibling A", "Rich sibling B"):
            document = {"name": name, "parentOrganization": {"id": "100003"}}
            created.append(
                (await organizations.create(session, parse_new_organization(document))).id
            )
        await session.execute(
            text("UPDATE organizations SET active = false WHERE id = :id"), {"id": created[2]}
        )
        # Stored before values were checked: a float json writes as 1.5e-07 (orjson: 1.5e-7)
        # and an integer past 64 bits (orjson writes none): such answers are json's bytes.
        for organization_id, value in ((created[1], "0.00000015"), (created[4], "2" * 25)):
            await session.execute(
                text(
                    "UPDATE organizations SET dynamic_properties = CAST(:value AS jsonb)"
                    " WHERE id = :id"
                ),
                {"id": organization_id, "value": f'{{"legacyNumber": {value}}}'},
            )
    return created


async def _all_ids(session: AsyncSession) -> list[str]:
    return list(
        await session.scalars(select(models.Organization.id).order_by(models.Organization.id))
    )


def _urls(settings: Settings, response: httpx.Response) -> render.Urls:
    url = response.request.url
    return render.Urls(base=f"{url.scheme}://{url.netloc.decode()}", media_path=settings.media_path)


async def _reference(
    engine: AsyncEngine,
    settings: Settings,
    response: httpx.Response,
    organization_id: str,
    site_id: str | None,
    principal: Principal | None = None,
) -> bytes:
    """What the batched views rendered answer for ``organization_id`` (as ``principal``)."""
    async with make_sessionmaker(engine)() as session:
        site = await organizations.resolve_site(session, site_id, field="x-ccsite")
        seen = await access.load(session, principal) if principal else access.EVERYTHING
        (view,) = await load_views(
            session, [await organizations.get(session, organization_id)], site and site.id
        )
    href = str(response.request.url)
    return _bytes(render.organization(view, _urls(settings, response), href, seen))


@pytest.mark.parametrize("site", SITES)
async def test_every_organization_reads_as_the_batched_views_render_it(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    session: AsyncSession,
    settings: Settings,
    forest: list[str],
    site: str | None,
) -> None:
    headers = {"x-ccsite": site} if site else {}
    for organization_id in await _all_ids(session):
        response = await client.get(f"{ORGANIZATIONS}/{organization_id}", headers=headers)
        assert response.status_code == 200
        expected = await _reference(engine, settings, response, organization_id, site)
        assert response.content == expected, organization_id
        assert response.headers["content-type"] == "application/json"


async def test_the_answers_show_values_of_every_level(
    client: httpx.AsyncClient, forest: list[str]
) -> None:
    """The forest exercises what the comparison is about: inherited addresses, contracts
    with their terms and dates, prices, dynamic properties, members and roles."""
    body = (await client.get(f"{ORGANIZATIONS}/{forest[3]}", headers={"x-ccsite": "site1"})).json()

    assert body["derivedContract"]["terms"]["terms"] == "Top terms"
    assert body["derivedContract"]["startDate"] == "2026-01-02T03:04:05.678Z"
    assert body["derivedBillingAddress"]["city"] == "Boston"
    assert body["derivedShippingAddressType"] == "Store"
    assert body["derivedDunsNumber"] == 12345678
    assert body["derivedVatReferenceNumber"] == "VAT-1"
    assert body["derivedPaymentMethods"] == ["card"]
    assert [a["id"] for a in body["ancestorOrganizations"]] == [
        "100001",
        "100002",
        "100003",
        *forest[:3],
    ]
    assert body["members"] == [{"repositoryId": SHOPPER}]
    assert body["dynamicProperty1"] == "value 3"
    assert len(body["relativeRoles"]) > 0
    top = (await client.get(f"{ORGANIZATIONS}/{forest[0]}", headers={"x-ccsite": "site1"})).json()
    assert top["orderPriceLimit"] == 1234.5678
    assert b'"legacyNumber":1.5e-07' in (await client.get(f"{ORGANIZATIONS}/{forest[1]}")).content
    assert (
        b'"legacyNumber":' + b"2" * 25 in (await client.get(f"{ORGANIZATIONS}/{forest[4]}")).content
    )
    assert (
        b'"orderPriceLimit":0.0001'
        in (await client.get(f"{ORGANIZATIONS}/{forest[2]}", headers={"x-ccsite": "site2"})).content
    )


@pytest.mark.parametrize("expand", EXPAND_VALUES)
async def test_expand_changes_nothing_of_an_organization(
    client: httpx.AsyncClient, forest: list[str], expand: str
) -> None:
    """The organization reads take no ``expand`` (the organization requests' do): the
    answer with it is the answer without it, but for its own link."""
    plain = (await client.get(f"{ORGANIZATIONS}/{forest[3]}")).json()
    expanded = (await client.get(f"{ORGANIZATIONS}/{forest[3]}", params={"expand": expand})).json()

    assert expanded.pop("links") != plain.pop("links")
    assert expanded == plain


@pytest.mark.parametrize(
    ("q", "sort"),
    [(None, None), ('name sw "Rich"', "name:desc"), (None, "active:desc,name"), ("Sample", None)],
)
async def test_every_page_of_the_list_reads_as_the_batched_views_render_it(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    forest: list[str],
    q: str | None,
    sort: str | None,
) -> None:
    where = repository.OrganizationFilter(expression=parse_q(q))
    keys = parse_sort(sort)
    params: dict[str, Any] = {
        "limit": 3,
        **({"q": q} if q else {}),
        **({"sort": sort} if sort else {}),
    }
    offset, seen = 0, 0
    while True:
        response = await client.get(
            ORGANIZATIONS, params={**params, "offset": offset}, headers={"x-ccsite": "site1"}
        )
        assert response.status_code == 200
        body = response.json()
        async with make_sessionmaker(engine)() as session:
            site = await organizations.resolve_site(session, "site1")
            page = await organizations.list_page(session, where, limit=3, offset=offset, sort=keys)
            total = await repository.count_organizations(session, where)
            views = await load_views(session, page.items, site and site.id)
        urls = _urls(settings, response)
        expected = {
            "items": [
                render.organization(view, urls, urls.organization(view.organization.id))
                for view in views
            ],
            "totalResults": total,
            "total": total,
            "sort": body["sort"],
            "offset": offset,
            "limit": 3,
            "links": [{"rel": "self", "href": str(response.request.url)}],
        }
        assert response.content == _bytes(expected), offset
        seen += len(views)
        if not views:
            break
        offset += 3
    assert seen == total > 0


async def test_a_page_answers_its_offset_limit_total_and_own_link(
    client: httpx.AsyncClient, forest: list[str]
) -> None:
    response = await client.get(
        ORGANIZATIONS, params={"q": 'name sw "Rich"', "limit": 2, "offset": 2, "sort": "name"}
    )
    body = response.json()

    assert [item["name"] for item in body["items"]] == ["Rich 2", "Rich 3"]
    base = f"{response.request.url.scheme}://{response.request.url.netloc.decode()}"
    assert body["items"][0]["links"] == [
        {"rel": "self", "href": f"{base}{ORGANIZATIONS}/{forest[2]}"}
    ]
    assert {key: body[key] for key in ("totalResults", "total", "offset", "limit", "sort")} == {
        "totalResults": 6,
        "total": 6,
        "offset": 2,
        "limit": 2,
        "sort": [{"property": "name", "order": "asc"}, {"property": "id", "order": "asc"}],
    }
    assert body["links"] == [{"rel": "self", "href": str(response.request.url)}]


async def test_a_shopper_reads_their_deactivated_account_without_contract_or_payment_values(
    shopper_client: Callable[[str], httpx.AsyncClient],
    engine: AsyncEngine,
    settings: Settings,
    forest: list[str],
) -> None:
    """110000 is a member of 100001, of Rich 1 and of Rich 3; Rich 2 (deactivated) is an
    ancestor of Rich 3 only. Of a member account the shopper sees everything; of the
    others on the path a breadcrumb."""
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(models.OrganizationMember(organization_id=forest[2], profile_id=SHOPPER))
    principal = Principal(Role.SHOPPER, SHOPPER)
    async with shopper_client(SHOPPER) as client:
        for organization_id in ("100001", *forest[1:4]):
            for site in SITES:
                headers = {"x-ccsite": site} if site else {}
                response = await client.get(f"{STORE}/{organization_id}", headers=headers)
                assert response.status_code == 200
                expected = await _reference(
                    engine, settings, response, organization_id, site, principal
                )
                assert response.content == expected, (organization_id, site)
        inactive = (await client.get(f"{STORE}/{forest[2]}", headers={"x-ccsite": "site2"})).json()
        below = (await client.get(f"{STORE}/{forest[3]}")).json()

    assert inactive["active"] is False
    assert {
        key: inactive[key]
        for key in (
            "contract",
            "derivedContract",
            "paymentMethods",
            "derivedPaymentMethods",
            "useAllPaymentMethodsFromSite",
            "derivedUseAllPaymentMethodsFromSite",
        )
    } == dict.fromkeys(
        (
            "contract",
            "derivedContract",
            "paymentMethods",
            "derivedPaymentMethods",
            "useAllPaymentMethodsFromSite",
            "derivedUseAllPaymentMethodsFromSite",
        )
    )
    assert inactive["orderPriceLimit"] == 0.0001
    assert below["ancestorOrganizations"][:3] == [
        {"name": "Sample", "repositoryId": "100001", "active": True, "id": "100001"},
        {"name": "Sample East", "repositoryId": "100002", "id": "100002"},
        {"name": "Sample East Purchasing", "repositoryId": "100003", "id": "100003"},
    ]
    assert below["derivedPaymentMethods"] == ["card"]


async def test_the_reads_answer_the_headers_starlettes_response_writes(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    session: AsyncSession,
    forest: list[str],
) -> None:
    """The reads build their answers without Starlette's Response (rest.transport.JSONBytes):
    the headers are still the ones it writes, byte for byte and in its order, before those
    the middlewares add."""
    version = await session.scalar(
        select(models.Organization.version).where(models.Organization.id == forest[3])
    )
    async with shopper_client(SHOPPER) as shopper:
        answers = [
            (await client.get(f"{ORGANIZATIONS}/{forest[3]}"), {"ETag": f'"{version}"'}),
            (await client.get(ORGANIZATIONS, params={"limit": 2}), None),
            (await shopper.get(f"{STORE}/{forest[3]}"), None),
        ]
    for response, headers in answers:
        expected = Response(response.content, headers=headers, media_type="application/json")
        assert response.status_code == 200
        assert response.headers.raw[: len(expected.raw_headers)] == expected.raw_headers


@pytest.mark.parametrize("path", [ORGANIZATIONS, STORE])
async def test_a_missing_id_is_a_404_error_model(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient], path: str
) -> None:
    entry = {
        "errorCode": "100001",
        "message": "Organization '999999' does not exist",
        "status": "404",
        "o:errorPath": "id",
    }
    async with shopper_client(SHOPPER) as shopper:
        answers = [await caller.get(f"{path}/999999") for caller in (client, shopper)]
    if path == ORGANIZATIONS:  # a shopper's token is no admin's
        answers = answers[:1]
    for response in answers:
        assert response.status_code == 404
        assert response.json() == {**entry, "errors": [entry]}


async def test_another_account_is_answered_to_a_shopper_as_a_missing_id(
    shopper_client: Callable[[str], httpx.AsyncClient], forest: list[str]
) -> None:
    async with shopper_client(SHOPPER) as client:
        refused = await client.get(f"{STORE}/{forest[0]}")
        missing = await client.get(f"{STORE}/999999")

    assert refused.status_code == missing.status_code == 404
    assert refused.json()["message"] == f"Organization '{forest[0]}' does not exist"
    assert refused.json()["errorCode"] == missing.json()["errorCode"] == "100001"


async def test_an_unknown_site_is_answered_before_a_missing_id(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ORGANIZATIONS}/999999", headers={"x-ccsite": "nowhere"})

    assert (response.status_code, response.json()["errorCode"]) == (400, "100002")
    assert response.json()["message"] == "Site 'nowhere' does not exist"


@pytest.mark.parametrize(
    "path",
    [
        "/ccadmin/v1/organizations/{deep}",
        "/ccadmin/v1/organizations?limit=100",
        "/ccadmin/v1/organizations?limit=1&q=name%20sw%20%22Rich%22&sort=name:desc",
        "/ccadmin/v1/organizations/{deep}/siteOrganizationProperties",
        "/ccadmin/v1/organizations/{deep}/siteOrganizationProperties?allSites=false",
    ],
)
async def test_each_rest_read_costs_one_statement(
    client: httpx.AsyncClient, statement_counter: Any, forest: list[str], path: str
) -> None:
    statement_counter.reset()
    response = await client.get(path.format(deep=forest[3]), headers={"x-ccsite": "site1"})

    assert response.status_code == 200
    assert statement_counter.count == 1, statement_counter.statements


async def test_a_shoppers_read_costs_one_statement(
    shopper_client: Callable[[str], httpx.AsyncClient], statement_counter: Any, forest: list[str]
) -> None:
    async with shopper_client(SHOPPER) as client:
        statement_counter.reset()
        response = await client.get(f"{STORE}/{forest[3]}")

    assert response.status_code == 200
    assert statement_counter.count == 1, statement_counter.statements
