"""The derived-value rules of DOMAIN.md ("Derived (inherited) values") on unsaved objects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orgql.core.inheritance import (
    DERIVED_COLUMNS,
    Inherited,
    ancestors_root_first,
    chain_of,
    derive,
    derive_all,
    derive_site_value,
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
