"""Locale: Babel filters, per-render translations and the pybabel pipeline."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import personalize

from .blockkit import TODAY, customer, write_library

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


@dataclass(frozen=True)
class Case:
    description: str
    template: str
    locale: str
    expect: str
    timezone: str | None = None


FILTER_CASES = [
    Case("money en_IE", '{{ "10.00" | money("EUR") }}', "en_IE", "€10.00"),
    Case("money de_DE", '{{ "10.00" | money("EUR") }}', "de_DE", "10,00 €"),
    Case("money en_GB grouping", '{{ "1234.5" | money("GBP") }}', "en_GB", "£1,234.50"),
    Case("percent en", "{{ 0.2 | percent }}", "en", "20%"),
    Case("percent de", "{{ 0.2 | percent }}", "de", "20 %"),
    Case("percent of a whole number", "{{ 15 | percent(ratio=false) }}", "en", "15%"),
    Case("percent keeps decimals", "{{ 0.125 | percent }}", "en", "12.5%"),
    Case("number de", "{{ 1234.5 | number }}", "de_DE", "1.234,5"),
    Case("number fr", "{{ 1234.5 | number }}", "fr_FR", "1 234,5"),
    Case("date long en_GB", "{{ today | date }}", "en_GB", "23 November 2026"),
    Case("date long en_US", "{{ today | date }}", "en_US", "November 23, 2026"),
    Case("date long de", "{{ today | date }}", "de_DE", "23. November 2026"),
    Case("date medium es", "{{ today | date('medium') }}", "es_ES", "23 nov 2026"),
    Case("date pattern", "{{ today | date('d MMMM') }}", "fr_FR", "23 novembre"),
    Case("list en", "{{ ['tea', 'cake', 'books'] | list }}", "en", "tea, cake, and books"),
    Case("list en_GB", "{{ ['tea', 'cake', 'books'] | list }}", "en_GB", "tea, cake and books"),
    Case("list de", "{{ ['Tee', 'Kuchen', 'Bücher'] | list }}", "de", "Tee, Kuchen und Bücher"),
    Case("list es or", "{{ ['té', 'café'] | list('or') }}", "es", "té o café"),
]


@pytest.mark.parametrize("case", FILTER_CASES, ids=[c.description for c in FILTER_CASES])
def test_filters(tmp_path: Path, case: Case) -> None:
    lib = write_library(tmp_path, sms=case.template)
    text = lib.render("m", customer(locale=case.locale), "sms").text
    # The SMS adapter folds no-break spaces to plain ones for GSM-7.
    assert text == case.expect


def test_filters_in_email_keep_no_break_spaces(tmp_path: Path) -> None:
    lib = write_library(tmp_path, email='<p>{{ "10.00" | money("EUR") }}</p>')
    result = lib.render("m", customer(locale="de_DE"), "email")
    assert isinstance(result, personalize.EmailResult)
    assert "10,00\xa0€" in result.html


@pytest.mark.parametrize(
    ("timezone", "expect_day", "expect_time"),
    [("Europe/London", "23 Nov 2026", "23:30"), ("Australia/Sydney", "24 Nov 2026", "10:30")],
)
def test_datetime_in_the_customer_time_zone(
    tmp_path: Path, timezone: str, expect_day: str, expect_time: str
) -> None:
    lib = write_library(
        tmp_path,
        sms=(
            "{% set t = '2026-11-23T23:30:00+00:00' %}{{ t | datetime }} / {{ t | date('medium') }}"
        ),
    )
    text = lib.render("m", customer(locale="en_GB", timezone=timezone), "sms").text
    assert expect_day in text and expect_time in text
    assert text.endswith(expect_day)


def test_money_needs_a_currency(tmp_path: Path) -> None:
    lib = write_library(tmp_path, sms="{{ 10 | money }}")
    with pytest.raises(personalize.TemplateError, match="money needs a currency") as info:
        lib.render("m", customer(), "sms")
    assert info.value.name == "m/sms.txt.j2" and info.value.lineno == 1


def test_missing_values_stay_missing(tmp_path: Path) -> None:
    lib = write_library(tmp_path, sms="{{ customer.next_birthday | date }}")
    with pytest.raises(personalize.Refused) as info:
        lib.render("m", customer(), "sms")
    assert info.value.violations[0].guard == "missing-data"
    assert "customer.next_birthday" in info.value.violations[0].message


def test_list_of_customer_interests(tmp_path: Path) -> None:
    lib = write_library(tmp_path, sms="{{ customer.interests | list }}")
    text = lib.render("m", customer(locale="en_GB", interests=["tea", "roses"]), "sms").text
    assert text == "tea and roses"


# -- translations --------------------------------------------------------------


def ada_in(locale: str, **extra: Any) -> personalize.Customer:
    data = json.loads((TEMPLATES / "customers" / "ada.json").read_text(encoding="utf-8"))
    data.update(locale=locale, **extra)
    return personalize.Customer.from_dict(data, today=TODAY)


@pytest.fixture(scope="module")
def shipped() -> personalize.Library:
    return personalize.Library(TEMPLATES, today=TODAY)


def test_birthday_in_german(shipped: personalize.Library) -> None:
    cust = ada_in(
        "de_DE", name={"given": "Ada", "family": "Lovelace", "honorific": "Frau"}, register="formal"
    )
    email = shipped.render("birthday", cust, "email")
    assert isinstance(email, personalize.EmailResult)
    assert email.subject == "Alles Gute zum Geburtstag, Ada!"
    assert "Alles Gute zum Geburtstag!" in email.text
    assert "Sehr geehrte Frau Lovelace," in email.text
    assert "20\xa0% Rabatt im Gartenshop" in email.html
    assert "23. Dezember 2026" in email.text
    assert "Sie erhalten diese E-Mail" in email.text  # the layout is translated too
    assert email.audit["translations"] == "de_DE"
    sms = shipped.render("birthday", cust, "sms")
    assert "alles Gute zum Geburtstag" in sms.text and "STOP" in sms.text


def test_plural_forms(shipped: personalize.Library) -> None:
    de = shipped.render("birthday", ada_in("de_DE"), "email")
    en = shipped.render("birthday", ada_in("en_GB"), "email")
    assert isinstance(de, personalize.EmailResult) and isinstance(en, personalize.EmailResult)
    assert "seit 11 Jahren bei uns einkaufen" in de.text
    assert "Thank you for 11 years of your custom." in en.text


def test_regional_locale_uses_the_language_catalog(shipped: personalize.Library) -> None:
    result = shipped.render("birthday", ada_in("de_AT"), "sms")
    assert "alles Gute zum Geburtstag" in result.text
    assert result.audit["translations"] == "de_AT"


def test_language_without_catalog_renders_the_source_text(shipped: personalize.Library) -> None:
    result = shipped.render("birthday", ada_in("it_IT"), "sms")
    assert "happy birthday from all of us" in result.text
    assert result.audit["translations"] is None


def test_concurrent_renders_keep_their_own_language(shipped: personalize.Library) -> None:
    de, en = ada_in("de_DE"), ada_in("en_GB")

    def render(cust: personalize.Customer) -> str:
        return shipped.render("birthday", cust, "sms").text  # type: ignore[attr-defined, no-any-return]

    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(render, [de, en] * 20))
    assert all("alles Gute" in t for t in texts[0::2])
    assert all("happy birthday" in t for t in texts[1::2])


def test_committed_mo_matches_po() -> None:
    for po_path in sorted((TEMPLATES / "locale").glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as f:
            po = read_po(f)
        with po_path.with_suffix(".mo").open("rb") as f:
            mo = read_mo(f)
        expected = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
        compiled = {
            tuple(m.id) if isinstance(m.id, list) else m.id: (
                tuple(m.string) if isinstance(m.string, list) else m.string
            )
            for m in mo
            if m.id
        }
        assert compiled == expected, f"{po_path}: run pybabel compile -d templates/locale"


@pytest.fixture(scope="module")
def extracted_pot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """templates/ extracted once per module with the real pybabel CLI."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    extract(pot)
    return pot


