"""The guards: content guards via check_text, and every guard through a real render."""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import personalize
from personalize.context import RenderState
from personalize.guards import GuardInput, check_text, run_guards
from personalize.guards.phrases import LANGUAGES, expand, phrase_data, phrase_pattern

TODAY = dt.date(2026, 11, 23)

# ---------------------------------------------------------------------------
# check_text
# ---------------------------------------------------------------------------


class Case(NamedTuple):
    description: str
    text: str
    expect: tuple[str, ...]
    channel: str = "email"
    lang: str = "en"


FLAGGED = [
    Case(
        "dear valued customer", "Dear Valued Customer, your order is ready.", ("generic-address",)
    ),
    Case("split by markup", "Dear <b>Valued</b> Customer,", ("generic-address",)),
    Case("split by a line break", "Dear Valued\nCustomer,", ("generic-address",)),
    Case("zero-width space", "Dear Val\u200bued Customer", ("generic-address",)),
    Case("entity space", "Dear&nbsp;Customer,", ("generic-address",)),
    Case("full-width letters", "Ｄｅａｒ Ｃｕｓｔｏｍｅｒ", ("generic-address",)),
    Case("current resident", "To the Current Resident of 12 Elm Street", ("generic-address",)),
    Case("sir or madam", "Dear Sir or Madam,", ("generic-address",)),
    Case("to whom", "To whom it may concern:", ("generic-address",)),
    Case("occupant opening", "Occupant, your free sample is inside.", ("generic-address",)),
    Case("dear member", "Dear Member, welcome back.", ("generic-address",)),
    Case("german", "Sehr geehrte Damen und Herren,", ("generic-address",), lang="de"),
    Case("french", "Cher client, voici votre offre.", ("generic-address",), lang="fr"),
    Case("spanish", "Estimado cliente:", ("generic-address",), lang="es"),
    Case("untranslated english to a german", "Dear Customer,", ("generic-address",), lang="de"),
    Case("most valuable", "You're our most valuable customer!", ("unsupported-superlative",)),
    Case("best customer", "To our best customer: thank you.", ("unsupported-superlative",)),
    Case("number one fan", "Our #1 fan deserves a treat.", ("unsupported-superlative",)),
    Case("top vips", "As one of our top VIPs you get early access.", ("unsupported-superlative",)),
    Case("german superlative", "Sie sind unser wertvollster Kunde.", ("unsupported-superlative",)),
    Case("best in the world", "The best coffee in the world.", ("unsupported-superlative",)),
    Case("the greatest", "The greatest sale of the year.", ("unsupported-superlative",)),
    Case("unbeatable", "Unbeatable prices on every kettle.", ("unsupported-superlative",)),
    Case("smart quotes", "You\u2019re our most loyal customer.", ("unsupported-superlative",)),
    Case("french superlative", "Notre meilleur client !", ("unsupported-superlative",), lang="fr"),
    Case(
        "spanish superlative", "Nuestro cliente más fiel.", ("unsupported-superlative",), lang="es"
    ),
    Case(
        "spanish without accent",
        "Nuestro cliente mas fiel.",
        ("unsupported-superlative",),
        lang="es",
    ),
    Case("jinja leftovers", "Hi {{ customer.name }},", ("unresolved-placeholder",)),
    Case("mailchimp tag", "Hi *|FNAME|*,", ("unresolved-placeholder",)),
    Case("percent tag", "Hello %FIRSTNAME%,", ("unresolved-placeholder",)),
    Case("bracket tag", "Hi [First Name], welcome!", ("unresolved-placeholder",)),
    Case("angle tag", "Dear <<name>>, thanks.", ("unresolved-placeholder",)),
    Case("printed None", "Hi None, your order shipped.", ("unresolved-placeholder",)),
    Case("printed nan money", "You saved £nan this year.", ("unresolved-placeholder",)),
    Case("printed NaN", "Your points: NaN", ("unresolved-placeholder",)),
    Case("printed undefined", "Hello undefined!", ("unresolved-placeholder",)),
    Case("printed null", "Your code is null.", ("unresolved-placeholder",)),
    Case("robot cares", "We really care about you.", ("robotic-care",), channel="voice"),
    Case("you matter", "You matter to us.", ("robotic-care",), channel="voice"),
    Case("as a person", "We value you as a person.", ("robotic-care",), channel="voice"),
    Case("german care", "Sie liegen uns am Herzen.", ("robotic-care",), channel="voice", lang="de"),
    Case("url in voice", "Visit www.hearthandbloom.example today.", ("voice-url",), "voice"),
    Case("email in voice", "Write to help@hearthandbloom.example.", ("voice-url",), "voice"),
    Case(
        "two guards",
        "Dear Valued Customer, you are our most loyal customer.",
        ("generic-address", "unsupported-superlative"),
    ),
]

