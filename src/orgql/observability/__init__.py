"""Running in production: health probes, Prometheus metrics, JSON logs, request ids.

Nothing here is a business rule; the transports and the core do not import this package
(the app wires it in ``create_app``), apart from the GraphQL extension in ``graphql.py`` and
``database.py``: which failures mean the database is unavailable, and how they are logged,
defined once for the transports, the core and the background loops.
"""
