"""The ``viewer`` root field: the signed-in shopper's own view (shoppers only)."""

from __future__ import annotations

import strawberry

from orgql.graphql.context import Info
from orgql.graphql.permissions import SHOPPER
from orgql.graphql.viewer.types import Viewer, ViewerReads


@strawberry.type
class ViewerQueries:
    @strawberry.field(
        description="The signed-in storefront shopper (docs/storefront.md). Anonymous:"
        " UNAUTHENTICATED; an admin access token: FORBIDDEN (it names no profile).",
        permission_classes=SHOPPER,
    )
    def viewer(self, info: Info) -> Viewer:
        return Viewer(reads=ViewerReads(info.context))