CLEAN = [
    Case("best regards", "Best regards, the Hearth & Bloom team", ()),
    Case("best wishes", "With best wishes for your birthday", ()),
    Case("most recent order", "Your most recent order shipped today.", ()),
    Case("most orders", "Most orders ship in 2 days.", ()),
    Case("at least", "Save at least 10% on bulbs.", ()),
    Case("top of the page", "Tap the link at the top of the page.", ()),
    Case("best-before", "Check the best-before date on the pack.", ()),
    Case("best-selling is a product claim", "Meet our best-selling kettle.", ()),
    Case("none of", "None of your details have changed.", ()),
    Case("german zero", "Null Prozent Zinsen bis Juni.", (), lang="de"),
    Case("german greeting", "Mit freundlichen Grüßen, beste Grüße", (), lang="de"),
    Case("french greeting", "Meilleures salutations", (), lang="fr"),
    Case("spanish greeting", "Un saludo y mis mejores deseos", (), lang="es"),
    Case("care in email", "We care about you.", (), channel="email"),
    Case("url in email", "Visit www.hearthandbloom.example today.", (), channel="email"),
    Case("spoken address", "Visit hearth and bloom dot example.", (), channel="voice"),
    Case("percent off", "20% off, 30% extra", ()),
    Case("named greeting", "Hi Ada, happy birthday!", ()),
    Case("nan the grandmother", "Hi Nan, happy birthday!", ()),
]


@pytest.mark.parametrize("case", FLAGGED + CLEAN, ids=lambda c: c.description)
def test_check_text(case: Case) -> None:
    found = check_text(case.text, channel=case.channel, lang=case.lang)
    assert tuple(sorted({v.guard for v in found})) == tuple(sorted(case.expect)), found


@pytest.mark.parametrize("case", FLAGGED, ids=lambda c: c.description)
def test_violation_points_at_the_original_text(case: Case) -> None:
    for v in check_text(case.text, channel=case.channel, lang=case.lang):
        assert v.span is not None
        start, end = v.span
        assert 0 <= start < end <= len(case.text)
        original = case.text[start:end]
        # The excerpt is what a reader sees: the original slice minus markup
        # and invisible characters, same words in the same case.
        visible = personalize.guards.normalize(original).plain
        assert visible == v.excerpt
        assert (v.message and "{" in v.message) or "use" in v.message or "say" in v.message


def test_markup_span_covers_the_tags() -> None:
    text = "<p>Dear <b>Valued</b> Customer,</p>"
    (v,) = check_text(text)
    assert v.span is not None
    assert text[v.span[0] : v.span[1]] == "Dear <b>Valued</b> Customer"
    assert v.excerpt == "Dear Valued Customer"


def test_message_says_why_and_how() -> None:
    (v,) = check_text("Dear Customer,")
    assert "category" in v.message
    assert "salutation()" in v.message


def test_check_text_respects_policy() -> None:
    policy = personalize.Policy(actions={"generic-address": "off"})
    assert check_text("Dear Customer,", policy=policy) == []


def test_product_claims_need_a_claim_under_a_strict_policy() -> None:
    strict = personalize.Policy(limits={"unsupported-superlative.product_claims": True})
    (v,) = check_text("Meet our best-selling kettle.", policy=strict)
    assert v.guard == "unsupported-superlative"
    assert "best-selling" in v.excerpt
    assert "ranks a product" in v.message


def test_allowed_phrases_excuse_a_brand() -> None:
    text = "Brewed by World's Best Kettles Ltd."
    assert [v.guard for v in check_text(text)] == ["unsupported-superlative"]
    policy = personalize.Policy(allowed_phrases=("World's Best Kettles",))
    assert check_text(text, policy=policy) == []
    # ...but only the brand: the same words elsewhere are still flagged.
    assert check_text(text + " The world's best kettle!", policy=policy) != []


def test_extra_phrases_per_language() -> None:
    policy = personalize.Policy(
        extra_phrases={"en": {"generic-address": ["dear {bulb enthusiast|rose grower}"]}}
    )
    assert [v.guard for v in check_text("Dear rose grower,", policy=policy)] == ["generic-address"]
    assert check_text("Dear rose grower,") == []


