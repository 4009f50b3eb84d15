"""The service core: every business rule of DOMAIN.md, once.

Imports neither strawberry nor starlette; transports translate into and out of it. Services
take an ``AsyncSession`` and flush; the transport that owns the unit of work commits.
"""
