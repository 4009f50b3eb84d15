"""Admin login as the vendor's REST clients do it, and the guard of the admin routes.

``POST /ccadmin/v1/login`` with ``Authorization: Bearer <application key>`` and the form
``grant_type=client_credentials`` answers ``{access_token, token_type, expires_in}``;
``POST /ccadmin/v1/refresh`` with a valid admin access token answers a new one.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.auth.asgi import authenticator_of, principal_of
from orgql.auth.endpoints import LOGOUT_PATH
from orgql.auth.tokens import IssuedToken
from orgql.core.access import app_keys, revocations
from orgql.core.access.revocations import RevocationsFull
from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.rest.errors import error_response
from orgql.rest.operation import Operation, Resource
from orgql.rest.shapes import AccessToken, LogoutResult
from orgql.rest.transport import endpoint, read_body, unit_of_work

#: Transport failures that no OCC code names carry their HTTP status as ``errorCode``.
UNAUTHORIZED = "401"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="orgql"'}


def unauthorized(message: str) -> Response:
    err = OrgqlError(UNAUTHORIZED, message, None, ErrorKind.INVALID)
    return error_response(err, 401, CHALLENGE)


def admin_refusal(request: Request) -> Response | None:
    """None when the caller holds an admin access token, else the 401 answer."""
    principal = principal_of(request)
    if principal.is_admin:
        return None
    return unauthorized(principal.problem or "an admin access token is required")


def _token_body(token: IssuedToken) -> Response:
    body: AccessToken = {
        "access_token": token.access_token,
        "token_type": token.token_type,
        "expires_in": token.expires_in,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


@endpoint()
async def login(request: Request) -> Response:
    body = (await read_body(request)).decode("utf-8", "replace")
    grant = parse_qs(body).get("grant_type", [""])[0]
    if grant != "client_credentials":
        raise OrgqlError("100002", "grant_type must be client_credentials", "grant_type")
    key = _bearer(request)
    if key is None:
        return unauthorized("send the application key as 'Authorization: Bearer <key>'")
    async with unit_of_work(request) as session:
        key_id = await app_keys.check_app_key(session, key)
    if key_id is None:
        return unauthorized("the application key is not valid")
    return _token_body(authenticator_of(request).issue_admin(key_id))


@endpoint()
async def refresh(request: Request) -> Response:
    refusal = admin_refusal(request)
    if refusal is not None:
        return refusal
    subject = principal_of(request).subject or ""
    async with unit_of_work(request) as session:
        active = subject == "operator" or await app_keys.is_active(session, subject)
    if not active:
        return unauthorized("the application key of this token has been revoked")
    return _token_body(authenticator_of(request).issue_admin(subject))


@endpoint()
async def logout(request: Request) -> Response:
    """Revoke the admin access token the request carries (the router admitted it): every
    later request with it is 401, on REST and GraphQL alike, in every process (recorded on
    the primary and notified in one transaction: orgql.core.access.revocations)."""
    token = _bearer(request)
    assert token is not None  # the admin guard of the routes admitted a bearer token
    authenticator = authenticator_of(request)
    token_id, expires = authenticator.revocation(token)
    try:
        async with unit_of_work(request) as session:
            await revocations.revoke(session, token_id, expires)
    except RevocationsFull:
        err = OrgqlError(
            "503", "too many tokens are revoked now; retry later", None, ErrorKind.INTERNAL
        )
        return error_response(err, 503, {"Retry-After": "60"})
    authenticator.revoked_here(token, token_id, expires)
    body: LogoutResult = {"result": True}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


#: The route table's entry for ``POST /ccadmin/v1/logout``.
LOGOUT = Resource(
    LOGOUT_PATH,
    {
        "POST": Operation(
            logout,
            "logout",
            LogoutResult,
            "The access token is revoked",
            (503,),
            body_required=False,
            summary="Revoke the admin access token of the request: from now on it is refused"
            " (401) until it expires.",
        )
    },
)