def test_check_text_voice_delivery() -> None:
    text = "We really care about you."
    assert [v.guard for v in check_text(text, channel="voice")] == ["robotic-care"]
    assert check_text(text, channel="voice", delivery="human") == []


def test_unknown_language_checks_every_list() -> None:
    assert [v.guard for v in check_text("Dear Customer", lang="it")] == ["generic-address"]


# ---------------------------------------------------------------------------
# Phrase files
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_phrase_files_have_every_list(lang: str) -> None:
    data = phrase_data(lang)
    for table in (
        "generic-address",
        "unsupported-superlative",
        "product-rank",
        "robotic-care",
        "unresolved-placeholder",
        "sms-opt-out",
        "email-unsubscribe",
    ):
        assert table in data, f"phrases/{lang}.toml lacks [{table}]"
    for entries in data.values():
        for phrases in entries.values():
            for phrase in phrases:
                phrase_pattern(phrase)  # compiles, braces balanced


def test_expand() -> None:
    assert expand("dear {valued |}customer{s|}") == [
        "dear valued customers",
        "dear valued customer",
        "dear customers",
        "dear customer",
    ]
    with pytest.raises(personalize.InvalidArgument, match="unbalanced"):
        expand("dear {valued customer")


def test_phrase_files_ship_in_the_package() -> None:
    from importlib import resources

    folder = resources.files("personalize.guards") / "phrases"
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".toml")) == sorted(
        f"{lang}.toml" for lang in LANGUAGES
    )


# ---------------------------------------------------------------------------
# Through a real render
# ---------------------------------------------------------------------------

LAYOUT = """<html><body>{% block body %}{% endblock %}
<p>{% if unsubscribe_url %}<a href="{{ unsubscribe_url }}">Unsubscribe</a>{% endif %}</p>
</body></html>"""


def make_library(
    root: Path,
    *,
    toml: str = "",
    purpose: str = "marketing",
    channels: tuple[str, ...] = ("email", "sms", "voice"),
    html: str = "<p>Hi {{ customer.name.first }}, a note from us.</p>",
    sms: str = "Hi {{ customer.name.first }}, a note from us. Reply STOP to opt out.",
    voice: str = "<speak><p>Hello {{ customer.name.first }}. A note from us.</p></speak>",
    policy: personalize.Policy | None = None,
    email_toml: str = "",
) -> personalize.Library:
    """A one-message library under ``root`` (message ``note``)."""
    (root / "_layouts").mkdir(parents=True, exist_ok=True)
    (root / "_layouts" / "email.html.j2").write_text(LAYOUT)
    folder = root / "note"
    folder.mkdir(exist_ok=True)
    head = f'purpose = "{purpose}"\nchannels = {list(channels)!r}\n'.replace("'", '"')
    email_settings = '[email]\nunsubscribe_url = "https://shop.example/u?c={customer_id}"\n'
    email_settings += email_toml
    (folder / "message.toml").write_text(head + textwrap.dedent(toml) + "\n" + email_settings)
    (folder / "subject.txt.j2").write_text("A note for {{ customer.name.first }}")
    (folder / "email.html.j2").write_text(
        '{% extends "_layouts/email.html.j2" %}{% block body %}' + html + "{% endblock %}"
    )
    (folder / "sms.txt.j2").write_text(sms)
    (folder / "voice.ssml.j2").write_text(voice)
    return personalize.Library(root, today=TODAY, policy=policy)


def customer(**changes: Any) -> personalize.Customer:
    data: dict[str, Any] = {
        "id": "c-1",
        "name": {"given": "Ada"},
        "locale": "en_GB",
        "contact": {"email": "ada@example.org", "phone": "+447700900123"},
        "consent": {"email": "opted_in", "sms": "opted_in", "voice": "opted_in"},
    }
    data.update(changes)
    return personalize.Customer.from_dict(data, today=TODAY)


def guards_of(exc: pytest.ExceptionInfo[personalize.Refused]) -> list[str]:
    return sorted({v.guard for v in exc.value.violations})


def test_shipped_templates_are_quiet_for_ada(
    lib: personalize.Library, ada: personalize.Customer
) -> None:
    for channel in ("email", "sms", "voice"):
        result = lib.render("birthday", ada, channel)
        assert result.warnings == ()


