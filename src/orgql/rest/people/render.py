"""Contacts and roles as the REST shim answers them (``shapes``)."""

from __future__ import annotations

from collections.abc import Sequence

from orgql.core.people.views import ContactView, OrganizationRef
from orgql.db import models
from orgql.rest.people import shapes
from orgql.rest.render import self_link


def _organization(ref: OrganizationRef) -> shapes.OrganizationRef:
    return {"id": ref.id, "repositoryId": ref.id, "name": ref.name}


def profile(view: ContactView, self_href: str) -> shapes.Profile:
    row = view.profile
    return {
        "id": row.id,
        "repositoryId": row.id,
        "firstName": row.first_name,
        "lastName": row.last_name,
        "email": row.email,
        "customerContactId": row.customer_contact_id,
        "partyId": row.party_id,
        "partyNumber": row.party_number,
        "receiveEmail": "yes" if row.receive_email else "no",
        "active": row.active,
        "parentOrganization": _organization(view.parent) if view.parent else None,
        "secondaryOrganizations": [_organization(ref) for ref in view.secondary],
        "roles": [
            {
                "function": role.function,
                "relativeTo": {"id": role.organization_id},
                "repositoryId": role.role_id,
            }
            for role in view.roles
        ],
        "links": self_link(self_href),
    }


def holder(row: models.Profile) -> shapes.RoleHolder:
    return {
        "id": row.id,
        "repositoryId": row.id,
        "firstName": row.first_name,
        "lastName": row.last_name,
        "email": row.email,
        "active": row.active,
    }


def organizational_roles(
    roles: Sequence[tuple[models.RelativeRole, Sequence[models.Profile]]], self_href: str
) -> shapes.OrganizationalRoleList:
    return {
        "links": self_link(self_href),
        "items": [
            {
                "function": role.function,
                "repositoryId": role.id,
                "relativeTo": {"id": role.organization_id},
                "profiles": [holder(row) for row in holders],
            }
            for role, holders in roles
        ],
    }
