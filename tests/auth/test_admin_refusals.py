"""Every admin operation, REST route or GraphQL root field, refuses a caller without a valid
admin access token. The operations come from the route table and the schema, so a new one
is covered without a new test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)
from starlette.applications import Starlette
from starlette.routing import Route

from orgql.graphql.schema import default_schema
from orgql.rest.routes import ADMIN_ROUTES, PUBLIC_ADMIN_PATHS

#: The parameters below come from the schema's root fields.
SCHEMA = default_schema()._schema
SIGNING_KEY = "test-signing-key-" + "0" * 32

ADMIN_OPERATIONS = [
    (method, "/ccadmin" + route.path.replace("{id}", "100001"))
    for route in ADMIN_ROUTES
    if isinstance(route, Route) and route.path not in PUBLIC_ADMIN_PATHS
    for method in sorted(route.methods or ())
    if method != "HEAD"
]

#: Root fields open to anyone (storefront reads and self-registration).
PUBLIC_FIELDS = {
    ("query", "sites"),
    ("mutation", "submitOrganizationRequest"),
    # Open: each type's own rule applies to what they refetch (tests/graphql/test_node.py).
    ("query", "node"),
    ("query", "nodes"),
}
#: Root fields for the signed-in shopper's own things: an admin token is refused FORBIDDEN
#: there too (tests/addresses/test_profile_addresses_graphql.py).
SHOPPER_OWN_FIELDS = {
    ("mutation", "addMyAddress"),
    ("mutation", "updateMyAddress"),
    ("mutation", "deleteMyAddress"),
}
#: Root fields a shopper may ask for; the core narrows what they read (test_shopper_access).
SHOPPER_FIELDS = {
    ("query", "organization"),
    ("query", "organizations"),
    ("query", "organizationByKey"),
    # Mutations a shopper may run where their roles allow (core.access.permissions; refusals:
    # tests/people/test_shopper_mutations.py, tests/addresses/test_shopper_*.py).
    ("mutation", "createContact"),
    ("mutation", "updateContact"),
    ("mutation", "deactivateContact"),
    ("mutation", "reactivateContact"),
    ("mutation", "appendSecondaryOrganizations"),
    ("mutation", "removeSecondaryOrganizations"),
    ("mutation", "replaceSecondaryOrganizations"),
    ("mutation", "updateParentOrganization"),
    ("mutation", "grantRoles"),
    ("mutation", "revokeRoles"),
    ("mutation", "updateOrganizationMembers"),
    ("mutation", "addOrganizationAddress"),
    ("mutation", "updateOrganizationAddress"),
    ("mutation", "deleteOrganizationAddress"),
    ("mutation", "updateSiteOrganizationProperties"),
}
#: Root fields for shoppers only, refused to admins (tests/viewer/test_viewer_graphql.py).
SHOPPER_ONLY_FIELDS = {("query", "viewer")}


def _value(type_: Any) -> str:
    """A literal of ``type_``, good enough to pass validation."""
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{_value(type_.of_type)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        fields = [
            f"{name}: {_value(field.type)}"
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        ]
        return "{" + ", ".join(fields) + "}"
    assert isinstance(type_, GraphQLScalarType)
    return {"Int": "1", "Float": "1.0", "Boolean": "true"}.get(type_.name, '"100001"')


def _document(kind: str, name: str) -> str:
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    assert root is not None
    field = root.fields[name]
    arguments = ", ".join(
        f"{arg}: {_value(spec.type)}"
        for arg, spec in field.args.items()
        if isinstance(spec.type, GraphQLNonNull)
    )
    leaf = isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
    selection = "" if leaf else " { __typename }"
    return f"{kind} {{ {name}{f'({arguments})' if arguments else ''}{selection} }}"


ADMIN_FIELDS = [
    (kind, name)
    for kind, root in (
        ("query", SCHEMA.query_type),
        ("mutation", SCHEMA.mutation_type),
    )
    if root is not None
    for name in root.fields
    if (kind, name) not in PUBLIC_FIELDS | SHOPPER_ONLY_FIELDS | SHOPPER_OWN_FIELDS
]


def _admin_token(**overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "orgql",
        "aud": "orgql-admin",
        "sub": "test-suite",
        "scope": "admin",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")


def _tampered() -> str:
    header, _payload, signature = _admin_token().split(".")
    forged = jwt.utils.base64url_encode(
        b'{"iss":"orgql","aud":"orgql-admin","sub":"x","scope":"admin","iat":1,"exp":9999999999}'
    )
    return f"{header}.{forged.decode()}.{signature}"


#: Credentials that must not open an admin operation; a shopper token is added per test.
BAD_CREDENTIALS: dict[str, Callable[[], str | None]] = {
    "no token": lambda: None,
    "expired": lambda: _admin_token(exp=int(time.time()) - 5),
    "wrong audience": lambda: _admin_token(aud="someone-else"),
    "wrong issuer": lambda: _admin_token(iss="https://evil.example.com/"),
    "tampered": _tampered,
    "signed with another key": lambda: jwt.encode(
        {
            "iss": "orgql",
            "aud": "orgql-admin",
            "sub": "x",
            "scope": "admin",
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
        },
        "another-key-" + "1" * 32,
        algorithm="HS256",
    ),
    "algorithm none": lambda: jwt.encode(
        {
            "iss": "orgql",
            "aud": "orgql-admin",
            "sub": "x",
            "scope": "admin",
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
        },
        None,
        algorithm="none",
    ),
    "no admin scope": lambda: _admin_token(scope="shopper"),
    "not a bearer": lambda: "Basic dXNlcjpwYXNz",
    "shopper": lambda: "shopper",
}


async def _send(
    app: Starlette,
    state: Any,
    client_for: Callable[..., httpx.AsyncClient],
    credential: str,
    identity_provider: Any,
    method: str,
    url: str,
    **kwargs: Any,
) -> httpx.Response:
    token = BAD_CREDENTIALS[credential]()
    if token == "shopper":
        token = identity_provider.token("110000")
    async with client_for(app, state, token=None) as client:
        headers = {}
        if token is not None:
            headers["Authorization"] = token if token.startswith("Basic ") else f"Bearer {token}"
        return await client.request(method, url, headers=headers, **kwargs)


@pytest.mark.parametrize("credential", list(BAD_CREDENTIALS))
@pytest.mark.parametrize(("method", "url"), ADMIN_OPERATIONS)
async def test_an_admin_route_answers_401_without_a_valid_admin_token(
    app: Starlette,
    app_state: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    credential: str,
    method: str,
    url: str,
) -> None:
    response = await _send(
        app, app_state, client_for, credential, identity_provider, method, url, json={}
    )

    body = response.json()
    assert (response.status_code, body["errorCode"], body["status"]) == (401, "401", "401")
    assert response.headers["www-authenticate"] == 'Bearer realm="orgql"'


@pytest.mark.parametrize(
    ("credential", "kind", "name"),
    [
        (credential, kind, name)
        for kind, name in ADMIN_FIELDS
        for credential in BAD_CREDENTIALS
        if not (credential == "shopper" and (kind, name) in SHOPPER_FIELDS)
    ],
)
async def test_an_admin_graphql_operation_is_refused_without_a_valid_admin_token(
    app: Starlette,
    app_state: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    credential: str,
    kind: str,
    name: str,
) -> None:
    response = await _send(
        app,
        app_state,
        client_for,
        credential,
        identity_provider,
        "POST",
        "/graphql",
        json={"query": _document(kind, name)},
    )

    body = response.json()
    expected = "FORBIDDEN" if credential == "shopper" else "UNAUTHENTICATED"
    assert response.status_code == 200
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [([name], expected)]
    assert body["data"] in (None, {name: None})  # null propagates up to a nullable field


@pytest.mark.parametrize(("kind", "name"), ADMIN_FIELDS)
async def test_an_admin_graphql_operation_runs_with_an_admin_token(
    client: httpx.AsyncClient, kind: str, name: str
) -> None:
    response = await client.post("/graphql", json={"query": _document(kind, name)})

    errors = response.json().get("errors") or []
    assert [
        e for e in errors if e.get("extensions", {}).get("code") in ("UNAUTHENTICATED", "FORBIDDEN")
    ] == []


@pytest.mark.parametrize(
    ("credential", "kind", "name"),
    [
        (credential, kind, name)
        for kind, name in sorted(SHOPPER_OWN_FIELDS)
        for credential in BAD_CREDENTIALS
        if credential != "shopper"
    ],
)
async def test_a_shoppers_own_graphql_operation_is_refused_without_a_valid_token(
    app: Starlette,
    app_state: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    credential: str,
    kind: str,
    name: str,
) -> None:
    response = await _send(
        app,
        app_state,
        client_for,
        credential,
        identity_provider,
        "POST",
        "/graphql",
        json={"query": _document(kind, name)},
    )

    body = response.json()
    assert response.status_code == 200
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        ([name], "UNAUTHENTICATED")
    ]
    assert body["data"] == {name: None}
