"""orgql.asgi_headers: the edge middlewares' reads of the raw header list answer as
Starlette's Headers and MutableHeaders do."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Scope

from orgql.asgi_headers import header, set_header, without_body

RAW = [(b"host", b"a"), (b"x-id", b"caf\xe9"), (b"x-id", b"second")]


def _scope(headers: list[tuple[bytes, bytes]], http_version: str = "1.1") -> Scope:
    return {"type": "http", "http_version": http_version, "headers": headers}


def test_a_header_is_its_first_value_in_latin_1_as_starlette_reads_it() -> None:
    scope = _scope(list(RAW))

    assert header(scope, b"x-id") == Headers(scope=scope).get("x-id") == "café"
    assert header(scope, b"absent") is None


def test_headers_given_as_a_tuple_are_kept_as_a_list() -> None:
    scope = _scope(tuple(RAW))  # type: ignore[arg-type]

    assert header(scope, b"host") == "a"
    assert scope["headers"] == RAW


def test_setting_a_header_replaces_the_first_drops_the_others_or_appends() -> None:
    for raw in (list(RAW), [(b"host", b"a")], []):
        ours: Message = {"type": "http.response.start", "headers": list(raw)}
        starlettes: Message = {"type": "http.response.start", "headers": list(raw)}

        set_header(ours, b"x-id", "new")
        MutableHeaders(scope=starlettes)["x-id"] = "new"

        assert ours["headers"] == starlettes["headers"]


def test_an_http1_request_without_length_or_transfer_encoding_has_no_body() -> None:
    assert without_body(_scope([(b"host", b"a")]))
    assert without_body(_scope([], http_version="1.0"))


def test_an_http1_request_of_length_zero_has_no_body() -> None:
    assert without_body(_scope([(b"host", b"a"), (b"content-length", b"0")]))


def test_a_request_that_may_have_a_body_is_not_judged_bodiless() -> None:
    assert not without_body(_scope([(b"content-length", b"1")]))
    assert not without_body(_scope([(b"content-length", b"0"), (b"content-length", b"5")]))
    assert not without_body(_scope([(b"transfer-encoding", b"chunked")]))
    assert not without_body(_scope([(b"content-length", b"0"), (b"transfer-encoding", b"chunked")]))
    # HTTP/2 frames a body with neither header.
    assert not without_body(_scope([(b"host", b"a")], http_version="2"))
    assert not without_body({"type": "http", "headers": []})
