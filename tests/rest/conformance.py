"""Checks real answers of the REST shim against its OpenAPI document.

Every response's status must be documented for its path and method, and its JSON body must
validate against that status's schema (JSON Schema 2020-12, formats asserted). The
organization's shape is open for dynamic properties: here it is closed again, allowing only
the dynamic properties the test database defines, so a key a renderer adds without declaring
it fails here too.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from typing import Any

import httpx
import jsonschema_rs

from orgql.rest.routes import openapi_json

#: The dynamic properties defined in the demo data of the test database.
DYNAMIC_PROPERTIES = ("dynamicProperty1",)


def closed_document() -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(openapi_json())
    organization = document["components"]["schemas"]["Organization"]
    organization["properties"].update({key: {} for key in DYNAMIC_PROPERTIES})
    organization["additionalProperties"] = False
    return document


class Conformance:
    """Validates responses; remembers (path, method, status) of each one checked."""

    def __init__(self) -> None:
        self.document = closed_document()
        self.checked: Counter[tuple[str, str, str]] = Counter()
        self._templates = [
            (re.compile("^" + re.sub(r"{\w+}", "[^/]+", path) + "$"), path)
            for path in self.document["paths"]
        ]

    def problems(self, response: httpx.Response) -> list[str]:
        """What is wrong with ``response`` according to the document (empty: conforms)."""
        method = response.request.method.lower()
        status = str(response.status_code)
        path = self._template(response.request.url.path)
        if path is None:
            # A path no route serves (a generated id holding "/"): the router's errorModel.
            if status != "404":
                return [f"{response.request.url.path} is not documented"]
            return self._validate(
                {"$ref": "#/components/schemas/ErrorModel"},
                response,
                ("(no route)", method, status),
            )
        operation = self.document["paths"][path].get(method)
        if operation is None:
            return [f"{method} {path} is not documented"]
        documented = operation["responses"].get(status)
        if documented is None:
            return [f"{method} {path} answered {status}, which is not documented"]
        if "content" not in documented:  # 204: no body may come
            if response.content:
                return [f"{method} {path} answered {status} with a body the document denies"]
            self.checked[(path, method, status)] += 1
            return []
        schema = documented["content"]["application/json"]["schema"]
        return self._validate(schema, response, (path, method, status))

    def _validate(
        self, schema: dict[str, Any], response: httpx.Response, key: tuple[str, str, str]
    ) -> list[str]:
        validator = jsonschema_rs.Draft202012Validator(
            {**schema, "components": self.document["components"]}, validate_formats=True
        )
        errors = [
            f"{error.instance_path}: {error.message}"
            for error in validator.iter_errors(response.json())
        ]
        if not errors:
            self.checked[key] += 1
        return errors

    def check(self, response: httpx.Response) -> httpx.Response:
        problems = self.problems(response)
        assert problems == [], (response.request.method, response.request.url, problems)
        return response

    def _template(self, path: str) -> str | None:
        matches = [template for pattern, template in self._templates if pattern.match(path)]
        return min(matches, key=lambda template: template.count("{")) if matches else None
