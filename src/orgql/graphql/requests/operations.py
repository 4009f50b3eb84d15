"""Organization request queries and mutations.

``OrganizationRequestStoreMutations`` holds what a storefront calls without admin rights
(submit); the admin's queries and mutations are separate classes, so that authorization can
be applied per class.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.paging import DEFAULT_PAGE_SIZE, first_problem
from orgql.core.requests import reads as organization_request_reads
from orgql.core.requests import removal as request_removal
from orgql.core.requests import service as organization_requests
from orgql.db import request_models
from orgql.graphql import cursors
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error, site_argument, user_errors_of
from orgql.graphql.permissions import ADMIN
from orgql.graphql.requests.types import (
    ApproveOrganizationRequestInput,
    OrganizationRequest,
    OrganizationRequestStatus,
    RejectOrganizationRequestInput,
    SubmitOrganizationRequestInput,
    UpdateOrganizationRequestInput,
    occ_document,
)
from orgql.graphql.types import PageInfo, UserError


@strawberry.type
class OrganizationRequestEdge:
    cursor: str
    node: OrganizationRequest


@strawberry.type
class OrganizationRequestConnection:
    status: strawberry.Private[str | None]
    edges: list[OrganizationRequestEdge]
    page_info: PageInfo

    @strawberry.field(description="How many requests have the status asked for (one COUNT).")
    async def total_count(self, info: Info) -> int:
        status = self.status
        return await info.context.run(
            lambda session: organization_request_reads.count(session, status=status)
        )


@strawberry.type
class OrganizationRequestQueries:
    @strawberry.field(
        description="One organization request by id; null if there is none.",
        permission_classes=ADMIN,
    )
    async def organization_request(
        self, info: Info, id: strawberry.ID
    ) -> OrganizationRequest | None:
        row = await info.context.loaders.organization_request_by_id.load(str(id))
        return OrganizationRequest.from_row(row) if row is not None else None

    @strawberry.field(
        description="Organization requests, oldest first, a page at a time.",
        permission_classes=ADMIN,
    )
    async def organization_requests(
        self,
        info: Info,
        status: OrganizationRequestStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> OrganizationRequestConnection:
        size = DEFAULT_PAGE_SIZE if first is None else first
        if (problem := first_problem(size)) is not None:
            raise public_error(OrgqlError(Codes.INVALID_INPUT, problem, "first"))
        wanted = status.value if status is not None else None
        try:
            page = await info.context.run(
                lambda session: organization_request_reads.list_page(
                    session, status=wanted, limit=size, after=cursors.request_after(after)
                )
            )
        except OrgqlError as error:
            raise public_error(error) from None
        loader = info.context.loaders.organization_request_by_id
        for row in page.items:
            loader.prime(row.id, row)
        edges = [
            OrganizationRequestEdge(
                cursor=cursors.request_cursor(row.created_at, row.id),
                node=OrganizationRequest.from_row(row),
            )
            for row in page.items
        ]
        return OrganizationRequestConnection(
            status=wanted,
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
        )


@strawberry.type(
    description="With the site's email check on, only `message` is set: the answer does not"
    " reveal whether the email is registered."
)
class SubmitOrganizationRequestPayload:
    id: strawberry.ID | None
    message: str | None
    user_errors: list[UserError]


@strawberry.type
class DeleteOrganizationRequestPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="Null on userErrors.")
    user_errors: list[UserError]


@strawberry.type
class OrganizationRequestPayload:
    organization_request: OrganizationRequest | None
    user_errors: list[UserError]


@strawberry.type
class OrganizationRequestStoreMutations:
    @strawberry.mutation(
        description="Register a company from the storefront (status review), on `site`, else"
        " the x-ccsite header's site, else the default site."
    )
    async def submit_organization_request(
        self, info: Info, input: SubmitOrganizationRequestInput, site: strawberry.ID | None = None
    ) -> SubmitOrganizationRequestPayload | None:
        document = occ_document(input)
        site_id = str(site) if site is not None else info.context.site_header
        try:
            async with info.context.unit_of_work() as session:
                submitted = await organization_requests.submit(session, document, site_id=site_id)
        except OrgqlError as error:
            return SubmitOrganizationRequestPayload(
                id=None, message=None, user_errors=user_errors_of(error, site_argument(site))
            )
        return SubmitOrganizationRequestPayload(
            id=strawberry.ID(submitted.id) if submitted.id is not None else None,
            message=submitted.message,
            user_errors=[],
        )


Decide = Callable[
    [AsyncSession, str, Mapping[str, object]], Awaitable[request_models.OrganizationRequest]
]


async def _decide(
    info: Info, action: Decide, request_id: strawberry.ID, document: Mapping[str, object]
) -> OrganizationRequestPayload:
    try:
        async with info.context.unit_of_work() as session:
            row = await action(session, str(request_id), document)
    except OrgqlError as error:
        return OrganizationRequestPayload(
            organization_request=None, user_errors=user_errors_of(error)
        )
    return OrganizationRequestPayload(
        organization_request=OrganizationRequest.from_row(row), user_errors=[]
    )


@strawberry.type
class OrganizationRequestMutations:
    @strawberry.mutation(
        description="Change a request in review or moreInfoNeeded: its fields, drafts, comments"
        " and status (review or moreInfoNeeded).",
        permission_classes=ADMIN,
    )
    async def update_organization_request(
        self, info: Info, id: strawberry.ID, input: UpdateOrganizationRequestInput
    ) -> OrganizationRequestPayload | None:
        return await _decide(info, organization_requests.update, id, occ_document(input))

    @strawberry.mutation(
        description="Approve: creates the organization and the profile (or links the one with"
        " the email), the profile becoming its admin and buyer. Final.",
        permission_classes=ADMIN,
    )
    async def approve_organization_request(
        self, info: Info, id: strawberry.ID, input: ApproveOrganizationRequestInput | None = None
    ) -> OrganizationRequestPayload | None:
        document = occ_document(input) if input is not None else {}
        return await _decide(info, organization_requests.approve, id, document)

    @strawberry.mutation(
        description="Reject, with approverComments. Final.", permission_classes=ADMIN
    )
    async def reject_organization_request(
        self, info: Info, id: strawberry.ID, input: RejectOrganizationRequestInput | None = None
    ) -> OrganizationRequestPayload | None:
        document = occ_document(input) if input is not None else {}
        return await _decide(info, organization_requests.reject, id, document)

    @strawberry.mutation(
        description="Delete a request in review (moreInfoNeeded: 101007; approved or rejected:"
        " 101008; unknown: 101000).",
        permission_classes=ADMIN,
    )
    async def delete_organization_request(
        self, info: Info, id: strawberry.ID
    ) -> DeleteOrganizationRequestPayload | None:
        try:
            async with info.context.unit_of_work() as session:
                await request_removal.delete(session, str(id))
        except OrgqlError as error:
            return DeleteOrganizationRequestPayload(
                deleted_id=None, user_errors=user_errors_of(error)
            )
        return DeleteOrganizationRequestPayload(deleted_id=id, user_errors=[])
