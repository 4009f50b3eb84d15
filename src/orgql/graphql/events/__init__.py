"""Webhook subscriptions: queries and mutations."""
