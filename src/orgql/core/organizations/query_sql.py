"""The organizations list's ``q`` expression (:mod:`query_filter`) as an SQL condition, and
the list's ``sort`` keys as an ORDER BY (:mod:`sorting`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, and_, false, func, not_, or_

from orgql.core.common import sorting
from orgql.core.common.names import text_key
from orgql.core.organizations.query_filter import (
    BOOLEAN_ATTRIBUTES,
    EXACT_ATTRIBUTES,
    TEXT_ATTRIBUTES,
    And,
    Comparison,
    Expression,
    Not,
    Operator,
    Or,
)
from orgql.core.organizations.sorting import SortKey
from orgql.db import models


def order_by(keys: list[SortKey]) -> list[UnaryExpression[Any]]:
    """ORDER BY ``keys``, then by id; unset values last (core.common.sorting)."""
    return sorting.order_by(models.Organization, keys)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def condition(expression: Expression) -> ColumnElement[bool]:
    """The rows ``expression`` admits. Depth is bounded by the parser (MAX_DEPTH)."""
    if isinstance(expression, And):
        return and_(*(condition(item) for item in expression.items))
    if isinstance(expression, Or):
        return or_(*(condition(item) for item in expression.items))
    if isinstance(expression, Not):
        # A comparison on an unset value is neither true nor false in SQL: "not" of it
        # admits the row, as SCIM's "not (x eq y)" does.
        return not_(func.coalesce(condition(expression.item), false()))
    return _comparison(expression)


def _comparison(item: Comparison) -> ColumnElement[bool]:
    org = models.Organization
    if item.attribute in BOOLEAN_ATTRIBUTES:
        column = getattr(org, BOOLEAN_ATTRIBUTES[item.attribute])
        if item.operator is Operator.EQ:
            return column.is_(item.value)  # type: ignore[no-any-return]
        return column.is_not(item.value)  # type: ignore[no-any-return]
    column = getattr(org, TEXT_ATTRIBUTES[item.attribute])
    if item.operator is Operator.PR:
        return column.is_not(None)  # type: ignore[no-any-return]
    value = item.value
    if value is None:  # eq null / ne null
        return column.is_(None) if item.operator is Operator.EQ else column.is_not(None)  # type: ignore[no-any-return]
    assert isinstance(value, str)
    if item.operator in (Operator.EQ, Operator.NE):
        if item.attribute == "name":
            equal = org.name_key == text_key(value)
        elif item.attribute in EXACT_ATTRIBUTES:
            equal = column == value
        else:
            equal = func.lower(column) == value.lower()
        if item.operator is Operator.EQ:
            return equal
        return or_(column.is_(None), not_(equal))
    pattern = _escape_like(value)
    if item.operator is Operator.CO:
        pattern = f"%{pattern}%"
    elif item.operator is Operator.SW:
        pattern = f"{pattern}%"
    else:
        pattern = f"%{pattern}"
    return column.ilike(pattern, escape="\\")  # type: ignore[no-any-return]
