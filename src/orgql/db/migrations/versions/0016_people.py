"""the people of an account: a contact's parent organization, its look-up by external contact
id, and the history of contacts and of the roles they hold

Revision ID: 0016
Revises: 0015

- ``profiles.parent_organization_id``: the contact's parent organization (DOMAIN.md, "The
  people of an account"); the contact is a member of it as well (``organization_members``),
  like of each secondary organization. Existing contacts get the lowest-id organization they
  are a member of, none when they are a member of none.
- ``ix_profiles_customer_contact_id``: the look-up by external contact id.
- History (migration 0010's trigger): ``profiles`` (entity kind ``profile``, filed under the
  contact's parent organization) and ``profile_roles`` (``profile_role``, entity
  ``role:profile``, filed under the role's organization) are recorded too. The trigger
  function is replaced by one with the two new cases; existing rows get no baseline (no
  point-in-time read of contacts exists: history starts here).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> (entity kind, entity id expression, organization id expression) over a row image:
#: 0010's, then this revision's.
TRACKED_0010 = {
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
}
TRACKED_0016 = {
    "profiles": ("profile", "r->>'id'", "r->>'parent_organization_id'"),
    "profile_roles": (
        "profile_role",
        "(r->>'role_id') || ':' || (r->>'profile_id')",
        "(SELECT organization_id FROM relative_roles WHERE id = r->>'role_id')",
    ),
}
KINDS_0010 = ("organization", "site_properties", "address", "member", "contract")
KINDS_0016 = (*KINDS_0010, "profile", "profile_role")


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


def _kinds_check(kinds: Sequence[str]) -> None:
    values = ", ".join(f"'{kind}'" for kind in kinds)
    op.execute(
        "ALTER TABLE organization_history"
        " DROP CONSTRAINT ck_organization_history_entity_kind_known,"
        " ADD CONSTRAINT ck_organization_history_entity_kind_known"
        f" CHECK (entity_kind IN ({values}))"
    )


def upgrade() -> None:
    op.add_column(
        "profiles",
        sa.Column(
            "parent_organization_id",
            sa.String(length=40),
            sa.ForeignKey(
                "organizations.id", name="fk_profiles_parent_organization_id_organizations"
            ),
            nullable=True,
        ),
    )
    op.execute(
        """
        UPDATE profiles AS p SET parent_organization_id = m.organization_id
          FROM (SELECT profile_id, min(organization_id) AS organization_id
                  FROM organization_members GROUP BY profile_id) AS m
         WHERE m.profile_id = p.id
        """
    )
    op.create_index("ix_profiles_parent_organization_id", "profiles", ["parent_organization_id"])
    op.create_index("ix_profiles_customer_contact_id", "profiles", ["customer_contact_id"])
    _kinds_check(KINDS_0016)
    op.execute(_trigger_function({**TRACKED_0010, **TRACKED_0016}))
    for table in TRACKED_0016:
        op.execute(
            f"CREATE TRIGGER {table}_history AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION orgql_record_history()"
        )


def downgrade() -> None:
    for table in TRACKED_0016:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_history ON {table}")
    op.execute(_trigger_function(TRACKED_0010))
    op.execute("DELETE FROM organization_history WHERE entity_kind IN ('profile', 'profile_role')")
    _kinds_check(KINDS_0010)
    op.drop_index("ix_profiles_customer_contact_id", table_name="profiles")
    op.drop_index("ix_profiles_parent_organization_id", table_name="profiles")
    op.drop_column("profiles", "parent_organization_id")
