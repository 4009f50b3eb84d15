"""The derived-value rules of DOMAIN.md ("Derived (inherited) values") on unsaved objects."""

from __future__ import annotations

import random
from decimal import Decimal
from types import SimpleNamespace

import pytest

from orgql.core.inheritance.rules import (
    DERIVED_COLUMNS,
    DerivedAlong,
    Inherited,
    ancestors_root_first,
    chain_of,
    derive,
    derive_all,
    derive_forest,
    derive_site_value,
    derive_site_values,
)
from orgql.db import models


def organization(org_id: str, path: list[str], **columns: object) -> models.Organization:
    """An unsaved organization whose ancestors (root first) are ``path``."""
    parent_id = path[-1] if path else None
    return models.Organization(
        id=org_id, name=f"Org {org_id}", parent_id=parent_id, path=path, **columns
    )


def tree(**columns_by_level: dict[str, object]) -> list[models.Organization]:
    """root -> a -> b -> c, each with the columns given for its level; returns the chain of
    c (nearest first: c, b, a, root)."""
    root = organization("root", [], **columns_by_level.get("root", {}))
    a = organization("a", ["root"], **columns_by_level.get("a", {}))
    b = organization("b", ["root", "a"], **columns_by_level.get("b", {}))
    c = organization("c", ["root", "a", "b"], **columns_by_level.get("c", {}))
    return chain_of(c, {org.id: org for org in (root, a, b, c)})


def test_own_value_wins_over_every_ancestor() -> None:
    chain = tree(root={"description": "root"}, b={"description": "b"}, c={"description": "c"})

    assert derive(chain, "description") == Inherited("c", "c")


def test_nearest_ancestor_value_wins() -> None:
    chain = tree(root={"type": "company"}, a={"type": "division"}, b={"type": "department"})

    assert derive(chain, "type") == Inherited("department", "b")


def test_value_skips_unset_levels_up_to_the_root() -> None:
    chain = tree(root={"customer_type": "Enterprise"})

    assert derive(chain, "customer_type") == Inherited("Enterprise", "root")


def test_value_skips_an_unset_level_between_two_setters() -> None:
    chain = tree(root={"unique_id": "U-ROOT"}, a={"unique_id": "U-A"})

    assert derive(chain, "unique_id") == Inherited("U-A", "a")


def test_false_overrides_an_inherited_true() -> None:
    chain = tree(
        root={"use_all_payment_methods_from_site": True},
        b={"use_all_payment_methods_from_site": False},
    )

    assert derive(chain, "use_all_payment_methods_from_site") == Inherited(False, "b")


def test_own_false_overrides_an_inherited_true() -> None:
    chain = tree(
        root={"use_all_shipping_methods_from_site": True},
        c={"use_all_shipping_methods_from_site": False},
    )

    assert derive(chain, "use_all_shipping_methods_from_site") == Inherited(False, "c")


def test_null_own_value_inherits() -> None:
    chain = tree(root={"duns_number": "987654321"}, c={"duns_number": None})

    assert derive(chain, "duns_number") == Inherited("987654321", "root")


def test_null_when_no_organization_on_the_path_sets_it() -> None:
    chain = tree()

    assert derive(chain, "vat_reference_number") == Inherited(None, None)


def test_list_values_are_inherited_whole() -> None:
    chain = tree(root={"payment_methods": ["card", "cash"]}, a={"payment_methods": ["cash"]})

    assert derive(chain, "payment_methods") == Inherited(["cash"], "a")


def test_default_addresses_are_inherited_by_id() -> None:
    chain = tree(root={"billing_address_id": "addr-root"}, a={"shipping_address_id": "addr-a"})

    assert (derive(chain, "billing_address_id"), derive(chain, "shipping_address_id")) == (
        Inherited("addr-root", "root"),
        Inherited("addr-a", "a"),
    )


def test_derive_refuses_a_column_that_is_not_inherited() -> None:
    chain = tree(root={"party_id": "P-1"})

    with pytest.raises(ValueError, match="party_id is not inherited"):
        derive(chain, "party_id")


