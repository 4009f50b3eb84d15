"""Reading back the base64 text of global ids (graphql.global_ids) and page cursors
(graphql.cursors), in every spelling a client may send it.

The server writes one spelling of each (a global id: base64url without padding; a cursor:
base64url with padding), and those do not change. Clients that rebuild an id with the Relay
libraries' helpers (graphql-relay's ``toGlobalId``, graphene's ``to_global_id``: the standard
alphabet, padded) or that strip a cursor's padding to put it in a URL send the same bytes in
another spelling; each is read as the one the server wrote. Anything else is no base64 text:
a character of neither alphabet, padding that is not the length's, a length no base64 text
has, or a text longer than the caller's bound (checked before any work).
"""

from __future__ import annotations

import base64
import binascii
import re

#: Both alphabets' characters, unpadded (mixing them spells the same bytes: each of ``+ -``
#: and ``/ _`` is one digit).
_DIGITS = re.compile(r"[A-Za-z0-9+/_-]*")
_TO_URLSAFE = str.maketrans("+/", "-_")


def read(value: str, max_length: int) -> tuple[str, str] | None:
    """``value`` as the unpadded base64url spelling of its bytes, and those bytes as UTF-8
    text; None when it is no base64 text of at most ``max_length`` digits, or not UTF-8."""
    if len(value) > max_length + 2:
        return None
    digits = value.rstrip("=")
    padding = len(value) - len(digits)
    # Padding completes the last group of four: one "=" after 3 digits, two after 2.
    if padding and (padding > 2 or len(value) % 4):
        return None
    if not digits or len(digits) % 4 == 1 or len(digits) > max_length:
        return None
    if not _DIGITS.fullmatch(digits):
        return None
    spelling = digits.translate(_TO_URLSAFE)
    try:
        text = base64.urlsafe_b64decode(spelling + "=" * (-len(spelling) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):  # not UTF-8
        return None
    return spelling, text
