"""record the address types of an organization's addresses in its history

Changing an address's ``types`` (``address_type_links``) is a change of the address
(updateOrganizationAddress): history records it as entity kind ``address_type`` (entity id
``address_id:address_type_id``, the organization the address's). The trigger function of
migrations 0010 and 0016 is replaced by the same function with this one case more; its other
cases are copied as 0010 and 0016 wrote them (a migration is a snapshot, not an import of
another).

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> (entity kind, entity id expression, organization id expression) over a row image.
TRACKED_BEFORE = {
    "organizations": ("organization", "r->>'id'", "r->>'id'"),
    "site_organization_properties": (
        "site_properties",
        "(r->>'organization_id') || ':' || (r->>'site_id')",
        "r->>'organization_id'",
    ),
    "addresses": ("address", "r->>'id'", "r->>'organization_id'"),
    "organization_members": (
        "member",
        "(r->>'organization_id') || ':' || (r->>'profile_id')",
        "r->>'organization_id'",
    ),
    "contracts": ("contract", "r->>'id'", "NULL"),
    # 0016's: the people of an account.
    "profiles": ("profile", "r->>'id'", "r->>'parent_organization_id'"),
    "profile_roles": (
        "profile_role",
        "(r->>'role_id') || ':' || (r->>'profile_id')",
        "(SELECT organization_id FROM relative_roles WHERE id = r->>'role_id')",
    ),
}
#: A link's organization is its address's (NULL once the address is gone: its deletion is
#: recorded as the address's own).
TRACKED = {
    **TRACKED_BEFORE,
    "address_type_links": (
        "address_type",
        "(r->>'address_id') || ':' || (r->>'address_type_id')",
        "(SELECT a.organization_id FROM addresses a WHERE a.id = r->>'address_id')",
    ),
}
_KINDS_BEFORE = (
    "organization",
    "site_properties",
    "address",
    "member",
    "contract",
    "profile",
    "profile_role",
)
_CHECK = "ck_organization_history_entity_kind_known"


def _trigger_function(tracked: dict[str, tuple[str, str, str]]) -> str:
    cases = "\n".join(
        f"        WHEN '{table}' THEN kind := '{kind}'; entity := {entity}; org := {org};"
        for table, (kind, entity, org) in tracked.items()
    )
    return f"""
CREATE OR REPLACE FUNCTION orgql_record_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    kind text;
    entity text;
    org text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := to_jsonb(OLD);
    ELSE
        r := to_jsonb(NEW);
    END IF;
    -- An UPDATE that changes nothing is no change.
    IF TG_OP = 'UPDATE' AND to_jsonb(OLD) = r THEN
        RETURN NULL;
    END IF;
    CASE TG_TABLE_NAME
{cases}
    END CASE;
    INSERT INTO organization_history
        (transaction_id, changed_at, actor, entity_kind, entity_id, organization_id,
         operation, before, after)
    VALUES (
        txid_current(), now(),
        coalesce(nullif(current_setting('orgql.actor', true), ''), 'db:' || session_user),
        kind, entity, org, lower(TG_OP),
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE r END
    );
    RETURN NULL;
END
$$
"""


def _kinds_check(kinds: Sequence[str]) -> str:
    values = ", ".join(f"'{kind}'" for kind in kinds)
    return (
        f"ALTER TABLE organization_history ADD CONSTRAINT {_CHECK}"
        f" CHECK (entity_kind IN ({values}))"
    )


def upgrade() -> None:
    op.execute(f"ALTER TABLE organization_history DROP CONSTRAINT {_CHECK}")
    op.execute(_kinds_check((*_KINDS_BEFORE, "address_type")))
    op.execute(_trigger_function(TRACKED))
    op.execute(
        "CREATE TRIGGER address_type_links_history AFTER INSERT OR UPDATE OR DELETE"
        " ON address_type_links FOR EACH ROW EXECUTE FUNCTION orgql_record_history()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS address_type_links_history ON address_type_links")
    op.execute(_trigger_function(TRACKED_BEFORE))
    op.execute("DELETE FROM organization_history WHERE entity_kind = 'address_type'")
    op.execute(f"ALTER TABLE organization_history DROP CONSTRAINT {_CHECK}")
    op.execute(_kinds_check(_KINDS_BEFORE))
