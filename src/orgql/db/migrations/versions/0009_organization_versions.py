"""organization versions: a counter bumped by the database on every change of the row

Optimistic concurrency (issue 9): ``updateOrganization`` takes the version the caller read
(GraphQL ``expectedVersion``, REST ``If-Match``) and refuses a stale one. The counter is bumped
by a trigger, so every writer (updates, moves, (de)activation, the financial sync setting a
default address) advances it without having to remember to. A change of ``path`` alone (a
descendant repathed by a move of an ancestor) does not bump: the descendant's own values did
not change. A writer that changes what the organization shows without touching its row (its
per-site values) bumps it explicitly by setting ``version = version + 1``; the trigger then
leaves that value alone.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name_key is a generated column: in a BEFORE trigger it does not hold the new value yet.
BUMP_FUNCTION = """
CREATE FUNCTION orgql_bump_organization_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version IS NOT DISTINCT FROM OLD.version
       AND (to_jsonb(NEW) - 'path' - 'version' - 'name_key')
           IS DISTINCT FROM (to_jsonb(OLD) - 'path' - 'version' - 'name_key') THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$
"""

BUMP_TRIGGER = """
CREATE TRIGGER organizations_version_on_update
    BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION orgql_bump_organization_version()
"""


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.execute(BUMP_FUNCTION)
    op.execute(BUMP_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER organizations_version_on_update ON organizations")
    op.execute("DROP FUNCTION orgql_bump_organization_version()")
    op.drop_column("organizations", "version")