@pytest.mark.parametrize("channel", ["email", "sms", "voice"])
def test_content_guards_read_every_channel(tmp_path: Path, channel: str) -> None:
    lib = make_library(
        tmp_path,
        html="<p>Dear Valued Customer,</p>",
        sms="Dear Valued Customer, Reply STOP to opt out.",
        voice="<speak><p>Dear Valued Customer.</p></speak>",
    )
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), channel)
    assert guards_of(exc) == ["generic-address"]
    v = exc.value.violations[0]
    assert v.channel == channel
    assert v.template is not None and v.template.startswith("note/")
    if channel != "email":  # the email's HTML extends a layout: line 1 holds it
        assert v.lineno == 1


def test_email_reports_a_phrase_once_naming_every_part(tmp_path: Path) -> None:
    lib = make_library(tmp_path, html="<p>Dear Valued Customer, hello.</p>")
    (tmp_path / "note" / "preheader.txt.j2").write_text("Dear Valued Customer, a note")
    lib = personalize.Library(tmp_path, today=TODAY)
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), "email")
    (v,) = exc.value.violations
    assert v.message.startswith("in the email preheader (also in the html, text): ")
    assert v.template == "note/preheader.txt.j2"


def test_email_reports_each_part(tmp_path: Path) -> None:
    lib = make_library(tmp_path)
    (tmp_path / "note" / "subject.txt.j2").write_text("For our most loyal customer")
    lib = personalize.Library(tmp_path, today=TODAY)
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), "email")
    (v,) = exc.value.violations
    assert v.guard == "unsupported-superlative"
    assert "email subject" in v.message
    assert v.template == "note/subject.txt.j2"
    assert v.span == (4, 27)  # "our most loyal customer"


class ConsentCase(NamedTuple):
    description: str
    purpose: str
    channel: str
    status: str
    refused: bool


CONSENT = [
    ConsentCase("marketing opted in", "marketing", "sms", "opted_in", False),
    ConsentCase("marketing unknown", "marketing", "sms", "unknown", True),
    ConsentCase("marketing opted out", "marketing", "email", "opted_out", True),
    ConsentCase("transactional unknown", "transactional", "sms", "unknown", False),
    ConsentCase(
        "transactional email after unsubscribe", "transactional", "email", "opted_out", False
    ),
    ConsentCase("transactional sms after STOP", "transactional", "sms", "opted_out", True),
    ConsentCase("service call after do-not-call", "service", "voice", "opted_out", True),
]


@pytest.mark.parametrize("case", CONSENT, ids=lambda c: c.description)
def test_no_consent(tmp_path: Path, case: ConsentCase) -> None:
    lib = make_library(tmp_path, purpose=case.purpose)
    who = customer(consent={case.channel: case.status})
    if case.refused:
        with pytest.raises(personalize.Refused) as exc:
            lib.render("note", who, case.channel)
        assert guards_of(exc) == ["no-consent"]
        assert exc.value.violations[0].excerpt == f"consent.{case.channel} = {case.status}"
    else:
        lib.render("note", who, case.channel)


def test_transactional_channels_after_opt_out_are_a_policy_knob(tmp_path: Path) -> None:
    strict = personalize.Policy(limits={"no-consent.transactional_on_opt_out": []})
    lib = make_library(tmp_path, purpose="transactional", policy=strict)
    with pytest.raises(personalize.Refused):
        lib.render("note", customer(consent={"email": "opted_out"}), "email")


def history(*days_ago: int, purpose: str | None = None) -> list[dict[str, Any]]:
    events = []
    for n in days_ago:
        event = {"channel": "email", "date": (TODAY - dt.timedelta(days=n)).isoformat()}
        if purpose:
            event["purpose"] = purpose
        events.append(event)
    return events


class PressureCase(NamedTuple):
    description: str
    events: list[dict[str, Any]]
    refused: bool


PRESSURE = [
    PressureCase("two recent", history(0, 3), False),
    PressureCase("three recent", history(0, 3, 6), True),
    PressureCase("three, one outside the window", history(0, 3, 7), False),
    PressureCase("unrecorded purpose counts as marketing", history(1, 2, 3), True),
    PressureCase(
        "transactional contacts do not count", history(1, 2, 3, purpose="transactional"), False
    ),
]


