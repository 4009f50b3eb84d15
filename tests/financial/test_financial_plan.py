"""What a sync writes, worked out from the source's answer (orgql.core.financial.plan): no
database, just the rules."""

from __future__ import annotations

from typing import Any

import pytest

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.financial.plan import FailedAddress, plan_sync
from orgql.core.financial.source import SourceAccount, SourceAddress, SourceSite


def address(external_id: str, **values: Any) -> SourceAddress:
    fields: dict[str, Any] = {
        "address1": "1 Main Street",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "country": "US",
    }
    fields.update(values)
    return SourceAddress(external_id=external_id, **fields)


def site(
    external_id: str,
    *,
    bill_to: bool = False,
    ship_to: bool = False,
    primary_bill_to: bool = False,
    primary_ship_to: bool = False,
    **values: Any,
) -> SourceSite:
    """An account site; ``values`` override the address's (complete) values."""
    return SourceSite(
        address=address(external_id, **values),
        site_id=f"s-{external_id}"[:40],
        bill_to=bill_to,
        ship_to=ship_to,
        primary_bill_to=primary_bill_to,
        primary_ship_to=primary_ship_to,
    )


def account(account_id: str, *sites: SourceSite, unit: int | None = 1, **fields: Any) -> Any:
    return SourceAccount(account_id=account_id, business_unit_id=unit, sites=sites, **fields)


def test_an_address_used_by_two_accounts_is_stored_once_and_linked_twice() -> None:
    plan = plan_sync(
        [account("a", site("x", bill_to=True)), account("b", site("x", ship_to=True))], None
    )

    assert [a.external_id for a in plan.addresses] == ["x"]
    assert [(link.account_index, link.bill_to, link.ship_to) for link in plan.links] == [
        (0, True, False),
        (1, False, True),
    ]


def test_the_first_occurrence_of_an_address_wins() -> None:
    plan = plan_sync([account("a", site("x", city="Boston"), site("x", city="Chicago"))], None)

    assert [a.values["city"] for a in plan.addresses] == ["Boston"]


def test_two_sites_of_one_account_on_one_address_merge_their_uses() -> None:
    plan = plan_sync([account("a", site("x", bill_to=True), site("x", primary_ship_to=True))], None)

    (link,) = plan.links
    assert (link.bill_to, link.ship_to, link.primary_bill_to, link.primary_ship_to) == (
        True,
        True,
        False,
        True,
    )


def test_a_primary_use_implies_the_use() -> None:
    plan = plan_sync([account("a", site("x", primary_bill_to=True))], None)

    assert plan.links[0].bill_to is True


def test_defaults_are_the_first_valid_primary_uses() -> None:
    plan = plan_sync(
        [
            account("a", site("bad", primary_bill_to=True, city=None)),
            account("b", site("x", primary_bill_to=True), site("y", primary_ship_to=True)),
            account("c", site("z", primary_bill_to=True, primary_ship_to=True)),
        ],
        None,
    )

    assert (plan.default_billing, plan.default_shipping) == ("x", "y")


def test_without_primary_uses_there_are_no_defaults() -> None:
    plan = plan_sync([account("a", site("x", bill_to=True, ship_to=True))], None)

    assert (plan.default_billing, plan.default_shipping) == (None, None)


def test_accounts_of_another_business_unit_are_dropped() -> None:
    plan = plan_sync(
        [account("a", unit=1), account("b", unit=2), account("c", unit=None)], business_unit_id=2
    )

    assert [a.account_id for a in plan.accounts] == ["b", "c"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"city": None}, "City is not specified"),
        ({"city": "   "}, "City is not specified"),
        ({"address1": None}, "Address line 1 is not specified"),
        ({"country": ""}, "Country is not specified"),
        (
            {"address1": None, "city": None},
            "Address line 1 is not specified; City is not specified",
        ),
        ({"postal_code": "9" * 41}, "postalCode is 41 characters long; at most 40 are allowed"),
        ({"city": "Bos\x00ton"}, "city contains control characters"),
        ({"state": "M\x07A"}, "state contains control characters"),
    ],
)
def test_an_address_that_cannot_be_stored_fails_with_its_reason(
    values: dict[str, Any], message: str
) -> None:
    plan = plan_sync([account("a", site("bad", **values), site("good"))], None)

    assert plan.failed == [FailedAddress("bad", message)]
    assert [a.external_id for a in plan.addresses] == ["good"]
    assert [link.external_address_id for link in plan.links] == ["good"]


