"""The SMS channel: encoding, segments, normalization, the shipped message."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import personalize
from personalize.channels.sms import encode_sms, normalize_typography

from .conftest import TEMPLATES, TODAY, load_customer_data


@dataclass(frozen=True)
class Case:
    description: str
    text: str
    encoding: str
    units: int
    segments: int
    part_lengths: tuple[int, ...] | None = None  # in code points


CASES = [
    Case("empty", "", "GSM-7", 0, 1),
    Case("plain 160 fits one", "a" * 160, "GSM-7", 160, 1),
    Case("plain 161 needs two", "a" * 161, "GSM-7", 161, 2, (153, 8)),
    Case("306 is exactly two", "a" * 306, "GSM-7", 306, 2, (153, 153)),
    Case("307 is three", "a" * 307, "GSM-7", 307, 3),
    Case("euro costs two septets", "€" * 80, "GSM-7", 160, 1),
    Case("81 euros overflow", "€" * 81, "GSM-7", 162, 2, (76, 5)),
    Case("escape never split", "x" * 152 + "€" + "x" * 152, "GSM-7", 306, 3, (152, 152, 1)),
    Case("every extension char", "^{}\\[~]|€", "GSM-7", 18, 1),
    Case("greek capitals are gsm", "ΔΦΓΛΩΠΨΣΘΞ", "GSM-7", 10, 1),
    Case("c cedilla small is not gsm", "ç", "UCS-2", 1, 1),
    Case("ucs2 70 fits one", "ж" * 70, "UCS-2", 70, 1),
    Case("ucs2 71 needs two", "ж" * 71, "UCS-2", 71, 2, (67, 4)),
    Case("emoji is two units", "😀" * 35, "UCS-2", 70, 1),
    Case("surrogate pair never split", "a" * 66 + "😀" + "a" * 10, "UCS-2", 78, 2, (66, 11)),
    Case(
        "zwj family stays whole",
        "a" * 60 + "👩\u200d👩\u200d👧" + "a" * 10,
        "UCS-2",
        78,
        2,
        (60, 15),
    ),
    Case("flag stays whole", "a" * 66 + "🇬🇧" + "b", "UCS-2", 71, 2, (66, 3)),
    Case("combining accent stays whole", "a" * 66 + "e\u0301" + "b" * 4, "UCS-2", 72, 2, (66, 6)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.description)
def test_encoding_and_segments(case: Case) -> None:
    enc = encode_sms(case.text)
    assert (enc.encoding, enc.units, enc.segments) == (case.encoding, case.units, case.segments)
    assert "".join(enc.parts) == case.text
    if case.part_lengths is not None:
        assert tuple(len(p) for p in enc.parts) == case.part_lengths


def test_ucs2_characters_name_what_forced_it() -> None:
    enc = encode_sms("Hi Zoë 😀, çava? 👩\u200d👩\u200d👧 😀")
    assert enc.ucs2_characters == ("ë", "😀", "ç", "👩\u200d👩\u200d👧")  # ë is not GSM-7


def test_one_character_doubling_the_parts_is_noted() -> None:
    text = "a" * 100 + "😀"
    enc = encode_sms(text)
    assert (enc.segments, enc.gsm7_segments) == (2, 1)
    (note,) = enc.notes
    assert "'😀'" in note and "GRINNING FACE" in note and "2 SMS parts instead of 1" in note
    assert encode_sms("a" * 10 + "😀").notes == ()  # one part either way


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("It\u2019s \u201cyours\u201d", 'It\'s "yours"'),
        ("9\u201317 \u2014 now\u2026", "9-17 - now..."),
        ("50\u00a0% off", "50 % off"),
        ("\u00abmerci\u202f\u00bb", '"merci "'),
    ],
)
def test_typography_normalized_to_gsm7(raw: str, expected: str) -> None:
    enc = encode_sms(raw, normalize=True)
    assert (enc.text, enc.encoding) == (expected, "GSM-7")
    assert enc.normalized


def test_normalization_only_when_it_makes_gsm7() -> None:
    raw = "It\u2019s \U0001f600"  # the emoji forces UCS-2 anyway: keep real quotes
    enc = encode_sms(raw, normalize=True)
    assert (enc.text, enc.encoding, enc.normalized) == (raw, "UCS-2", ())


def test_normalization_never_touches_letters() -> None:
    name = "Çelik Ñúñez-O\u2019Brien Łukasz"
    assert normalize_typography(name)[0] == "Çelik Ñúñez-O'Brien Łukasz"
    enc = encode_sms(f"Hi {name}", normalize=True)
    assert "Łukasz" in enc.text and "ú" in enc.text


def _lib_with(tmp_path: Path, sms_body: str, extra_toml: str = "") -> personalize.Library:
    import shutil

    shutil.copytree(TEMPLATES, tmp_path / "t")
    (tmp_path / "t" / "birthday" / "sms.txt.j2").write_text(sms_body, encoding="utf-8")
    if extra_toml:
        toml = tmp_path / "t" / "birthday" / "message.toml"
        toml.write_text(
            toml.read_text().replace("[sms]\n", "[sms]\n" + extra_toml + "\n"), encoding="utf-8"
        )
    return personalize.Library(tmp_path / "t", today=TODAY)


BODY = "Hi {{ customer.name.first }} \u2014 it\u2019s your day\u2026 Reply STOP to opt out."


def test_shipped_sms_result(lib: personalize.Library, ada: personalize.Customer) -> None:
    result = lib.render("birthday", ada, "sms")
    assert isinstance(result, personalize.SmsResult)
    assert (result.encoding, result.segments) == ("GSM-7", 1)
    assert result.units == len(result.text)
    assert result.parts == (result.text,)
    assert result.audit["sms.encoding"]["segments"] == 1


def test_normalize_on_by_default(tmp_path: Path) -> None:
    result = _lib_with(tmp_path, BODY).render("birthday", load_customer_data("ada"), "sms")
    assert isinstance(result, personalize.SmsResult)
    assert result.text == "Hi Ada - it's your day... Reply STOP to opt out."
    assert result.encoding == "GSM-7"
    assert "\u2014 -> -" in result.audit["sms.normalized"]


def test_normalize_off_in_message_toml(tmp_path: Path) -> None:
    lib = _lib_with(tmp_path, BODY, "normalize = false")
    result = lib.render("birthday", load_customer_data("ada"), "sms")
    assert isinstance(result, personalize.SmsResult)
    assert result.encoding == "UCS-2"
    assert result.ucs2_characters == ("\u2014", "\u2019", "\u2026")


def test_normalize_off_by_policy(tmp_path: Path) -> None:
    _lib_with(tmp_path, BODY)
    lib = personalize.Library(
        tmp_path / "t", today=TODAY, policy=personalize.Policy(limits={"sms.normalize": False})
    )
    result = lib.render("birthday", load_customer_data("ada"), "sms")
    assert result.encoding == "UCS-2"  # type: ignore[attr-defined]
