"""Filter inputs shared by the organization connections: the per-site effective-value filter
and the descendants filter. They translate to :class:`repository.OrganizationFilter`."""

from __future__ import annotations

from typing import Any

import strawberry

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.inheritance.effective_filter import FILTERABLE, EffectiveSiteFilter
from orgql.core.organizations import repository
from orgql.core.organizations.service import unknown_site
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error
from orgql.graphql.organizations.reads import site_id_of


@strawberry.input(
    description="Conditions on the values in effect on a site (own, else inherited from the"
    " nearest ancestor that sets them, as effectiveSiteProperties shows them). A value"
    " condition matches only an equal effective value: an unset (null) value matches none."
)
class EffectiveSitePropertiesFilter:
    site: strawberry.ID | None = strawberry.field(
        default=None,
        description="The site; default: the x-ccsite header, then the default site.",
    )
    contract_id: strawberry.ID | None = strawberry.field(
        default=None, description="The contract in effect (its id or repositoryId)."
    )
    has_contract: bool | None = strawberry.field(
        default=None, description="true: some contract is in effect; false: none is."
    )
    approval_required: bool | None = None
    delegate_approval_management: bool | None = None
    use_external_approval_webhook: bool | None = None

    async def to_core(self, info: Info, field: str) -> EffectiveSiteFilter:
        """The core filter, on the site named (which must exist) or the default one."""
        if self.site is not None:
            site_id = str(self.site)
            if await info.context.loaders.site_by_id.load(site_id) is None:
                raise public_error(unknown_site(site_id, f"{field}.site"))
        else:
            found = await site_id_of(info, None)
            if found is None:
                raise public_error(
                    OrgqlError(Codes.INVALID_INPUT, "No site given and none is the default", field)
                )
            site_id = found
        # The filter's fields are those of the core's: the filterable columns.
        equal: dict[str, Any] = {f.column: getattr(self, f.column) for f in FILTERABLE}
        if self.contract_id is not None:
            equal["contract_id"] = str(self.contract_id)
        return EffectiveSiteFilter(site_id=site_id, has_contract=self.has_contract, **equal)


@strawberry.input(description="Conditions a descendant must meet; all given ones apply.")
class DescendantsFilter:
    name_contains: str | None = strawberry.field(
        default=None, description="Substring of the name, case-insensitive."
    )
    active: bool | None = None
    type: str | None = None
    customer_type: str | None = None
    max_depth: int | None = strawberry.field(
        default=None,
        description="At most this many levels below the organization (1: its children).",
    )
    effective: EffectiveSitePropertiesFilter | None = None

    async def to_core(self, info: Info, ancestor_id: str) -> repository.OrganizationFilter:
        effective = await effective_to_core(self.effective, info)
        return repository.OrganizationFilter(
            name_contains=self.name_contains,
            active=self.active,
            type=self.type,
            customer_type=self.customer_type,
            ancestor_id=ancestor_id,
            max_depth=self.max_depth,
            effective=effective,
        )


async def effective_to_core(
    effective: EffectiveSitePropertiesFilter | None, info: Info
) -> EffectiveSiteFilter | None:
    """A filter's ``effective`` part for the core (the site resolved), if given."""
    return await effective.to_core(info, "filter.effective") if effective is not None else None
