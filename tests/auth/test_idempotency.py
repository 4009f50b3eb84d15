"""Mutations with an Idempotency-Key: a retry with the same key and body answers the first
answer and changes nothing; the same key with another body (or site) is 422; keys belong to
their caller, an anonymous one's to the request itself; a key older than
ORGQL_IDEMPOTENCY_TTL_SECONDS is forgotten, and expired keys are deleted. Failures, leases
and bodies cut short: test_idempotency_failures.py.

The request a key answers for is its meaning: a conditional header (``If-Match``) sent
differently makes another request (422), and a request names one key only (400)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db import models, request_models
from orgql.db.engine import make_sessionmaker
from rest.request_builders import STORE_REQUESTS, request_document

ORGANIZATIONS = "/ccadmin/v1/organizations"
CREATE = """mutation($name: String!) { createOrganization(input: {name: $name}) {
  organization { id name } userErrors { code } } }"""


async def _count(engine: AsyncEngine, name: str) -> int:
    async with make_sessionmaker(engine)() as session:
        statement = select(func.count()).where(models.Organization.name == name)
        return int(await session.scalar(statement) or 0)


async def test_a_rest_retry_answers_the_first_answer_and_creates_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "create-acme-1"}
    first = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
    retry = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)

    assert first.status_code == retry.status_code < 300
    assert retry.content == first.content
    assert retry.headers["idempotency-replayed"] == "true"
    assert await _count(engine, "Acme") == 1


async def test_the_same_key_with_another_body_is_422_and_changes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "create-acme-2"}
    await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
    other = await client.post(ORGANIZATIONS, json={"name": "Other"}, headers=headers)

    assert (other.status_code, other.json()["o:errorPath"]) == (422, "Idempotency-Key")
    assert await _count(engine, "Other") == 0


async def test_without_a_key_each_request_runs(client: httpx.AsyncClient) -> None:
    first = await client.post(ORGANIZATIONS, json={"name": "Acme"})
    second = await client.post(ORGANIZATIONS, json={"name": "Acme"})

    assert (first.status_code < 300, second.status_code) == (True, 409)


async def test_a_first_answer_that_was_an_error_is_answered_again(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "bad-1"}
    first = await client.post(ORGANIZATIONS, json={"name": ""}, headers=headers)
    retry = await client.post(ORGANIZATIONS, json={"name": ""}, headers=headers)

    assert (first.status_code, retry.content) == (400, first.content)


async def test_a_graphql_mutation_retry_answers_the_first_answer(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    request: dict[str, Any] = {"query": CREATE, "variables": {"name": "Acme"}}
    headers = {"Idempotency-Key": "gql-1"}
    first = await client.post("/graphql", json=request, headers=headers)
    retry = await client.post("/graphql", json=request, headers=headers)
    other = await client.post(
        "/graphql", json={**request, "variables": {"name": "Other"}}, headers=headers
    )

    assert first.json()["data"]["createOrganization"]["userErrors"] == []
    assert (retry.content, other.status_code) == (first.content, 422)
    assert other.json()["errors"][0]["extensions"] == {  # a GraphQL error, not an errorModel
        "code": "BAD_REQUEST",
        "field": "Idempotency-Key",
    }
    assert (await _count(engine, "Acme"), await _count(engine, "Other")) == (1, 0)


async def test_keys_belong_to_their_caller(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
    async with shopper_client("110000") as shopper:
        response = await shopper.post("/ccstore/v1/organizationRequests", json={}, headers=headers)

    assert response.status_code == 400  # its own request ran; not the admin's answer, no 422


async def test_an_unprintable_or_long_key_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        ORGANIZATIONS, json={"name": "Acme"}, headers={"Idempotency-Key": "k" * 256}
    )

    assert response.status_code == 400


async def _age(engine: AsyncEngine, key: str, seconds: int) -> None:
    """Make the key ``seconds`` old."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE idempotency_keys SET created_at = now() - make_interval(secs => :age)"
                " WHERE key = :key"
            ),
            {"age": seconds, "key": key},
        )


