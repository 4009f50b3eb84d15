"""Persisted documents: Apollo's automatic persisted queries, and trusted documents.

**Automatic persisted queries** (Apollo Client's ``createPersistedQueryLink``, version 1):
an operation names its document by ``extensions.persistedQuery.sha256Hash`` (the lowercase
hex SHA-256 of the text). With the hash alone, a registered document runs; an unknown one is
answered ``PersistedQueryNotFound`` (code PERSISTED_QUERY_NOT_FOUND, HTTP 200, not cacheable),
and the client sends the hash with the text: the hash must be the text's
(PERSISTED_QUERY_HASH_MISMATCH, 400), the document runs, and once it has run (it parsed and
validated) it is registered (graphql.persisted_store), unless longer than
ORGQL_GRAPHQL_PERSISTED_MAX_BYTES; over HTTP and WebSocket alike
(:meth:`PersistedDocuments.keep`). ORGQL_GRAPHQL_PERSISTED_QUERIES=false turns it off
(PERSISTED_QUERY_NOT_SUPPORTED). The GraphQL-over-HTTP draft's ``documentId`` (in the body,
the URL or the extensions; ``sha256:<hex>``) is read as the same hash.

**Trusted documents** (ORGQL_GRAPHQL_TRUSTED_DOCUMENTS, a manifest file): only the documents a
client was built with run. The manifest is the JSON object of ids to document texts that
Relay's persisted output and GraphQL Code Generator's ``persisted-documents.json`` write, or
Apollo's persisted query manifest (``{"format": "apollo-persisted-query-manifest", ...}``).
An operation names its document by ``documentId`` (codegen, the GraphQL-over-HTTP draft),
``doc_id`` (Relay's example network layer) or ``extensions.persistedQuery.sha256Hash``;
a full text runs only if it is one of the manifest's. Anything else is refused with code
PERSISTED_DOCUMENT_NOT_TRUSTED (400), and nothing is registered. A manifest document that
the request limits would refuse whatever its variables (graphql.limits.static_check) stops
the start, as a manifest that cannot be read does: it could never run; so does an id listed
twice with different texts (the same text twice is fine).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from strawberry.http import GraphQLRequestData

from orgql.graphql.limits import LIMIT_SETTINGS, Limits, static_check
from orgql.graphql.persisted_store import DocumentStore, not_kept
from orgql.observability.database import current_observation, expected_failure, note_failure
from orgql.observability.requests import retry_later_error
from orgql.settings import Settings

#: Names an operation may carry its document id under, at the top level of a body or URL.
DOCUMENT_ID_KEYS = ("documentId", "doc_id")
#: Longest document id read (a manifest's ids: hashes, possibly prefixed).
MAX_DOCUMENT_ID_LENGTH = 200
#: Most documents a trusted-documents manifest may list.
MAX_MANIFEST_DOCUMENTS = 100_000
#: Documents a manifest refused at start names, at most (then how many more).
MAX_REFUSALS_NAMED = 10
#: The Cache-Control of a refusal, so that no cache keeps it (Apollo Server's).
NOT_CACHEABLE = "private, no-cache, must-revalidate"

logger = logging.getLogger("orgql.graphql")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_APOLLO_FORMAT = "apollo-persisted-query-manifest"


@dataclass(frozen=True)
class Refusal:
    """An operation refused before it runs: its error's message and code, the HTTP status."""

    message: str
    code: str
    status: int


@dataclass(frozen=True)
class Prepared:
    """The operation with its document; ``register``: the hash to keep the document under
    once it has run."""

    data: GraphQLRequestData
    register: str | None = None


def _refusal(message: str, code: str, status: int = 400) -> Refusal:
    return Refusal(message, code, status)


