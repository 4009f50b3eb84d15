"""Running in production: health probes, Prometheus metrics, JSON logs, request ids.

Nothing here is a business rule; the transports and the core do not import this package
(the app wires it in ``create_app``), apart from the GraphQL extension in ``graphql.py``.
"""
