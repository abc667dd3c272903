"""SMS: GSM-7 / UCS-2 encoding and segmentation per 3GPP TS 23.038.

A text that fits the GSM 7-bit default alphabet (plus its extension table,
whose characters cost two septets: an escape and the character) is sent in
GSM-7: 160 septets in one part, 153 per part when concatenated (the user
data header takes the rest).  Anything else goes as UCS-2, counted in UTF-16
code units: 70 in one part, 67 per part.  A part boundary never falls between
an escape and its character, nor inside a surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..result import SmsResult
from . import Draft

__all__ = ["GSM7_BASIC", "GSM7_EXTENDED", "SmsChannel", "SmsEncoding", "encode_sms"]

#: The GSM 03.38 default alphabet (the escape 0x1B itself is not a character).
GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: Characters of the extension table, sent as escape + character (2 septets).
GSM7_EXTENDED: Final = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE: Final = 160
GSM7_MULTI: Final = 153
UCS2_SINGLE: Final = 70
UCS2_MULTI: Final = 67


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsEncoding:
    """How a text is sent: encoding, size in units, segments and their texts."""

    encoding: str
    units: int
    segments: int
    parts: tuple[str, ...]
    ucs2_characters: tuple[str, ...]


def _gsm_cost(char: str) -> int:
    return 2 if char in GSM7_EXTENDED else 1


def _ucs2_cost(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _split(text: str, per_part: int, *, gsm: bool) -> tuple[str, ...]:
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        c = _gsm_cost(char) if gsm else _ucs2_cost(char)
        if used + c > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += c
    if current or not parts:
        parts.append("".join(current))
    return tuple(parts)


def encode_sms(text: str) -> SmsEncoding:
    """Work out the encoding, size and segments of ``text``.

    >>> encode_sms("Hi Ada").segments
    1
    >>> encode_sms("x" * 152 + "€" + "x" * 152).segments
    3
    """
    ucs2_chars = tuple(
        dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENDED)
    )
    if not ucs2_chars:
        units = sum(_gsm_cost(c) for c in text)
        if units <= GSM7_SINGLE:
            parts: tuple[str, ...] = (text,)
        else:
            parts = _split(text, GSM7_MULTI, gsm=True)
        return SmsEncoding(
            encoding="GSM-7", units=units, segments=len(parts), parts=parts, ucs2_characters=()
        )
    units = sum(_ucs2_cost(c) for c in text)
    parts = (text,) if units <= UCS2_SINGLE else _split(text, UCS2_MULTI, gsm=False)
    return SmsEncoding(
        encoding="UCS-2", units=units, segments=len(parts), parts=parts, ucs2_characters=ucs2_chars
    )


def tidy_sms(text: str) -> str:
    """Collapse template white space: single spaces, at most one blank line."""
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


class SmsChannel:
    """The SMS adapter."""

    name = "sms"

    def build(self, draft: Draft) -> SmsResult:
        text = tidy_sms(draft.parts["text"])
        enc = encode_sms(text)
        return SmsResult(
            **draft.common,
            text=text,
            encoding=enc.encoding,
            segments=enc.segments,
            units=enc.units,
            parts=enc.parts,
            ucs2_characters=enc.ucs2_characters,
        )