@pytest.mark.parametrize("case", PRESSURE, ids=lambda c: c.description)
def test_contact_pressure(tmp_path: Path, case: PressureCase) -> None:
    lib = make_library(tmp_path)
    who = customer(contact_history=case.events)
    if case.refused:
        with pytest.raises(personalize.Refused) as exc:
            lib.render("note", who, "sms")
        assert guards_of(exc) == ["contact-pressure"]
    else:
        lib.render("note", who, "sms")


def test_contact_pressure_is_not_for_transactional(tmp_path: Path) -> None:
    lib = make_library(tmp_path, purpose="transactional")
    lib.render("note", customer(contact_history=history(0, 1, 2, 3)), "sms")


def test_contact_pressure_limits_come_from_the_policy(tmp_path: Path) -> None:
    policy = personalize.Policy(limits={"contact-pressure.max_contacts": 1})
    lib = make_library(tmp_path, policy=policy)
    with pytest.raises(personalize.Refused):
        lib.render("note", customer(contact_history=history(5)), "sms")


@pytest.mark.parametrize("permission", [False, True])
def test_external_data(tmp_path: Path, permission: bool) -> None:
    lib = make_library(
        tmp_path,
        sms="{{ customer.interests[0] | title }} season! Reply STOP to opt out.",
    )
    who = customer(
        interests=["gardening"],
        provenance={"interests": {"source": "external", "permission": permission}},
    )
    if permission:
        lib.render("note", who, "sms")
    else:
        with pytest.raises(personalize.Refused) as exc:
            lib.render("note", who, "sms")
        assert guards_of(exc) == ["external-data"]
        assert "customer.interests" in exc.value.violations[0].excerpt


def test_sms_length(tmp_path: Path) -> None:
    long = (
        "Hi {{ customer.name.first }}, " + "lovely bulbs are in. " * 12 + "Reply STOP to opt out."
    )
    lib = make_library(tmp_path, sms=long, toml="[sms]\nmax_segments = 1\n")
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), "sms")
    assert guards_of(exc) == ["sms-length"]
    assert "allows 1" in exc.value.violations[0].message


def test_sms_length_message_cannot_exceed_the_policy(tmp_path: Path) -> None:
    long = (
        "Hi {{ customer.name.first }}, " + "lovely bulbs are in. " * 12 + "Reply STOP to opt out."
    )
    policy = personalize.Policy(limits={"sms-length.max_segments": 1})
    lib = make_library(tmp_path, sms=long, toml="[sms]\nmax_segments = 4\n", policy=policy)
    with pytest.raises(personalize.Refused):
        lib.render("note", customer(), "sms")


class OptOutCase(NamedTuple):
    description: str
    locale: str
    sms: str
    refused: bool


OPT_OUT = [
    OptOutCase("english", "en_GB", "Bulbs are in. Reply STOP to opt out.", False),
    OptOutCase("missing", "en_GB", "Bulbs are in.", True),
    OptOutCase("german", "de_DE", "Zwiebeln sind da. Abmelden: STOP an 12345", False),
    OptOutCase(
        "german customer, english opt-out",
        "de_DE",
        "Zwiebeln sind da. Reply STOP to opt out.",
        True,
    ),
    OptOutCase("french", "fr_FR", "Les bulbes sont là. STOP au 36111", False),
    OptOutCase("spanish", "es_ES", "Ya llegaron los bulbos. Baja: STOP al 12345", False),
    OptOutCase("spanish missing", "es_ES", "Ya llegaron los bulbos.", True),
]


@pytest.mark.parametrize("case", OPT_OUT, ids=lambda c: c.description)
def test_sms_opt_out(tmp_path: Path, case: OptOutCase) -> None:
    lib = make_library(tmp_path, sms=case.sms)
    who = customer(locale=case.locale)
    if case.refused:
        with pytest.raises(personalize.Refused) as exc:
            lib.render("note", who, "sms")
        assert guards_of(exc) == ["sms-opt-out"]
    else:
        lib.render("note", who, "sms")


def test_sms_opt_out_is_for_marketing_only(tmp_path: Path) -> None:
    lib = make_library(tmp_path, purpose="transactional", sms="Your order shipped.")
    lib.render("note", customer(), "sms")


def test_voice_url(tmp_path: Path) -> None:
    lib = make_library(
        tmp_path, voice="<speak><p>Visit https://shop.example/bulbs for more.</p></speak>"
    )
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), "voice")
    assert guards_of(exc) == ["voice-url"]
    assert exc.value.violations[0].excerpt == "https://shop.example/bulbs"


