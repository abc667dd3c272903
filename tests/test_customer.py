"""Customer.from_dict: validation, normalization, derived facts, round trip."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

import pytest

from personalize import Customer, CustomerDataError
from personalize.customer import Provenance

from .conftest import load_customer_data

TODAY = dt.date(2026, 11, 23)


class Case(NamedTuple):
    description: str
    data: dict[str, Any]
    expect: str


BAD = [
    Case("no id", {}, "id: required"),
    Case("blank id", {"id": "   "}, "id: required"),
    Case(
        "order date",
        {"id": "c", "orders": [{"date": "yesterday"}]},
        "orders[0].date: not an ISO date (got 'yesterday')",
    ),
    Case("locale", {"id": "c", "locale": "xx_NOPE"}, "locale: unknown locale 'xx_NOPE'"),
    Case("locale word", {"id": "c", "locale": "english"}, "locale: unknown locale 'english'"),
    Case(
        "consent value",
        {"id": "c", "consent": {"email": "yes"}},
        "consent.email: must be opted_in, opted_out or unknown (got 'yes')",
    ),
    Case(
        "unknown top-level key",
        {"id": "c", "favourite_colour": "red"},
        "favourite_colour: unknown field; put custom data under 'attributes'",
    ),
    Case(
        "misspelt top-level key",
        {"id": "c", "birtday": "1990-01-01"},
        "birtday: unknown field; did you mean 'birthday'?",
    ),
    Case(
        "misspelt nested key",
        {"id": "c", "name": {"givn": "Ada"}},
        "name.givn: unknown field; did you mean 'given'?",
    ),
    Case(
        "float money",
        {"id": "c", "orders": [{"date": "2026-01-01", "total": 12.5, "currency": "EUR"}]},
        "orders[0].total: money must be a decimal string like '12.50', never a float",
    ),
    Case(
        "bad money",
        {"id": "c", "orders": [{"date": "2026-01-01", "total": "12,50", "currency": "EUR"}]},
        "orders[0].total: not a decimal amount (got '12,50')",
    ),
    Case(
        "currency",
        {"id": "c", "orders": [{"date": "2026-01-01", "total": "1", "currency": "EURO"}]},
        "orders[0].currency: unknown ISO 4217 currency code (got 'EURO')",
    ),
    Case(
        "total without currency",
        {"id": "c", "orders": [{"date": "2026-01-01", "total": "1"}]},
        "orders[0].currency: required when total is given",
    ),
    Case("time zone", {"id": "c", "timezone": "Mars/Base"}, "timezone: unknown time zone"),
    Case("register", {"id": "c", "register": "casual"}, "register: must be formal or informal"),
    Case("phone", {"id": "c", "contact": {"phone": "12345"}}, "contact.phone: must be an E.164"),
    Case("email", {"id": "c", "contact": {"email": "ada"}}, "contact.email: not an email address"),
    Case("name type", {"id": "c", "name": {"given": 42}}, "name.given: must be a string"),
    Case("newline in name", {"id": "c", "name": {"given": "A\nB"}}, "name.given: contains control"),
    Case("interests type", {"id": "c", "interests": "gardening"}, "interests: must be a list"),
    Case(
        "child year",
        {"id": "c", "household": {"children_birth_years": ["2011"]}},
        "household.children_birth_years[0]: must be a whole number",
    ),
    Case(
        "rank",
        {"id": "c", "tier": {"rank_percentile": 120}},
        "tier.rank_percentile: must be between 0 and 100",
    ),
    Case(
        "provenance field",
        {"id": "c", "provenance": {"intrests": {"source": "external"}}},
        "provenance.intrests: not a customer field; did you mean 'interests'?",
    ),
    Case(
        "provenance source",
        {"id": "c", "provenance": {"interests": {"source": "bought"}}},
        "provenance.interests.source: must be declared, observed, inferred or external",
    ),
    Case(
        "contact history channel",
        {"id": "c", "contact_history": [{"channel": "fax", "date": "2026-01-01"}]},
        "contact_history[0].channel: must be email, sms or voice",
    ),
    Case("not a mapping", [], "customer: must be an object"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("case", BAD, ids=[c.description for c in BAD])
def test_bad_input_names_the_field(case: Case) -> None:
    with pytest.raises(CustomerDataError) as info:
        Customer.from_dict(case.data)
    assert any(p.startswith(case.expect) for p in info.value.problems), info.value.problems
    assert isinstance(info.value, ValueError)


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "id": "c-1",
        "locale": "xx_NOPE",
        "consent": {"email": "maybe"},
        "orders": [{"date": "2026-01-01"}, {"date": "2026-13-01"}, {"date": "tomorrow"}],
    }
    with pytest.raises(CustomerDataError) as info:
        Customer.from_dict(data, source="people.jsonl")
    paths = [p.split(":")[0] for p in info.value.problems]
    assert paths == ["locale", "consent.email", "orders[1].date", "orders[2].date"]
    assert "4 problems" in str(info.value)
    assert "people.jsonl" in str(info.value)


def test_complete_example_parses() -> None:
    c = Customer.from_dict(load_customer_data("ada"))
    assert c.name.given == "Ada"
    assert c.locale == "en_GB"
    assert c.timezone == "Europe/London"
    assert c.orders[0].total == Decimal("1299.00")
    assert c.orders[0].items[0].category == "laptops"
    assert c.consent.for_channel("sms") == "opted_in"
    assert c.tier is not None and c.tier.rank_percentile == 2.5
    assert c.attributes["favorite_store"] == "Leeds"


def test_blank_strings_count_as_missing() -> None:
    c = Customer.from_dict(
        {"id": "c", "name": {"given": "  ", "family": ""}, "locale": " ", "interests": ["", "tea"]}
    )
    assert c.name.given is None and c.name.family is None
    assert c.locale is None
    assert c.interests == ("tea",)


def test_locale_tags_are_normalized_with_babel() -> None:
    assert Customer.from_dict({"id": "c", "locale": "de-AT"}).locale == "de_AT"
    assert Customer.from_dict({"id": "c", "locale": "fr"}).language == "fr"


def test_names_are_kept_as_written() -> None:
    c = Customer.from_dict({"id": "c", "name": {"given": "María José", "family": "de la Cruz"}})
    assert c.name.full == "María José de la Cruz"
    single = Customer.from_dict({"id": "c", "name": {"given": "Sukarno"}})
    assert single.name.full == "Sukarno" and single.name.family is None


def test_customer_is_immutable() -> None:
    c = Customer.from_dict(load_customer_data("ada"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        c.attributes["favorite_store"] = "York"  # type: ignore[index]
    assert isinstance(c.orders, tuple)


def test_round_trip() -> None:
    data = load_customer_data("ada")
    c = Customer.from_dict(data)
    assert Customer.from_dict(c.to_dict()) == c
    assert c.to_dict()["orders"][0]["total"] == "1299.00"


def _customer(**data: Any) -> Customer:
    return Customer.from_dict({"id": "c", **data}, today=TODAY)


def test_derived_facts_use_the_injected_today() -> None:
    c = _customer(
        customer_since="2015-11-24",
        orders=[
            {"date": "2026-11-17", "total": "10.00", "currency": "GBP"},
            {"date": "2025-01-01", "total": "5.50", "currency": "GBP"},
        ],
        household={"children_birth_years": [2011, 2019]},
        birthday="1990-12-10",
    )
    assert c.today == TODAY
    assert c.order_count == 2
    assert c.tenure_years == 10  # the 11th anniversary is tomorrow
    assert c.lifetime_value == Decimal("15.50")
    assert c.lifetime_currency == "GBP"
    assert c.days_since_last_order == 6
    assert c.youngest_child_age == 7
    assert c.next_birthday == dt.date(2026, 12, 10)
    assert c.days_until_birthday == 17
    assert c.at(dt.date(2026, 12, 11)).next_birthday == dt.date(2027, 12, 10)


def test_missing_facts_are_none() -> None:
    c = _customer()
    assert c.order_count == 0
    assert c.tenure_years is None
    assert c.lifetime_value is None
    assert c.days_since_last_order is None
    assert c.youngest_child_age is None
    assert c.next_birthday is None


def test_mixed_currencies_have_no_lifetime_value() -> None:
    c = _customer(
        orders=[
            {"date": "2026-01-01", "total": "10.00", "currency": "GBP"},
            {"date": "2026-02-01", "total": "10.00", "currency": "EUR"},
        ]
    )
    assert c.lifetime_value is None


@pytest.mark.parametrize(("days_ago", "within"), [(0, True), (90, True), (91, False)])
def test_bought_within_is_inclusive(days_ago: int, within: bool) -> None:
    date = (TODAY - dt.timedelta(days=days_ago)).isoformat()
    c = _customer(orders=[{"date": date, "items": [{"category": "Laptops"}]}])
    assert c.bought_within("laptops", 90) is within
    assert c.bought_within("phones", 90) is False


def test_leap_day_birthday() -> None:
    c = Customer.from_dict({"id": "c", "birthday": "2000-02-29"}, today=dt.date(2027, 1, 1))
    assert c.next_birthday == dt.date(2027, 2, 28)
    assert c.at(dt.date(2028, 1, 1)).next_birthday == dt.date(2028, 2, 29)


def test_contacts_within_counts_by_channel_and_purpose() -> None:
    c = _customer(
        contact_history=[
            {"channel": "email", "date": "2026-11-20"},
            {"channel": "sms", "date": "2026-11-22", "purpose": "transactional"},
            {"channel": "email", "date": "2026-10-01"},
        ]
    )
    assert c.contacts_within(7) == 2
    assert c.contacts_within(7, channel="email") == 1
    assert c.contacts_within(7, purpose="marketing") == 1  # no purpose counts as marketing
    assert c.contacts_within(90) == 3


def test_provenance_defaults_to_first_party() -> None:
    c = _customer(
        interests=["golf"],
        provenance={"interests": {"source": "external"}, "name": {"source": "declared"}},
    )
    assert c.provenance_of("interests") == Provenance(source="external", permission=False)
    assert c.provenance_of("name.given").source == "declared"
    assert c.provenance_of("orders").source == "first-party"


def test_today_defaults_to_the_customers_time_zone() -> None:
    c = Customer.from_dict({"id": "c", "timezone": "Pacific/Kiritimati"})
    expected = dt.datetime.now(dt.UTC).astimezone(c.tzinfo).date()
    assert c.today == expected
