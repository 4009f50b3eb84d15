"""a profile's own addresses (the vendor's profile shipping addresses): the addresses table
gets a second owner, ``profile_id``

Revision ID: 0023
Revises: 0022

- ``addresses.profile_id``: the profile that owns the address (ON DELETE CASCADE, like an
  organization's). Exactly one owner per address (``ck_addresses_one_owner``): every writer
  of addresses so far (createOrganization, addOrganizationAddress, the financial sync, request
  approval, the demo data) sets ``organization_id``, so every existing row passes.
- ``uq_addresses_profile_type``: the nickname (``address_type``) is unique per profile,
  compared case-insensitively after trimming, as ``uq_addresses_org_type`` makes it per
  organization; partial (profile addresses only), it is also the index of the look-ups by
  profile and of the foreign key's cascade.
- History (migration 0010's trigger): a profile's address is recorded as entity kind
  ``profile_address`` (entity id the address's id), filed under the profile's parent
  organization as the profile's own changes are (0016), never as an organization's
  ``address``: the point-in-time reads of an organization's addresses read kind ``address``.
  The trigger function is replaced by 0017's with that one case changed (its other cases
  copied as 0017 wrote them: a migration is a snapshot, not an import of another).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> (entity kind expression, entity id expression, organization id expression) over
#: a row image, as 0017 left them (kinds quoted).
TRACKED_0017 = {
    "organizations": ("'organization'", "r->>'id'", "r->>'id'"),
    "site_organization_properties": (
        "'site_properties'",
        "(r->>'organization_id') || ':' || (r->>'site_id')",
        "r->>'organization_id'",
    ),
    "addresses": ("'address'", "r->>'id'", "r->>'organization_id'"),
    "organization_members": (
        "'member'",
        "(r->>'organization_id') || ':' || (r->>'profile_id')",
        "r->>'organization_id'",
    ),
    "contracts": ("'contract'", "r->>'id'", "NULL"),
    "profiles": ("'profile'", "r->>'id'", "r->>'parent_organization_id'"),
    "profile_roles": (
        "'profile_role'",
        "(r->>'role_id') || ':' || (r->>'profile_id')",
        "(SELECT organization_id FROM relative_roles WHERE id = r->>'role_id')",
    ),
    "address_type_links": (
        "'address_type'",
        "(r->>'address_id') || ':' || (r->>'address_type_id')",
        "(SELECT a.organization_id FROM addresses a WHERE a.id = r->>'address_id')",
    ),
}
TRACKED = {
    **TRACKED_0017,
    "addresses": (
        "CASE WHEN r->>'profile_id' IS NULL THEN 'address' ELSE 'profile_address' END",
        "r->>'id'",
        "coalesce(r->>'organization_id',"
        " (SELECT p.parent_organization_id FROM profiles p WHERE p.id = r->>'profile_id'))",
    ),
}
KINDS_0017 = (
    "organization",
    "site_properties",
    "address",
    "member",
    "contract",
    "profile",
    "profile_role",
    "address_type",
)
_CHECK = "ck_organization_history_entity_kind_known"


def _trigger_function(tracked: dict[str, tuple[str, str, str]]) -> str:
    cases = "\n".join(
        f"        WHEN '{table}' THEN kind := {kind}; entity := {entity}; org := {org};"
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
        f"ALTER TABLE organization_history DROP CONSTRAINT {_CHECK},"
        f" ADD CONSTRAINT {_CHECK} CHECK (entity_kind IN ({values}))"
    )


def upgrade() -> None:
    op.add_column(
        "addresses",
        sa.Column(
            "profile_id",
            sa.String(length=40),
            sa.ForeignKey(
                "profiles.id", name="fk_addresses_profile_id_profiles", ondelete="CASCADE"
            ),
            nullable=True,
        ),
    )
    op.create_check_constraint(
        op.f("ck_addresses_one_owner"), "addresses", "num_nonnulls(organization_id, profile_id) = 1"
    )
    op.create_index(
        "uq_addresses_profile_type",
        "addresses",
        [sa.text("profile_id"), sa.text("lower(btrim(address_type))")],
        unique=True,
        postgresql_where=sa.text("profile_id IS NOT NULL"),
    )
    op.execute(_kinds_check((*KINDS_0017, "profile_address")))
    op.execute(_trigger_function(TRACKED))


def downgrade() -> None:
    # A profile's addresses cannot stay (nothing would read them again); deleted first, so
    # that their deletions are recorded as the kind this revision removes.
    op.execute("DELETE FROM addresses WHERE profile_id IS NOT NULL")
    op.execute(_trigger_function(TRACKED_0017))
    op.execute("DELETE FROM organization_history WHERE entity_kind = 'profile_address'")
    op.execute(_kinds_check(KINDS_0017))
    op.drop_index("uq_addresses_profile_type", table_name="addresses")
    op.drop_constraint(op.f("ck_addresses_one_owner"), "addresses", type_="check")
    op.drop_column("addresses", "profile_id")
