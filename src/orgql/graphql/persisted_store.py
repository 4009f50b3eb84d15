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

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgql.db.document_models import PersistedDocument

#: Documents kept in each process's cache (each at most the stored size bound).
CACHE_SIZE = 512


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
