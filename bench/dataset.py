"""The benchmark dataset: a realistic forest of organizations, loaded with COPY (not run by CI).

    .venv/bin/python bench/dataset.py postgresql://postgres@127.0.0.1:5432/orgql_bench

The database must be migrated and demo-seeded (the runner does both). Shape, fixed by a seed:
- 100,000 organizations: trees of typical depth 6 (root, 1-3 children per level) and
  ``CHAINS`` chains of depth 15; each level sets different inherited fields, so that derived
  values come from various ancestors;
- 2-4 addresses each (300,000 or so), the root's first address its default billing and
  shipping address, a level-3 organization's its default shipping address;
- a contract on every root (site ``siteUS``), and site properties on ~20% of the
  organizations on one of the 3 demo sites.

Paths are computed here, so the load disables the path trigger of migration 0001 for its own
transaction only (``ALTER TABLE ... DISABLE TRIGGER`` is transactional) and checks afterwards
that every stored path agrees with the parent chain.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

import asyncpg

ORGANIZATIONS = 100_000
CHAINS = 20
CHAIN_DEPTH = 15
TREE_DEPTH = 6
SITES = ("siteUS", "site1", "site2")
SITE_SHARE = 0.2

ORG_COLUMNS = (
    "id",
    "name",
    "description",
    "type",
    "customer_type",
    "active",
    "duns_number",
    "tax_reference_number",
    "vat_reference_number",
    "unique_id",
    "organization_logo",
    "parent_id",
    "path",
    "payment_methods",
    "shipping_methods",
    "use_all_payment_methods_from_site",
    "billing_address_id",
    "shipping_address_id",
    "dynamic_properties",
)
ADDRESS_COLUMNS = (
    "id",
    "organization_id",
    "address_type",
    "company_name",
    "address1",
    "city",
    "state",
    "postal_code",
    "country",
    "source",
)
SITE_COLUMNS = (
    "organization_id",
    "site_id",
    "contract_id",
    "approval_required",
    "order_price_limit",
    "delegate_approval_management",
    "use_external_approval_webhook",
)
CONTRACT_COLUMNS = ("id", "display_name", "catalog_id", "price_list_group_id")


@dataclass
class Dataset:
    organizations: list[tuple[object, ...]] = field(default_factory=list)
    addresses: list[tuple[object, ...]] = field(default_factory=list)
    site_properties: list[tuple[object, ...]] = field(default_factory=list)
    contracts: list[tuple[object, ...]] = field(default_factory=list)
    #: The deepest organization of each depth-15 chain (the runner's "depth 15" scenario).
    chain_leaves: list[str] = field(default_factory=list)
    #: Organization ids by depth (1 = root).
    by_depth: dict[int, list[str]] = field(default_factory=dict)


def org_id(number: int) -> str:
    return f"b{number:07d}"


def generate(total: int = ORGANIZATIONS, seed: int = 7) -> Dataset:
    """Chains first (so that their ids are known), then trees until ``total``."""
    rng = random.Random(seed)
    data = Dataset()
    counter = iter(range(1, 10**7))

    def add(parent: tuple[str, list[str]] | None, depth: int) -> tuple[str, list[str]]:
        number = next(counter)
        ident = org_id(number)
        path = [] if parent is None else [*parent[1], parent[0]]
        addresses = [f"ba{number:07d}{n}" for n in range(rng.randint(2, 4))]
        for n, address in enumerate(addresses):
            data.addresses.append(
                (
                    address,
                    ident,
                    ("Office", "Dock", "Warehouse", "Store")[n],
                    f"Company {number}",
                    f"{number % 999 + 1} Main Street",
                    ("Boston", "Austin", "Denver", "Seattle")[number % 4],
                    ("MA", "TX", "CO", "WA")[number % 4],
                    f"{number % 100000:05d}",
                    "US",
                    "manual",
                )
            )
        level = min(depth, TREE_DEPTH)
        data.organizations.append(
            (
                ident,
                f"Org {number:07d}",
                f"Tree of {ident}" if depth == 1 else None,
                ("company", "division", "department", "group", "group", "none")[level - 1],
                "Enterprise" if depth == 1 else ("Preferred" if depth == 4 else None),
                True,
                f"{number % 10**9:09d}" if depth == 1 else None,
                f"TAX-{number}" if depth == 2 else None,
                f"VAT-{number}" if depth == 3 else None,
                f"U-{number}" if depth >= 5 else None,
                "/general/hero-image1.jpg" if depth == 1 else None,
                None if parent is None else parent[0],
                path,
                ["card", "cash"] if depth == 1 else (["cash"] if depth == 3 else None),
                ["shippingMethodId1"] if depth == 1 else None,
                True if depth == 2 else None,
                addresses[0] if depth == 1 else None,
                addresses[0] if depth in (1, 3) else None,
                "{}",
            )
        )
        data.by_depth.setdefault(depth, []).append(ident)
        if depth == 1:
            contract = f"bc{number:07d}"
            data.contracts.append(
                (contract, f"Contract of {ident}", "cloudCatalog", "defaultPriceGroup")
            )
            data.site_properties.append((ident, "siteUS", contract, False, None, None, None))
        elif rng.random() < SITE_SHARE:
            data.site_properties.append(
                (
                    ident,
                    rng.choice(SITES),
                    None,
                    rng.random() < 0.5,
                    Decimal(rng.randrange(100, 100000)),
                    rng.random() < 0.3 or None,
                    None,
                )
            )
        return ident, path

    for _ in range(CHAINS):
        node = add(None, 1)
        for depth in range(2, CHAIN_DEPTH + 1):
            node = add(node, depth)
        data.chain_leaves.append(node[0])
    while len(data.organizations) < total:
        frontier = [add(None, 1)]
        for depth in range(2, TREE_DEPTH + 1):
            frontier = [
                add(parent, depth)
                for parent in frontier
                for _ in range(rng.choice((1, 2, 2, 3)))
                if len(data.organizations) < total
            ]
    return data


async def load(url: str, data: Dataset) -> None:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.execute(
                "ALTER TABLE organizations DISABLE TRIGGER organizations_path_on_insert"
            )
            await connection.execute("SET CONSTRAINTS ALL DEFERRED")
            await connection.copy_records_to_table(
                "contracts", records=data.contracts, columns=CONTRACT_COLUMNS
            )
            await connection.copy_records_to_table(
                "organizations", records=data.organizations, columns=ORG_COLUMNS
            )
            await connection.copy_records_to_table(
                "addresses", records=data.addresses, columns=ADDRESS_COLUMNS
            )
            await connection.copy_records_to_table(
                "site_organization_properties", records=data.site_properties, columns=SITE_COLUMNS
            )
            # Checks the deferred address keys now: ALTER TABLE refuses pending trigger events.
            await connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
            await connection.execute(
                "ALTER TABLE organizations ENABLE TRIGGER organizations_path_on_insert"
            )
            wrong = await connection.fetchval(
                """SELECT count(*) FROM organizations child
                     JOIN organizations parent ON parent.id = child.parent_id
                    WHERE child.path <> parent.path || parent.id"""
            )
            if wrong:
                raise RuntimeError(f"{wrong} computed paths disagree with the parent chain")
        # VACUUM too, not only ANALYZE: after 400,000 inserted rows autovacuum would
        # otherwise start during the first scenarios, on the same two cores.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()


async def main(url: str) -> None:
    started = time.perf_counter()
    data = generate()
    generated = time.perf_counter()
    await load(url, data)
    print(
        f"{len(data.organizations)} organizations, {len(data.addresses)} addresses,"
        f" {len(data.site_properties)} site property rows, {len(data.contracts)} contracts:"
        f" generated in {generated - started:.1f} s,"
        f" loaded in {time.perf_counter() - generated:.1f} s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", help="a migrated, demo-seeded database (postgresql://...)")
    asyncio.run(main(parser.parse_args().url))