NOT_FOUND = _refusal("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200)
NOT_SUPPORTED = _refusal("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED", 200)
HASH_MISMATCH = _refusal("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
NOT_TRUSTED = _refusal(
    "only the documents of the trusted-documents manifest run here: send a documentId of it",
    "PERSISTED_DOCUMENT_NOT_TRUSTED",
)


class ManifestError(ValueError):
    """A trusted-documents manifest the gateway does not start with (unreadable, an id
    listed twice with different texts, a document no request could run), naming the file
    and the problem."""


class _Object(dict[str, Any]):
    """A JSON object as read, with the keys it gave more than once with different values
    (JSON keeps the last one: which document an id means would depend on the reader)."""

    conflicts: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    read = _Object()
    read.conflicts = []
    for key, value in pairs:
        if key in read and read[key] != value and key not in read.conflicts:
            read.conflicts.append(key)
        read[key] = value
    return read


def _first_named(items: list[str], separator: str, before_more: str | None = None) -> str:
    """The first :data:`MAX_REFUSALS_NAMED` of ``items`` joined by ``separator``, then how
    many more (after ``before_more``, the separator unless given): a start refused for a
    thousand documents names ten, not a page of them."""
    named = separator.join(items[:MAX_REFUSALS_NAMED])
    more = len(items) - MAX_REFUSALS_NAMED
    if more <= 0:
        return named
    return f"{named}{separator if before_more is None else before_more}and {more} more"


def _conflicting(path: Path, ids: list[str]) -> ManifestError:
    named = _first_named([repr(document_id) for document_id in ids], ", ", before_more=" ")
    return ManifestError(
        f"trusted documents manifest {path}: {len(ids)} document id(s) listed more than once"
        f" with different texts (which would run is ambiguous): {named}"
    )


def _apollo_documents(path: Path, operations: list[Any]) -> dict[str, str]:
    """An Apollo manifest's documents by id; a ManifestError naming the ids listed more than
    once with different bodies (an operation giving its id or body twice, differently,
    included); the same body again is no conflict."""
    documents: dict[str, str] = {}
    conflicts: list[str] = []
    for op in operations:
        if not isinstance(op, dict):
            continue
        document_id, body = op.get("id"), op.get("body")
        if not isinstance(document_id, str) or not isinstance(body, str):
            raise ManifestError(
                f"trusted documents manifest {path}: an operation's id and body must be texts"
            )
        ambiguous = isinstance(op, _Object) and {"id", "body"} & set(op.conflicts)
        differs = document_id in documents and documents[document_id] != body
        if (ambiguous or differs) and document_id not in conflicts:
            conflicts.append(document_id)
        documents[document_id] = body
    if conflicts:
        raise _conflicting(path, conflicts)
    return documents


def load_manifest(path: Path) -> dict[str, str]:
    """The manifest's documents by id; a ManifestError naming the problem if it is none. An id
    listed twice with different texts is one (JSON's reader keeps the last: the client's
    and the gateway's readers may not agree on which); twice with the same text is none."""
    try:
        raw = json.loads(path.read_bytes(), object_pairs_hook=_object)
    except (OSError, ValueError) as error:
        raise ManifestError(f"trusted documents manifest {path}: {error}") from None
    if isinstance(raw, dict) and raw.get("format") == _APOLLO_FORMAT:
        operations = raw.get("operations")
        if raw.get("version") != 1 or not isinstance(operations, list):
            raise ManifestError(f"trusted documents manifest {path}: not an Apollo manifest v1")
        raw = _apollo_documents(path, operations)
    elif isinstance(raw, _Object) and raw.conflicts:
        raise _conflicting(path, raw.conflicts)
    if not isinstance(raw, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in raw.items()
    ):
        raise ManifestError(
            f"trusted documents manifest {path}: not a JSON object of ids to document texts"
        )
    if len(raw) > MAX_MANIFEST_DOCUMENTS:
        raise ManifestError(
            f"trusted documents manifest {path}: more than {MAX_MANIFEST_DOCUMENTS} documents"
        )
    return raw


def check_manifest(
    path: Path, documents: Mapping[str, str], refusal: Callable[[str], GraphQLError | None]
) -> None:
    """A ManifestError naming each of the manifest's documents that a request would be refused
    whatever its variables (``refusal``: graphql.limits.static_check, the request path's
    limits), with the limit (its code and setting) or the syntax error: such a document
    can never run, and is better found when the gateway starts than by a client."""
    refused: list[str] = []
    checked: dict[str, GraphQLError | None] = {}
    for document_id, text in documents.items():
        if text not in checked:
            checked[text] = refusal(text)
        error = checked[text]
        if error is not None:
            refused.append(f"document {document_id!r}: {error.message}{_limit_of(error)}")
    if refused:
        raise ManifestError(
            f"trusted documents manifest {path}: {len(refused)} document(s) would be refused"
            f" whatever their variables: {_first_named(refused, '; ')}"
        )


def _limit_of(error: GraphQLError) -> str:
    """The refusal's code and the limit's setting, in parentheses; none for a syntax error."""
    code = (error.extensions or {}).get("code")
    if not isinstance(code, str):
        return ""
    setting = LIMIT_SETTINGS.get(code)
    return f" ({code}, {setting})" if setting is not None else f" ({code})"


def move_document_id(operation: dict[str, Any]) -> None:
    """A top-level ``documentId`` / ``doc_id`` of a body or URL, moved into the operation's
    extensions (strawberry passes on only query, variables, operationName and extensions)."""
    for key in DOCUMENT_ID_KEYS:
        if key in operation:
            value = operation.pop(key)
            extensions = operation.get("extensions")
            if extensions is None:
                extensions = operation["extensions"] = {}
            if isinstance(extensions, dict):
                extensions.setdefault("documentId", value)


class PersistedDocuments:
    """The persisted-documents rules of one app (its settings and manifest)."""

    def __init__(self, settings: Settings, refusal: Callable[[str], GraphQLError | None]) -> None:
        """``refusal``: a document's refusal by the limits whatever its variables
        (graphql.limits.static_check); each of the manifest's documents is checked."""
        self.automatic = settings.graphql_persisted_queries
        self.max_bytes = settings.graphql_persisted_max_bytes
        self.store = DocumentStore(settings.graphql_persisted_max_documents)
        path = settings.graphql_trusted_documents
        self.trusted = load_manifest(path) if path is not None else None
        if path is not None and self.trusted is not None:
            check_manifest(path, self.trusted, refusal)
        self._trusted_texts = frozenset(self.trusted.values()) if self.trusted else frozenset()

    @classmethod
    def of(cls, settings: Settings, schema: GraphQLSchema) -> PersistedDocuments:
        """The rules of an app serving ``schema`` under ``settings``, the manifest's documents
        checked against its request limits; a ManifestError if the manifest is refused."""
        return cls(settings, static_check(schema, Limits.from_settings(settings)))

    async def prepare(self, sessionmaker: Any, data: GraphQLRequestData) -> Prepared | Refusal:
        """The operation with its document found, or why it does not run."""
        reference = _reference(data.extensions or {})
        if isinstance(reference, Refusal):
            return reference
        if self.trusted is not None:
            return self._trusted(data, reference)
        if reference is None:
            return Prepared(data)
        if not self.automatic:
            return NOT_SUPPORTED
        sha256 = reference.removeprefix("sha256:")
        if not _SHA256.fullmatch(sha256):
            return NOT_FOUND  # a custom id: only a manifest knows those
        if data.query is not None:
            if hashlib.sha256(data.query.encode()).hexdigest() != sha256:
                return HASH_MISMATCH
            fits = len(data.query.encode()) <= self.max_bytes
            return Prepared(data, register=sha256 if fits else None)
        document = await self.store.find(sessionmaker, sha256)
        if document is None:
            return NOT_FOUND
        return Prepared(replace(data, query=document))

    async def keep(self, sessionmaker: Any, prepared: Prepared, answered: object) -> bool:
        """Register ``prepared``'s document if it is to be kept (an automatic persisted query
        sent with its text, within ORGQL_GRAPHQL_PERSISTED_MAX_BYTES) and its operation ran:
        it ``answered`` data (it parsed and validated). Over HTTP and WebSocket alike, before
        that answer is sent: a hash-only request sent once it is read finds the document.
        Whether it was registered (or the registration failed, and was logged)."""
        if prepared.register is None or answered is None:
            return False
        assert prepared.data.query is not None  # it had the text, or nothing to register
        await self.register(sessionmaker, prepared.register, prepared.data.query)
        return True

    async def register(self, sessionmaker: Any, sha256: str, document: str) -> None:
        """Keep the document that just ran. The database failing to keep it
        (graphql.persisted_store.not_kept: unavailable, the connect refused or unanswered,
        which asyncpg raises unwrapped, a statement cancelled, or refused: a read-only
        transaction, a disk full) does not fail the answer (the operation ran): it is
        logged, one warning with the hash and the reason (the SQLSTATE, never the text), and
        the client's next hash-only request is answered not found, then registers it again.
        Nor does it mark the request as failed by the database: the answer would be replaced
        by a 503 (observability.requests). Any other failure is raised: a bug."""
        try:
            await _unobserved(self.store.register(sessionmaker, sha256, document))
        except Exception as error:
            reason = not_kept(error)
            if reason is None:
                raise
            logger.warning("persisted document %s not registered: %s", sha256, reason)

    def _trusted(self, data: GraphQLRequestData, reference: str | None) -> Prepared | Refusal:
        assert self.trusted is not None
        if reference is None:
            return Prepared(data) if data.query in self._trusted_texts else NOT_TRUSTED
        document = self.trusted.get(reference)
        if document is None:  # a manifest keyed by bare hashes, asked with a prefix, or back
            bare = reference.removeprefix("sha256:")
            document = self.trusted.get(bare) or self.trusted.get(f"sha256:{bare}")
        if document is None or (data.query is not None and data.query != document):
            return NOT_TRUSTED
        return Prepared(replace(data, query=document))


async def _unobserved(work: Awaitable[None]) -> None:
    """``work`` awaited outside the request's observation (observability.database): a
    failure of the database it meets marks nothing the answer is judged by."""
    token = current_observation.set(None)
    try:
        await work
    finally:
        current_observation.reset(token)


def unreadable(failure: Exception) -> GraphQLError:
    """The error of an operation whose persisted document the database failed to read: the
    503's message and code (``unavailable``, ``STATEMENT_TIMEOUT``), the request marked as
    the database's failure (observability.database). The operation's error, not the whole
    request's: over HTTP an operation of a batch alone is still answered the 503
    (observability.requests), but one whose earlier operation committed keeps that answer
    (a 503 would have the batch sent again, its committed changes made twice); over
    WebSocket the connection stays open. Any other failure is raised: a bug."""
    retry = retry_later_error(failure)
    if retry is None:
        raise failure
    note_failure(failure)
    logger.warning("a persisted document was not read: %s", expected_failure(failure))
    message, code = retry
    return GraphQLError(message, extensions={"code": code})


def _reference(extensions: Mapping[str, Any]) -> str | Refusal | None:
    """The document id an operation names (lowercase for a hash), None if none, or why
    its persisted-query extension is malformed."""
    persisted = extensions.get("persistedQuery")
    if persisted is not None:
        if not isinstance(persisted, dict):
            return _refusal("extensions.persistedQuery must be an object", "BAD_REQUEST")
        if persisted.get("version") != 1:
            return _refusal(
                "extensions.persistedQuery.version must be 1",
                "PERSISTED_QUERY_VERSION_UNSUPPORTED",
            )
        sha256 = persisted.get("sha256Hash")
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.lower()):
            return _refusal(
                "extensions.persistedQuery.sha256Hash must be a SHA-256 in hex", "BAD_REQUEST"
            )
        return sha256.lower()
    document_id = extensions.get("documentId")
    if document_id is None:
        return None
    if not isinstance(document_id, str) or not 0 < len(document_id) <= MAX_DOCUMENT_ID_LENGTH:
        return _refusal(
            f"documentId must be a string of 1 to {MAX_DOCUMENT_ID_LENGTH} characters",
            "BAD_REQUEST",
        )
    return document_id
