"""The route table's entries of the people domain (``rest/routes.py`` mounts them)."""

from __future__ import annotations

from orgql.core.common.paging import DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, MAX_OFFSET
from orgql.core.people import sorting
from orgql.rest.operation import Endpoint, Operation, Resource, query
from orgql.rest.people import handlers, shapes
from orgql.rest.sorting import sort_parameter

_SECONDARY = shapes.SecondaryOrganizations
_SECONDARY_ANSWER = shapes.SecondaryOrganizationsAnswer
_LAST_APPROVER = (
    " Taking the last active approver of an organization that requires approval (its own"
    " approvalRequired on a site) is 100083 (409)."
)
_UNKNOWN = " Unknown profile: 22002 (404); unknown organization in the body: 100001 (400)."
_ROLES = (
    " A role without a function or relativeTo.id: 100002 (400) at its path"
    " (roles[0].function, roles[0].relativeTo.id). An empty list of roles is no change."
)


def _secondary(handler: Endpoint, operation_id: str, summary: str, more: str = "") -> Operation:
    return Operation(
        handler,
        operation_id,
        _SECONDARY_ANSWER,
        "The organizations of the request",
        (400, 404, 409),
        body=_SECONDARY,
        summary=summary,
        description=f"Bad body: 100002 (400).{_UNKNOWN}{more}",
    )


RESOURCES = [
    Resource(
        "/v1/profiles",
        {
            "GET": Operation(
                handlers.list_profiles,
                "listProfiles",
                shapes.ProfileList,
                "A page of profiles ordered by sort (default: by id)",
                (400,),
                description="The vendor's SCIM-style q filter is not supported: a non-blank q is"
                " 100002 (400), not ignored. limit or offset out of bounds, or an unknown sort"
                " key: 100002 (400).",
                parameters=(
                    query(
                        "limit",
                        {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": MAX_LIST_LIMIT,
                            "default": DEFAULT_LIST_LIMIT,
                        },
                    ),
                    query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
                    query("email", {"type": "string"}, "The profile with this email (any case)."),
                    query(
                        "customerContactId",
                        {"type": "string"},
                        "The profiles with this external contact id.",
                    ),
                    sort_parameter(sorting.SORT_KEYS),
                ),
            ),
            "POST": Operation(
                handlers.create_profile,
                "createProfile",
                shapes.Profile,
                "The created profile",
                (400, 409),
                body=shapes.CreateProfile,
                ok_status=201,
                summary="Create a contact, a member of its parent and secondary organizations.",
                description="Bad body: 100002 or 00004 (400); unknown organization: 100001"
                " (400); an email another profile has (compared case-insensitively): 22003"
                " (409).",
            ),
        },
    ),
    Resource(
        "/v1/profiles/{id}",
        {
            "GET": Operation(
                handlers.get_profile, "getProfile", shapes.Profile, "The profile", (404,)
            ),
            "PUT": Operation(
                handlers.update_profile,
                "updateProfile",
                shapes.Profile,
                "The profile after the update",
                (400, 404, 409),
                body=shapes.UpdateProfile,
                summary="Change a contact's values; active false deactivates it.",
                description="A key left out is unchanged. An email another profile has: 22003"
                f" (409).{_LAST_APPROVER}",
            ),
        },
    ),
    Resource(
        "/v1/profiles/{id}/appendSecondaryOrganizations",
        {
            "POST": _secondary(
                handlers.append_secondary_organizations,
                "appendSecondaryOrganizations",
                "Make the profile a member of these organizations.",
            )
        },
    ),
    Resource(
        "/v1/profiles/{id}/removeSecondaryOrganizations",
        {
            "POST": _secondary(
                handlers.remove_secondary_organizations,
                "removeSecondaryOrganizations",
                "End the profile's membership of these secondary organizations, and the roles"
                " it holds in them.",
                " An organization that is not a secondary one of the profile (the parent"
                f" included): 100002 (400).{_LAST_APPROVER}",
            )
        },
    ),
    Resource(
        "/v1/profiles/{id}/replaceSecondaryOrganizations",
        {
            "POST": _secondary(
                handlers.replace_secondary_organizations,
                "replaceSecondaryOrganizations",
                "Make these the profile's secondary organizations (the others' memberships end,"
                " with their roles).",
                _LAST_APPROVER,
            )
        },
    ),
    Resource(
        "/v1/profiles/{id}/updateParentOrganization",
        {
            "POST": Operation(
                handlers.update_parent_organization,
                "updateParentOrganization",
                shapes.ParentOrganizationAnswer,
                "The new parent organization",
                (400, 404),
                body=shapes.ParentOrganization,
                summary="Change the profile's parent organization; the old parent stays a"
                " secondary organization with its roles.",
                description=f"Bad body: 100002 (400).{_UNKNOWN}",
            )
        },
    ),
    Resource(
        "/v1/profiles/{id}/addRoles",
        {
            "POST": Operation(
                handlers.add_profile_roles,
                "addProfileRoles",
                shapes.Profile,
                "The profile with its roles",
                (400, 404),
                body=shapes.Roles,
                summary="orgql extension: grant roles of organizations the profile is a member of.",
                description="Not a member of the organization, unknown function: 100002 (400)."
                f"{_ROLES}{_UNKNOWN}",
            )
        },
    ),
    Resource(
        "/v1/profiles/{id}/removeRoles",
        {
            "POST": Operation(
                handlers.remove_profile_roles,
                "removeProfileRoles",
                shapes.Profile,
                "The profile with its roles",
                (400, 404, 409),
                body=shapes.Roles,
                summary="orgql extension: revoke roles (one not held is no change).",
                description=f"Unknown function: 100002 (400).{_ROLES}{_UNKNOWN}{_LAST_APPROVER}",
            )
        },
    ),
    Resource(
        "/v1/organizations/{id}/organizationalRoles",
        {
            "GET": Operation(
                handlers.list_organization_roles,
                "listOrganizationRoles",
                shapes.OrganizationalRoleList,
                "The organization's five roles, each with the profiles holding it",
                (404,),
                description="Unknown organization: 100001 (404).",
            )
        },
    ),
]