def test_derive_all_reports_every_derived_column_with_its_source() -> None:
    chain = tree(
        root={"description": "root", "tax_exemption_code": "EXEMPT"},
        b={"tax_reference_number": "TAX-B"},
    )

    derived = derive_all(chain)

    assert derived == {column: Inherited(None, None) for column in DERIVED_COLUMNS} | {
        "description": Inherited("root", "root"),
        "tax_exemption_code": Inherited("EXEMPT", "root"),
        "tax_reference_number": Inherited("TAX-B", "b"),
    }


def test_derived_columns_are_those_of_the_create_organization_response() -> None:
    assert set(DERIVED_COLUMNS) == {
        "description",
        "type",
        "customer_type",
        "duns_number",
        "tax_reference_number",
        "vat_reference_number",
        "tax_exemption_code",
        "unique_id",
        "organization_logo",
        "payment_methods",
        "shipping_methods",
        "use_all_payment_methods_from_site",
        "use_all_shipping_methods_from_site",
        "billing_address_id",
        "shipping_address_id",
    }


def test_site_value_nearest_set_wins() -> None:
    chain_ids = ["c", "b", "a", "root"]

    value = derive_site_value(chain_ids, {"root": "contract-root", "a": "contract-a"})

    assert value == Inherited("contract-a", "a")


def test_site_value_skips_organizations_without_a_row_for_the_site() -> None:
    chain_ids = ["c", "b", "a", "root"]

    value = derive_site_value(chain_ids, {"root": "contract-root"})

    assert value == Inherited("contract-root", "root")


def test_site_value_null_own_value_inherits() -> None:
    chain_ids = ["c", "b", "a", "root"]

    value = derive_site_value(chain_ids, {"c": None, "b": None, "root": "contract-root"})

    assert value == Inherited("contract-root", "root")


def test_site_value_false_overrides() -> None:
    chain_ids = ["c", "b", "a", "root"]

    value = derive_site_value(chain_ids, {"a": False, "root": True})

    assert value == Inherited(False, "a")


def test_site_value_zero_overrides() -> None:
    chain_ids = ["c", "b", "a", "root"]

    value = derive_site_value(chain_ids, {"b": Decimal(0), "root": Decimal("5000.0000")})

    assert value == Inherited(Decimal(0), "b")


def test_site_value_null_when_nobody_sets_it() -> None:
    assert derive_site_value(["c", "b", "a", "root"], {}) == Inherited(None, None)


def test_site_value_ignores_organizations_off_the_chain() -> None:
    value = derive_site_value(["c", "b", "a", "root"], {"sibling": "contract-sibling"})

    assert value == Inherited(None, None)


def test_chain_lists_the_organization_then_its_ancestors_nearest_first() -> None:
    chain = tree()

    assert [org.id for org in chain] == ["c", "b", "a", "root"]


def test_chain_of_a_root_is_the_root_alone() -> None:
    root = organization("root", [])

    assert [org.id for org in chain_of(root, {"root": root})] == ["root"]


def test_ancestors_are_listed_root_first_down_to_the_direct_parent() -> None:
    root = organization("root", [])
    a = organization("a", ["root"])
    b = organization("b", ["root", "a"])
    c = organization("c", ["root", "a", "b"])

    ancestors = ancestors_root_first(c, {org.id: org for org in (c, b, a, root)})

    assert [org.id for org in ancestors] == ["root", "a", "b"]


def test_ancestors_of_a_root_are_empty() -> None:
    root = organization("root", [])

    assert ancestors_root_first(root, {"root": root}) == []


def _random_forest(seed: int) -> dict[str, models.Organization]:
    """About 60 organizations in a few trees up to depth 7, each column set (sometimes to a
    falsy value) or not at random; some ancestors left out, as a page can miss one that a
    concurrent transaction removed."""
    rng = random.Random(seed)
    orgs: dict[str, models.Organization] = {}
    for index in range(60):
        parents = [org for org in orgs.values() if len(org.path) < 7]
        parent = rng.choice(parents) if parents and rng.random() < 0.85 else None
        path = [*parent.path, parent.id] if parent is not None else []
        columns = {
            column: rng.choice(values)
            for column, values in (
                ("description", [f"d{index}", ""]),
                ("customer_type", ["OEM", "Enterprise"]),
                ("use_all_payment_methods_from_site", [True, False]),
                ("payment_methods", [["card"], []]),
            )
            if rng.random() < 0.3
        }
        orgs[f"o{index}"] = organization(f"o{index}", path, **columns)
    for missing in rng.sample(sorted(orgs), 3):
        del orgs[missing]
    return orgs


