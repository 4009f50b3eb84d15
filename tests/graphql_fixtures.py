"""Fixtures of the GraphQL tests: a client that POSTs documents to /graphql, and input
builders. Database and app fixtures come from tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from graphql_client import GraphQL, address_input, contract_input


@pytest.fixture
def graphql(client: httpx.AsyncClient, request: pytest.FixtureRequest) -> GraphQL:
    """The client; in a test marked ``read_vendor_ids``, its answers' ids read as vendor ids
    (``graphql_client.vendor_ids``)."""
    return GraphQL(
        client, vendor_ids=request.node.get_closest_marker("read_vendor_ids") is not None
    )


@pytest.fixture
def make_address_input() -> Callable[..., dict[str, Any]]:
    """A SecondaryAddressInput with every required field (see ``address_input``)."""
    return address_input


@pytest.fixture
def make_contract_input() -> Callable[..., dict[str, Any]]:
    """A ContractInput naming the demo catalog and price list group."""
    return contract_input
