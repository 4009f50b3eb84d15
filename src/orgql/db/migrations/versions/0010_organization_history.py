"""organization history: every change to an organization and what hangs off it, recorded
by the database in the writing transaction

Revision ID: 0010
Revises: 0008

``organization_history`` holds one row per row written in ``organizations``,
``site_organization_properties``, ``addresses``, ``organization_members`` and ``contracts``:
the operation, the row's image before and after (``to_jsonb``, so columns that later
migrations add are recorded without touching the trigger), who (``orgql.actor``, set by the
application at the start of each writing transaction; a session that sets none is recorded as
``db:<role>``) and when.

Why triggers rather than application code: a writer the application does not know about (a
migration, a psql session, a cascade, the path trigger repathing a moved subtree) is recorded
too, and a rolled-back transaction takes its history rows with it.

``changed_at`` is ``now()``, the transaction's timestamp: every row of one transaction carries
the same instant, so a point-in-time read never sees half a transaction. The order of the row
images of one entity is ``id`` (a sequence, taken as the trigger runs, hence in the order the
row locks granted the writes); ``transaction_id`` groups the rows of one transaction.

Existing rows get a ``baseline`` image, dated by their own creation time where they have one
(organizations, addresses, contracts), else by their organization's (site properties,
members): the current values are the best knowledge there is of the time before history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> (entity kind, entity id expression, organization id expression) over a row image.
TRACKED = {
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


def _trigger_function() -> str:
    cases = "\n".join(
        f"        WHEN '{table}' THEN kind := '{kind}'; entity := {entity}; org := {org};"
        for table, (kind, entity, org) in TRACKED.items()
    )
    return f"""
CREATE FUNCTION orgql_record_history() RETURNS trigger LANGUAGE plpgsql AS $$
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


def _baseline(table: str, changed_at: str, join: str = "") -> str:
    kind, entity, org = TRACKED[table]
    return f"""
INSERT INTO organization_history
    (transaction_id, changed_at, actor, entity_kind, entity_id, organization_id, operation,
     before, after)
SELECT txid_current(), {changed_at}, 'system:migration 0010', '{kind}', {entity}, {org},
       'baseline', NULL, r
  FROM (SELECT to_jsonb(t) AS r, t.* FROM {table} t) t {join}
"""


def upgrade() -> None:
    op.create_table(
        "organization_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("entity_kind", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        # No foreign key: history outlives what it describes.
        sa.Column("organization_id", sa.String(length=40), nullable=True),
        sa.Column("operation", sa.String(length=8), nullable=False),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
        sa.CheckConstraint(
            "entity_kind IN ('organization', 'site_properties', 'address', 'member', 'contract')",
            name=op.f("ck_organization_history_entity_kind_known"),
        ),
        sa.CheckConstraint(
            "operation IN ('baseline', 'insert', 'update', 'delete')",
            name=op.f("ck_organization_history_operation_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_history")),
    )
    # An organization's history, newest first (keyset on id).
    op.create_index(
        "ix_organization_history_organization_id",
        "organization_history",
        ["organization_id", "id"],
    )
    # Point-in-time reads: the latest image of given entities at or before an instant.
    op.create_index(
        "ix_organization_history_entity",
        "organization_history",
        ["entity_kind", "entity_id", "changed_at", "id"],
    )
    op.execute(_trigger_function())
    for table in TRACKED:
        op.execute(
            f"CREATE TRIGGER {table}_history AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION orgql_record_history()"
        )
    op.execute(_baseline("organizations", "t.created_at"))
    op.execute(_baseline("addresses", "t.created_at"))
    op.execute(_baseline("contracts", "t.creation_date"))
    owner = "JOIN organizations o ON o.id = t.organization_id"
    op.execute(_baseline("site_organization_properties", "o.created_at", owner))
    op.execute(_baseline("organization_members", "o.created_at", owner))


def downgrade() -> None:
    for table in TRACKED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_history ON {table}")
    op.execute("DROP FUNCTION IF EXISTS orgql_record_history()")
    op.drop_index("ix_organization_history_entity", table_name="organization_history")
    op.drop_index("ix_organization_history_organization_id", table_name="organization_history")
    op.drop_table("organization_history")
