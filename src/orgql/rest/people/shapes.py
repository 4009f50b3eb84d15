"""Contact (profile) and role shapes (see ``rest/shapes.py``). The four secondary and parent
organization operations are the vendor's (``{"secondaryOrganizations": [{"id"}]}``,
``{"parentOrganization": {"id"}}``, answered with the same keys and ``links``); a profile
answers as the vendor's profile does for these keys, with its organizations and roles."""

from typing import Annotated, Literal, NotRequired, TypedDict

from orgql.core.people.roles import RoleFunction
from orgql.rest.json_schema import Schema
from orgql.rest.shapes import Link, Page, SortOrder

#: A role's function, as a JSON Schema enum (``core/people/roles.RoleFunction``).
Function = Annotated[str, Schema(enum=[f.value for f in RoleFunction])]


class OrganizationId(TypedDict):
    id: str


class OrganizationRef(TypedDict):
    id: str
    repositoryId: str
    name: str


class ProfileRole(TypedDict):
    function: Function
    relativeTo: OrganizationId
    repositoryId: Annotated[str, Schema(description="The organization's role of that function")]


class Profile(TypedDict):
    id: str
    repositoryId: str
    firstName: str | None
    lastName: str | None
    email: str
    customerContactId: str | None
    partyId: str | None
    partyNumber: str | None
    receiveEmail: Literal["yes", "no"]
    active: bool
    parentOrganization: OrganizationRef | None
    secondaryOrganizations: list[OrganizationRef]
    roles: list[ProfileRole]
    links: list[Link]


class ProfileList(Page):
    """A page of profiles, in the order of ``sort`` (by id when none is given)."""

    items: list[Profile]
    sort: list[SortOrder]


class CreateProfile(TypedDict):
    email: str
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    customerContactId: NotRequired[str | None]
    partyId: NotRequired[str | None]
    partyNumber: NotRequired[str | None]
    receiveEmail: NotRequired[Annotated[bool | str | None, Schema(description="yes / no")]]
    parentOrganization: NotRequired[OrganizationId | None]
    secondaryOrganizations: NotRequired[list[OrganizationId]]


class UpdateProfile(TypedDict):
    email: NotRequired[str]
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    customerContactId: NotRequired[str | None]
    partyId: NotRequired[str | None]
    partyNumber: NotRequired[str | None]
    receiveEmail: NotRequired[Annotated[bool | str | None, Schema(description="yes / no")]]
    active: NotRequired[Annotated[bool, Schema(description="false deactivates the profile")]]


class SecondaryOrganizations(TypedDict):
    secondaryOrganizations: list[OrganizationId]


class SecondaryOrganizationsAnswer(TypedDict):
    links: list[Link]
    secondaryOrganizations: list[OrganizationId]


class ParentOrganization(TypedDict):
    parentOrganization: OrganizationId


class ParentOrganizationAnswer(TypedDict):
    links: list[Link]
    parentOrganization: OrganizationId


class RoleInput(TypedDict):
    function: Function
    relativeTo: OrganizationId


class Roles(TypedDict):
    roles: list[RoleInput]


class RoleHolder(TypedDict):
    id: str
    repositoryId: str
    firstName: str | None
    lastName: str | None
    email: str
    active: bool


class OrganizationalRole(TypedDict):
    function: Function
    repositoryId: str
    relativeTo: OrganizationId
    profiles: list[RoleHolder]


class OrganizationalRoleList(TypedDict):
    links: list[Link]
    items: list[OrganizationalRole]
