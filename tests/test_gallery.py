"""The example gallery: every example customer previews every message cleanly,
or is refused for a documented reason (docs/cookbook/outcomes.md).

The expected outcomes are written out from the rules the cookbook documents
(consent per channel and purpose, contact pressure, external data), from the
customers' JSON, not from what the library happens to do.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import personalize
from personalize.testing import assert_renders_soundly

from .conftest import CUSTOMERS, TEMPLATES, TODAY

MESSAGES = {
    # message: purpose
    "birthday": "marketing",
    "repurchase_reminder": "marketing",
    "post_purchase_tips": "marketing",
    "wellness_visit": "service",
    "wellness_visit_automated": "service",
    "welcome_opt_in": "marketing",
    "anniversary": "marketing",
    "seasonal_gift": "marketing",
}
CUSTOMER_NAMES = sorted(p.stem for p in CUSTOMERS.glob("*.json"))

#: Priya had five marketing contacts in the last week: any more marketing is
#: refused (contact-pressure); service messages still go out.
PRESSURED = {"priya"}

#: Carmen's interests come from a data broker without permission. Messages
#: that print them (welcome email) or choose by them (the gift guide's offer
#: rules) are refused with external-data on the channels she may receive.
EXTERNAL = {
    ("carmen", "welcome_opt_in", "email"),
    ("carmen", "seasonal_gift", "email"),
    ("carmen", "seasonal_gift", "sms"),
}


def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CUSTOMERS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _customer(name: str) -> personalize.Customer:
    return personalize.Customer.from_dict(_data(name), today=TODAY)


def expected_refusal(name: str, message: str, channel: str) -> set[str]:
    """The documented reasons ``name`` is refused ``message`` on ``channel``."""
    consent = _data(name).get("consent", {}).get(channel, "unknown")
    if MESSAGES[message] == "marketing":
        if consent != "opted_in":
            return {"no-consent"}
        if name in PRESSURED:
            return {"contact-pressure"}
    elif consent == "opted_out":
        return {"no-consent"}
    if (name, message, channel) in EXTERNAL:
        return {"external-data"}
    return set()


@pytest.fixture(scope="module")
def gallery() -> personalize.Library:
    return personalize.Library(TEMPLATES, today=TODAY)


def test_the_gallery_has_every_message(gallery: personalize.Library) -> None:
    assert set(gallery.messages) >= set(MESSAGES)
    for message, purpose in MESSAGES.items():
        spec = gallery.message(message)
        assert spec.purpose == purpose
        assert set(spec.channels) == {"email", "sms", "voice"}


@pytest.mark.parametrize("message", sorted(MESSAGES))
@pytest.mark.parametrize("name", CUSTOMER_NAMES)
def test_every_customer_previews_cleanly_or_is_refused_for_a_documented_reason(
    gallery: personalize.Library, name: str, message: str
) -> None:
    outcomes = assert_renders_soundly(gallery, message, _customer(name))
    for channel, outcome in outcomes.items():
        expected = expected_refusal(name, message, channel)
        if isinstance(outcome, personalize.Refused):
            assert {v.guard for v in outcome.violations} == expected, (channel, outcome)
        else:
            assert not expected, f"{channel}: rendered, expected refusal {expected}"
            assert not outcome.warnings, (channel, outcome.warnings)


# -- the relationship rules each message demonstrates -----------------------


def test_birthday_present_fits_the_person(gallery: personalize.Library) -> None:
    ada = gallery.render("birthday", _customer("ada"), "email")
    assert ada.offer is not None and ada.offer.id == "birthday-garden-20"  # she gardens
    hannah = gallery.render("birthday", _customer("hannah"), "email")
    assert hannah.offer is None  # no garden, no orders: a warm note, no pitch
    assert "warm wishes" in hannah.text.lower()
    teen_parent = gallery.render("birthday", _customer("maria_jose"), "email")
    # a teenager's parent: no baby offer; she shops in euros: a euro voucher
    assert teen_parent.offer is not None and teen_parent.offer.id == "birthday-voucher-10-eur"
    assert "10,00 €" in teen_parent.text
    aroha = gallery.render("birthday", _customer("aroha"), "email")
    assert aroha.offer is None  # shops in NZD: no pound or euro voucher


def test_repurchase_reminder_near_the_anniversary_is_time_bound(
    gallery: personalize.Library,
) -> None:
    marie = gallery.render("repurchase_reminder", _customer("marie"), "email")
    assert marie.offer is not None and marie.offer.id == "repurchase-flowers-15"
    assert (marie.offer.expires_on - TODAY).days == 14
    assert "1 décembre" in marie.text  # the date she bought them, in French
    ada = gallery.render("repurchase_reminder", _customer("ada"), "email")
    assert ada.offer is None  # never bought flowers: a care tip, no offer


def test_post_purchase_tips_not_laptops_after_a_laptop(gallery: personalize.Library) -> None:
    ada = gallery.render("post_purchase_tips", _customer("ada"), "email")
    assert ada.offer is None
    trace = {e.offer_id: e.reason for e in ada.offer_trace}
    assert "cooldown" in trace["laptop-accessories-10"]
    assert "backups" in ada.text


def test_wellness_visit_human_and_automated(gallery: personalize.Library) -> None:
    hannah = _customer("hannah")
    human = gallery.render("wellness_visit", hannah, "voice")
    robot = gallery.render("wellness_visit_automated", hannah, "voice")
    assert isinstance(human, personalize.VoiceResult)
    assert isinstance(robot, personalize.VoiceResult)
    assert (human.delivery, robot.delivery) == ("human", "automated")
    assert "26 November" in human.text and "26 November" in robot.text
    assert "look forward" in human.text
    for feeling in ("look forward", "take care", "hope", "care about"):
        assert feeling not in robot.text.lower()
    assert "automated" in robot.text


def test_welcome_sets_expectations(gallery: personalize.Library) -> None:
    ines = gallery.render("welcome_opt_in", _customer("ines"), "email")
    assert "deux e-mails par mois" in ines.text
    sms = gallery.render("welcome_opt_in", _customer("ines"), "sms")
    assert isinstance(sms, personalize.SmsResult) and sms.segments == 1


def test_anniversary_claims_only_what_the_data_shows(gallery: personalize.Library) -> None:
    klaus = gallery.render("anniversary", _customer("klaus"), "email")
    held = {c.name: c.held for c in klaus.claims}
    assert held["loyal_customer"] and held["top_customer"]
    assert "treuesten" in klaus.text and "12 Bestellungen" in klaus.text
    for name in ("aroha", "lars", "sam"):
        result = gallery.render("anniversary", _customer(name), "email")
        assert not {c.name: c.held for c in result.claims}["loyal_customer"]
        assert "loyal" not in result.text.lower()
    aroha = gallery.render("anniversary", _customer("aroha"), "email")
    assert "still new here" in aroha.text  # the honest body for a new customer
    lars = gallery.render("anniversary", _customer("lars"), "email")
    assert "5 Jahre" in lars.subject


def test_seasonal_gift_follows_interests_and_history(gallery: personalize.Library) -> None:
    picks = {
        name: gallery.render("seasonal_gift", _customer(name), "email").offer
        for name in ("lars", "maria_jose", "klaus", "sam")
    }
    assert picks["lars"] is not None and picks["lars"].id == "gift-kitchen-15"
    assert picks["maria_jose"] is not None and picks["maria_jose"].id == "gift-books-10"
    assert picks["klaus"] is not None and picks["klaus"].id == "gift-garden-15"
    assert picks["sam"] is None  # coffee only: last order dates, no pitch


def test_personalize_check_passes_on_the_whole_gallery() -> None:
    """The CLI's fuzzing check finds no template failure in the gallery."""
    from click.testing import CliRunner

    from personalize.cli import main

    args = ["check", str(TEMPLATES), "--examples", "25", "--seed", "7"]
    result = CliRunner().invoke(main, [*args, "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "No failures found." in result.output
    assert result.output.count("\nok   ") + result.output.startswith("ok   ") >= 20
