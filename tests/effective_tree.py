"""A hierarchy with per-site values set at several levels, for the descendants and
effective-value filter tests (core and GraphQL). Imported as a module: ``tests/`` is on
``sys.path`` because ``tests/conftest.py`` lives there.

On site2 (``*`` = own value)::

    A  300001  contract K1*, approvalRequired true*
      B  300002  -                                      → K1, true
        C  300003  contract K2*                         → K2, true
          D  300004  approvalRequired false* (no contract) → K2, false
            E  300005  -                                → K2, false
      F  300006  contract K1* (inactive, division; siteUS contract K2*) → K1, true
    G  300007  -                                        → nothing
      H  300008  contract K1*, delegateApprovalManagement true* → K1, null

On site1, B sets contract K2 and useExternalApprovalWebhook true, which B to E inherit.
The demo tree (100001 → 100002 → 100003) has only siteUS values (contract 100010).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db import models

K1, K2 = "310001", "310002"


@dataclass(frozen=True)
class Tree:
    a: str = "300001"
    b: str = "300002"
    c: str = "300003"
    d: str = "300004"
    e: str = "300005"
    f: str = "300006"
    g: str = "300007"
    h: str = "300008"


async def build_tree(session: AsyncSession) -> Tree:
    """Insert the tree (parents first: the path trigger reads the parent's path), commit."""
    tree = Tree()
    session.add_all(
        [
            models.Contract(
                id=contract_id,
                display_name=f"Contract {contract_id}",
                catalog_id="cloudCatalog",
                price_list_group_id="defaultPriceGroup",
            )
            for contract_id in (K1, K2)
        ]
    )
    await session.flush()
    for org_id, name, parent, extra in (
        (tree.a, "Tree A", None, {}),
        (tree.b, "Tree B", tree.a, {}),
        (tree.c, "Tree C", tree.b, {}),
        (tree.d, "Tree D", tree.c, {}),
        (tree.e, "Tree E", tree.d, {}),
        (tree.f, "Tree F", tree.a, {"active": False, "type": "division"}),
        (tree.g, "Tree G", None, {}),
        (tree.h, "Tree H", tree.g, {}),
    ):
        session.add(
            models.Organization(id=org_id, name=name, parent_id=parent, **{"active": True, **extra})
        )
        await session.flush()
    own = models.SiteOrganizationProperties
    session.add_all(
        [
            own(organization_id=tree.a, site_id="site2", contract_id=K1, approval_required=True),
            own(organization_id=tree.c, site_id="site2", contract_id=K2),
            own(organization_id=tree.d, site_id="site2", approval_required=False),
            own(organization_id=tree.f, site_id="site2", contract_id=K1),
            own(organization_id=tree.f, site_id="siteUS", contract_id=K2),
            own(
                organization_id=tree.b,
                site_id="site1",
                contract_id=K2,
                use_external_approval_webhook=True,
            ),
            own(
                organization_id=tree.h,
                site_id="site2",
                contract_id=K1,
                delegate_approval_management=True,
            ),
        ]
    )
    await session.commit()
    return tree
