"""The request examples of README.md and docs/*.md: parsing, running, comparing.

The format (docs/development.md, "Request examples"): a fenced ``http`` block (request line
``METHOD /path``, header lines, a blank line, a body or nothing) followed directly by a
fenced ``json`` block holding the answer: an optional status line ``HTTP 201`` (200 when
absent), optionally followed by response header lines to check and a blank line, then the
exact JSON body (nothing for an empty one). Generated values are normalised before the
comparison: any value of the same shape matches.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
#: Where `python3 dev.py serve` listens: the base of the links in the answers shown.
BASE_URL = "http://127.0.0.1:8080"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_STATUS = re.compile(r"^HTTP (?P<status>[1-5]\d\d)$")
_HEADER = re.compile(r"^(?P<name>[A-Za-z0-9-]+):[ \t]*(?P<value>.*)$")
_REQUEST_LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<target>/\S*)$")

#: Generated values, each replaced by its shape before answers are compared.
GENERATED = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<request-id>"),
    (re.compile(r"\breference [0-9a-f]{16}\b"), "reference <reference>"),
    (
        re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"),
        "<timestamp>",
    ),
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*"), "<token>"),
    (re.compile(r"\bwhsec_[\w-]+"), "<secret>"),
)


#: An answer body of just this is not compared (a long answer; its status and headers are).
UNCHECKED = ("…", "...")


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: str


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: str


@dataclass(frozen=True)
class Example:
    page: str
    line: int  # of the request block's opening fence, 1-based
    request_text: str
    answer: Answer

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


class ExampleError(ValueError):
    """A request example that does not follow the format."""


def fenced_blocks(text: str) -> Iterator[tuple[int, str, str]]:
    """(line of the opening fence, info string, content) of every fenced block."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, fence = match["indent"], match["fence"]
        start = index
        content: list[str] = []
        index += 1
        while index < len(lines):
            line = lines[index]
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            content.append(line.removeprefix(indent))
            index += 1
        yield start + 1, match["info"].strip().split(" ")[0], "\n".join(content)
        index += 1


def parse_page(path: Path) -> list[Example]:
    """The examples of a page, in page order."""
    page = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    blocks = list(fenced_blocks(path.read_text("utf-8")))
    examples = []
    for position, (line, info, content) in enumerate(blocks):
        if info != "http":
            continue
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        if following is None or following[1] != "json":
            raise ExampleError(f"{page}:{line}: an http block must be followed by a json block")
        examples.append(Example(page, line, content, parse_answer(following[2], f"{page}:{line}")))
    return examples


def _split_head(text: str) -> tuple[list[str], str]:
    head, _, body = text.partition("\n\n")
    return head.splitlines(), body.strip()


def parse_request(text: str, where: str) -> Request:
    head, body = _split_head(text.strip("\n"))
    match = _REQUEST_LINE.match(head[0].strip()) if head else None
    if match is None:
        raise ExampleError(f"{where}: the request must start with 'METHOD /path'")
    return Request(match["method"], match["target"], _headers(head[1:], where), body)


def parse_answer(text: str, where: str) -> Answer:
    text = text.strip("\n")
    first = text.split("\n", 1)[0].strip()
    status_line = _STATUS.match(first)
    if status_line is None:
        return Answer(200, (), text.strip())
    rest = text.split("\n", 1)[1] if "\n" in text else ""
    if rest.startswith("\n") or not rest.strip() or _HEADER.match(rest.split("\n", 1)[0]) is None:
        return Answer(int(status_line["status"]), (), rest.strip())
    head, body = _split_head(rest)
    return Answer(int(status_line["status"]), _headers(head, where), body)


def _headers(lines: list[str], where: str) -> tuple[tuple[str, str], ...]:
    headers = []
    for line in lines:
        match = _HEADER.match(line.strip())
        if match is None:
            raise ExampleError(f"{where}: {line!r} is not a header line")
        headers.append((match["name"], match["value"].strip()))
    return tuple(headers)


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """``$NAME`` replaced by its value, for every variable named; longest names first."""
    for name in sorted(variables, key=len, reverse=True):
        text = text.replace(f"${name}", variables[name])
    return text


def normalise(value: Any) -> Any:
    """``value`` (decoded JSON) with every generated value replaced by its shape."""
    if isinstance(value, str):
        for pattern, shape in GENERATED:
            value = pattern.sub(shape, value)
        return value
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, dict):
        return {normalise(key): normalise(item) for key, item in value.items()}
    return value


def _decoded(body: str, where: str) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ExampleError(f"{where}: the answer is not JSON: {exc}") from exc


async def run(example: Example, client: httpx.AsyncClient, variables: Mapping[str, str]) -> None:
    """Send the example's request; fail (AssertionError) when its answer differs."""
    request = parse_request(substitute(example.request_text, variables), example.where)
    headers = dict(request.headers)
    if request.body and not any(name.lower() == "content-type" for name in headers):
        headers["content-type"] = "application/json"
    response = await client.request(
        request.method, request.target, headers=headers, content=request.body.encode()
    )
    shown = f"{example.where}: {request.method} {request.target}"
    body = "" if example.answer.body in UNCHECKED else example.answer.body
    expected = normalise(_decoded(body, example.where))
    try:
        actual = normalise(response.json()) if response.content else None
    except json.JSONDecodeError:
        actual = response.text
    problems = []
    if response.status_code != example.answer.status:
        problems.append(f"status {response.status_code}, the page shows {example.answer.status}")
    for name, value in example.answer.headers:
        got = response.headers.get(name)
        if normalise(got) != normalise(value):
            problems.append(f"header {name}: {got!r}, the page shows {value!r}")
    if os.environ.get("ORGQL_DOCS_SHOW"):  # for writers: every answer, nothing checked
        head = f"HTTP {response.status_code}\n" if response.status_code != 200 else ""
        if "etag" in response.headers:
            head = f"HTTP {response.status_code}\nETag: {response.headers['etag']}\n\n"
        print(f"\n{shown}\n{head}{_shown(response)}")
        return
    if example.answer.body not in UNCHECKED and actual != expected:
        problems.append(
            "the answer differs from the page's.\n  page:   "
            + json.dumps(expected, ensure_ascii=False)
            + "\n  answer: "
            + json.dumps(actual, ensure_ascii=False)
        )
    assert not problems, shown + "\n" + "\n".join(problems)


def _shown(response: httpx.Response) -> str:
    try:
        body = response.json()
    except json.JSONDecodeError:
        return response.text
    return pretty(body)


def pretty(value: Any, indent: str = "") -> str:
    """JSON as the pages write it: a value that fits on one line stays on one."""
    compact = json.dumps(value, ensure_ascii=False)
    if len(indent) + len(compact) <= 132 or not isinstance(value, dict | list) or not value:
        return compact
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {pretty(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + pretty(v, inner) for v in value) + "\n" + indent + "]"


def pages() -> list[Path]:
    """README.md, then every page of docs/ in name order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