async def test_an_expired_key_is_forgotten_and_a_request_with_it_runs_anew(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "create-expiring"}
    first = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
    await _age(engine, "create-expiring", 24 * 3600 + 1)  # ORGQL_IDEMPOTENCY_TTL_SECONDS

    # Another body: not 422 but a new request, which takes the key over.
    other = await client.post(ORGANIZATIONS, json={"name": "Other"}, headers=headers)
    retry = await client.post(ORGANIZATIONS, json={"name": "Other"}, headers=headers)

    assert first.status_code < 300
    assert other.status_code < 300
    assert "idempotency-replayed" not in other.headers
    assert (retry.content, retry.headers["idempotency-replayed"]) == (other.content, "true")
    assert (await _count(engine, "Acme"), await _count(engine, "Other")) == (1, 1)


async def test_a_key_just_younger_than_its_ttl_still_answers(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "create-young"}
    await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
    await _age(engine, "create-young", 24 * 3600 - 60)

    other = await client.post(ORGANIZATIONS, json={"name": "Other"}, headers=headers)

    assert other.status_code == 422
    assert await _count(engine, "Other") == 0


async def test_each_claim_deletes_expired_keys_of_any_caller(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO idempotency_keys (owner, key, request_hash, created_at)"
                " SELECT 'shopper:p' || n, 'old-' || n, 'x', now() - interval '2 days'"
                " FROM generate_series(1, 5) n"
                " UNION ALL SELECT 'shopper:p9', 'recent', 'x', now() - interval '1 hour'"
            )
        )

    await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers={"Idempotency-Key": "k"})

    async with engine.connect() as connection:
        left = await connection.scalars(text("SELECT key FROM idempotency_keys ORDER BY key"))
        assert list(left) == ["k", "recent"]


async def test_two_requests_with_one_expired_key_run_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "create-race"}
    await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
    await _age(engine, "create-race", 2 * 24 * 3600)

    answers = await asyncio.gather(
        *(client.post(ORGANIZATIONS, json={"name": "Other"}, headers=headers) for _ in range(4))
    )

    ran = [a for a in answers if a.status_code < 300 and "idempotency-replayed" not in a.headers]
    assert len(ran) == 1
    assert all(a in ran or a.status_code == 409 or a.content == ran[0].content for a in answers)
    assert await _count(engine, "Other") == 1


async def _requests_named(engine: AsyncEngine, name: str) -> int:
    async with make_sessionmaker(engine)() as session:
        statement = select(func.count()).where(request_models.OrganizationRequest.name == name)
        return int(await session.scalar(statement) or 0)


