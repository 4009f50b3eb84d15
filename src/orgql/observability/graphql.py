"""Tells the request's observation which GraphQL operation ran and which errors it showed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from orgql.graphql.errors import is_unexpected
from orgql.observability.database import current_observation, note_failure
from orgql.observability.requests import retry_later_error


def user_error_codes(data: Any) -> list[str]:
    """Codes of the ``userErrors`` of the top-level mutation payloads (as selected)."""
    if not isinstance(data, dict):
        return []
    codes: list[str] = []
    for payload in data.values():
        errors = payload.get("userErrors") if isinstance(payload, dict) else None
        if isinstance(errors, list):
            codes.extend(
                str(error["code"])
                for error in errors
                if isinstance(error, dict) and "code" in error
            )
    return codes


class ObserveOperation(SchemaExtension):
    """Listed after ``MaskUnexpectedErrors``, so that it sees the errors before masking."""

    def on_operation(self) -> Iterator[None]:
        yield
        observation = current_observation.get()
        if observation is None:
            return
        context = self.execution_context
        try:
            observation.operation = context.operation_name
        except Exception:  # a document that did not parse names no operation
            observation.operation = None
        result = context.result
        if result is None:
            return
        for error in result.errors or []:
            if is_unexpected(error):
                assert error.original_error is not None
                note_failure(error.original_error)
                # The database's failure is answered with the 503's code (graphql.errors).
                retry = retry_later_error(error.original_error)
                observation.error_codes.append("internal" if retry is None else retry[1])
                continue
            code = (error.extensions or {}).get("code")
            observation.error_codes.append(str(code) if code is not None else "graphql")
        observation.error_codes.extend(user_error_codes(result.data))
