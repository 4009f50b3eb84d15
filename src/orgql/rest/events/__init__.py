"""Webhook subscriptions (orgql's extension of the admin API): handlers and JSON shapes."""
