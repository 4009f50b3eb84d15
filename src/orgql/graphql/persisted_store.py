"""Where automatically persisted documents are kept: the database, shared by every process
(a document a client registered through one worker is found by the next worker its next
request reaches; a per-process store would answer "not found" after almost every
registration behind a load balancer, and lose everything at each restart).

A document is stored once, by the SHA-256 of its text; the table holds at most
``max_documents``: each registration forgets the oldest beyond that (a forgotten document
costs its client one more round trip, nothing else). Lookups go through a small in-process
cache first: a hash names one text forever, so the cache is never stale.
"""

from __future__ import annotations

from collections import OrderedDict

import asyncpg
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgql.db.document_models import PersistedDocument
from orgql.observability.database import expected_failure
from orgql.observability.logs import safe_message

#: Documents kept in each process's cache (each at most the stored size bound).
CACHE_SIZE = 512
#: SQLSTATE classes of a statement refused for what it says, as any database of our schema
#: would refuse it: cardinality (21), data (22), integrity (23: a check of the table), syntax
#: or access rule (42: a table missing, a privilege not granted), program limit (54).
_STATEMENT_FAULTS = frozenset({"21", "22", "23", "42", "54"})


class DocumentStore:
    def __init__(self, max_documents: int) -> None:
        self.max_documents = max_documents
        self._cache: OrderedDict[str, str] = OrderedDict()

    async def find(self, sessionmaker: async_sessionmaker[AsyncSession], sha256: str) -> str | None:
        """The document registered under ``sha256`` (lowercase hex), or None."""
        cached = self._cache.get(sha256)
        if cached is not None:
            self._cache.move_to_end(sha256)
            return cached
        async with sessionmaker() as session:
            document = await session.scalar(
                select(PersistedDocument.document).where(PersistedDocument.sha256 == sha256)
            )
        if document is not None:
            self._remember(sha256, document)
        return document

    async def register(
        self, sessionmaker: async_sessionmaker[AsyncSession], sha256: str, document: str
    ) -> None:
        """Keep ``document`` (whose hash the caller checked), forgetting the oldest beyond
        the bound, in one transaction."""
        self._remember(sha256, document)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                insert(PersistedDocument)
                .values(sha256=sha256, document=document)
                .on_conflict_do_nothing(index_elements=["sha256"])
            )
            beyond = (
                select(PersistedDocument.sha256)
                .order_by(PersistedDocument.created_at.desc(), PersistedDocument.sha256)
                .offset(self.max_documents)
            )
            await session.execute(
                delete(PersistedDocument).where(PersistedDocument.sha256.in_(beyond))
            )

    def _remember(self, sha256: str, document: str) -> None:
        self._cache[sha256] = document
        self._cache.move_to_end(sha256)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)


def not_kept(error: BaseException) -> str | None:
    """Why the database failed to keep a document (:meth:`DocumentStore.register`), a reason
    to log, or None when ``error`` may be a bug of ours. The database's failures: unavailable
    or cancelling the statement (observability.database.expected_failure), or any other
    refusal of the server with a SQLSTATE that does not fault the statement itself: a
    read-only transaction (25006, a standby after a failover), a disk full (53100), an I/O
    error or corruption (58, XX). Worded by its type and SQLSTATE, never its message (which
    may quote the document). Anything else (an error of our code, of the driver refusing our
    call, a statement fault: :data:`_STATEMENT_FAULTS`) is a bug."""
    reason = expected_failure(error)
    if reason is not None:
        return reason
    state = _sqlstate(error)
    if state is None or state[:2] in _STATEMENT_FAULTS:
        return None
    return f"the database refused it: {safe_message(error)}"


def _sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of the server's refusal ``error`` (asyncpg's, or SQLAlchemy's of one)."""
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None)
    elif isinstance(error, asyncpg.PostgresError):
        state = error.sqlstate
    else:
        return None
    return state if isinstance(state, str) else None