@pytest.fixture(scope="module")
def extracted_ids(extracted_pot: Path) -> set[Any]:
    with extracted_pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_every_extracted_message_is_translated(extracted_ids: set[Any], lang: str) -> None:
    with (TEMPLATES / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string and not m.fuzzy}
    assert extracted_ids - translated == set()


@pytest.mark.parametrize(
    ("locale", "subject", "sms_start"),
    [
        ("fr_FR", "Joyeux anniversaire, Ada\xa0!", "Bonjour Madame Lovelace, joyeux anniversaire"),
        ("es_ES", "¡Feliz cumpleaños, Ada!", "Estimada Dra. Lovelace, ¡feliz cumpleaños"),
    ],
)
def test_birthday_in_french_and_spanish(
    shipped: personalize.Library, locale: str, subject: str, sms_start: str
) -> None:
    name = {"given": "Ada", "family": "Lovelace", "honorific": "Dra."}
    cust = ada_in(locale, name=name, register="formal")
    email = shipped.render("birthday", cust, "email")
    assert isinstance(email, personalize.EmailResult)
    # The subject is folded to one header-safe line; no-break spaces survive.
    assert email.subject == subject
    assert "20\xa0%" in email.html
    sms = shipped.render("birthday", cust, "sms")
    assert sms.text.startswith(sms_start)  # type: ignore[attr-defined]


