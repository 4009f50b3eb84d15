"""No personal data and no token in any log line, tracebacks included.

A write the app does not expect to fail (a constraint or trigger the test adds to the
database) fails through each transport with a distinctive email and name; the log, formatted
as in production (JSON and text), must hold the failure but none of the values."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.observability.logs import JsonFormatter, TextFormatter, logging_config
from rest.request_builders import STORE_REQUESTS, request_document

EMAIL = "zelda.quarrington@private.example"
NAME = "Quarrington Holdings Zq"
TOKEN_PREFIX = "Bearer "

SUBMIT = """
mutation Submit($input: SubmitOrganizationRequestInput!) {
  submitOrganizationRequest(input: $input) { id userErrors { code message } }
}
"""

#: Failures PostgreSQL reports with the row's values: a CHECK constraint's DETAIL ("Failing
#: row contains (…)"), and a trigger whose message carries the value itself.
FAILURES = {
    "check": [
        "ALTER TABLE organization_requests ADD CONSTRAINT test_no_zq"
        " CHECK (profile_email NOT LIKE 'zelda%') NOT VALID"
    ],
    "trigger": [
        """
        CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'refused % for %', NEW.profile_email, NEW.name
            USING DETAIL = 'email ' || NEW.profile_email, HINT = NEW.name;
        END $$
        """,
        """
        CREATE TRIGGER test_refuse BEFORE INSERT ON organization_requests
          FOR EACH ROW EXECUTE FUNCTION test_refuse()
        """,
    ],
}


@pytest.fixture(params=["json", "text"])
def log(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Every logger (orgql, uvicorn, the root: sqlalchemy and the rest) as `orgql serve`
    configures them, written into a string; the previous configuration restored after."""
    stream = io.StringIO()
    config = logging_config(request.param, "info")
    config["handlers"]["main"]["stream"] = stream
    loggers = [logging.getLogger(name) for name in ("", "orgql", "uvicorn", "uvicorn.access")]
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


@pytest.fixture(params=sorted(FAILURES))
async def failing_insert(request: pytest.FixtureRequest, engine: AsyncEngine) -> str:
    async with engine.begin() as connection:
        for statement in FAILURES[request.param]:
            await connection.execute(text(statement))
    return str(request.param)


def assert_private(written: str, token: str, failure: str) -> None:
    assert "unhandled error" in written or "unexpected error" in written, written
    # What is needed to understand the failure is there: the error, its SQLSTATE, its name.
    if failure == "check":
        assert "IntegrityError (sqlstate=23514, constraint_name=test_no_zq" in written
    else:
        assert "RaiseError (sqlstate=P0001)" in written
    for secret in (EMAIL, EMAIL.split("@")[0], NAME, token, "Quarrington"):
        assert secret not in written, f"{secret!r} in the log:\n{written}"
    assert TOKEN_PREFIX not in written


async def test_a_failed_rest_write_logs_no_email_name_or_token(
    client: httpx.AsyncClient, log: io.StringIO, failing_insert: str
) -> None:
    token = client.headers["authorization"].removeprefix(TOKEN_PREFIX)

    response = await client.post(STORE_REQUESTS, json=request_document(name=NAME, email=EMAIL))

    assert response.status_code == 500
    assert EMAIL not in response.text
    assert_private(log.getvalue(), token, failing_insert)


async def test_a_failed_graphql_write_logs_no_email_name_or_token(
    client: httpx.AsyncClient, log: io.StringIO, failing_insert: str
) -> None:
    token = client.headers["authorization"].removeprefix(TOKEN_PREFIX)
    document = request_document(name=NAME, email=EMAIL)
    draft = {
        "name": NAME,
        "profile": {k: document["profile"][k] for k in ("email", "firstName", "lastName")},
    }

    response = await client.post("/graphql", json={"query": SUBMIT, "variables": {"input": draft}})

    assert response.json()["errors"][0]["extensions"]["code"] == "internal"
    assert EMAIL not in response.text
    assert_private(log.getvalue(), token, failing_insert)


def formatted(*args: object, exc: BaseException | None = None) -> str:
    """One record (``logger.error(*args, exc_info=exc)``) through both production formatters."""
    record = logging.LogRecord("orgql.test", logging.ERROR, __file__, 1, args[0], args[1:], None)
    if exc is not None:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    return JsonFormatter().format(record) + "\n" + TextFormatter("%(message)s").format(record)


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_messages_of_errors_about_data_are_withheld_with_their_notes_and_causes() -> None:
    error = raised(ValueError(f"invalid literal: {EMAIL!r}"))
    error.add_note(f"while reading {NAME}")
    wrapper = raised(RuntimeError(NAME))
    wrapper.__cause__ = error

    written = formatted("failed: %s", KeyError(EMAIL), exc=wrapper)

    assert EMAIL not in written
    assert NAME not in written
    assert "failed: KeyError (message withheld)" in written
    assert "ValueError (message withheld)" in written
    assert "The above exception was the direct cause" in written
    assert written.count("Traceback (most recent call last)") == 4  # 2 chained, 2 formats


def test_messages_about_code_are_kept() -> None:
    error = raised(AttributeError("'NoneType' object has no attribute 'name'"))

    written = formatted("unexpected", exc=error)

    assert "AttributeError: 'NoneType' object has no attribute 'name'" in written


def test_other_libraries_errors_go_through_the_same_formatter(log: io.StringIO) -> None:
    """Found by review: the root logger was not configured, so asyncio's "Task exception was
    never retrieved" and the like were printed by Python's fallback, messages and all."""
    logging.getLogger("asyncio").error(
        "Task exception was never retrieved", exc_info=raised(LookupError(f"Key (email)=({EMAIL})"))
    )

    written = log.getvalue()
    assert "Task exception was never retrieved" in written
    assert EMAIL not in written
