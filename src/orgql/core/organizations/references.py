"""The references a new organization's input names (createOrganization.txt): members,
payment and shipping methods, logo, contract, default addresses, dynamic properties."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from orgql.core.common.errors import Codes, quoted
from orgql.core.common.validation import Problems, is_storable_text, join
from orgql.core.organizations import repository
from orgql.core.organizations.dynamic_properties import check_dynamic_properties
from orgql.core.organizations.input import NewOrganization
from orgql.core.sites import contracts
from orgql.db import models

#: Reference fields holding one id (an error names the field itself, not an index into it).
_SINGLE_REFERENCES = frozenset({"organizationLogo"})


async def check_named_references(
    session: AsyncSession,
    new: NewOrganization,
    parent: models.Organization | None,
    problems: Problems,
) -> None:
    """Every id the input names, but the parent's (checked by the caller), must exist: one
    statement per kind of reference named."""
    checks: list[tuple[InstrumentedAttribute[str], list[str], str, str, str]] = [
        (models.Profile.id, new.member_ids, Codes.PROFILE_INVALID, "members", "profile"),
        (
            models.PaymentMethod.id,
            _as_list(new.columns.get("payment_methods")),
            Codes.PAYMENT_METHODS_INVALID,
            "paymentMethods",
            "payment method",
        ),
        (
            models.ShippingMethod.id,
            _as_list(new.columns.get("shipping_methods")),
            Codes.SHIPPING_METHODS_INVALID,
            "shippingMethods",
            "shipping method",
        ),
    ]
    logo = new.columns.get("organization_logo")
    if isinstance(logo, str):
        checks.append(
            (models.MediaFile.path, [logo], Codes.LOGO_NOT_FOUND, "organizationLogo", "logo")
        )
    for column, wanted, code, field, noun in checks:
        found = await repository.existing_ids(session, column, wanted)
        for index, item in enumerate(wanted):
            if item not in found:
                path = field if field in _SINGLE_REFERENCES else join(field, index)
                problems.add(code, f"Unknown {noun} {quoted(item)}", path)
    if new.site_properties.contract is not None:
        await contracts.check_references(
            session, [("contract", new.site_properties.contract)], problems
        )

    await _check_default_address(
        session,
        new.billing_address_id,
        parent,
        Codes.INVALID_BILLING_ADDRESS,
        "billingAddress",
        problems,
    )
    await _check_default_address(
        session,
        new.shipping_address_id,
        parent,
        Codes.INVALID_SHIPPING_ADDRESS,
        "shippingAddress",
        problems,
    )
    if new.billing_address_id and any(a.default_billing for a in new.addresses):
        problems.add(
            Codes.INVALID_BILLING_ADDRESS,
            "billingAddress and an address marked isDefaultBillingAddress name different defaults",
            "billingAddress",
        )
    if new.shipping_address_id and any(a.default_shipping for a in new.addresses):
        problems.add(
            Codes.INVALID_SHIPPING_ADDRESS,
            "shippingAddress and an address marked isDefaultShippingAddress name different"
            " defaults",
            "shippingAddress",
        )
    await check_dynamic_properties(session, new.dynamic_properties, problems)


async def _check_default_address(
    session: AsyncSession,
    address_id: str | None,
    parent: models.Organization | None,
    code: str,
    field: str,
    problems: Problems,
) -> None:
    """A default address given by id must belong to one of the new organization's ancestors
    (a new organization has no addresses of its own yet except its secondaryAddresses)."""
    if address_id is None:
        return
    address = await referenced_address(session, address_id)
    ancestors = set(parent.path) | {parent.id} if parent is not None else set()
    if address is None or address.organization_id not in ancestors:
        problems.add(
            code,
            f"Address {quoted(address_id)} is not an address of this organization's ancestors",
            join(field, "repositoryId"),
        )


async def referenced_address(session: AsyncSession, address_id: str) -> models.Address | None:
    """The address a default billing or shipping address is to reference, read ``FOR KEY
    SHARE`` (the lock the foreign key's check takes, which a delete of the address waits
    for): read now rather than at commit, where the deferred key is checked. A deletion
    not yet committed makes this wait, and then it finds the address gone (the caller's
    100053 / 100054); a deletion after this waits for the commit, and its ON DELETE SET NULL
    clears the reference this transaction set. Without it, the check passed on the address
    while it was being deleted, and the commit failed the key (a 500)."""
    if not is_storable_text(address_id):
        return None
    return await session.scalar(
        select(models.Address)
        .where(models.Address.id == address_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def _as_list(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
