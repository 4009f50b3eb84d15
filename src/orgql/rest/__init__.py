"""OCC-compatible REST shim: the vendor's paths, headers and JSON shapes over the core."""

from orgql.rest.routes import rest_routes

__all__ = ["rest_routes"]
