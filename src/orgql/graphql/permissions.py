"""Who may run which operation: strawberry permission classes on root fields.

A refused field is a top-level error with ``extensions.code`` (UNAUTHENTICATED: no or no
valid admin token; FORBIDDEN: a shopper asking for an admin operation).
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from orgql.graphql.context import Info


class IsAdmin(BasePermission):
    message = "an admin access token is required"
    #: has_permission reads only ``info.context`` (not the object or the arguments): the
    #: compiled executor asks once per field and request (graphql/execution/plan.py).
    context_only = True

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal.is_admin:
            return True
        if principal.is_shopper:
            self.message = "this operation needs an admin access token"
            self.error_extensions = {"code": "FORBIDDEN"}
        else:
            self.message = principal.problem or IsAdmin.message
            self.error_extensions = {"code": "UNAUTHENTICATED"}
        return False


#: Shorthand for ``permission_classes=ADMIN`` on a field or mutation.
ADMIN: list[type[BasePermission]] = [IsAdmin]


class IsSignedIn(BasePermission):
    """Admins and shoppers; what a shopper then reads, the core decides (core.access.checks)."""

    message = "an access token is required"
    error_extensions = {"code": "UNAUTHENTICATED"}
    context_only = True  # as IsAdmin's

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal.is_admin or principal.is_shopper:
            return True
        self.message = principal.problem or IsSignedIn.message
        return False


#: Shorthand for ``permission_classes=SIGNED_IN``: admins and shoppers.
SIGNED_IN: list[type[BasePermission]] = [IsSignedIn]


class IsShopper(BasePermission):
    """Storefront shoppers only: what is theirs (``viewer``). An admin access token names no
    profile, so it is refused (FORBIDDEN), not answered with nobody's data."""

    message = "a shopper's access token is required"
    error_extensions = {"code": "UNAUTHENTICATED"}
    context_only = True  # as IsAdmin's

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal.is_shopper:
            return True
        if principal.is_admin:
            self.message = "viewer is the signed-in shopper: an admin access token names no profile"
            self.error_extensions = {"code": "FORBIDDEN"}
        else:
            self.message = principal.problem or IsShopper.message
            self.error_extensions = {"code": "UNAUTHENTICATED"}
        return False


#: Shorthand for ``permission_classes=SHOPPER``: shoppers only.
SHOPPER: list[type[BasePermission]] = [IsShopper]
