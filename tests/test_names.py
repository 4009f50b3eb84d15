"""camelCase as callers spell names (core/common/names.py), one helper for every layer."""

from __future__ import annotations

import pytest

from orgql.core.common.names import camel


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("name", "name"),
        ("billing_address_id", "billingAddressId"),
        ("derived_order_price_limit", "derivedOrderPriceLimit"),
        ("address1", "address1"),
        ("x_ccSite", "xCcSite"),
    ],
)
def test_camel_upper_cases_the_first_letter_of_each_next_word(name: str, expected: str) -> None:
    assert camel(name) == expected