async def test_anonymous_callers_do_not_share_a_key(
    anonymous_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Two storefront visitors who happen to send one key: each request runs, neither gets
    a 422 nor the other's answer (anonymous keys are scoped by the request itself)."""
    headers = {"Idempotency-Key": "registration-1"}
    first = await anonymous_client.post(
        STORE_REQUESTS, json=request_document("First Co", "first@example.com"), headers=headers
    )
    second = await anonymous_client.post(
        STORE_REQUESTS, json=request_document("Second Co", "second@example.com"), headers=headers
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert "idempotency-replayed" not in second.headers
    assert await _requests_named(engine, "First Co") == 1
    assert await _requests_named(engine, "Second Co") == 1


async def test_an_anonymous_retry_answers_the_first_answer_and_submits_once(
    anonymous_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "registration-2"}
    document = request_document("Retried Co", "retried@example.com")
    first = await anonymous_client.post(STORE_REQUESTS, json=document, headers=headers)
    retry = await anonymous_client.post(STORE_REQUESTS, json=document, headers=headers)

    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert retry.headers["idempotency-replayed"] == "true"
    assert await _requests_named(engine, "Retried Co") == 1


@pytest.mark.parametrize(
    "key",
    [b"k" * 255, b'\xc3\xa9t\xc3\xa9 "quoted" ;,=/\\ {}[]<>', b"%00%0a' OR 1=1 --"],
    ids=["longest", "latin-1-and-punctuation", "encoded-and-sql"],
)
async def test_any_printable_key_up_to_the_longest_answers_its_retry(
    client: httpx.AsyncClient, engine: AsyncEngine, key: bytes
) -> None:
    headers = {"Idempotency-Key": key}
    first = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
    retry = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)

    assert (first.status_code, retry.headers["idempotency-replayed"]) == (200, "true")
    assert await _count(engine, "Acme") == 1


@pytest.mark.parametrize("key", [b"tab\there", b"del\x7f", b"nbsp\xa0"])
async def test_a_key_with_a_control_character_is_400(
    client: httpx.AsyncClient, engine: AsyncEngine, key: bytes
) -> None:
    response = await client.post(
        ORGANIZATIONS, json={"name": "Acme"}, headers={"Idempotency-Key": key}
    )

    assert (response.status_code, response.json()["o:errorPath"]) == (400, "Idempotency-Key")
    assert await _count(engine, "Acme") == 0


async def test_the_same_key_and_body_for_another_site_is_422(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """x-ccsite chooses where site-specific values go: another site, another request."""
    await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers={"Idempotency-Key": "s-1"})
    other = await client.post(
        ORGANIZATIONS,
        json={"name": "Acme"},
        headers={"Idempotency-Key": "s-1", "x-ccsite": "siteUS"},
    )

    assert (other.status_code, other.json()["o:errorPath"]) == (422, "Idempotency-Key")
    assert await _count(engine, "Acme") == 1


async def test_a_retry_with_the_right_if_match_after_a_412_is_422_not_the_412_again(
    client: httpx.AsyncClient,
) -> None:
    """The 412 answered a stale version: a request naming the current one is another
    request, refused as such, never answered the stale 412 again."""
    one = f"{ORGANIZATIONS}/100002"
    stale = await client.put(
        one, json={"description": "x"}, headers={"Idempotency-Key": "m-1", "If-Match": '"9"'}
    )
    right = await client.put(
        one, json={"description": "x"}, headers={"Idempotency-Key": "m-1", "If-Match": '"1"'}
    )

    assert (stale.status_code, right.status_code) == (412, 422)
    assert right.json()["o:errorPath"] == "Idempotency-Key"
    assert (await client.get(one)).headers["ETag"] == '"1"'


async def test_a_stale_if_match_with_a_used_key_is_422_not_the_earlier_200(
    client: httpx.AsyncClient,
) -> None:
    one = f"{ORGANIZATIONS}/100002"
    first = await client.put(
        one, json={"description": "x"}, headers={"Idempotency-Key": "m-2", "If-Match": '"1"'}
    )
    stale = await client.put(
        one, json={"description": "x"}, headers={"Idempotency-Key": "m-2", "If-Match": '"7"'}
    )
    without = await client.put(one, json={"description": "x"}, headers={"Idempotency-Key": "m-2"})
    again = await client.put(
        one, json={"description": "x"}, headers={"Idempotency-Key": "m-2", "If-Match": '"1"'}
    )

    assert (first.status_code, stale.status_code, without.status_code) == (200, 422, 422)
    assert (again.content, again.headers["idempotency-replayed"]) == (first.content, "true")


async def test_two_idempotency_keys_are_400_and_nothing_runs(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    for keys in (("k-1", "k-2"), ("k-1", "k-1")):
        response = await client.post(
            ORGANIZATIONS,
            json={"name": "Acme"},
            headers=[("Idempotency-Key", key) for key in keys],
        )

        assert (response.status_code, response.json()["o:errorPath"]) == (400, "Idempotency-Key")
    assert await _count(engine, "Acme") == 0


# A key kept before the deploy that counted the preconditions in the fingerprint (d6f5cce)
# holds the fingerprint without them (review2): the same request sent without them, under
# another key, shows what that code stored.
async def _stored(engine: AsyncEngine, key: str) -> tuple[str, str]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT owner, request_hash FROM idempotency_keys WHERE key = :key"),
                {"key": key},
            )
        ).one()
    return row[0], row[1]


