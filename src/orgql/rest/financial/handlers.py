"""``POST /ccadmin/v1/organizations/{id}/syncFinancialData`` (syncFinancialData.txt)."""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.core.common.errors import Codes
from orgql.core.financial import sync as financial_sync
from orgql.core.financial.source import FinancialSource
from orgql.rest.financial.shapes import SyncFinancialDataResponse
from orgql.rest.transport import (
    endpoint,
    path_id,
    primary_read,
    read_json_object,
    unit_of_work,
)


def render_sync_result(result: financial_sync.SyncResult) -> SyncFinancialDataResponse:
    return {
        "customerAccountIds": list(result.customer_account_ids),
        "failedAddressItems": [
            {"errorMessage": item.error_message, "externalId": item.external_id}
            for item in result.failed_address_items
        ],
    }


@endpoint(internal_code=Codes.FINANCIAL_SYNC_FAILED)
async def sync_financial_data(request: Request) -> Response:
    organization_id = path_id(request)
    business_unit_id = financial_sync.parse_sync_request(
        await read_json_object(request, optional=True)
    )
    source: FinancialSource = request.state.financial_source
    result = await financial_sync.sync(
        functools.partial(primary_read, request),
        functools.partial(unit_of_work, request),
        source,
        organization_id,
        business_unit_id,
    )
    return JSONResponse(render_sync_result(result))
