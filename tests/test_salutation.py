"""Salutations: per-language tables, the fallback chain, channels and audit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

import personalize
from personalize.salutations import salutation_for

from .blockkit import customer, write_library


@dataclass(frozen=True)
class Case:
    description: str
    name: dict[str, str]
    locale: str
    register: str | None
    expect: tuple[str, str, str]  # email, sms, voice


ADA = {"given": "Ada", "family": "Lovelace"}

CASES = [
    # English
    Case("en informal given", ADA, "en_GB", "informal", ("Hi Ada,", "Hi Ada, ", "Hello Ada.")),
    Case(
        "en informal prefers preferred",
        {"given": "Augusta Ada", "preferred": "Ada", "family": "King"},
        "en_GB",
        "informal",
        ("Hi Ada,", "Hi Ada, ", "Hello Ada."),
    ),
    Case(
        "en formal Dr",
        {**ADA, "honorific": "Dr"},
        "en_GB",
        "formal",
        ("Dear Dr Lovelace,", "Hello Dr Lovelace, ", "Hello Doctor Lovelace."),
    ),
    Case(
        "en formal keeps 'Dr.' as written",
        {**ADA, "honorific": "Dr."},
        "en_US",
        "formal",
        ("Dear Dr. Lovelace,", "Hello Dr. Lovelace, ", "Hello Doctor Lovelace."),
    ),
    Case(
        "en formal Mrs",
        {**ADA, "honorific": "Mrs"},
        "en",
        "formal",
        ("Dear Mrs Lovelace,", "Hello Mrs Lovelace, ", "Hello Mrs Lovelace."),
    ),
    Case(
        "en formal without honorific uses the full name",
        ADA,
        "en",
        "formal",
        ("Dear Ada Lovelace,", "Hello Ada Lovelace, ", "Hello Ada Lovelace."),
    ),
    Case(
        "en informal, family and honorific only",
        {"family": "Lovelace", "honorific": "Ms"},
        "en",
        "informal",
        ("Dear Ms Lovelace,", "Hello Ms Lovelace, ", "Hello Ms Lovelace."),
    ),
    Case(
        "en family only is neutral, never 'Dear Lovelace'",
        {"family": "Lovelace"},
        "en",
        "informal",
        ("Hello,", "Hello, ", "Hello."),
    ),
    Case("en no name", {}, "en", None, ("Hello,", "Hello, ", "Hello.")),
    # German
    Case(
        "de formal Frau",
        {**ADA, "honorific": "Frau"},
        "de_DE",
        "formal",
        ("Sehr geehrte Frau Lovelace,", "Guten Tag Frau Lovelace, ", "Guten Tag Frau Lovelace."),
    ),
    Case(
        "de formal Herr",
        {"given": "Max", "family": "Weber", "honorific": "Herr"},
        "de_DE",
        "formal",
        ("Sehr geehrter Herr Weber,", "Guten Tag Herr Weber, ", "Guten Tag Herr Weber."),
    ),
    Case(
        "de formal English honorific maps to Frau",
        {**ADA, "honorific": "Mrs"},
        "de_DE",
        "formal",
        ("Sehr geehrte Frau Lovelace,", "Guten Tag Frau Lovelace, ", "Guten Tag Frau Lovelace."),
    ),
    Case(
        "de formal Frau Dr.",
        {**ADA, "honorific": "Frau Dr."},
        "de_DE",
        "formal",
        (
            "Sehr geehrte Frau Dr. Lovelace,",
            "Guten Tag Frau Dr. Lovelace, ",
            "Guten Tag Frau Doktor Lovelace.",
        ),
    ),
    Case(
        "de formal Dr alone: no gender, so the full name",
        {**ADA, "honorific": "Dr"},
        "de_DE",
        "formal",
        ("Guten Tag Ada Lovelace,", "Guten Tag Ada Lovelace, ", "Guten Tag Ada Lovelace."),
    ),
    Case(
        "de formal without form of address",
        ADA,
        "de_DE",
        "formal",
        ("Guten Tag Ada Lovelace,", "Guten Tag Ada Lovelace, ", "Guten Tag Ada Lovelace."),
    ),
    Case("de informal", ADA, "de_DE", "informal", ("Hallo Ada,", "Hallo Ada, ", "Hallo Ada.")),
    Case("de_AT uses de", ADA, "de_AT", "informal", ("Hallo Ada,", "Hallo Ada, ", "Hallo Ada.")),
    Case("de no name", {}, "de", "informal", ("Hallo,", "Hallo, ", "Hallo.")),
    Case("de formal no name", {}, "de", "formal", ("Guten Tag,", "Guten Tag, ", "Guten Tag.")),
    # French
    Case(
        "fr informal", ADA, "fr_FR", "informal", ("Bonjour Ada,", "Bonjour Ada, ", "Bonjour Ada.")
    ),
    Case(
        "fr formal Madame",
        {**ADA, "honorific": "Mme"},
        "fr_FR",
        "formal",
        ("Madame Lovelace,", "Bonjour Madame Lovelace, ", "Bonjour Madame Lovelace."),
    ),
    Case(
        "fr formal Monsieur",
        {"given": "Jean", "family": "Dupont", "honorific": "M."},
        "fr_CA",
        "formal",
        ("Monsieur Dupont,", "Bonjour Monsieur Dupont, ", "Bonjour Monsieur Dupont."),
    ),
    Case("fr no name", {}, "fr", None, ("Bonjour,", "Bonjour, ", "Bonjour.")),
    # Spanish
    Case("es informal", ADA, "es_ES", "informal", ("Hola Ada:", "Hola Ada, ", "Hola, Ada.")),
    Case(
        "es formal Sra. with a particle family name",
        {"given": "María José", "family": "de la Cruz", "honorific": "Sra."},
        "es_MX",
        "formal",
        (
            "Estimada Sra. de la Cruz:",
            "Estimada Sra. de la Cruz, ",
            "Buenos días, señora de la Cruz.",
        ),
    ),
    Case(
        "es formal Dra.",
        {**ADA, "honorific": "Dra."},
        "es_ES",
        "formal",
        ("Estimada Dra. Lovelace:", "Estimada Dra. Lovelace, ", "Buenos días, doctora Lovelace."),
    ),
    Case(
        "es formal Sr.",
        {"given": "Juan", "family": "Pérez", "honorific": "Sr."},
        "es_ES",
        "formal",
        ("Estimado Sr. Pérez:", "Estimado Sr. Pérez, ", "Buenos días, señor Pérez."),
    ),
    Case("es no name", {}, "es", "informal", ("Hola:", "Hola, ", "Hola.")),
    # Names as written
    Case(
        "a single name",
        {"given": "Madonna"},
        "en",
        "informal",
        ("Hi Madonna,", "Hi Madonna, ", "Hello Madonna."),
    ),
    Case(
        "a Vietnamese name is not split",
        {"given": "Nguyễn Thị Minh Khai"},
        "en",
        "informal",
        ("Hi Nguyễn Thị Minh Khai,", "Hi Nguyễn Thị Minh Khai, ", "Hello Nguyễn Thị Minh Khai."),
    ),
    Case(
        "lower-case particles and apostrophes are not re-cased",
        {"given": "siobhán", "family": "O'Brien", "honorific": "Ms"},
        "en_IE",
        "formal",
        ("Dear Ms O'Brien,", "Hello Ms O'Brien, ", "Hello Ms O&#39;Brien."),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.description for c in CASES])
def test_salutation_table(case: Case) -> None:
    data: dict[str, Any] = {"id": "1", "name": case.name, "locale": case.locale}
    if case.register:
        data["register"] = case.register
    cust = personalize.Customer.from_dict(data)
    got = tuple(str(personalize.salutation(cust, ch)) for ch in ("email", "sms", "voice"))
    assert got == case.expect


def test_language_default_register() -> None:
    # German business mail defaults to Sie; English to first names.
    de = personalize.Customer.from_dict(
        {"id": "1", "name": {**ADA, "honorific": "Frau"}, "locale": "de_DE"}
    )
    en = personalize.Customer.from_dict(
        {"id": "1", "name": {**ADA, "honorific": "Mrs"}, "locale": "en_GB"}
    )
    assert personalize.salutation(de) == "Sehr geehrte Frau Lovelace,"
    assert personalize.salutation(en) == "Hi Ada,"


def test_register_argument_overrides_the_customer() -> None:
    cust = personalize.Customer.from_dict(
        {"id": "1", "name": {**ADA, "honorific": "Dr"}, "register": "informal"}
    )
    assert personalize.salutation(cust, register="formal") == "Dear Dr Lovelace,"


def test_voice_uses_the_pronunciation_and_is_markup() -> None:
    cust = personalize.Customer.from_dict(
        {"id": "1", "name": {"given": "Siobhán", "pronunciation": "shi-VAWN"}}
    )
    text = personalize.salutation(cust, "voice")
    assert isinstance(text, Markup)
    assert text == 'Hello <sub alias="shi-VAWN">Siobhán</sub>.'


def test_voice_escapes_names_and_pronunciations() -> None:
    cust = personalize.Customer.from_dict(
        {"id": "1", "name": {"given": "<b>Bo & Co", "pronunciation": '"><x a="'}}
    )
    text = personalize.salutation(cust, "voice")
    assert "<b>" not in text and "<x" not in text
    assert "&lt;b&gt;Bo &amp; Co" in text
    assert 'alias="&#34;&gt;&lt;x a=&#34;"' in text


def test_placeholders_in_names_stay_literal() -> None:
    cust = personalize.Customer.from_dict(
        {"id": "1", "name": {"given": "{family}", "family": "X"}, "register": "formal"}
    )
    assert personalize.salutation(cust) == "Dear {family} X,"


def test_unsupported_language_falls_back_with_a_warning() -> None:
    cust = personalize.Customer.from_dict({"id": "1", "name": ADA, "locale": "ja_JP"})
    chosen = salutation_for(cust)
    assert chosen.text == "Hi Ada,"
    assert chosen.language == "en"
    assert chosen.warning is not None and "'ja'" in chosen.warning
    assert salutation_for(cust, default_locale="de").text == "Guten Tag Ada Lovelace,"


def test_bad_arguments() -> None:
    cust = personalize.Customer.from_dict({"id": "1"})
    with pytest.raises(personalize.InvalidArgument, match="channel"):
        personalize.salutation(cust, "fax")
    with pytest.raises(personalize.InvalidArgument, match="register"):
        personalize.salutation(cust, register="casual")


def test_template_global_records_the_rule(tmp_path: Path) -> None:
    lib = write_library(
        tmp_path,
        sms="{{ salutation() }}see you soon.",
        voice='<speak xml:lang="en">{{ salutation() }}</speak>',
    )
    cust = customer(
        name={"given": "Ada", "family": "Lovelace", "pronunciation": "AY-da"}, locale="en_GB"
    )
    sms = lib.render("m", cust, "sms")
    assert sms.text == "Hi Ada, see you soon."
    assert sms.audit["salutation"]["rule"] == "named"
    assert "customer.name.given" in sms.facts
    voice = lib.render("m", cust, "voice")
    # The voice channel moves a stop after </sub> inside it (espeak-ng says "dot").
    assert '<sub alias="AY-da.">Ada.</sub>' in voice.ssml
    assert voice.text == "Hello AY-da."


def test_template_global_warns_on_unsupported_language(tmp_path: Path) -> None:
    lib = write_library(tmp_path, sms="{{ salutation() }}ok")
    result = lib.render("m", customer(name={"given": "Aiko"}, locale="ja_JP"), "sms")
    assert result.text == "Hi Aiko, ok"
    assert result.audit["salutation"]["language"] == "en"
    assert any("'ja'" in w for w in result.audit["warnings"])


def test_template_global_register_keyword(tmp_path: Path) -> None:
    lib = write_library(tmp_path, sms='{{ salutation(register="formal") }}ok')
    cust = customer(name={**ADA, "honorific": "Dr"}, register="informal")
    assert lib.render("m", cust, "sms").text == "Hello Dr Lovelace, ok"


def test_public_api_is_sorted_and_exports_the_blocks() -> None:
    assert personalize.__all__ == sorted(personalize.__all__)
    for name in ("salutation", "Salutation", "ChosenOffer", "Offer", "OfferTraceEntry"):
        assert name in personalize.__all__ and hasattr(personalize, name)
    assert callable(personalize.salutation)
