"""personalize.testing: the strategies produce the variety they promise.

``find()`` shows that each kind of customer the docs promise actually
occurs (an RTL name, an empty profile, a complete one...); ``@given`` tests
show the promised invariants (valid data, plausible dates) hold for all.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings

import personalize
from personalize.testing import (
    assert_renders_soundly,
    consents,
    customer_dicts,
    customers,
    names,
    orders,
)

TODAY = dt.date(2026, 11, 23)
# Stop at the first match: these tests show that a kind of customer occurs,
# and shrinking it would only cost time.
FIND = settings(max_examples=3000, database=None, phases=[Phase.generate])


def _all_name_parts(c: personalize.Customer) -> list[str]:
    n = c.name
    return [p for p in (n.given, n.family, n.preferred) if p]


def _is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


# -- variety: each promised kind of customer is generated -------------------


class TestVariety:
    def test_rtl_name(self) -> None:
        c = find(
            customers(today=TODAY),
            lambda c: any(_is_rtl(p) for p in _all_name_parts(c)),
            settings=FIND,
        )
        assert any(_is_rtl(p) for p in _all_name_parts(c))

    def test_empty_profile(self) -> None:
        c = find(customers(today=TODAY), lambda c: c.to_dict().keys() == {"id"}, settings=FIND)
        assert c.name.first is None and not c.orders and c.locale is None

    def test_complete_profile(self) -> None:
        keys = set(personalize.Customer.from_dict({"id": "x"}).__dataclass_fields__) - {"as_of"}
        c = find(customers(today=TODAY), lambda c: c.to_dict().keys() == keys, settings=FIND)
        assert c.name.given and c.orders and c.tier is not None and c.contact_history

    def test_markup_looking_name(self) -> None:
        c = find(
            customers(today=TODAY),
            lambda c: any("<" in p or "{{" in p for p in _all_name_parts(c)),
            settings=FIND,
        )
        assert any("<" in p or "{{" in p for p in _all_name_parts(c))

    def test_combining_marks_in_raw_data(self) -> None:
        d = find(
            customer_dicts(today=TODAY),
            lambda d: any(
                unicodedata.category(ch) == "Mn" for v in d.get("name", {}).values() for ch in v
            ),
            settings=FIND,
        )
        assert d["name"]


@settings(max_examples=1200, derandomize=True, database=None, phases=[Phase.generate])
@given(customers(today=TODAY))
def _collect_features(c: personalize.Customer) -> None:
    parts = _all_name_parts(c)
    features = {
        "emoji": any("👩" in p or "✨" in p or "🎂" in p for p in parts),
        "long-name": any(len(p) >= 100 for p in parts),
        "particle": any(p in ("de la Cruz", "van der Berg", "von Neumann") for p in parts),
        "apostrophe": any("'" in p for p in parts),
        "single-name": c.name.given is not None and c.name.family is None,
        "external-no-permission": any(
            p.source == "external" and not p.permission for p in c.provenance.values()
        ),
        "sms-opted-out": c.consent.sms == "opted_out",
        "contact-pressure": c.contacts_within(7) >= 3,
        "recent-laptop": c.bought_within("laptops", 30),
        "teenager-parent": c.youngest_child_age is not None and 13 <= c.youngest_child_age <= 19,
        "one-purchase": c.order_count == 1,
        "mixed-currency": c.orders != () and c.lifetime_value is None,
    }
    features.update({f"lang-{lang}": c.language == lang for lang in _LANGS})
    SEEN.update(k for k, v in features.items() if v)


_LANGS = ("en", "de", "fr", "es", "he")
SEEN: set[str] = set()


def test_the_promised_variety_occurs() -> None:
    """One deterministic pass over 1200 customers meets every promised kind."""
    SEEN.clear()
    _collect_features()
    expected = {
        "emoji",
        "long-name",
        "particle",
        "apostrophe",
        "single-name",
        "external-no-permission",
        "sms-opted-out",
        "contact-pressure",
        "recent-laptop",
        "teenager-parent",
        "one-purchase",
        "mixed-currency",
    } | {f"lang-{lang}" for lang in _LANGS}
    assert expected - SEEN == set()


# -- invariants: what holds for every generated customer --------------------


@given(customer_dicts(today=TODAY))
def test_customer_dicts_are_valid(data: dict[str, Any]) -> None:
    customer = personalize.Customer.from_dict(data)
    assert customer.id


@given(customers(today=TODAY))
def test_dates_are_plausible(c: personalize.Customer) -> None:
    assert c.today == TODAY
    for order in c.orders:
        assert order.date <= TODAY
        if c.customer_since is not None:
            assert order.date >= c.customer_since
    if c.birthday is not None:
        assert c.birthday < TODAY
        if c.customer_since is not None:
            assert c.customer_since.year - c.birthday.year >= 16
        for year in c.household.children_birth_years:
            assert year > c.birthday.year
    for event in c.contact_history:
        assert event.date <= TODAY
    if c.tier is not None and c.tier.since is not None and c.customer_since is not None:
        assert c.tier.since >= c.customer_since


@given(customers(today=TODAY))
def test_customers_round_trip(c: personalize.Customer) -> None:
    assert personalize.Customer.from_dict(c.to_dict()) == c


@given(customers(locales=["de_AT", None], completeness=1.0, today=TODAY))
def test_locales_and_completeness_are_honoured(c: personalize.Customer) -> None:
    assert c.locale in ("de_AT", None)
    assert c.name.given and c.orders and c.birthday


@given(customers(completeness=0, today=TODAY))
def test_completeness_zero_gives_bare_ids(c: personalize.Customer) -> None:
    assert c.to_dict().keys() == {"id"}


@given(orders(min_date=dt.date(2025, 1, 1), max_date=TODAY, currencies=["EUR"]))
def test_orders_total_is_the_sum_of_items(order: dict[str, Any]) -> None:
    parsed = personalize.Customer.from_dict({"id": "x", "orders": [order]}).orders[0]
    assert parsed.currency == "EUR"
    assert dt.date(2025, 1, 1) <= parsed.date <= TODAY
    assert parsed.total == sum((i.price * i.quantity for i in parsed.items if i.price), 0)


@given(consents(channels=["sms"], statuses=["opted_out"]))
def test_consents_arguments(consent: dict[str, str]) -> None:
    assert consent in ({}, {"sms": "opted_out"})


# -- invalid arguments: InvalidArgument when first drawn --------------------


@pytest.mark.parametrize(
    "strategy",
    [
        pytest.param(lambda: customers(locales="en_GB"), id="locales-str"),  # type: ignore[arg-type]
        pytest.param(lambda: customers(locales=["xx_NOPE"]), id="locales-unknown"),
        pytest.param(lambda: customers(locales=[]), id="locales-empty"),
        pytest.param(lambda: customers(completeness=1.5), id="completeness-range"),
        pytest.param(lambda: customers(completeness=True), id="completeness-bool"),
        pytest.param(lambda: customer_dicts(today="2026-11-23"), id="today-str"),  # type: ignore[arg-type]
        pytest.param(lambda: names(min_fields=6), id="min-fields"),
        pytest.param(lambda: names(max_size=10), id="max-size"),
        pytest.param(lambda: consents(channels=["fax"]), id="channel"),
        pytest.param(lambda: consents(statuses=["maybe"]), id="status"),
        pytest.param(
            lambda: orders(min_date=TODAY, max_date=dt.date(2020, 1, 1)), id="dates-swapped"
        ),
        pytest.param(lambda: orders(currencies=["EURO"]), id="currency"),
    ],
)
def test_invalid_arguments_raise_when_used(strategy: Any) -> None:
    s = strategy()  # creating a strategy never raises...
    with pytest.raises(personalize.InvalidArgument):
        s.validate()  # ...using it does


def test_invalid_argument_message_says_how_to_fix() -> None:
    with pytest.raises(personalize.InvalidArgument, match=r"locales=\['en_GB'\]"):
        customers(locales="en_GB").validate()  # type: ignore[arg-type]


# -- assert_renders_soundly --------------------------------------------------


@given(customers(today=TODAY))
def test_birthday_renders_soundly(lib: personalize.Library, c: personalize.Customer) -> None:
    assert_renders_soundly(lib, "birthday", c)


def _library(tmp_path: Path, files: dict[str, str], policy: personalize.Policy) -> Any:
    folder = tmp_path / "hello"
    folder.mkdir()
    channels = sorted({name.split(".")[0] for name in files})
    (folder / "message.toml").write_text(
        f'purpose = "service"\nchannels = {channels!r}\n'.replace("'", '"'), encoding="utf-8"
    )
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return personalize.Library(tmp_path, policy=policy, today=TODAY)


# Every guard off (missing-data cannot be turned off) so that the assertion,
# not a guard, is what catches the broken templates below.
_NO_GUARDS = personalize.Policy(
    actions={  # type: ignore[arg-type]
        g: "off" for g in personalize.policy.GUARD_IDS if g != "missing-data"
    }
)
_MARKUP_CUSTOMER = personalize.Customer.from_dict(
    {
        "id": "c-1",
        "name": {"given": "<b>Ada</b>"},
        "contact": {"email": "ada@example.org", "phone": "+447700900123"},
        "consent": {"email": "opted_in", "sms": "opted_in", "voice": "opted_in"},
    },
    today=TODAY,
)


class TestAssertRendersSoundly:
    def test_sound_message_passes_and_returns_results(self, tmp_path: Path) -> None:
        lib = _library(tmp_path, {"sms.txt.j2": "Hi {{ customer.name.given }}"}, _NO_GUARDS)
        out = assert_renders_soundly(lib, "hello", _MARKUP_CUSTOMER)
        assert out["sms"].text == "Hi <b>Ada</b>"  # type: ignore[union-attr]

    def test_leftover_placeholder_fails(self, tmp_path: Path) -> None:
        lib = _library(tmp_path, {"sms.txt.j2": "Hi {{ '*|FNAME|*' }}"}, _NO_GUARDS)
        with pytest.raises(AssertionError, match=r"hello/sms: unresolved placeholder '\*\|FNAME"):
            assert_renders_soundly(lib, "hello", _MARKUP_CUSTOMER)

    def test_percent_encoded_urls_are_not_placeholders(self, tmp_path: Path) -> None:
        # regression: the id 'ĺG?' in a URL encodes to %C4%BAG%3F, which
        # contains "%BAG%"
        lib = _library(
            tmp_path,
            {"sms.txt.j2": "See https://example.org/u?c={{ customer.id | urlencode }}"},
            _NO_GUARDS,
        )
        customer = personalize.Customer.from_dict({"id": "ĺG?"}, today=TODAY)
        out = assert_renders_soundly(lib, "hello", customer)
        assert "%C4%BAG%3F" in out["sms"].text  # type: ignore[union-attr]

    def test_printed_none_fails(self, tmp_path: Path) -> None:
        lib = _library(tmp_path, {"sms.txt.j2": "Hi {{ 'None' }}"}, _NO_GUARDS)
        with pytest.raises(AssertionError, match="unresolved placeholder 'None'"):
            assert_renders_soundly(lib, "hello", _MARKUP_CUSTOMER)

    def test_unescaped_ssml_fails(self, tmp_path: Path) -> None:
        ssml = "<speak>Hello {{ customer.name.given | safe }}</speak>"
        lib = _library(tmp_path, {"voice.ssml.j2": ssml}, _NO_GUARDS)
        with pytest.raises(AssertionError, match="hello/voice: unescaped customer data"):
            assert_renders_soundly(lib, "hello", _MARKUP_CUSTOMER)

    def test_double_escaped_text_fails(self, tmp_path: Path) -> None:
        lib = _library(tmp_path, {"sms.txt.j2": "Hi {{ customer.name.given | e }}"}, _NO_GUARDS)
        with pytest.raises(AssertionError, match="entity '&lt;' in plain-text text"):
            assert_renders_soundly(lib, "hello", _MARKUP_CUSTOMER)

    def test_refusal_is_a_sound_outcome(self, tmp_path: Path) -> None:
        lib = _library(
            tmp_path, {"sms.txt.j2": "Hi {{ customer.name.family }}"}, personalize.Policy()
        )
        out = assert_renders_soundly(lib, "hello", _MARKUP_CUSTOMER)
        assert isinstance(out["sms"], personalize.Refused)
        assert [v.guard for v in out["sms"].violations] == ["missing-data"]

    def test_channels_must_be_a_list(self, tmp_path: Path) -> None:
        lib = _library(tmp_path, {"sms.txt.j2": "Hi"}, _NO_GUARDS)
        with pytest.raises(personalize.InvalidArgument):
            assert_renders_soundly(lib, "hello", _MARKUP_CUSTOMER, channels="sms")