@pytest.mark.parametrize(("delivery", "refused"), [("automated", True), ("human", False)])
def test_robotic_care_depends_on_delivery(tmp_path: Path, delivery: str, refused: bool) -> None:
    lib = make_library(
        tmp_path,
        voice="<speak><p>Hello {{ customer.name.first }}. We really care about you.</p></speak>",
        toml=f'[voice]\ndelivery = "{delivery}"\n',
    )
    if refused:
        with pytest.raises(personalize.Refused) as exc:
            lib.render("note", customer(), "voice")
        assert guards_of(exc) == ["robotic-care"]
    else:
        lib.render("note", customer(), "voice")


def test_email_size(tmp_path: Path) -> None:
    filler = "<p>" + "Lovely bulbs are in. " * 40 + "</p>"
    lib = make_library(tmp_path, html=filler * 150)
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), "email")
    assert guards_of(exc) == ["email-size"]
    small = make_library(tmp_path / "small", html=filler * 10)
    small.render("note", customer(), "email")


def test_email_size_limits(tmp_path: Path) -> None:
    filler = "<p>" + "Lovely bulbs are in. " * 40 + "</p>"
    make_library(tmp_path / "a", html=filler * 10).render("note", customer(), "email")
    lib = make_library(tmp_path / "b", html=filler * 10, email_toml="max_kb = 5\n")
    with pytest.raises(personalize.Refused):
        lib.render("note", customer(), "email")
    policy = personalize.Policy(limits={"email-size.max_kb": 5})
    lib = make_library(tmp_path / "c", html=filler * 10, policy=policy)
    with pytest.raises(personalize.Refused):
        lib.render("note", customer(), "email")


def test_email_unsubscribe(tmp_path: Path) -> None:
    lib = make_library(tmp_path)
    (tmp_path / "_layouts" / "email.html.j2").write_text(
        "<html><body>{% block body %}{% endblock %}</body></html>"
    )
    lib = personalize.Library(tmp_path, today=TODAY)
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), "email")
    assert guards_of(exc) == ["email-unsubscribe"]


def test_email_unsubscribe_accepts_a_labelled_link(tmp_path: Path) -> None:
    lib = make_library(tmp_path, html='<p>Hi.</p><p><a href="https://x.example/p">Abmelden</a></p>')
    (tmp_path / "_layouts" / "email.html.j2").write_text(
        "<html><body>{% block body %}{% endblock %}</body></html>"
    )
    lib = personalize.Library(tmp_path, today=TODAY)
    lib.render("note", customer(locale="de_DE"), "email")


def test_transactional_email_needs_no_unsubscribe(tmp_path: Path) -> None:
    make_library(tmp_path, purpose="transactional")
    (tmp_path / "_layouts" / "email.html.j2").write_text(
        "<html><body>{% block body %}{% endblock %}</body></html>"
    )
    lib = personalize.Library(tmp_path, today=TODAY)
    lib.render("note", customer(), "email")


# ---------------------------------------------------------------------------
# Claims and {% allow %}
# ---------------------------------------------------------------------------


def guard_input(
    lib: personalize.Library,
    text: str,
    *,
    claimed: list[tuple[str, str]] = (),  # type: ignore[assignment]
    allowed: list[tuple[frozenset[str], str, str]] = (),  # type: ignore[assignment]
) -> GuardInput:
    who = customer()
    result = lib.render("note", who, "sms")
    assert isinstance(result, personalize.SmsResult)
    result = dataclasses.replace(result, text=text)
    state = RenderState(customer=who, channel="sms", message="note", today=TODAY, locale="en_GB")
    state.claimed.extend(claimed)
    state.allowed.extend(allowed)
    spec = lib.message("note")
    return GuardInput(result=result, customer=who, spec=spec, state=state, policy=lib.policy)


def test_superlatives_inside_a_satisfied_claim_pass(tmp_path: Path) -> None:
    lib = make_library(tmp_path)
    text = "Hi Ada, you are one of our most loyal customers. Reply STOP to opt out."
    assert [v.guard for v in run_guards(guard_input(lib, text))] == ["unsupported-superlative"]
    claim = ("loyal_customer", "you are <b>one of our most loyal customers</b>")
    assert run_guards(guard_input(lib, text, claimed=[claim])) == []


def test_a_claim_covers_only_its_own_text(tmp_path: Path) -> None:
    lib = make_library(tmp_path)
    text = "You are one of our most loyal customers and the best in the world. Reply STOP."
    claim = ("loyal_customer", "one of our most loyal customers")
    found = run_guards(guard_input(lib, text, claimed=[claim]))
    assert [v.excerpt for v in found] == ["the best in the world"]