# -- the real pybabel CLI -------------------------------------------------------


def pybabel() -> list[str]:
    exe = shutil.which("pybabel", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "babel.messages.frontend"]


def extract(pot: Path) -> None:
    subprocess.run(
        [
            *pybabel(),
            "extract",
            "-F",
            str(TEMPLATES / "babel.cfg"),
            "--ignore-dirs=.* customers locale",
            "-o",
            str(pot),
            str(TEMPLATES),
        ],
        check=True,
        capture_output=True,
        text=True,
    )


def test_pybabel_extract_and_compile_render_german(tmp_path: Path, extracted_pot: Path) -> None:
    pot = extracted_pot
    with pot.open("rb") as f:
        catalog = read_po(f)
    ids = {m.id for m in catalog if m.id}
    assert "Happy birthday!" in ids
    assert "Unsubscribe" in ids  # layouts are extracted too
    assert (
        "Thank you for a year of your custom.",
        "Thank you for %(count)s years of your custom.",
    ) in ids

    # Use the committed German translations with the freshly extracted template.
    locale_dir = tmp_path / "templates" / "locale"
    shutil.copytree(TEMPLATES, tmp_path / "templates", ignore=shutil.ignore_patterns("*.mo"))
    subprocess.run(
        [*pybabel(), "update", "-i", str(pot), "-d", str(locale_dir), "-l", "de"],
        check=True,
        capture_output=True,
        text=True,
    )
    subprocess.run(
        [*pybabel(), "compile", "-d", str(locale_dir), "-l", "de"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert (locale_dir / "de" / "LC_MESSAGES" / "messages.mo").is_file()
    lib = personalize.Library(tmp_path / "templates", today=TODAY)
    result = lib.render("birthday", ada_in("de_DE"), "voice")
    assert "Wir rufen an, um Ihnen alles Gute zum Geburtstag zu wünschen." in result.text  # type: ignore[attr-defined]


def test_babel_cfg_mirrors_the_environment() -> None:
    cfg = (TEMPLATES / "babel.cfg").read_text(encoding="utf-8")
    for needle in (
        "personalize.offers.OfferExtension",
        "personalize.claims.ClaimExtension",
        "trim_blocks = true",
        "lstrip_blocks = true",
        "newstyle_gettext = true",
    ):
        assert needle in cfg


def test_date_filter_accepts_dates_directly() -> None:
    from personalize.filters import format_date

    assert format_date(dt.date(2026, 1, 2), "short", locale="de_DE") == "02.01.26"
