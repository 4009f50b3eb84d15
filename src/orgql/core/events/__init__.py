"""Change events: the transactional outbox, lifecycle events, webhook subscriptions."""
