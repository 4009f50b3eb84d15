"""Which REST operation a request is, by its operationId, for metrics and logs."""

from __future__ import annotations

import functools
import re

from starlette.routing import compile_path

from orgql.auth.endpoints import ADMIN_PREFIX
from orgql.rest.operation import Resource
from orgql.rest.routes import ADMIN, STORE

#: The label of every request whose path and method are not in the table: attacker paths
#: share it (one metrics series, not one per path).
UNKNOWN_OPERATION = "unknown"


@functools.cache
def _operation_table() -> tuple[tuple[str, re.Pattern[str], Resource], ...]:
    """Each resource with the fixed start of its paths (its mount's prefix and its path up to
    the first parameter) and the pattern of its whole path: a path without that start is not
    tried against the pattern (most of them, and a regular expression costs more)."""
    return tuple(
        (full.partition("{")[0], compile_path(full)[0], resource)
        for prefix, resources in ((ADMIN_PREFIX, ADMIN), ("/ccstore", STORE))
        for resource in resources
        for full in (prefix + resource.path,)
    )


def operation_id(method: str, path: str) -> str:
    """The operationId of ``method path`` (``getOrganization``), whether or not the request
    reached its handler (a 401 is refused before routing); :data:`UNKNOWN_OPERATION` for a
    path or method the table does not have. For metrics and logs."""
    method = "GET" if method == "HEAD" else method
    for start, pattern, resource in _operation_table():
        if path.startswith(start) and pattern.match(path):
            operation = resource.operations.get(method)
            return operation.operation_id if operation else UNKNOWN_OPERATION
    return UNKNOWN_OPERATION
