"""The organizations list's ``q``: a SCIM-style filter (the vendor's listing, "a SCIM-style
``q`` filter"), parsed into an expression the repository turns into SQL
(:mod:`query_sql`).

Grammar (keywords, operators and attribute names case-insensitive)::

    filter     := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" filter ")" | comparison
    comparison := attribute ("eq"|"ne"|"co"|"sw"|"ew") value | attribute "pr"
    value      := "string with \\" and \\\\ escapes" | true | false | null | digits

``and`` binds tighter than ``or``. A lone word without an operator means "name contains
it" (what the list always took). Strings compare case-insensitively, except ``eq`` / ``ne``
on ids and codes (``id``, ``dunsNumber``, ...), which are exact; ``name eq`` compares as names
are unique: case-insensitively after trimming. ``active`` takes ``eq`` / ``ne`` with true or
false. ``pr``: the attribute is set.

Bounded, so no ``q`` costs more than a small query: at most :data:`MAX_LENGTH` characters,
:data:`MAX_TERMS` comparisons, :data:`MAX_DEPTH` levels of parentheses and ``not``.
Anything else is the caller's error (100002, field ``q``), never a 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from orgql.core.common.errors import Codes, OrgqlError, quoted
from orgql.core.common.validation import is_storable_text

MAX_LENGTH = 1000
MAX_TERMS = 20
MAX_DEPTH = 5

#: The attributes ``q`` may name (createOrganization's scalar attributes) -> column.
TEXT_ATTRIBUTES = {
    "name": "name",
    "description": "description",
    "type": "type",
    "customerType": "customer_type",
    "uniqueId": "unique_id",
    "externalOrganizationId": "external_organization_id",
    "partyId": "party_id",
    "partyNumber": "party_number",
    "taxReferenceNumber": "tax_reference_number",
    "vatReferenceNumber": "vat_reference_number",
    "taxExemptionCode": "tax_exemption_code",
    "dunsNumber": "duns_number",
    "id": "id",
    "repositoryId": "id",
    "parentOrganization.id": "parent_id",
}
BOOLEAN_ATTRIBUTES = {"active": "active"}
#: Text attributes whose ``eq`` / ``ne`` are exact (ids and codes), not case-insensitive.
EXACT_ATTRIBUTES = frozenset(
    {"id", "repositoryId", "parentOrganization.id", "dunsNumber", "type", "customerType"}
)
ATTRIBUTES = {**TEXT_ATTRIBUTES, **BOOLEAN_ATTRIBUTES}
#: Attribute names compare case-insensitively (as SCIM's do).
_BY_LOWER_NAME = {name.lower(): name for name in ATTRIBUTES}


class Operator(StrEnum):
    EQ = "eq"
    NE = "ne"
    CO = "co"
    SW = "sw"
    EW = "ew"
    PR = "pr"


@dataclass(frozen=True)
class Comparison:
    attribute: str  # a key of ATTRIBUTES
    operator: Operator
    value: str | bool | None = None


@dataclass(frozen=True)
class Not:
    item: Expression


@dataclass(frozen=True)
class And:
    items: tuple[Expression, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expression, ...]


Expression = Comparison | Not | And | Or

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<open>\()|(?P<close>\))'
    r"|(?P<word>[A-Za-z0-9_.\-]+)|(?P<other>\S))"
)
_ESCAPE = re.compile(r"\\(.)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BARE_WORD = re.compile(r'[^\s"\\()]+')


def _refused(message: str) -> OrgqlError:
    return OrgqlError(Codes.INVALID_INPUT, f"q: {message}", "q")


@dataclass(frozen=True)
class _Token:
    kind: str  # string, open, close, word
    text: str


def _tokens(q: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(q):
        match = _TOKEN.match(q, position)
        if match is None:  # only trailing blanks are left
            break
        position = match.end()
        kind = match.lastgroup
        if kind is None:
            break
        if kind == "other":
            raise _refused(f"unexpected character {match.group(kind)!r}")
        found.append(_Token(kind, match.group(kind)))
    return found


def parse_q(q: str | None) -> Expression | None:
    """The expression ``q`` states; None when it is absent or blank (module rules)."""
    if q is None or not q.strip():
        return None
    if len(q) > MAX_LENGTH:
        raise _refused(f"at most {MAX_LENGTH} characters are allowed, not {len(q)}")
    if _CONTROL.search(q) or not is_storable_text(q):
        raise _refused("control characters are not allowed")
    word = q.strip()
    if _BARE_WORD.fullmatch(word) and word.lower() not in _KEYWORDS:
        return Comparison("name", Operator.CO, word)  # a bare word: name contains
    tokens = _tokens(q)
    parser = _Parser(tokens)
    expression = parser.filter(0)
    if parser.position < len(tokens):
        raise _refused(f"unexpected {quoted(tokens[parser.position].text)}")
    return expression


_KEYWORDS = frozenset({"and", "or", "not", *Operator})


class _Parser:
    """Recursive descent; the recursion is bounded by MAX_DEPTH (checked before descending)."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.terms = 0

    def _peek_keyword(self, keyword: str) -> bool:
        if self.position >= len(self.tokens):
            return False
        token = self.tokens[self.position]
        return token.kind == "word" and token.text.lower() == keyword

    def _next(self, what: str) -> _Token:
        if self.position >= len(self.tokens):
            raise _refused(f"{what} expected at the end")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def filter(self, depth: int) -> Expression:
        items = [self.term(depth)]
        while self._peek_keyword("or"):
            self.position += 1
            items.append(self.term(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def term(self, depth: int) -> Expression:
        items = [self.factor(depth)]
        while self._peek_keyword("and"):
            self.position += 1
            items.append(self.factor(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self, depth: int) -> Expression:
        if self._peek_keyword("not") or (
            self.position < len(self.tokens) and self.tokens[self.position].kind == "open"
        ):
            if depth >= MAX_DEPTH:
                raise _refused(f"at most {MAX_DEPTH} levels of parentheses and not are allowed")
            token = self._next("a comparison")
            if token.kind == "word":  # not
                return Not(self.factor(depth + 1))
            inner = self.filter(depth + 1)
            if self._next("')'").kind != "close":
                raise _refused("')' expected")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        token = self._next("an attribute")
        if token.kind != "word" or token.text.lower() in _KEYWORDS:
            raise _refused(f"an attribute expected, not {quoted(token.text)}")
        attribute = _BY_LOWER_NAME.get(token.text.lower(), token.text)
        if attribute not in ATTRIBUTES:
            known = ", ".join(sorted(ATTRIBUTES))
            raise _refused(f"unknown attribute {attribute[:60]!r}; known: {known}")
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise _refused(f"at most {MAX_TERMS} comparisons are allowed")
        word = self._next("an operator")
        try:
            operator = Operator(word.text.lower()) if word.kind == "word" else None
        except ValueError:
            operator = None
        if operator is None:
            raise _refused(
                f"an operator (eq, ne, co, sw, ew, pr) expected, not {quoted(word.text)}"
            )
        if operator is Operator.PR:
            return Comparison(attribute, operator)
        value = self._value(self._next("a value"))
        self._check(attribute, operator, value)
        return Comparison(attribute, operator, value)

    @staticmethod
    def _value(token: _Token) -> str | bool | None:
        if token.kind == "string":
            return _ESCAPE.sub(r"\1", token.text[1:-1])
        if token.kind == "word":
            lowered = token.text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            if token.text.isdigit():
                return token.text
        raise _refused(
            f'a value ("text", true, false, null or digits) expected, not {quoted(token.text)}'
        )

    @staticmethod
    def _check(attribute: str, operator: Operator, value: str | bool | None) -> None:
        if attribute in BOOLEAN_ATTRIBUTES:
            if operator not in (Operator.EQ, Operator.NE) or not isinstance(value, bool):
                raise _refused(f"{attribute} takes eq or ne with true or false")
        elif isinstance(value, bool):
            raise _refused(f"{attribute} compares with text, not {str(value).lower()}")
        elif value is None and operator not in (Operator.EQ, Operator.NE):
            raise _refused(f"{operator} needs a text value")
