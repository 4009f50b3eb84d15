"""The example runner's parsing and normalisation (tests/docs/examples.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docs import examples


def test_an_answer_is_its_status_headers_and_body() -> None:
    assert examples.parse_answer('{"a": 1}', "x") == examples.Answer(200, (), '{"a": 1}')
    assert examples.parse_answer('HTTP 201\n{"a": 1}', "x") == examples.Answer(201, (), '{"a": 1}')
    assert examples.parse_answer('HTTP 200\nETag: "2"\n\n…', "x") == examples.Answer(
        200, (("ETag", '"2"'),), "…"
    )
    assert examples.parse_answer("HTTP 204", "x") == examples.Answer(204, (), "")


def test_a_request_is_its_line_headers_and_body() -> None:
    text = (
        "POST /graphql\nAuthorization: Bearer $ADMIN_TOKEN\nx-ccsite: site1\n\n"
        '{"query": "{ sites { id } }"}'
    )
    request = examples.parse_request(examples.substitute(text, {"ADMIN_TOKEN": "t"}), "x")
    assert request == examples.Request(
        "POST",
        "/graphql",
        (("Authorization", "Bearer t"), ("x-ccsite", "site1")),
        '{"query": "{ sites { id } }"}',
    )
    with pytest.raises(examples.ExampleError):
        examples.parse_request("graphql please", "x")


def test_generated_values_match_any_value_of_their_shape() -> None:
    one = {
        "id": "2a490934-718e-476b-a581-27f1d6d390c0",
        "at": "2026-12-06T13:46:05.366Z",
        "changedAt": "2026-11-24T00:35:35.692155+00:00",
        "secret": "whsec_zl2j_WKvouSdL7dhC",
        "token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        "message": "Unexpected error (reference 0123456789abcdef).",
        "requestId": "4f9c0123456789abcdef0123456789ab",
    }
    other = {
        "id": "00000000-1111-2222-3333-444444444444",
        "at": "2027-01-01T00:00:00.000Z",
        "changedAt": "2027-01-01T00:00:00.1+00:00",
        "secret": "whsec_other",
        "token": "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ5In0.",
        "message": "Unexpected error (reference fedcba9876543210).",
        "requestId": "00000000000000000000000000000000",
    }
    assert examples.normalise(one) == examples.normalise(other)
    assert examples.normalise({"id": "200015"}) != examples.normalise({"id": "200016"})


def test_an_http_block_needs_its_answer(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```http\nGET /healthz\n```\n\nno answer\n", "utf-8")
    with pytest.raises(examples.ExampleError, match="followed by a json block"):
        examples.parse_page(page)
