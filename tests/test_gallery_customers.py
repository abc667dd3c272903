"""The example customers in templates/customers/ are valid and cover the promised cases."""

from __future__ import annotations

import json

import pytest

import personalize

from .conftest import CUSTOMERS, TODAY

FILES = sorted(CUSTOMERS.glob("*.json"))


def _load(name: str) -> personalize.Customer:
    path = CUSTOMERS / f"{name}.json"
    return personalize.Customer.from_dict(
        json.loads(path.read_text(encoding="utf-8")), today=TODAY, source=str(path)
    )


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_example_customer_is_valid_and_round_trips(path: object) -> None:
    customer = _load(path.stem)  # type: ignore[attr-defined]
    assert personalize.Customer.from_dict(customer.to_dict()) == customer


def test_at_least_twelve_customers_in_four_languages() -> None:
    customers = [_load(p.stem) for p in FILES]
    assert len(customers) >= 12
    assert {c.language for c in customers} >= {"en", "de", "fr", "es"}


def test_the_promised_profiles_exist() -> None:
    assert _load("sparse").to_dict().keys() <= {"id", "contact", "consent"}
    assert _load("klaus").order_count >= 10 and _load("klaus").tenure_years >= 10
    assert _load("sam").order_count == 1
    assert _load("maria_jose").youngest_child_age == 15
    assert _load("maria_jose").name.family == "de la Cruz"
    assert _load("ada").bought_within("laptops", 14)
    marie = _load("marie")
    last_flowers = marie.last_bought("flowers")
    assert last_flowers is not None and 330 <= (TODAY - last_flowers).days <= 365
    assert _load("aroha").name.family is None  # a single name
    assert _load("juergen").consent.sms == "opted_out"
    assert "ü" in (_load("juergen").name.given or "")
    assert _load("carmen").provenance_of("interests").permission is False
    assert _load("priya").contacts_within(7) >= 4