#: What a run that died before its commit leaves (its lease passed).
_DIED = ", status = NULL, committed_at = NULL, lease_until = now() - interval '1 second'"


async def _as_before_the_deploy(engine: AsyncEngine, key: str, probe: str, dead: bool) -> None:
    owner, request_hash = await _stored(engine, probe)
    died = _DIED if dead else ""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                f"UPDATE idempotency_keys SET owner = :owner, request_hash = :hash{died}"
                " WHERE key = :key"
            ),
            {"owner": owner, "hash": request_hash, "key": key},
        )


async def test_a_key_kept_before_the_deploy_answers_its_retry_with_if_match(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Else the client, its answer lost in the deploy's restart, gets 422 for the retry and
    takes the first run for failed although it committed."""
    one, body = f"{ORGANIZATIONS}/100002", {"description": "kept before"}
    first = await client.put(
        one, json=body, headers={"Idempotency-Key": "pre-deploy", "If-Match": '"1"'}
    )
    probe = await client.put(one, json=body, headers={"Idempotency-Key": "probe"})
    assert (first.status_code, probe.status_code) == (200, 200), first.text
    await _as_before_the_deploy(engine, "pre-deploy", "probe", dead=False)

    retry = await client.put(
        one, json=body, headers={"Idempotency-Key": "pre-deploy", "If-Match": '"1"'}
    )

    assert retry.status_code == 200, retry.text
    assert (retry.content, retry.headers["idempotency-replayed"]) == (first.content, "true")


async def test_an_anonymous_key_kept_before_the_deploy_answers_and_submits_once(
    anonymous_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """An anonymous key's owner is derived from the fingerprint: else the retry is another
    key, and the registration is submitted again."""
    document = request_document("Kept Co", "kept@example.com")
    headers = {"Idempotency-Key": "pre-deploy", "If-None-Match": "*"}
    first = await anonymous_client.post(STORE_REQUESTS, json=document, headers=headers)
    await anonymous_client.post(STORE_REQUESTS, json=document, headers={"Idempotency-Key": "p"})
    await _as_before_the_deploy(engine, "pre-deploy", "p", dead=False)
    submitted = await _requests_named(engine, "Kept Co")

    retry = await anonymous_client.post(STORE_REQUESTS, json=document, headers=headers)

    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert retry.headers["idempotency-replayed"] == "true"
    assert await _requests_named(engine, "Kept Co") == submitted


async def test_an_anonymous_key_left_dead_before_the_deploy_is_released_and_runs_anew(
    anonymous_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Its run died before it committed: the retry runs, and the key kept before is gone
    (a run that outlived its lease can commit nothing), as a take-over would do."""
    document = request_document("Dead Co", "dead@example.com")
    headers = {"Idempotency-Key": "pre-deploy", "If-None-Match": "*"}
    await anonymous_client.post(STORE_REQUESTS, json=document, headers=headers)
    await anonymous_client.post(STORE_REQUESTS, json=document, headers={"Idempotency-Key": "p"})
    await _as_before_the_deploy(engine, "pre-deploy", "p", dead=True)
    legacy_owner, _ = await _stored(engine, "p")

    retry = await anonymous_client.post(STORE_REQUESTS, json=document, headers=headers)

    assert retry.status_code == 200, retry.text
    assert "idempotency-replayed" not in retry.headers
    assert (await _stored(engine, "pre-deploy"))[0] != legacy_owner
