"""Characters a reader does not see: one definition for every value a person reads and
compares by eye: emails (core.common.emails) and names (an organization's, a registration
request's, a contact's or requester's first and last name, an address's nickname).

A value holding one looks like another value that it is not: ``Sample\u200b`` is drawn as
``Sample``, yet the unique key of organization names holds it as another name; a
right-to-left override (U+202E) draws the characters after it backwards. Refused are:

- every character of Unicode's C categories: controls (Cc: tab, newline and NEL included),
  format characters (Cf: zero-width space, zero-width (non-)joiner (but see below), word
  joiner, BOM, soft hyphen, direction marks, embeddings, overrides and isolates, tag
  characters), surrogates (Cs), private-use (Co) and unassigned (Cn) code points;
- the line and paragraph separators (Zl U+2028, Zp U+2029): a value is one line;
- the other Default_Ignorable_Code_Point characters (Unicode's DerivedCoreProperties.txt),
  drawn as nothing although not of a C category: the combining grapheme joiner, the Hangul
  and Khmer fillers, the Mongolian variation selectors, variation selectors; and the braille
  blank U+2800, a symbol drawn as nothing.

The zero-width non-joiner and joiner (U+200C, U+200D) are seen where they change how the
letters beside them are drawn, the contexts IDNA allows them in (RFC 5892, appendix A.1 and
A.2, the idna package's ``valid_contextj``): either after a virama (a Devanagari, Bengali,
... conjunct broken or formed: Indic names need them), or the non-joiner between a letter
that joins on its left and one that joins on its right (Arabic, Syriac, N'Ko, Mongolian, ...:
Persian names need it), combining marks between them aside. After an alef, which joins on
no left, it draws nothing. Anywhere else (``Sample\u200c``, between two Latin letters) they draw
nothing and are refused; an email refuses them everywhere (core.common.emails).

A name starts with a visible base character: a combining mark (Unicode's M categories: an
accent U+0301, an enclosing circle U+20DD) as its first character has nothing to sit on, so
it is drawn alone, over a dotted circle or over nothing, and a name made only of marks
(``\u0301\u0301``) is none a reader can say. Marks after a base character are the name's
accents, taken. (An email is not judged so: its own rules are core.common.emails'.)

A space separator (Zs: the plain space, a no-break space, an ideographic space) is seen, as
a gap: a name may hold one (an email takes none, by its own shape). A name is trimmed of
whitespace of every kind before it is judged (core.common.validation.read_str: Python's
``str.strip``, every Unicode White_Space character), so one made only of whitespace, an
ideographic space U+3000 or an em space U+2003 as much as ASCII spaces, is blank: refused
where a name is required, no name where it may be left out. Nothing is rewritten: a value is
refused, never silently changed (no NFKC form: fullwidth letters are letters).
"""

from __future__ import annotations

import re
import unicodedata

import idna

from orgql.core.common.errors import Codes
from orgql.core.common.validation import Problems

#: Default_Ignorable_Code_Point characters that are not of a C or Z category, and the braille
#: blank (U+2800, a symbol drawn as nothing: no space, so never trimmed from a name's end).
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef]"
)


_ZWNJ, _ZWJ = "\u200c", "\u200d"


def _unseen(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "C" or category in ("Zl", "Zp") or bool(_IGNORABLE.match(char))


def _joins(value: str, at: int) -> bool:
    """Whether the joiner at ``at`` changes how its neighbours are drawn: IDNA's CONTEXTJ
    rules (RFC 5892 appendix A, as the idna package implements them, with Unicode's joining
    types). A neighbour with no Unicode name is unassigned, refused anyway."""
    try:
        return bool(idna.valid_contextj(value, at))
    except (ValueError, idna.IDNAError):
        return False


def first_invisible(value: str, *, joiners: bool = True) -> str | None:
    """The first character of ``value`` a reader does not see (the module's list), as it is
    named in a message (``U+200B``); None when every character is seen. ``joiners``: a
    zero-width (non-)joiner is seen where it changes how its neighbours are drawn (names);
    False: never (an email, a unique key the caller types, where a joiner is one more way to
    look like another address)."""
    for at, char in enumerate(value):
        if _unseen(char) and not (joiners and char in (_ZWNJ, _ZWJ) and _joins(value, at)):
            return f"U+{ord(char):04X}"
    return None


def invisible_problem(key: str, value: str, *, name: bool = True) -> str | None:
    """Why ``value`` (trimmed), the caller's ``key``, is refused for a character a reader does
    not see, or, ``name`` (a name: zero-width (non-)joiners are judged in context, as
    :func:`first_invisible`'s ``joiners``), for a first character that is a combining mark
    (the module's rules; the message names the character: the caller cannot see it either);
    None when there is none. ``name`` False: an email (core.common.emails)."""
    found = first_invisible(value, joiners=name)
    if found is not None:
        return f"{key} holds an invisible or control character ({found})"
    if name and value and unicodedata.category(value[0])[0] == "M":
        mark = f"U+{ord(value[0]):04X}"
        return f"{key} starts with a combining mark ({mark}), not a visible base character"
    return None


def changed_invisible_problem(key: str, given: str, stored: str | None) -> str | None:
    """Why ``given`` (trimmed) may not replace the ``stored`` value of ``key`` (None: a new
    record's): :func:`invisible_problem`'s, unless it is the stored value as it is (trimmed:
    a client writing back every field it read). A row stored before the rule may hold such a
    character, and must still take every other change; any other value is judged."""
    if stored is not None and given == stored.strip():
        return None
    return invisible_problem(key, given)


def check_seen(
    key: str,
    given: str | None,
    stored: str | None,
    problems: Problems,
    *,
    path: str | None = None,
    code: str = Codes.INVALID_INPUT,
) -> None:
    """Records :func:`changed_invisible_problem` for the caller's ``given`` value of ``key``
    (None: not given) as a problem with ``code`` (the operation's invalid-input code) at
    ``path`` (default: ``key``)."""
    problem = changed_invisible_problem(key, given, stored) if given is not None else None
    if problem is not None:
        problems.add(code, problem, path or key)
