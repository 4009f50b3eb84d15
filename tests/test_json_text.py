"""core.common.json_text reads JSON text exactly as ``json.loads`` does: the same values and
types (integers past 64 bits stay integers) and the same errors, for the database's json
values and the GraphQL request bodies alike."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from orgql.core.common import json_text


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


CASES = [
    b'{"a": 1, "a": 2}',
    b"123456789012345678901234567890",
    b"[9223372036854775807, 18446744073709551615, -9223372036854775809]",
    b'{"id": "12345678901234567890"}',
    b"[1.5, -0, -0.0, 1e5, 0.1, 12345.678901234567890, 5e-324]",
    b'"\\ud800"',
    b"1e400",
    b'{"a": NaN}',
    b"[Infinity]",
    b"[" * 2000 + b"]" * 2000,
    b"\xef\xbb\xbf{}",
    '{"é": "\u00e9"}'.encode("utf-16"),
    b"\xff",
    b'"\x01"',
    b" [true, false, null] ",
    b"",
    b"01",
    '["\u00e9\u0663", 12345678901234567890, "1234567890123456789"]'.encode(),
    b"[1234567890123456789, 123456789012345678]",
]

#: Text only a ``str`` holds: a lone surrogate, digits of other scripts.
STR_CASES = [
    '["\ud800", 12345678901234567890]',
    '["\ud800", 1]',
    '"' + "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660" * 2 + '"',
]


def _outcome(loads: Any, text: Any) -> tuple[str, str]:
    try:
        value = loads(text, parse_constant=_reject)
    except RecursionError:
        return ("RecursionError", "")
    except ValueError:
        return ("ValueError", "")
    return ("value", repr((value, type(value))))


@pytest.mark.parametrize("text", CASES + [case.decode("latin-1") for case in CASES] + STR_CASES)
def test_values_and_errors_are_the_standard_librarys(text: Any) -> None:
    assert _outcome(json_text.loads, text) == _outcome(json.loads, text)


def test_random_numbers_read_alike() -> None:
    numbers = random.Random(16)
    for _ in range(2_000):
        value = numbers.choice(
            [numbers.uniform(-1e300, 1e300), numbers.random(), numbers.getrandbits(70)]
        )
        text = json.dumps([value, {"v": value}])
        assert json_text.loads(text) == json.loads(text)
        assert type(json_text.loads(text)[0]) is type(json.loads(text)[0])


@pytest.mark.parametrize("text", CASES + [case.decode("latin-1") for case in CASES])
def test_a_request_body_reads_as_the_standard_library_reads_it_without_nan(text: Any) -> None:
    """loads_body (GraphQL and REST bodies): NaN and Infinity are no JSON numbers."""

    def body(text: Any, parse_constant: Any) -> Any:
        return json_text.loads_body(text)

    assert _outcome(body, text) == _outcome(json.loads, text)
    if text in (b'{"a": NaN}', b"[Infinity]"):
        assert _outcome(body, text) == ("ValueError", "")


def _nested(depth: int, text: str) -> list[str]:
    arrays = "[" * depth + "]" * depth
    objects = '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)
    return [arrays, objects] if text == "str" else [arrays.encode(), objects.encode()]


@pytest.mark.parametrize("kind", ["str", "bytes"])
def test_a_request_body_nested_past_the_bound_is_a_value_error(kind: str) -> None:
    """orjson reads up to 1,024 levels, more than the code that walks a body recursively
    (repr, graphql-core) can: a body is refused past MAX_BODY_DEPTH, whichever parser read it."""
    for text in _nested(json_text.MAX_BODY_DEPTH, kind):
        assert json_text.loads_body(text) == json.loads(text)
    for text in _nested(json_text.MAX_BODY_DEPTH + 1, kind):
        with pytest.raises(ValueError, match="nested"):
            json_text.loads_body(text)
    long_digits = "[" * 600 + "1234567890123456789012" + "]" * 600
    with pytest.raises(ValueError, match="nested"):  # read by json.loads, not orjson
        json_text.loads_body(long_digits if kind == "str" else long_digits.encode())


def test_many_containers_side_by_side_are_no_nesting() -> None:
    text = "[" + ", ".join(["[{}]"] * 5_000) + "]"
    assert len(json_text.loads_body(text)) == 5_000
