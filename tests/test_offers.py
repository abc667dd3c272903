"""Offers: offers.toml validation, eligibility, choice, formatting and the tag."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import personalize
from personalize.offers import ChosenOffer

from .blockkit import TODAY, customer, write_library

SLOT_TEMPLATE = (
    '{% offer "gift" %}Lead-in. {{ offer.id }} {{ offer.value }}{% fallback %}'
    "Tips instead.{% endoffer %}"
)

CATALOG = """
    [[offer]]
    id = "garden"
    slot = "gift"
    category = "gardening"
    priority = 10
    value = {percent = 20}
    expires_in_days = 10
    sms = "{value} off until {expires}"

    [[offer]]
    id = "laptop"
    slot = "gift"
    category = "laptops"
    priority = 10
    cooldown_days = 90
    value = {amount = "10.00", currency = "EUR"}
    sms = "{value} off a laptop bag"

    [[offer]]
    id = "baby"
    slot = "gift"
    category = "baby"
    priority = 30
    when = "customer.youngest_child_age <= 3"
    sms = "For the little one"
"""


def order(days_ago: int, category: str) -> dict[str, Any]:
    date = TODAY - dt.timedelta(days=days_ago)
    return {
        "id": f"o-{days_ago}",
        "date": date.isoformat(),
        "items": [{"name": category, "category": category}],
    }


@pytest.fixture
def lib(tmp_path: Path) -> personalize.Library:
    return write_library(tmp_path, sms=SLOT_TEMPLATE, offers=CATALOG)


# -- choice ------------------------------------------------------------------


def test_priority_wins(lib: personalize.Library) -> None:
    parent = customer(household={"children_birth_years": [2025]})
    chosen = lib.choose_offer("gift", parent, "sms")
    assert chosen is not None and chosen.id == "baby"


def test_relevance_breaks_priority_ties(lib: personalize.Library) -> None:
    # garden and laptop share priority 10; an interest in laptops decides.
    chosen = lib.choose_offer("gift", customer(interests=["laptops"]), "sms")
    assert chosen is not None and chosen.id == "laptop"
    chosen = lib.choose_offer("gift", customer(interests=["Gardening"]), "sms")
    assert chosen is not None and chosen.id == "garden"


def test_external_interests_without_permission_are_not_used(lib: personalize.Library) -> None:
    provenance = {"interests": {"source": "external", "permission": False}}
    cust = customer(interests=["laptops"], provenance=provenance)
    chosen = lib.choose_offer("gift", cust, "sms")
    assert chosen is not None and chosen.id == "garden"  # the id tie-break, not the interest
    permitted = customer(
        interests=["laptops"], provenance={"interests": {"source": "external", "permission": True}}
    )
    chosen = lib.choose_offer("gift", permitted, "sms")
    assert chosen is not None and chosen.id == "laptop"


def test_relevance_facts_are_recorded(lib: personalize.Library) -> None:
    result = lib.render("m", customer(interests=["gardening"], orders=[order(400, "baby")]), "sms")
    assert "customer.interests" in result.facts
    assert "customer.purchased_categories" in result.facts


def test_purchase_history_counts_as_relevance(lib: personalize.Library) -> None:
    chosen = lib.choose_offer("gift", customer(orders=[order(400, "gardening")]), "sms")
    assert chosen is not None and chosen.id == "garden"


def test_ties_are_broken_by_id(lib: personalize.Library) -> None:
    chosen = lib.choose_offer("gift", customer(), "sms")
    assert chosen is not None and chosen.id == "garden"  # "garden" < "laptop"
    trace = lib.offer_trace("gift", customer(), "sms")
    laptop = next(t for t in trace if t.offer_id == "laptop")
    assert laptop.eligible and not laptop.chosen and "ranked below 'garden'" in laptop.reason


@pytest.mark.parametrize(
    ("days_ago", "eligible"),
    [(0, False), (5, False), (89, False), (90, False), (91, True), (400, True)],
)
def test_cooldown_boundary(lib: personalize.Library, days_ago: int, eligible: bool) -> None:
    # A 90-day cooldown: bought 90 days ago is still inside it, day 91 is out.
    cust = customer(interests=["laptops"], orders=[order(days_ago, "laptops")])
    chosen = lib.choose_offer("gift", cust, "sms")
    assert chosen is not None
    assert (chosen.id == "laptop") is eligible
    if not eligible:
        reason = next(t.reason for t in chosen.trace if t.offer_id == "laptop")
        assert reason.startswith("cooldown: bought 'laptops' within 90 days")


@pytest.mark.parametrize(
    ("birth_year", "gets_baby_offer"),
    [(2026, True), (2023, True), (2022, False), (2011, False)],
)
def test_life_stage(lib: personalize.Library, birth_year: int, gets_baby_offer: bool) -> None:
    # youngest_child_age <= 3: a parent of a 15-year-old (born 2011) never qualifies.
    cust = customer(household={"children_birth_years": [2009, birth_year]})
    chosen = lib.choose_offer("gift", cust, "sms")
    assert chosen is not None
    assert (chosen.id == "baby") is gets_baby_offer


def test_no_children_means_no_baby_offer(lib: personalize.Library) -> None:
    trace = lib.offer_trace("gift", customer(), "sms")
    baby = next(t for t in trace if t.offer_id == "baby")
    assert not baby.eligible and "rule does not hold" in baby.reason


def test_consent_is_required_on_the_channel(lib: personalize.Library) -> None:
    cust = customer(consent={"sms": "opted_out", "email": "opted_in"})
    assert lib.choose_offer("gift", cust, "sms") is None
    assert lib.choose_offer("gift", cust, "email") is not None
    reasons = {t.reason for t in lib.offer_trace("gift", cust, "sms")}
    assert reasons == {"no marketing consent on sms (consent is opted_out)"}
    unknown = customer(consent={})
    assert lib.choose_offer("gift", unknown, "sms") is None


def test_valid_window(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms=SLOT_TEMPLATE,
        offers="""
        [[offer]]
        id = "xmas"
        slot = "gift"
        valid_from = 2026-12-01
        valid_until = 2026-12-24
        expires_in_days = 30
        sms = "until {expires}"
        """,
    )
    cust = customer(locale="en_GB")
    assert lib.choose_offer("gift", cust, "sms", today=dt.date(2026, 11, 30)) is None
    chosen = lib.choose_offer("gift", cust, "sms", today=dt.date(2026, 12, 1))
    assert chosen is not None
    # 1 December + 30 days is past the campaign: the campaign end wins.
    assert chosen.expires_on == dt.date(2026, 12, 24)
    assert chosen.copy["sms"] == "until 24 December 2026"
    assert lib.choose_offer("gift", cust, "sms", today=dt.date(2026, 12, 25)) is None


def test_expiry_is_relative_to_today(lib: personalize.Library) -> None:
    chosen = lib.choose_offer("gift", customer(locale="de_DE"), "sms", today=dt.date(2026, 3, 1))
    assert chosen is not None and chosen.id == "garden"
    assert chosen.expires_on == dt.date(2026, 3, 11)
    assert chosen.expires == "11. März 2026"
    assert chosen.copy["sms"] == "20\xa0% off until 11. März 2026"


def test_channels_key(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms=SLOT_TEMPLATE,
        offers="""
        [[offer]]
        id = "email-only"
        slot = "gift"
        channels = ["email"]
        """,
    )
    assert lib.choose_offer("gift", customer(), "sms") is None
    trace = lib.offer_trace("gift", customer(), "sms")
    assert trace[0].reason == "not offered on sms (channels: email)"


# -- value formatting --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "locale", "expect"),
    [
        ("{percent = 20}", "en", "20%"),
        ("{percent = 20}", "en_GB", "20%"),
        ("{percent = 20}", "de_DE", "20\xa0%"),
        ("{percent = 20}", "fr_FR", "20\xa0%"),
        ("{percent = 12.5}", "en", "12.5%"),
        ('{amount = "10.00", currency = "EUR"}', "en_IE", "€10.00"),
        ('{amount = "10.00", currency = "EUR"}', "de_DE", "10,00\xa0€"),
        ('{amount = "10.00", currency = "EUR"}', "fr_FR", "10,00\xa0€"),
        ('{amount = "1234.5", currency = "GBP"}', "en_GB", "£1,234.50"),
    ],
)
def test_value_is_formatted_in_the_customer_locale(
    tmp_path: Path, value: str, locale: str, expect: str
) -> None:
    lib = write_library(
        tmp_path,
        sms=SLOT_TEMPLATE,
        offers=f'[[offer]]\nid = "v"\nslot = "gift"\nvalue = {value}\n',
    )
    chosen = lib.choose_offer("gift", customer(locale=locale), "sms")
    assert chosen is not None and chosen.value == expect


def test_copy_translations(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms="{% offer 'gift' %}{{ offer.sms }}{% endoffer %}",
        offers="""
        [[offer]]
        id = "t"
        slot = "gift"
        value = {percent = 10}
        sms = "{value} off"

        [offer.copy.de]
        sms = "{value} Rabatt"
        """,
    )
    assert (
        lib.render("m", customer(locale="de_AT"), "sms").text == "10 % Rabatt"
    )  # the SMS adapter folds NBSP for GSM-7
    assert lib.render("m", customer(locale="fr_FR"), "sms").text == "10 % off"


# -- the tag -------------------------------------------------------------------


def test_tag_renders_the_offer_and_records_it(lib: personalize.Library) -> None:
    result = lib.render("m", customer(interests=["gardening"], locale="en_GB"), "sms")
    assert result.text == "Lead-in. garden 20%"
    assert isinstance(result.offer, ChosenOffer)
    assert result.offer.id == "garden"
    assert result.offer.reason.startswith("chosen: priority 10")
    assert {t.offer_id: t.chosen for t in result.offer_trace} == {
        "garden": True,
        "laptop": False,
        "baby": False,
    }
    summary = result.to_dict()
    assert summary["offer"] == "garden"
    assert summary["offer_trace"][0] == {
        "slot": "gift",
        "offer": "garden",
        "chosen": True,
        "eligible": True,
        "reason": result.offer.reason,
    }
    json.dumps(summary)


def test_tag_fallback(lib: personalize.Library) -> None:
    result = lib.render("m", customer(consent={"sms": "opted_out"}), "sms")
    assert result.text == "Tips instead."
    assert result.offer is None
    assert len(result.offer_trace) == 3


def test_tag_without_fallback_renders_nothing_not_even_the_lead_in(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms='Hello.{% offer "gift" %} Our present: {{ offer.sms }}{% endoffer %} Bye.',
        offers=CATALOG,
    )
    assert lib.render("m", customer(consent={}), "sms").text == "Hello. Bye."
    got = lib.render("m", customer(), "sms").text
    assert got.startswith("Hello. Our present: 20% off until")


def test_tag_offer_text_and_missing_copy(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms="{% offer 'gift' %}{{ offer.text }}{% endoffer %}",
        voice="<speak>{% offer 'gift' %}{{ offer.voice }}{% endoffer %}</speak>",
        offers='[[offer]]\nid = "a"\nslot = "gift"\nsms = "SMS copy & more"\n',
    )
    assert lib.render("m", customer(), "sms").text == "SMS copy & more"
    with pytest.raises(personalize.Refused) as info:
        lib.render("m", customer(), "voice")
    assert [v.guard for v in info.value.violations] == ["missing-data"]
    assert "offer.voice" in info.value.violations[0].message


def test_tag_escapes_copy_in_html(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        email="<p>{% offer 'gift' %}{{ offer.email_body }}{% endoffer %}</p>",
        offers='[[offer]]\nid = "a"\nslot = "gift"\nemail_body = "Tea & <cake>"\n',
    )
    html = lib.render("m", customer(), "email").html
    assert "Tea &amp; &lt;cake&gt;" in html


def test_one_choice_per_render_for_every_template(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        email="{% offer 'gift' %}<p>{{ offer.id }}</p>{% endoffer %}",
        offers=CATALOG,
    )
    (tmp_path / "m" / "subject.txt.j2").write_text(
        "{% offer 'gift' %}{{ offer.id }}{% endoffer %}", encoding="utf-8"
    )
    lib = personalize.Library(tmp_path, today=TODAY, policy=lib.policy)
    result = lib.render("m", customer(), "email")
    assert isinstance(result, personalize.EmailResult)
    assert result.subject == "garden"
    assert len(result.offer_trace) == 3  # recorded once, not once per template


def test_unknown_field_of_offer(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms="{% offer 'gift' %}{{ offer.valeu }}{% endoffer %}",
        offers='[[offer]]\nid = "a"\nslot = "gift"\n',
    )
    with pytest.raises(personalize.TemplateError, match="did you mean 'value'"):
        lib.render("m", customer(), "sms")


# -- load-time errors ------------------------------------------------------------


def load_error(tmp_path: Path, offers: str, sms: str = SLOT_TEMPLATE) -> personalize.TemplateError:
    with pytest.raises(personalize.TemplateError) as info:
        write_library(tmp_path, sms=sms, offers=offers)
    return info.value


def test_unknown_slot_in_template(tmp_path: Path) -> None:
    err = load_error(tmp_path, CATALOG, sms="x\n{% offer 'gfit' %}{% endoffer %}")
    assert err.name == "m/sms.txt.j2" and err.lineno == 2
    assert "unknown offer slot 'gfit'" in err.message and "did you mean 'gift'" in err.message


def test_declared_empty_slot_is_fine(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms="{% offer 'later' %}x{% fallback %}none{% endoffer %}",
        offers='slots = ["later"]',
    )
    assert lib.render("m", customer(), "sms").text == "none"


def test_slot_must_be_a_literal(tmp_path: Path) -> None:
    err = load_error(tmp_path, CATALOG, sms="{% offer channel %}{% endoffer %}")
    assert "quoted name" in err.message


@pytest.mark.parametrize(
    ("offers", "lineno", "fragment"),
    [
        ('[[offer]]\nid = "a"\nslot = "gift"\npriorty = 3\n', 4, "unknown key 'priorty'"),
        ('[[offer]]\nid = "a"\nslot = "gift"\nvalue = {percent = 120}\n', 4, "between 0 and 100"),
        (
            '[[offer]]\nid = "a"\nslot = "gift"\nvalue = {amount = 10.0, currency = "EUR"}\n',
            4,
            "decimal string",
        ),
        (
            '[[offer]]\nid = "a"\nslot = "gift"\nvalue = {amount = "10", currency = "XXY"}\n',
            4,
            "ISO 4217",
        ),
        ('[[offer]]\nid = "a"\nslot = "gift"\nsms = "{name} hi"\n', 4, "unknown placeholder"),
        ('[[offer]]\nid = "a"\nslot = "gift"\nsms = "{value} off"\n', 4, "has no value"),
        ('[[offer]]\nid = "a"\nslot = "gift"\ncooldown_days = 3\n', 4, "needs a category"),
        ('[[offer]]\nid = "a"\nslot = "gift"\ncooldown_days = -1\n', 4, ">= 0"),
        ('[[offer]]\nid = "a"\nslot = "gift"\nvalid_until = "2026-01-01"\n', 4, "a date"),
        ('[[offer]]\nid = "a"\nslot = "gift"\nchannels = ["fax"]\n', 4, "email, sms and voice"),
        ('[[offer]]\nid = "a"\nslot = "gift"\nwhen = "customer.tenure >= 1"\n', 4, "no field"),
        ('[[offer]]\nid = "a"\nslot = "gift"\nwhen = "customer.order_count >="\n', 4, "invalid"),
        ('[[offer]]\nid = "a"\nslot = "gift"\nwhen = "foo > 1"\n', 4, "unknown name 'foo'"),
        ('\n[[offer]]\nid = "a"\n', 2, "slot is required"),
        (
            '[[offer]]\nid = "a"\nslot = "gift"\n\n[[offer]]\nid = "a"\nslot = "gift"\n',
            5,
            "duplicate offer id 'a'",
        ),
        ('offer_list = 1\n[[offer]]\nid = "a"\nslot = "gift"\n', 1, "unknown top-level key"),
        ('[[offer]\nid = "a"\n', 1, "invalid TOML"),
        (
            '[[offer]]\nid = "a"\nslot = "gift"\n[offer.copy.de]\nsmss = "x"\n',
            5,
            "unknown key 'smss'",
        ),
    ],
)
def test_offers_toml_errors(tmp_path: Path, offers: str, lineno: int, fragment: str) -> None:
    err = load_error(tmp_path, offers)
    assert err.name == "offers.toml"
    assert err.lineno == lineno
    assert fragment in str(err)


def test_unknown_key_has_a_hint(tmp_path: Path) -> None:
    err = load_error(tmp_path, '[[offer]]\nid = "a"\nslot = "gift"\ncooldown = 3\n')
    assert err.hint == "did you mean 'cooldown_days'?"
    assert "offers.toml" in err.detailed_message() and "cooldown = 3" in err.detailed_message()


def test_when_cannot_escape_the_sandbox(tmp_path: Path) -> None:
    with pytest.raises(personalize.SecurityError):
        write_library(
            tmp_path,
            sms=SLOT_TEMPLATE,
            offers='[[offer]]\nid = "a"\nslot = "gift"\nwhen = "customer.__class__"\n',
        )


def test_shipped_birthday_offer_for_ada(
    lib: personalize.Library, ada: personalize.Customer
) -> None:
    shipped = personalize.Library(Path(__file__).parent.parent / "templates", today=TODAY)
    chosen = shipped.choose_offer("birthday", ada, "email")
    assert chosen is not None and chosen.id == "birthday-garden-20"
    assert chosen.value == "20%"
    assert chosen.expires == "23 December 2026"
