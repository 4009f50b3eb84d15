"""Webhook delivery: the dispatcher that POSTs outbox events to subscriptions, signed."""
