"""``Idempotency-Key`` on mutations (REST POST/PUT/PATCH/DELETE and GraphQL POSTs).

The first request with a key runs and its answer is kept; a retry with the same key and the
same request (method, path, query, ``x-ccsite``, the preconditions ``If-Match``,
``If-None-Match`` and ``If-Unmodified-Since`` when sent, body) gets that answer again and
changes nothing; the same key with a different request is refused (422): a 412 answered a
stale ``If-Match`` is no answer to the current one. While the first still runs, a retry gets
409. A request with two ``Idempotency-Key`` headers is refused (400).

A key cannot stick or lie:

- A run that fails releases its key, so that the retry runs anew: a 5xx answer, an
  exception escaping the app, a cancellation (client gone, timeout, shutdown; the release
  is shielded from it and runs in a transaction of its own), or a GraphQL answer masking
  an unexpected error (200 with code ``internal``).
- A claim holds its key for a lease (ORGQL_IDEMPOTENCY_LEASE_SECONDS, 60 s: the GraphQL
  timeout and a margin). A key whose process died mid-run is taken over once its lease
  has passed, by the next request with it, in the one statement that claims keys (of two
  such requests one runs, the other gets 409).
- The answer cannot be kept in the write's own transaction: REST renders it after the
  commit, and a GraphQL document commits each mutation on its own before the answer
  exists. What *is* written in the write's transaction (:func:`claims.confirm`, called by
  both transports' units of work just before they commit) is that the run committed. So
  after a crash between the commit and the keeping of the answer, a retry is answered 410
  (the changes were made, the answer is lost: read the resource) and never runs them
  again; a run that crashed before its commit is taken over after its lease and runs
  again, which is safe because nothing of it was committed. Every statement after the
  claim names the claim's own token, so that a run whose key was taken over (it outlived
  its lease) changes nothing: its commit is refused (409) and rolls back.
- A process cancelled while it claims (between the claim's commit and the run) leaves its
  key to the lease, as a killed one does: the claim commits before anything runs.
- A key that cannot be claimed (a database error or lock wait) is 503 with Retry-After.
- A body cut short (the client left before its end, or not the length of its
  Content-Length) is never run and claims nothing: 400, and the retry runs.
- Keys belong to their caller: the admin application key, or the shopper. Anonymous
  callers (the storefront's registration) have no identity to scope by: their keys are
  scoped by the request itself (see :func:`middleware._owner`).

A key answers for ``ttl_seconds`` (ORGQL_IDEMPOTENCY_TTL_SECONDS, a day by default): after
that it is forgotten, and a request with it runs anew and takes the key over (in the same
claiming statement). Each claim also deletes a few expired keys of any caller
(PRUNE_BATCH), by the index on their age (migration 0013): the table holds about a day of
keys, not all of them.
"""

from orgql.idempotency.middleware import MAX_KEY, METHODS, Idempotency

__all__ = ["MAX_KEY", "METHODS", "Idempotency"]