def test_a_claim_does_not_excuse_other_guards(tmp_path: Path) -> None:
    lib = make_library(tmp_path)
    text = "Dear Valued Customer, Reply STOP to opt out."
    found = run_guards(guard_input(lib, text, claimed=[("x", "Dear Valued Customer")]))
    assert [v.guard for v in found] == ["generic-address"]


def test_allow_tag_records_the_suppression(tmp_path: Path) -> None:
    sms = (
        'Hi {{ customer.name.first }}, {% allow "unsupported-superlative", '
        'reason="Award: Which? Best Buy 2026" %}the best kettle in the UK{% endallow %}. '
        "Reply STOP to opt out."
    )
    lib = make_library(tmp_path, sms=sms)
    result = lib.render("note", customer(), "sms")
    (suppression,) = result.suppressions
    assert suppression.reason == "Award: Which? Best Buy 2026"
    assert suppression.guards == ("unsupported-superlative",)
    assert suppression.template == "note/sms.txt.j2"
    assert suppression.lineno == 1
    assert suppression.text == "the best kettle in the UK"
    assert result.to_dict()["suppressions"] == [suppression.to_dict()]


def test_allow_covers_only_its_body(tmp_path: Path) -> None:
    sms = (
        '{% allow "unsupported-superlative", reason="Which? Best Buy 2026" %}the best kettle '
        "in the UK{% endallow %}, the best tea in the world. Reply STOP to opt out."
    )
    lib = make_library(tmp_path, sms=sms)
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), "sms")
    assert [v.excerpt for v in exc.value.violations] == ["the best tea in the world"]


def test_allow_covers_only_its_guards(tmp_path: Path) -> None:
    sms = (
        '{% allow "unsupported-superlative", reason="Award" %}Dear Valued Customer{% endallow %}'
        " Reply STOP to opt out."
    )
    lib = make_library(tmp_path, sms=sms)
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(), "sms")
    assert guards_of(exc) == ["generic-address"]


def test_allow_in_html_with_markup(tmp_path: Path) -> None:
    html = (
        '<p>{% allow "unsupported-superlative", "generic-address", reason="Quoting a review" %}'
        "<em>Dear Customer, the best kettle in the UK</em>{% endallow %}</p>"
    )
    lib = make_library(tmp_path, html=html)
    result = lib.render("note", customer(), "email")
    assert len(result.suppressions) == 1
    assert result.suppressions[0].guards == ("unsupported-superlative", "generic-address")


class BadAllow(NamedTuple):
    description: str
    tag: str
    message: str


BAD_ALLOW = [
    BadAllow("no reason", '{% allow "unsupported-superlative" %}', "needs a reason"),
    BadAllow(
        "empty reason", '{% allow "unsupported-superlative", reason="  " %}', "needs a reason"
    ),
    BadAllow("variable reason", '{% allow "generic-address", reason=channel %}', "needs a reason"),
    BadAllow("unknown guard", '{% allow "unsuported-superlative", reason="x" %}', "did you mean"),
    BadAllow("customer guard", '{% allow "no-consent", reason="x" %}', "cannot vouch"),
    BadAllow("no guard", '{% allow reason="x" %}', "at least one guard"),
    BadAllow("other keyword", '{% allow "generic-address", why="x" %}', "not 'why'"),
]


@pytest.mark.parametrize("case", BAD_ALLOW, ids=lambda c: c.description)
def test_bad_allow_is_a_template_error_at_load(tmp_path: Path, case: BadAllow) -> None:
    with pytest.raises(personalize.TemplateError, match=case.message) as exc:
        make_library(tmp_path, sms="Hi.\n" + case.tag + "x{% endallow %} Reply STOP.")
    assert exc.value.name == "note/sms.txt.j2"
    assert exc.value.lineno == 2


# ---------------------------------------------------------------------------
# Policy through a render
# ---------------------------------------------------------------------------


def test_warn_lists_the_violation_on_the_result(tmp_path: Path) -> None:
    policy = personalize.Policy(actions={"generic-address": "warn"})
    lib = make_library(tmp_path, sms="Dear Customer, Reply STOP to opt out.", policy=policy)
    result = lib.render("note", customer(), "sms")
    assert [v.guard for v in result.warnings] == ["generic-address"]


