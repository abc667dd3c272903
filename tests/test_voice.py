"""The voice channel: SSML shape, spoken script, filters, and espeak-ng for real."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shutil
import subprocess
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import personalize
from personalize.channels.voice import SSML_NS, XML_LANG, estimate_seconds, ssml_to_text

from .conftest import TEMPLATES, TODAY, load_customer_data

VOICE = Path(__file__).parent / "res" / "voice"
LOCALES = ["en_GB", "en_US", "de_DE", "fr_FR", "es_ES"]


@pytest.fixture(scope="module")
def voice_lib() -> personalize.Library:
    return personalize.Library(VOICE, today=TODAY)


def _ada(locale: str = "en_GB", **changes: Any) -> dict[str, Any]:
    data = load_customer_data("ada")
    data["locale"] = locale
    data.update(changes)
    return data


def _voice(lib: personalize.Library, message: str, data: dict[str, Any]) -> personalize.VoiceResult:
    result = lib.render(message, data, "voice")
    assert isinstance(result, personalize.VoiceResult)
    return result


@pytest.mark.parametrize("locale", LOCALES)
def test_speak_root_has_version_namespace_and_customer_language(
    voice_lib: personalize.Library, locale: str
) -> None:
    # The template says xml:lang="en"; the customer's locale wins.
    result = _voice(voice_lib, "reminder", _ada(locale))
    root = ET.fromstring(result.ssml)
    assert root.tag == f"{{{SSML_NS}}}speak"
    assert root.get("version") == "1.1"
    assert root.get(XML_LANG) == locale.replace("_", "-")


@dataclass(frozen=True)
class Spoken:
    locale: str
    money: str
    date: str
    time: str
    phone: str


SPOKEN = [
    Spoken(
        "en_GB", "1299 British pounds 50", "23 November 2026", "14 30", "0 7 7 0 0, 9 0 0 1 2 3"
    ),
    Spoken("en_US", "1299 British pounds 50", "November 23, 2026", "2 30 PM", "+ 4 4, 7 7 0 0"),
    Spoken("de_DE", "1299 Britische Pfund 50", "23. November 2026", "14 30", "+ 4 4, 7 7 0 0"),
    Spoken("fr_FR", "1299 livres sterling 50", "23 novembre 2026", "14 30", "+ 4 4"),
    Spoken("es_ES", "1299 libras esterlinas 50", "23 de noviembre de 2026", "14 30", "+ 4 4"),
]


@pytest.mark.parametrize("case", SPOKEN, ids=lambda c: c.locale)
def test_money_dates_times_phones_as_the_locale_speaks_them(
    voice_lib: personalize.Library, case: Spoken
) -> None:
    result = _voice(voice_lib, "reminder", _ada(case.locale))
    for words in (case.money, case.date, case.time, case.phone):
        assert words in result.text
    # Written forms stay in the SSML as <sub> content; engines say the alias.
    assert re.search(
        r'<sub alias="[^"]*British pounds|<sub alias="[^"]*(Pfund|livres|libras)', result.ssml
    )
    assert "£" not in result.text and ":" not in result.text.split("2026")[1]


def test_spoken_filters_on_other_channels_are_plain_words(voice_lib: personalize.Library) -> None:
    result = voice_lib.render("reminder", _ada(), "sms")
    assert result.text.startswith("Balance: 1299 British pounds 50. Call 0 7 7 0 0")  # type: ignore[attr-defined]
    assert "<sub" not in result.text  # type: ignore[attr-defined]


def test_spoken_money_needs_a_currency(tmp_path: Path) -> None:
    shutil.copytree(VOICE, tmp_path / "v")
    (tmp_path / "v" / "reminder" / "sms.txt.j2").write_text("{{ '12.50' | spoken_money }}\n")
    lib = personalize.Library(tmp_path / "v", today=TODAY)
    with pytest.raises(personalize.TemplateError, match="spoken_money needs a currency") as info:
        lib.render("reminder", _ada(), "sms")
    assert info.value.name == "reminder/sms.txt.j2"


def test_full_stop_after_sub_moves_inside(voice_lib: personalize.Library) -> None:
    result = _voice(voice_lib, "reminder", _ada())
    assert "</sub>." not in result.ssml
    assert '<sub alias="1299 British pounds 50.">£1,299.50.</sub>' in result.ssml


def test_text_is_the_words_without_markup() -> None:
    ssml = (
        f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="en-GB"><p>Hello '
        '<sub alias="AY-da">Ada</sub>.</p><break time="1s"/><p><s>It is '
        "<emphasis>today</emphasis>.</s></p><desc>not said</desc></speak>"
    )
    assert ssml_to_text(ssml) == "Hello AY-da. It is today."
    # 6 words at 150 wpm = 2.4 s, two sentence pauses 0.6 s, a 1 s break.
    assert estimate_seconds(ssml) == 4.0


def test_template_without_speak_is_wrapped(tmp_path: Path) -> None:
    shutil.copytree(VOICE, tmp_path / "v")
    (tmp_path / "v" / "reminder" / "voice.ssml.j2").write_text("<p>Hello.</p>\n")
    result = _voice(personalize.Library(tmp_path / "v", today=TODAY), "reminder", _ada("de_DE"))
    assert result.ssml.startswith(f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="de-DE">')
    assert result.text == "Hello."


def test_malformed_ssml_is_a_template_error(tmp_path: Path) -> None:
    shutil.copytree(VOICE, tmp_path / "v")
    (tmp_path / "v" / "reminder" / "voice.ssml.j2").write_text("<speak><p>Hello</speak>\n")
    lib = personalize.Library(tmp_path / "v", today=TODAY)
    with pytest.raises(personalize.TemplateError, match="well-formed") as info:
        lib.render("reminder", _ada(), "voice")
    assert info.value.name == "reminder/voice.ssml.j2"


@pytest.mark.parametrize("name", ["<break/>Ann", "Bo</speak>", 'Cy" x="', "Di & <s>", "]]>"])
def test_names_cannot_inject_tags(voice_lib: personalize.Library, name: str) -> None:
    result = _voice(voice_lib, "reminder", _ada(name={"given": name}))
    root = ET.fromstring(result.ssml)
    assert [_local(el.tag) for el in root.iter()].count("break") == 2
    assert f"Hello {name}." in result.text


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# -- espeak-ng, for real ----------------------------------------------------

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")

#: Words that would be heard if markup were read aloud.
MARKUP_WORDS = ["speak", "break", "alias", "version", "synthesis", "xmlns", "emphasis", "http"]


def _phonemes(text: str, *args: str) -> str:
    assert ESPEAK is not None
    out = subprocess.run(
        [ESPEAK, *args, "-q", "-x", text], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    # Drop pauses and white space: SSML and plain text phrase differently.
    return re.sub(r"_[!:|]*|\s+", "", out)


def _scripts() -> list[tuple[str, str, str]]:
    """(templates dir, message, locale) for every shipped voice message."""
    shipped = personalize.Library(TEMPLATES, today=TODAY)
    out = [
        (str(TEMPLATES), name, locale)
        for name, spec in shipped.messages.items()
        if "voice" in spec.channels
        for locale in ("en_GB", "de_DE")
    ]
    return [*out, (str(VOICE), "reminder", "en_GB"), (str(VOICE), "reminder", "fr_FR")]


@needs_espeak
@pytest.mark.parametrize(("root", "message", "locale"), _scripts())
def test_espeak_speaks_the_ssml(tmp_path: Path, root: str, message: str, locale: str) -> None:
    lib = personalize.Library(root, today=TODAY)
    try:
        result = _voice(lib, message, _ada(locale))
    except personalize.Refused as exc:
        pytest.fail(f"the example customer is refused: {exc}")
    wav = tmp_path / "out.wav"
    assert ESPEAK is not None
    subprocess.run([ESPEAK, "-m", "-w", str(wav), result.ssml], check=True, timeout=120)
    with wave.open(str(wav)) as audio:
        frames, rate = audio.getnframes(), audio.getframerate()
        samples = audio.readframes(frames)
    seconds = frames / rate
    assert frames > 0 and any(samples), "espeak-ng produced silence"
    assert 0.5 <= seconds / result.estimated_seconds <= 2.0, (seconds, result.estimated_seconds)

    voice = locale.replace("_", "-").lower()
    spoken = _phonemes(result.ssml, "-m")
    script = _phonemes(result.text, "-v", voice)
    # What espeak says from the SSML is what a person reads from result.text.
    assert difflib.SequenceMatcher(None, spoken, script).ratio() >= 0.95, (spoken, script)
    for word in MARKUP_WORDS:
        heard = _phonemes(word, "-v", voice)
        assert spoken.count(heard) <= script.count(heard), f"markup read aloud: {word}"
    # espeak-ng reads a stop after </sub> as "dot"; the adapter moved it.
    dot = _phonemes("dot", "-v", voice)
    assert spoken.count(dot) <= script.count(dot)


@needs_espeak
def test_espeak_check_can_fail() -> None:
    """The phoneme comparison notices markup read aloud (the check is not vacuous)."""
    leaked = (
        f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="en-GB">Hello &lt;break/&gt; Ada</speak>'
    )
    spoken = _phonemes(leaked, "-m")
    heard = _phonemes("break", "-v", "en-gb")
    assert spoken.count(heard) > _phonemes("Hello Ada", "-v", "en-gb").count(heard)


def test_today_fixture_is_pinned() -> None:
    assert dt.date(2026, 11, 23) == TODAY


def test_only_the_sub_before_a_stop_gets_it() -> None:
    from personalize.channels.voice import _stops_inside

    ssml = (
        '<p><sub alias="a">A</sub> and <sub alias="b">B</sub>.</p>'
        '<p>x <sub alias="c">C</sub>...</p>'
    )
    assert _stops_inside(ssml) == (
        '<p><sub alias="a">A</sub> and <sub alias="b.">B.</sub></p>'
        '<p>x <sub alias="c">C</sub>...</p>'
    )


def test_vendor_namespaces_survive_the_speak_rewrite(tmp_path: Path) -> None:
    shutil.copytree(VOICE, tmp_path / "v")
    (tmp_path / "v" / "reminder" / "voice.ssml.j2").write_text(
        f'<speak version="1.0" xmlns="{SSML_NS}" xmlns:mstts="https://www.w3.org/2001/mstts"'
        ' xml:lang="en-US"><mstts:express-as style="cheerful">Hello.</mstts:express-as>'
        "</speak>\n"
    )
    result = _voice(personalize.Library(tmp_path / "v", today=TODAY), "reminder", _ada("fr_FR"))
    root = ET.fromstring(result.ssml)
    assert (root.get("version"), root.get(XML_LANG)) == ("1.1", "fr-FR")
    assert root[0].tag == "{https://www.w3.org/2001/mstts}express-as"
    assert result.text == "Hello."
