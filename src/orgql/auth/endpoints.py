"""Where the REST shim issues admin access tokens (OCC's paths): the routes serve them, and
the Idempotency-Key middleware leaves them alone. A leaf module: imported from both sides."""

from __future__ import annotations

#: The mount of the admin REST API.
ADMIN_PREFIX = "/ccadmin"
#: The admin paths that issue access tokens (POST), below ADMIN_PREFIX.
LOGIN_PATH = "/v1/login"
REFRESH_PATH = "/v1/refresh"
#: Where an admin access token is revoked (it needs one, so it is not a token path).
LOGOUT_PATH = "/v1/logout"
TOKEN_PATHS = frozenset({LOGIN_PATH, REFRESH_PATH})
#: The same, as the app serves them.
TOKEN_URL_PATHS = frozenset(f"{ADMIN_PREFIX}{path}" for path in TOKEN_PATHS)
