"""The OpenAPI 3.1 document of the REST shim, served at ``GET /ccadmin/v1/openapi.json``.

Generated, not written: paths, methods and parameters come from the route table
(``rest/routes.py``), request and response schemas from the ``TypedDict`` shapes the
renderers build (``rest/**/*shapes.py``, through ``rest/json_schema.py``; the per-site
values besides the vendor's from their declaration, ``rest/sites/declared_keys.py``). What
every route shares is added here once: the errorModel answers (401 when secured, 413 and 415
when a body is read, Idempotency-Key's 409 and 422 on mutations, 500) and the Idempotency-Key
header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus

from orgql import idempotency
from orgql.rest.json_schema import Components, JSONSchema, ref
from orgql.rest.operation import Operation, Resource
from orgql.rest.organizations.shapes import OPEN_SHAPES
from orgql.rest.organizations.update_shapes import UpdateOrganization
from orgql.rest.shapes import ErrorModel
from orgql.rest.sites.declared_keys import FURTHER_KEYS

INFO = {
    "title": "orgql OCC-compatible REST shim",
    "version": "1",
    "description": "Oracle Commerce Cloud compatible organization endpoints. Every failure "
    "is an errorModel; errorCode is the OCC code, or the HTTP status for routing failures and "
    "internal errors that no OCC code names.",
}

SECURITY_SCHEMES: dict[str, object] = {
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An admin access token from /ccadmin/v1/login or `orgql token`.",
    },
    "shopperToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A shopper's token from the merchant's identity provider.",
    },
    "applicationKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An application key from `orgql app-key create` (login only).",
    },
}
#: The document's default: admin routes need an admin access token.
DEFAULT_SECURITY = ("adminToken",)

_PATH_PARAMETER = re.compile(r"{(\w+)}")


def document(mounts: Mapping[str, Sequence[Resource]]) -> dict[str, object]:
    """The document of the resources mounted under each prefix ("/ccadmin": [...])."""
    components = Components(
        open_shapes=(*OPEN_SHAPES, UpdateOrganization), further_keys=FURTHER_KEYS
    )
    components.ref(ErrorModel)
    paths: dict[str, dict[str, object]] = {}
    for prefix, resources in mounts.items():
        for resource in resources:
            item = paths.setdefault(prefix + resource.path, {})
            for method, operation in resource.operations.items():
                item[method.lower()] = _operation(resource.path, method, operation, components)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "paths": paths,
        "security": [{name: []} for name in DEFAULT_SECURITY],
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": dict(sorted(components.schemas.items())),
        },
    }


def _operation(
    path: str, method: str, operation: Operation, components: Components
) -> dict[str, object]:
    spec: dict[str, object] = {"operationId": operation.operation_id}
    if operation.summary:
        spec["summary"] = operation.summary
    if operation.description:
        spec["description"] = operation.description
    if operation.security is not None:
        spec["security"] = [{name: []} for name in operation.security]
    mutation = method in idempotency.METHODS
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(path)
    ]
    parameters.extend(dict(parameter) for parameter in operation.parameters)
    if mutation:
        parameters.append(_idempotency_key())
    if parameters:
        spec["parameters"] = parameters
    if operation.body is not None:
        spec["requestBody"] = {
            "required": operation.body_required,
            "content": {operation.body_media_type: {"schema": components.of(operation.body)}},
        }
    ok: dict[str, object] = {"description": operation.ok_description}
    if operation.ok_headers:
        ok["headers"] = {name: dict(spec) for name, spec in operation.ok_headers.items()}
    if operation.ok_status != HTTPStatus.NO_CONTENT:
        ok_schema: JSONSchema = (
            {"type": "object"} if operation.ok is None else components.of(operation.ok)
        )
        ok["content"] = {"application/json": {"schema": ok_schema}}
    responses: dict[str, object] = {str(operation.ok_status): ok}
    errors = set(operation.errors) | {500}
    if (operation.security if operation.security is not None else DEFAULT_SECURITY) != ():
        errors.add(401)
    if operation.body is not None:  # too large, or content-encoded (orgql.body_limit)
        errors |= {413, 415}
    if mutation:
        errors |= {400, 409, 410, 422}
    for status in sorted(errors):
        responses[str(status)] = {
            "description": f"{HTTPStatus(status).phrase}: an errorModel",
            "content": {"application/json": {"schema": ref("ErrorModel")}},
        }
    spec["responses"] = responses
    return spec


def _idempotency_key() -> dict[str, object]:
    # Read when the document is built: orgql.idempotency imports the REST errors, so it may
    # still be importing when this module is.
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY},
        "description": "Runs the mutation once: a retry with the same key and request answers the "
        "first answer again (Idempotency-Replayed: true); the same key with another request "
        "(another body, x-ccsite or If-Match) is 422, two keys 400, while the first still runs "
        "409; 410 when the first made its changes but its answer was lost.",
    }
