"""Email addresses: which ones orgql takes, and when two are the same (docs/people.md, "Email").

One definition for every path that takes an email (a contact's, on create and update; a
registration request's, on submit and update; REST and GraphQL alike) and every one that
compares two (the unique key of profiles, linking a registration request to a profile,
looking a contact up, matching a shopper token):

- Taken: one ``@`` with something on each side, a domain of non-empty dot-separated labels
  (``bob@ibm.com.`` and ``bob@ibm..com`` are refused), no whitespace, nothing invisible
  (core.common.characters: controls, format characters such as a zero-width space or a
  direction mark, a zero-width (non-)joiner wherever it stands, unassigned code points,
  variation selectors and fillers: an address that looks like another but is not), and in
  Unicode's NFKC form already (a fullwidth letter, a Kelvin sign U+212A are refused, not
  silently rewritten: the caller learns what orgql would store). Non-ASCII letters are taken
  (internationalised addresses exist); a look-alike of another script is another address,
  and no rule below makes it match.
- The same: equal after trimming in any letter case, as the database compares them (the unique
  key ``lower(btrim(email))``), *and* equal uppercased. PostgreSQL lowercases a dotted capital
  I (U+0130) to "i", so ``bob@İbm.com`` has bob@ibm.com's key; it is another mailbox, so it
  matches no one, and the unique key still refuses it beside bob@ibm.com: a look-alike can
  neither take another person's profile nor sit next to it.
- Judged when given: the rule is the caller's, on the email they set (create, submit, and an
  update that changes it). An update that leaves the email out, or sends the stored one back
  as it is (a client writing back every field it read), is not refused for it: rows stored
  before the rule may break it, and must still take every other change.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, and_, func

from orgql.core.common.characters import invisible_problem
from orgql.core.common.errors import quoted

#: The shape: a local part and a domain of at least two non-empty labels; no whitespace.
_SHAPE = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def email_problem(value: str) -> str | None:
    """Why ``value`` (trimmed) is not an email address orgql takes; None when it is one."""
    if not _SHAPE.fullmatch(value):
        return "email is not an email address"
    # A separator fails the shape already; a joiner is refused wherever it stands.
    invisible = invisible_problem("email", value, name=False)
    if invisible is not None:
        return invisible
    if not unicodedata.is_normalized("NFKC", value):
        plain = unicodedata.normalize("NFKC", value)
        return f"email holds characters with a plainer form (Unicode NFKC): write {quoted(plain)}"
    return None


def changed_email_problem(given: str, stored: str | None) -> str | None:
    """Why ``given`` (trimmed) may not replace the ``stored`` email (None: a new record's):
    :func:`email_problem`'s, unless it is the stored email as it is (equal in every
    character: another case or form of it is a change, and judged)."""
    return None if given == stored else email_problem(given)


def same_email(email: Any, key: Any, other: Any) -> ColumnElement[bool]:
    """Whether the email column ``email`` (whose indexed key ``lower(btrim(email))`` is
    ``key``) holds ``other`` (a column or a string) in another case of the same letters:
    equal lowercased and uppercased. Lowercased alone is not enough: PostgreSQL lowercases a
    dotted capital I (U+0130) to "i" and a Kelvin sign (U+212A) to "k", so
    ``bob@\u0130bm.com``, another mailbox, one its owner can verify, would be bob@ibm.com;
    uppercased they differ."""
    return and_(
        key == func.lower(func.btrim(other)),
        func.upper(func.btrim(email)) == func.upper(func.btrim(other)),
    )
