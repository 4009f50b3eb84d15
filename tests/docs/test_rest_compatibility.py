"""docs/rest.md's tables of REST operations agree with the route table (rest/routes.py):
every route served is listed as implemented (or as orgql's own), every row said to be
implemented is served, and every operation of the vendor's registry has its row."""

from __future__ import annotations

import re

from docs.examples import ROOT
from orgql.auth.endpoints import ADMIN_PREFIX
from orgql.rest import routes

PAGE = ROOT / "docs" / "rest.md"
_ROW = re.compile(
    r"^\| (?P<operation>\w+) \| (?P<method>[A-Z]+) \| `(?P<path>[^`]+)` \| (?P<status>[^|]+) \|$"
)
#: The vendor's registry (shared/spec/occ-organization-endpoints.md) lists 26 operations.
VENDOR_OPERATIONS = 26


def _rows() -> list[dict[str, str]]:
    lines = PAGE.read_text("utf-8").splitlines()
    return [match.groupdict() for line in lines if (match := _ROW.match(line))]


def _served() -> set[tuple[str, str]]:
    tables = ((ADMIN_PREFIX, routes.ADMIN), ("/ccstore", routes.STORE))
    return {
        (method, prefix + resource.path)
        for prefix, table in tables
        for resource in table
        for method in resource.operations
    }


def test_every_route_is_listed_as_served_and_every_listed_one_is() -> None:
    listed = {
        (row["method"], row["path"])
        for row in _rows()
        if row["status"].startswith(("implemented", "orgql extension"))
    }
    served = _served()
    unlisted = sorted(served - listed)
    assert not unlisted, (
        f"served but not marked implemented in {PAGE.name}: {unlisted}; mark its row"
        " 'implemented' (a vendor operation) or add it to 'orgql's own routes'"
    )
    missing = sorted(listed - served)
    assert not missing, (
        f"{PAGE.name} says these are implemented, but no route serves them: {missing}"
    )


def test_every_vendor_operation_has_one_row() -> None:
    rows = [row for row in _rows() if not row["status"].startswith("orgql extension")]
    assert all(row["status"].startswith(("implemented", "not implemented")) for row in rows)
    assert len(rows) == VENDOR_OPERATIONS
    assert len({(row["method"], row["path"]) for row in rows}) == VENDOR_OPERATIONS
    spec = ROOT.parent / "shared" / "spec" / "occ-organization-endpoints.md"
    if spec.is_file():  # the contract, beside the checkout (not in the repository)
        vendor = set(re.findall(r"^\| (\w+) \| [A-Z]+ \| /", spec.read_text("utf-8"), re.M))
        assert vendor == {row["operation"] for row in rows}
