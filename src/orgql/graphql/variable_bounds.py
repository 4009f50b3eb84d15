"""How large a request's variables may be, checked before graphql-core coerces them.

graphql-core coerces every variable whole before any resolver runs: a list of 500,000 ids (a
body of 1 MB) held the event loop 2-4 s before the resolver's own "at most 100 ids" refused
it. So no list of the variables may hold more items than the core takes in one list, nor an
object more keys (:data:`~orgql.core.common.validation.MAX_ITEMS`); all of them together at
most :data:`MAX_VALUES` values (a thousand addresses of a thousand types each is as much work
as the long list); and nothing nests deeper than a request body may
(:data:`~orgql.core.common.json_text.MAX_BODY_DEPTH`: a WebSocket message is not a body, and
is held to the same). One iterative walk, each container's size read before its items: a
list too long is refused without a look at what it holds.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import GraphQLError

from orgql.core.common.json_text import MAX_BODY_DEPTH
from orgql.core.common.validation import MAX_ITEMS

#: The code of the refusal (a limit: HTTP 400, graphql.limits.LIMIT_CODES).
CODE = "VARIABLES_TOO_LARGE"

#: The most values (items of lists, values of objects, at any depth) the variables may hold
#: in all: a request filling several of the core's lists to the brim still fits.
MAX_VALUES = 10 * MAX_ITEMS

#: A container met in the walk: its index in the walk, its parent's and its key there (a
#: path is spelt out only for the refusal).
_Step = tuple[int, int, str | int]


def variables_error(variables: object) -> GraphQLError | None:
    """The refusal of ``variables`` (a request's ``variables`` object) past the bounds, or
    None. Anything that is not an object is graphql-core's to refuse."""
    if not isinstance(variables, Mapping):
        return None
    if len(variables) > MAX_ITEMS:
        return _error(
            f"the variables hold {len(variables)} entries, more than the limit of {MAX_ITEMS}"
        )
    steps: list[_Step] = []
    stack: list[tuple[object, int, int]] = []  # (container, its step, its depth)
    for name, value in variables.items():
        if isinstance(value, list | dict):
            steps.append((len(steps), -1, str(name)))
            stack.append((value, len(steps) - 1, 1))
    values = 0
    while stack:
        container, step, depth = stack.pop()
        assert isinstance(container, list | dict)
        if depth > MAX_BODY_DEPTH:
            root = _path(steps, _root(steps, step))
            return _error(f"{root} is nested more than {MAX_BODY_DEPTH} levels deep")
        if len(container) > MAX_ITEMS:
            held = "items" if isinstance(container, list) else "keys"
            where = _path(steps, step)
            return _error(
                f"{where} holds {len(container)} {held}, more than the limit of {MAX_ITEMS}"
            )
        values += len(container)
        if values > MAX_VALUES:
            root = _path(steps, _root(steps, step))
            return _error(f"{root} brings the variables past the limit of {MAX_VALUES} values")
        pairs = enumerate(container) if isinstance(container, list) else container.items()
        for key, item in pairs:
            if isinstance(item, list | dict):
                steps.append((len(steps), step, key))
                stack.append((item, len(steps) - 1, depth + 1))
    return None


def _root(steps: list[_Step], step: int) -> int:
    while steps[step][1] != -1:
        step = steps[step][1]
    return step


def _path(steps: list[_Step], step: int) -> str:
    """``$name.key[3]``: the variable, and the keys and indexes down to the container."""
    parts: list[str] = []
    while step != -1:
        _, parent, key = steps[step]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}" if parent != -1 else key)
        step = parent
    return "variable $" + "".join(reversed(parts))


def _error(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": CODE})
