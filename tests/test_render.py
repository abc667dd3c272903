"""Rendering: per-channel escaping, missing data and fallbacks, facts, results."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest

import personalize
from personalize import EmailResult, Refused, SmsResult, VoiceResult

from .test_library import make_library

HTML_LAYOUT = "<html><body>{% block body %}{% endblock %}</body></html>"


def all_channels(purpose: str = "transactional", **parts: str) -> dict[str, str]:
    files = {
        "m/message.toml": f'purpose = "{purpose}"\nchannels = ["email", "sms", "voice"]\n'
        '[email]\nunsubscribe_url = "https://x.example/u?c={customer_id}"\n',
        "m/subject.txt.j2": "Hello {{ customer.name.given or 'there' }}",
        "m/email.html.j2": "<p>Hi {{ customer.name.given or 'there' }}</p>",
        "m/sms.txt.j2": "Hi {{ customer.name.given or 'there' }}",
        "m/voice.ssml.j2": "<speak>Hi {{ customer.name.given or 'there' }}</speak>",
    }
    files.update({f"m/{k.replace('__', '.')}": v for k, v in parts.items()})
    return files


@pytest.fixture
def lib(tmp_path: Path) -> personalize.Library:
    return make_library(tmp_path, all_channels())


NASTY = "<b>Tom</b> & \"Jerry\" 'O'Brien'"


def test_escaping_follows_the_channel(lib: personalize.Library) -> None:
    customer = {"id": "c", "name": {"given": NASTY}}
    email_r = lib.render("m", customer, "email")
    assert isinstance(email_r, EmailResult)
    assert "<b>" not in email_r.html
    assert "&lt;b&gt;Tom&lt;/b&gt; &amp; " in email_r.html
    assert email_r.subject == f"Hello {NASTY}"  # a header is text, not HTML
    assert NASTY in email_r.text
    sms_r = lib.render("m", customer, "sms")
    assert isinstance(sms_r, SmsResult)
    assert sms_r.text == f"Hi {NASTY}"
    voice = lib.render("m", customer, "voice")
    assert isinstance(voice, VoiceResult)
    assert "&lt;b&gt;" in voice.ssml and "<b>" not in voice.ssml
    assert voice.text == f"Hi {NASTY}"


def test_subject_is_folded_to_one_line(tmp_path: Path) -> None:
    lib = make_library(
        tmp_path, all_channels(subject__txt__j2="Hello\r\nBcc: everyone@example.org\n{{ 'x' }}")
    )
    r = lib.render("m", {"id": "c"}, "email")
    assert isinstance(r, EmailResult)
    assert "\n" not in r.subject and "\r" not in r.subject
    assert r.subject == "Hello Bcc: everyone@example.org x"


class TestMissingData:
    def test_printing_a_missing_fact_is_refused_with_field_and_line(self, tmp_path: Path) -> None:
        lib = make_library(tmp_path, all_channels(sms__txt__j2="Hi\n{{ customer.name.given }}!"))
        with pytest.raises(Refused) as info:
            lib.render("m", {"id": "c"}, "sms")
        (v,) = [x for x in info.value.violations if x.guard == "missing-data"]
        assert v.guard == "missing-data"
        assert "customer.name.given" in v.message
        assert v.template == "m/sms.txt.j2"
        assert v.lineno == 2
        assert v.excerpt == "{{ customer.name.given }}"

    def test_every_missing_fact_is_reported(self, tmp_path: Path) -> None:
        body = "{{ customer.name.given }} {{ customer.name.family }}\n{{ customer.birthday }}"
        lib = make_library(tmp_path, all_channels(sms__txt__j2=body))
        with pytest.raises(Refused) as info:
            lib.render("m", {"id": "c"}, "sms")
        paths = [(v.excerpt, v.lineno) for v in info.value.violations]
        assert paths == [
            ("{{ customer.name.given }}", 1),
            ("{{ customer.name.family }}", 1),
            ("{{ customer.birthday }}", 2),
        ]

    def test_missing_used_in_an_expression_is_refused(self, tmp_path: Path) -> None:
        lib = make_library(
            tmp_path, all_channels(sms__txt__j2="Hi {{ 'x' ~ customer.name.given }}")
        )
        with pytest.raises(Refused) as info:
            lib.render("m", {"id": "c"}, "sms")
        assert info.value.violations[0].guard == "missing-data"
        assert info.value.violations[0].lineno == 1

    @pytest.mark.parametrize(
        "body",
        [
            "Hi {{ customer.name.given or 'there' }}",
            "Hi {{ customer.name.given | fallback('there') }}",
            "Hi {{ customer.name.preferred | fallback(customer.name.given, 'there') }}",
            "Hi {{ customer.name.given | default('there') }}",
            "Hi {% if customer.name.given %}{{ customer.name.given }}{% else %}there{% endif %}",
            "Hi {{ customer.attributes.nickname or 'there' }}",
            "Hi {% if customer.tier.rank_percentile <= 5 %}VIP{% else %}there{% endif %}",
            "Hi {% if customer.tenure_years >= 3 %}old friend{% else %}there{% endif %}",
            "Hi {% for i in customer.interests %}{{ i }}{% else %}there{% endfor %}",
        ],
    )
    def test_fallbacks_work(self, tmp_path: Path, body: str) -> None:
        lib = make_library(tmp_path, all_channels(sms__txt__j2=body))
        r = lib.render("m", {"id": "c"}, "sms")
        assert isinstance(r, SmsResult)
        assert r.text == "Hi there"

    def test_present_values_print(self, tmp_path: Path) -> None:
        body = (
            "Hi {{ customer.name.given | fallback('there') }} from {{ customer.attributes.store }}"
        )
        lib = make_library(tmp_path, all_channels(sms__txt__j2=body))
        data: dict[str, Any] = {
            "id": "c",
            "name": {"given": "Ada"},
            "attributes": {"store": "Leeds"},
        }
        r = lib.render("m", data, "sms")
        assert isinstance(r, SmsResult)
        assert r.text == "Hi Ada from Leeds"

    def test_a_missing_fact_is_never_printed_as_none_or_blank(self, tmp_path: Path) -> None:
        lib = make_library(tmp_path, all_channels(sms__txt__j2="Hi {{ customer.name.given }},"))
        with pytest.raises(Refused) as info:
            lib.render("m", {"id": "c"}, "sms")
        # The refused draft is kept for previews; it never says "None".
        assert isinstance(info.value.result, SmsResult)
        assert "None" not in info.value.result.text


def test_facts_record_what_was_read_with_provenance(tmp_path: Path) -> None:
    body = (
        "{{ customer.name.given }} "
        "{% if customer.interests %}{{ customer.interests[0] }}{% endif %}"
        " {% if customer.bought_within('laptops', 30) %}tips{% endif %}"
    )
    lib = make_library(tmp_path, all_channels(sms__txt__j2=body))
    data = {
        "id": "c",
        "name": {"given": "Ada"},
        "interests": ["golf"],
        "provenance": {"interests": {"source": "external", "permission": True}},
    }
    r = lib.render("m", data, "sms")
    facts = r.facts
    assert set(facts) == {
        "customer.name.given",
        "customer.interests",
        "customer.bought_within('laptops', 30)",
    }
    assert facts["customer.name.given"].source == "first-party"
    assert facts["customer.interests"].source == "external"
    assert facts["customer.interests"].permission is True
    assert facts["customer.bought_within('laptops', 30)"].field == "orders"


def test_render_accepts_a_mapping_and_validates_it(lib: personalize.Library) -> None:
    with pytest.raises(personalize.CustomerDataError, match="locale"):
        lib.render("m", {"id": "c", "locale": "xx_NOPE"}, "sms")
    with pytest.raises(personalize.InvalidArgument):
        lib.render("m", "c-1", "sms")  # type: ignore[arg-type]


def test_misspelt_field_behind_a_path_is_caught_at_load(tmp_path: Path) -> None:
    body = "{% if customer.last_order %}{{ customer.last_order.totl }}{% endif %}"
    expected = r"customer\.last_order has no field 'totl'"
    with pytest.raises(personalize.TemplateError, match=expected):
        make_library(tmp_path, all_channels(sms__txt__j2=body))


def test_unknown_attribute_at_run_time_has_a_hint(tmp_path: Path) -> None:
    # Through a variable the static check cannot follow the type; the view can.
    body = "{% set o = customer.last_order %}{{ o.totl }}"
    lib = make_library(tmp_path, all_channels(sms__txt__j2=body))
    with pytest.raises(personalize.TemplateError) as info:
        lib.render("m", {"id": "c", "orders": [{"date": "2026-01-01"}]}, "sms")
    assert info.value.hint == "did you mean 'total'?"
    assert info.value.name == "m/sms.txt.j2" and info.value.lineno == 1


def test_render_all_covers_receivable_channels(tmp_path: Path) -> None:
    lib = make_library(tmp_path, all_channels())
    data = {
        "id": "c",
        "name": {"given": "Ada"},
        "contact": {"email": "ada@example.org", "phone": "+447700900123"},
        "consent": {"sms": "opted_out"},
    }
    results = lib.render_all("m", data)
    assert sorted(results) == ["email", "voice"]  # transactional: all but opted-out
    assert all(isinstance(r, personalize.RenderResult) for r in results.values())


def test_text_part_is_derived_from_html(tmp_path: Path) -> None:
    html = (
        "<h1>Welcome</h1><p>Read <a href='https://x.example/tips'>our tips</a>.</p>"
        "<ul><li>One</li><li>Two</li></ul><style>p{color:red}</style>"
    )
    lib = make_library(tmp_path, all_channels(email__html__j2=html))
    r = lib.render("m", {"id": "c"}, "email")
    assert isinstance(r, EmailResult)
    assert r.text == "Welcome\n\nRead our tips (https://x.example/tips).\n\n- One\n- Two\n"


def test_email_message_is_multipart_alternative(lib: personalize.Library) -> None:
    data = {
        "id": "c",
        "name": {"given": "Zoë", "family": "Ångström"},
        "contact": {"email": "z@example.org"},
    }
    r = lib.render("m", data, "email")
    assert isinstance(r, EmailResult)
    msg = r.to_email_message(sender="Shop <shop@example.org>")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in parsed.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert str(parsed["To"]) == "Zoë Ångström <z@example.org>"
    assert parsed["List-Unsubscribe"] is None  # transactional


def test_shipped_birthday_for_the_example_customer(
    lib: personalize.Library, ada: personalize.Customer
) -> None:
    del lib  # the tmp library fixture; use the shipped one
    shipped = personalize.Library(Path(__file__).parent.parent / "templates")
    r = shipped.render("birthday", ada, "email")
    assert isinstance(r, EmailResult)
    msg = r.to_email_message()
    assert msg["List-Unsubscribe"] == "<https://hearthandbloom.example/unsubscribe?c=c-1001>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_printing_a_group_of_fields_is_a_template_error(tmp_path: Path) -> None:
    lib = make_library(tmp_path, all_channels(sms__txt__j2="Hi\n{{ customer.name }}"))
    with pytest.raises(personalize.TemplateError) as info:
        lib.render("m", {"id": "c", "name": {"given": "Ada"}}, "sms")
    assert "customer.name is a group of fields" in info.value.message
    assert info.value.hint == "print one of its fields, e.g. customer.name.family"
    assert (info.value.name, info.value.lineno) == ("m/sms.txt.j2", 2)
