"""How GraphQL answers the views of core.access.checks that are less than the whole organization.

A shopper's ancestors (``View.BREADCRUMB``) resolve as Organization objects whose ``id``,
``repositoryId``, ``name`` and ``__typename`` answer; every other field answers a FORBIDDEN
error, as a field a shopper may not ask for does (graphql.permissions). The object's row is
a :class:`BreadcrumbRow`, so the columns (plain sync resolvers the compiled executor calls
directly) cost an admin nothing; the fields that load refuse in :func:`refuse_breadcrumb`.
"""

from __future__ import annotations

from typing import NoReturn

from graphql import GraphQLError

from orgql.db import models

MESSAGE = "of an ancestor of their accounts a shopper sees only id and name"


def forbidden() -> GraphQLError:
    return GraphQLError(MESSAGE, extensions={"code": "FORBIDDEN"})


class BreadcrumbRow:
    """An ancestor's row as a shopper sees it: ``id`` and ``name``; any other column read is
    refused (FORBIDDEN)."""

    __slots__ = ("id", "name")

    def __init__(self, row: models.Organization) -> None:
        self.id = row.id
        self.name = row.name

    def __getattr__(self, attribute: str) -> NoReturn:
        raise forbidden()


def refuse_breadcrumb(row: object) -> None:
    """Refuses (FORBIDDEN) a field that loads anything of the organization, on a breadcrumb."""
    if type(row) is BreadcrumbRow:
        raise forbidden()
