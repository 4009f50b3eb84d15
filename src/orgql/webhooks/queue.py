"""The delivery queue's statements (the dispatcher's module docstring says how they are
used): claim the due heads of their queues, record an attempt's outcome, prune old
deliveries and events."""

from __future__ import annotations

from sqlalchemy import text

CLAIM = text(
    """
    SELECT d.subscription_id, d.event_id, d.attempts, s.url, s.secret,
           e.event_id AS public_id, e.type, e.organization_id, e.occurred_at, e.payload
    FROM webhook_deliveries AS d
    JOIN webhook_subscriptions AS s ON s.id = d.subscription_id
    JOIN outbox_events AS e ON e.id = d.event_id
    WHERE d.status = 'pending'
      AND d.next_attempt_at <= coalesce(CAST(:now AS timestamptz), now())
      AND s.active
      AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries AS earlier
          WHERE earlier.subscription_id = d.subscription_id
            AND earlier.ordering_key = d.ordering_key
            AND earlier.status = 'pending'
            AND earlier.event_id < d.event_id
      )
    ORDER BY d.event_id
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
    """
)

#: Retention (see the module's docstring): one batch of each, oldest first. A delivery's
#: ``last_attempt_at`` is when it was delivered or given up (index of migration 0014).
PRUNE_DELIVERIES = text(
    """
    DELETE FROM webhook_deliveries
    WHERE (subscription_id, event_id) IN (
        SELECT subscription_id, event_id FROM webhook_deliveries
        WHERE status <> 'pending'
          AND last_attempt_at < coalesce(CAST(:now AS timestamptz), now())
                                - make_interval(secs => CAST(:keep AS double precision))
        ORDER BY last_attempt_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    """
)
PRUNE_EVENTS = text(
    """
    DELETE FROM outbox_events
    WHERE id IN (
        SELECT o.id FROM outbox_events AS o
        WHERE o.occurred_at < coalesce(CAST(:now AS timestamptz), now())
                              - make_interval(secs => CAST(:keep AS double precision))
          AND NOT EXISTS (SELECT FROM webhook_deliveries AS d WHERE d.event_id = o.id)
        ORDER BY o.id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    """
)

RECORD = text(
    """
    UPDATE webhook_deliveries
    SET status = CAST(:status AS varchar),
        attempts = attempts + 1,
        last_attempt_at = coalesce(CAST(:now AS timestamptz), now()),
        next_attempt_at = coalesce(CAST(:now AS timestamptz), now())
                          + make_interval(secs => CAST(:delay AS double precision)),
        last_status_code = CAST(:status_code AS integer),
        last_error = CAST(:error AS varchar),
        delivered_at = CASE WHEN CAST(:status AS varchar) = 'delivered'
                            THEN coalesce(CAST(:now AS timestamptz), now()) END
    WHERE subscription_id = :subscription_id AND event_id = :event_id
    """
)
