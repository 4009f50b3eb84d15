"""The floor: the page scenario's exact JSON from hand-written SQL, asyncpg and orjson.

No GraphQL, no ORM, no framework: a bare ASGI callable that reads ``first`` and ``after``
from the posted variables and answers what the gateway answers for ``bench/run.py``'s page
document. Two statements: the page with its ancestors (by the materialised path), then the
default site's properties of every organization on the chains, contracts joined.

``GET /ccadmin/v1/organizations...``: the REST reads ``restGet`` and ``restList``
(``rest_floor.py``).

``POST /shopper``: the same page of a shopper (``shopperPage``): the bearer token checked
(RS256, the gateway's ORGQL_SHOPPER_* settings) and the page narrowed to the organizations
its profile is a member of, if the profile is active. (The dataset's organizations are all
active, so nothing is withheld; the ancestors' id and name are what a shopper sees.)

``POST /depth15``: the ``depth15`` scenario (one organization, every field), from one
statement: ``floor_depth15.py``.

Run with the gateway's number of workers:

    FLOOR_DATABASE_URL=postgresql://... .venv/bin/uvicorn --app-dir bench floor:app --workers 2
"""

from __future__ import annotations

import base64
import os
from typing import Any

import asyncpg
import floor_depth15
import jwt
import orjson
import rest_floor

PAGE_AND_ANCESTORS = """
WITH page AS (
    SELECT id, name, parent_id, path, description, type, customer_type, duns_number,
           tax_reference_number
      FROM organizations WHERE id > $1 {member} ORDER BY id LIMIT $2
)
SELECT true AS on_page, * FROM page
UNION ALL
SELECT false, id, name, parent_id, path, description, type, customer_type, duns_number,
       tax_reference_number
  FROM organizations WHERE id = ANY(ARRAY(SELECT DISTINCT unnest(path) FROM page))
"""

SITE_VALUES = """
SELECT s.organization_id, s.contract_id, c.display_name, s.approval_required,
       s.order_price_limit, s.delegate_approval_management, s.use_external_approval_webhook
  FROM site_organization_properties s LEFT JOIN contracts c ON c.id = s.contract_id
 WHERE s.organization_id = ANY($1::varchar[])
   AND s.site_id = (SELECT id FROM sites WHERE is_default)
"""

DERIVED = (
    ("derivedDescription", "description"),
    ("derivedType", "type"),
    ("derivedCustomerType", "customer_type"),
    ("derivedDunsNumber", "duns_number"),
    ("derivedTaxReferenceNumber", "tax_reference_number"),
)
SITE = (
    ("approvalRequired", 3),
    ("orderPriceLimit", 4),
    ("delegateApprovalManagement", 5),
    ("useExternalApprovalWebhook", 6),
)

_pool: asyncpg.Pool | None = None


def _cursor(organization_id: str) -> str:
    return base64.urlsafe_b64encode(f"org:{organization_id}".encode()).decode()


def _global_id(organization_id: str) -> str:
    """An organization's ``id`` as the gateway answers it (graphql/global_ids.py)."""
    raw = f"Organization:{organization_id}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _after(cursor: str | None) -> str:
    if not cursor:
        return ""
    return base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")[2]


MEMBER = """AND id IN (SELECT m.organization_id FROM organization_members m
                   JOIN profiles p ON p.id = m.profile_id WHERE m.profile_id = $3 AND p.active)"""
ADMIN_PAGE = PAGE_AND_ANCESTORS.format(member="")
SHOPPER_PAGE = PAGE_AND_ANCESTORS.format(member=MEMBER)


def _profile(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The shopper's profile id from a valid bearer token, else None."""
    for name, value in headers:
        if name == b"authorization" and value.startswith(b"Bearer "):
            try:
                claims = jwt.decode(
                    value[7:].decode(),
                    os.environ["ORGQL_SHOPPER_PUBLIC_KEY"],
                    algorithms=["RS256"],
                    audience=os.environ["ORGQL_SHOPPER_AUDIENCE"],
                    issuer=os.environ["ORGQL_SHOPPER_ISSUER"],
                )
            except jwt.InvalidTokenError:
                return None
            return str(claims["sub"])
    return None


async def page(first: int, after: str | None, member: str | None = None) -> bytes:
    assert _pool is not None
    async with _pool.acquire() as connection:
        if member is None:
            rows = await connection.fetch(ADMIN_PAGE, _after(after), first + 1)
        else:
            rows = await connection.fetch(SHOPPER_PAGE, _after(after), first + 1, member)
        on_page = sorted((r for r in rows if r["on_page"]), key=lambda r: r["id"])
        by_id = {r["id"]: r for r in rows}
        chain_ids = list(by_id)
        site_rows = await connection.fetch(SITE_VALUES, chain_ids)
    site = {r[0]: r for r in site_rows}
    edges = []
    for row in on_page[:first]:
        chain = [row, *(by_id[a] for a in reversed(row["path"]) if a in by_id)]
        parent = chain[1] if len(chain) > 1 else None
        node: dict[str, Any] = {
            "id": _global_id(row["id"]),
            "name": row["name"],
            "parentOrganization": (
                {"id": _global_id(parent["id"]), "name": parent["name"]} if parent else None
            ),
            "ancestorOrganizations": [
                {"id": _global_id(a["id"]), "name": a["name"]} for a in chain[:0:-1]
            ],
        }
        for field, column in DERIVED:
            node[field] = next((o[column] for o in chain if o[column] is not None), None)
        values: dict[str, Any] = {}
        sources: dict[str, Any] = {}
        contract = next(
            (
                (o["id"], site[o["id"]])
                for o in chain
                if o["id"] in site and site[o["id"]][1] is not None
            ),
            None,
        )
        for field, index in SITE:
            found = next(
                (
                    (o["id"], site[o["id"]][index])
                    for o in chain
                    if o["id"] in site and site[o["id"]][index] is not None
                ),
                (None, None),
            )
            value = found[1]
            values[field] = (
                float(value) if field == "orderPriceLimit" and value is not None else value
            )
            sources[field] = found[0]
        values["contract"] = (
            {"repositoryId": contract[1][1], "displayName": contract[1][2]} if contract else None
        )
        values["inheritedFrom"] = {"contract": contract[0] if contract else None, **sources}
        node["effectiveSiteProperties"] = values
        edges.append({"cursor": _cursor(row["id"]), "node": node})
    return orjson.dumps(
        {
            "data": {
                "organizations": {
                    "pageInfo": {
                        "hasNextPage": len(on_page) > first,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                    "edges": edges,
                }
            }
        }
    )


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(
                    os.environ["FLOOR_DATABASE_URL"], min_size=1, max_size=10
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["method"] == "GET" and scope["path"].startswith(rest_floor.ORGANIZATIONS):
        assert _pool is not None
        async with _pool.acquire() as connection:
            answer = await rest_floor.answer(connection, scope["path"], scope["query_string"])
        status = 200 if answer is not None else 404
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer or b""})
        return
    if scope["method"] != "POST":  # the runner's readiness probe
        await send({"type": "http.response.start", "status": 405, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    variables = orjson.loads(body).get("variables") or {}
    member = None
    if scope["path"] == "/shopper":
        member = _profile(scope["headers"])
        if member is None:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
    if scope["path"] == "/depth15":
        host = dict(scope["headers"]).get(b"host", b"").decode()
        payload = await floor_depth15.organization(
            _pool, variables["id"], f"{scope['scheme']}://{host}/"
        )
    else:
        payload = await page(int(variables.get("first", 20)), variables.get("after"), member)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})
