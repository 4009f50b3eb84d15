"""Live updates: the outbox read once per process and fanned out (GraphQL subscriptions)."""
