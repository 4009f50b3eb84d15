"""The relative roles every organization owns, one of each, created with it (DOMAIN.md):
the one declaration of their functions. The database check (``db/models.py``) is derived
from it, and ``tests/organizations/test_role_vocabulary.py`` holds the database to it."""

from enum import StrEnum


class RoleFunction(StrEnum):
    """A relative role's function; the values are the OCC words, stored as they are. The
    order is the one the roles are created and listed in."""

    ADMIN = "admin"
    BUYER = "buyer"
    APPROVER = "approver"
    ACCOUNT_ADDRESS_MANAGER = "accountAddressManager"
    PROFILE_ADDRESS_MANAGER = "profileAddressManager"


#: Every function, in creation order: an organization's roles are one of each.
ROLE_FUNCTIONS = tuple(RoleFunction)