def test_off_skips_the_guard(tmp_path: Path) -> None:
    policy = personalize.Policy(actions={"sms-opt-out": "off"})
    lib = make_library(tmp_path, sms="Bulbs are in.", policy=policy)
    assert lib.render("note", customer(), "sms").warnings == ()


def test_message_policy_tightens(tmp_path: Path) -> None:
    policy = personalize.Policy(actions={"generic-address": "warn"})
    lib = make_library(
        tmp_path,
        sms="Dear Customer, Reply STOP to opt out.",
        policy=policy,
        toml='[policy]\ngeneric-address = "refuse"\n',
    )
    with pytest.raises(personalize.Refused):
        lib.render("note", customer(), "sms")


def test_message_policy_table_form(tmp_path: Path) -> None:
    lib = make_library(tmp_path, toml="[policy.contact-pressure]\nmax_contacts = 1\n")
    with pytest.raises(personalize.Refused):
        lib.render("note", customer(contact_history=history(2)), "sms")


class BadPolicy(NamedTuple):
    description: str
    toml: str
    message: str


BAD_POLICY = [
    BadPolicy("loosen an action", '[policy]\ngeneric-address = "warn"\n', "loosen"),
    BadPolicy("loosen a limit", '[policy]\n"contact-pressure.max_contacts" = 9\n', "loosen"),
    BadPolicy("shorten the window", "[policy.contact-pressure]\ndays = 3\n", "loosen"),
    BadPolicy("unknown key", "[policy.contact-pressure]\nmax_contact = 2\n", "max_contacts"),
    BadPolicy("unknown guard", '[policy]\ngeneric-adress = "refuse"\n', "generic-address"),
    BadPolicy("bad value", '[policy.contact-pressure]\nmax_contacts = "two"\n', "whole number"),
    BadPolicy("allowed phrases", '[policy]\nallowed_phrases = ["x"]\n', "library Policy"),
]


@pytest.mark.parametrize("case", BAD_POLICY, ids=lambda c: c.description)
def test_message_policy_is_validated(tmp_path: Path, case: BadPolicy) -> None:
    with pytest.raises(personalize.TemplateError, match=case.message) as exc:
        make_library(tmp_path, toml=case.toml)
    assert exc.value.name == "note/message.toml"
    # message.toml starts with purpose and channels; the [policy] key follows.
    assert exc.value.lineno == 4


CLAIMS = """
[claim.top_customer]
description = "Among our best customers."
when = "customer.tier.rank_percentile <= 5"
evidence = "top {{ customer.tier.rank_percentile }}%"
"""


def test_real_claim_tag_lets_its_superlative_through(tmp_path: Path) -> None:
    (tmp_path / "claims.toml").write_text(CLAIMS)
    sms = (
        'Hi {{ customer.name.first }}, {% claim "top_customer" %}as one of our most valued '
        "customers, {% else %}{% endclaim %}enjoy 10% off. Reply STOP to opt out."
    )
    lib = make_library(tmp_path, sms=sms)
    top = customer(tier={"name": "gold", "rank_percentile": 2.5})
    result = lib.render("note", top, "sms")
    assert isinstance(result, personalize.SmsResult)
    assert "most valued customers" in result.text
    assert result.warnings == ()
    # Without the evidence the claim's body is not rendered at all.
    plain = lib.render("note", customer(), "sms")
    assert isinstance(plain, personalize.SmsResult)
    assert "most valued" not in plain.text


def test_real_claim_does_not_cover_copy_outside_it(tmp_path: Path) -> None:
    (tmp_path / "claims.toml").write_text(CLAIMS)
    sms = (
        '{% claim "top_customer" %}You are one of our most valued customers.{% endclaim %} '
        "Our #1 fan gets more. Reply STOP to opt out."
    )
    lib = make_library(tmp_path, sms=sms)
    with pytest.raises(personalize.Refused) as exc:
        lib.render("note", customer(tier={"rank_percentile": 2.5}), "sms")
    assert [v.excerpt for v in exc.value.violations] == ["Our #1 fan"]


def test_render_all_follows_the_consent_rule(tmp_path: Path) -> None:
    lib = make_library(tmp_path, purpose="transactional")
    who = customer(consent={"email": "opted_out", "sms": "opted_out", "voice": "unknown"})
    assert lib.receivable_channels("note", who) == ("email", "voice")
    assert sorted(lib.render_all("note", who)) == ["email", "voice"]
