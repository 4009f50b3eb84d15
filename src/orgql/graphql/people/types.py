"""GraphQL types of the people domain: a contact with its organizations and roles."""

from __future__ import annotations

import strawberry

from orgql.core.people.roles import RoleFunction
from orgql.core.people.views import ContactView
from orgql.db import models
from orgql.graphql.global_ids import Node
from orgql.graphql.types import Profile

#: The GraphQL enum is the core's vocabulary itself (as OrganizationRequestStatus is): member
#: names are the GraphQL values (APPROVER, ...), member values the OCC words.
strawberry.enum(RoleFunction, name="RoleFunction", description="One of an organization's roles.")


@strawberry.type(description="An organization a contact belongs to.")
class ContactOrganization:
    id: strawberry.ID
    name: str


@strawberry.type(description="A role a contact holds in an organization.")
class ContactRole:
    function: str
    organization_id: strawberry.ID
    repository_id: strawberry.ID = strawberry.field(
        name="repositoryId", description="The organization's role of that function."
    )


@strawberry.type(
    description="A contact (profile): a member of its parent organization and of each"
    " secondary organization, holding roles in them."
)
class Contact(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    first_name: str | None
    last_name: str | None
    email: str
    customer_contact_id: str | None = strawberry.field(description="The external contact id.")
    party_id: str | None
    party_number: str | None
    receive_email: bool
    active: bool
    parent_organization: ContactOrganization | None
    secondary_organizations: list[ContactOrganization]
    roles: list[ContactRole]

    @classmethod
    def of(cls, view: ContactView) -> Contact:
        row = view.profile
        return cls(
            repository_id=strawberry.ID(row.id),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            customer_contact_id=row.customer_contact_id,
            party_id=row.party_id,
            party_number=row.party_number,
            receive_email=row.receive_email,
            active=row.active,
            parent_organization=(
                ContactOrganization(id=strawberry.ID(view.parent.id), name=view.parent.name)
                if view.parent
                else None
            ),
            secondary_organizations=[
                ContactOrganization(id=strawberry.ID(ref.id), name=ref.name)
                for ref in view.secondary
            ],
            roles=[
                ContactRole(
                    function=role.function,
                    organization_id=strawberry.ID(role.organization_id),
                    repository_id=strawberry.ID(role.role_id),
                )
                for role in view.roles
            ],
        )


@strawberry.type(description="One of an organization's roles and the contacts holding it.")
class OrganizationalRole(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    function: str
    contacts: list[Profile]

    @classmethod
    def of(cls, role: models.RelativeRole, holders: list[models.Profile]) -> OrganizationalRole:
        return cls(
            repository_id=strawberry.ID(role.id),
            function=role.function,
            contacts=[Profile.from_row(row) for row in holders],
        )
