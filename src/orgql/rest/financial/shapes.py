"""syncFinancialData shapes (``spec/syncFinancialData.txt``; see ``rest/shapes.py``)."""

from typing import Annotated, NotRequired, TypedDict

from orgql.rest.json_schema import Schema


class SyncFinancialDataRequest(TypedDict):
    """The body may be empty or {}."""

    businessUnitId: NotRequired[
        Annotated[
            int,
            Schema(
                minimum=0,
                maximum=2**63 - 1,
                description="Sync only this business unit's accounts. Without it: the business"
                " unit configured for the organization, else every account of its party.",
            ),
        ]
    ]


class FailedAddressItem(TypedDict):
    errorMessage: str
    externalId: str


class SyncFinancialDataResponse(TypedDict):
    customerAccountIds: Annotated[
        list[Annotated[str, Schema(minLength=1, maxLength=240)]],
        Schema(description="Repository ids of the synced customer accounts."),
    ]
    failedAddressItems: Annotated[
        list[FailedAddressItem],
        Schema(description="Addresses that could not be stored (the rest were)."),
    ]
