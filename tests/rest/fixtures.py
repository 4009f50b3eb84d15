"""Data builders for the REST tests (database, app and client fixtures: tests/conftest.py).

``data/`` holds the vendor's createOrganization sample request and response verbatim
(``spec/createOrganization.txt``): they are the wire contract the shim is tested against.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"

_SAMPLE_REQUEST = json.loads((DATA / "createOrganization_sample_request.json").read_text())
_SAMPLE_RESPONSE = json.loads((DATA / "createOrganization_sample_response.json").read_text())


@pytest.fixture
def sample_request() -> dict[str, Any]:
    """The spec's sample request as written (a fresh copy each test may change)."""
    return copy.deepcopy(_SAMPLE_REQUEST)


#: The keys orgql adds to an organization's body (docs/rest.md, "orgql extensions"), as the
#: sample request leaves them.
ORGQL_EXTENSION_KEYS: dict[str, Any] = {"rolesApplyToDivisions": False}


@pytest.fixture
def sample_response() -> dict[str, Any]:
    """The spec's sample response, with orgql's extension keys at their defaults."""
    return {**copy.deepcopy(_SAMPLE_RESPONSE), **ORGQL_EXTENSION_KEYS}