@pytest.mark.parametrize("seed", range(20))
def test_derive_forest_derives_what_derive_derives_along_each_chain(seed: int) -> None:
    orgs = _random_forest(seed)
    columns = ["description", "customer_type", "use_all_payment_methods_from_site"]
    columns.append("payment_methods")
    rows = {org_id: [getattr(org, c) for c in columns] for org_id, org in orgs.items()}
    paths = {org_id: org.path for org_id, org in orgs.items()}

    forest = derive_forest(paths, rows, range(len(columns)))

    assert set(forest) == set(orgs)
    for org_id, org in orgs.items():
        chain = chain_of(org, orgs)
        values, owners = forest[org_id]
        for position, column in enumerate(columns):
            assert Inherited(values[position], owners[position]) == derive(chain, column)


@pytest.mark.parametrize("seed", range(20))
def test_derive_forest_derives_site_values_as_derive_site_value(seed: int) -> None:
    orgs = _random_forest(seed)
    rng = random.Random(seed)
    # A site row for about a third of the organizations, its value set or null.
    site_rows = {
        org_id: ("row", rng.choice([None, 0, Decimal("12.5"), False]))
        for org_id in orgs
        if rng.random() < 0.35
    }
    paths = {org_id: org.path for org_id, org in orgs.items()}

    forest = derive_forest(paths, site_rows, [1])

    for org_id, org in orgs.items():
        chain_ids = [o.id for o in chain_of(org, orgs)]
        own = {i: row[1] for i, row in site_rows.items()}
        values, owners = forest[org_id]
        assert Inherited(values[0], owners[0]) == derive_site_value(chain_ids, own)


@pytest.mark.parametrize("seed", range(20))
def test_derived_along_derives_what_derive_forest_derives(seed: int) -> None:
    orgs = _random_forest(seed)
    rng = random.Random(seed)
    columns = ["description", "customer_type", "use_all_payment_methods_from_site"]
    columns.append("payment_methods")
    rows = {org_id: [getattr(org, c) for c in columns] for org_id, org in orgs.items()}
    # Site rows: of a third of the organizations, and of ids no path holds.
    site_rows = {o: ("row", rng.choice([None, 0, False])) for o in orgs if rng.random() < 0.35}
    site_rows |= {"elsewhere": ("row", 1)}
    paths = {org_id: org.path for org_id, org in orgs.items()}

    for own, positions in ((rows, range(len(columns))), (site_rows, [1])):
        forest = derive_forest(paths, own, positions)
        along = DerivedAlong(paths, own, positions)
        read = rng.sample(sorted(orgs), 10)  # some organizations read, in any order
        assert {org_id: along[org_id] for org_id in read} == {o: forest[o] for o in read}
        assert set(along) == set(read)


@pytest.mark.parametrize("seed", range(20))
def test_derive_site_values_derives_each_column_as_derive_site_value(seed: int) -> None:
    """The rule's every-column form (the resolvers' effectiveSiteProperties) and its
    one-column form agree, so that derive_forest and DerivedAlong, held to the latter above,
    answer what the resolvers answer."""
    orgs = _random_forest(seed)
    rng = random.Random(seed)
    columns = ["approval_required", "order_price_limit", "contract_id"]
    choices = [None, None, 0, False, Decimal("12.5"), "c1"]
    site_rows = {
        org_id: SimpleNamespace(**{column: rng.choice(choices) for column in columns})
        for org_id in orgs
        if rng.random() < 0.5
    }

    for org in orgs.values():
        chain_ids = [o.id for o in chain_of(org, orgs)]
        values = derive_site_values(chain_ids, [site_rows.get(i) for i in chain_ids], columns)
        for column in columns:
            own = {i: getattr(row, column) for i, row in site_rows.items()}
            assert values[column] == derive_site_value(chain_ids, own)