def test_values_are_trimmed_and_blanks_are_null() -> None:
    plan = plan_sync([account("a", site("x", city="  Boston ", state=" "))], None)

    assert (plan.addresses[0].values["city"], plan.addresses[0].values["state"]) == (
        "Boston",
        None,
    )


def test_an_external_id_too_long_to_store_fails() -> None:
    plan = plan_sync([account("a", site("9" * 255))], None)

    assert plan.failed == [FailedAddress("9" * 255, "externalId is longer than 254 characters")]


def test_an_external_id_used_as_a_nickname_by_the_organization_fails() -> None:
    plan = plan_sync([account("a", site("Office"))], None, taken_nicknames={"office"})

    assert plan.failed == [
        FailedAddress(
            "Office", "addressType 'Office' is used by another address of the organization"
        )
    ]


def test_external_ids_differing_only_in_case_share_a_nickname() -> None:
    plan = plan_sync([account("a", site("ab-1"), site("AB-1"))], None)

    assert [a.external_id for a in plan.addresses] == ["ab-1"]
    assert [f.external_id for f in plan.failed] == ["AB-1"]


def test_nicknames_are_compared_by_the_keys_passed_in_not_pythons_lower() -> None:
    """The database's keys (core.addresses.nicknames.database_keys): Python lower-cases
    "X" to "x", the keys say "X" and "y" are one and "x" is another's."""
    keys = {"X": "k", "y": "k", "x": "taken"}
    plan = plan_sync(
        [account("a", site("X"), site("y"), site("x"))],
        None,
        taken_nicknames={"taken"},
        nickname_keys=keys,
    )

    assert [a.external_id for a in plan.addresses] == ["X"]
    assert [f.external_id for f in plan.failed] == ["y", "x"]


def test_a_failed_address_is_reported_once_however_often_it_is_used() -> None:
    plan = plan_sync(
        [account("a", site("bad", city=None)), account("b", site("bad", city=None))], None
    )

    assert plan.failed == [FailedAddress("bad", "City is not specified")]


def test_an_account_listed_twice_breaks_the_contract() -> None:
    with pytest.raises(OrgqlError) as raised:
        plan_sync([account("a"), account("a")], None)

    assert (raised.value.code, raised.value.kind) == ("100193", ErrorKind.INTERNAL)
    assert raised.value.message == (
        "Internal error while syncing financial data: customer account 'a' is listed twice"
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"account_number": "1" * 255},
        {"account_name": "x\x00y"},
        {"account_id": "a" * 255},
    ],
    ids=["number too long", "name with NUL", "id too long"],
)
def test_an_account_that_cannot_be_stored_breaks_the_contract(fields: dict[str, Any]) -> None:
    document = {"account_id": "a", **fields}

    with pytest.raises(OrgqlError, match="customer account") as raised:
        plan_sync([SourceAccount(**document)], None)

    assert raised.value.code == "100193"


def test_an_account_site_id_too_long_to_store_breaks_the_contract() -> None:
    too_long = SourceSite(address=address("x"), site_id="s" * 255)

    with pytest.raises(OrgqlError, match="account site id 'sss"):
        plan_sync([account("a", too_long)], None)


def test_a_business_unit_beyond_bigint_breaks_the_contract() -> None:
    with pytest.raises(OrgqlError, match="out of range"):
        plan_sync([account("a", unit=2**63)], None)


def test_a_lone_surrogate_in_a_failed_id_is_echoed_as_u_fffd() -> None:
    # Text PostgreSQL cannot hold, nor an answer encode as UTF-8 (REST answered 500).
    sites = [SourceSite(address("a\ud800b"), "s1"), SourceSite(address("\udc00"), "s2")]
    plan = plan_sync([account("a", *sites, site("good"))], None)

    assert [item.external_id for item in plan.failed] == ["a\ufffdb", "\ufffd"]
    assert [a.external_id for a in plan.addresses] == ["good"]
