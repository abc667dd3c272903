"""SMS: GSM-7 / UCS-2 encoding and segmentation per 3GPP TS 23.038.

A text that fits the GSM 7-bit default alphabet (plus its extension table,
whose characters cost two septets: an escape and the character) is sent in
GSM-7: 160 septets in one part, 153 per part when concatenated (the user
data header takes the rest).  Anything else goes as UCS-2, counted in UTF-16
code units (an emoji outside the BMP is a surrogate pair: two units): 70 in
one part, 67 per part.

Where parts are cut:

* never between an escape and its character (152 plain characters, "€" and
  152 more are three parts, not two);
* never inside a surrogate pair;
* never inside a grapheme cluster (Unicode UAX #29, via the ``regex``
  module's ``\\X``): a ZWJ emoji sequence such as 👩‍👩‍👧, a flag, a keycap,
  a letter with combining marks, CR LF.  Some gateways cut wherever the
  units run out, and a family emoji then arrives as three people in two
  messages; handsets reassemble the parts, but older ones show each part
  alone.  Keeping clusters whole can cost an extra part for a long text,
  which is the price of never showing a broken emoji.  A cluster longer
  than a whole part (pathological) is cut between code points.

Typographic characters (smart quotes, dashes, ellipsis, no-break spaces)
force UCS-2 and so cut a part's capacity by more than half; by default they
are replaced by their GSM-7 equivalents when that makes the whole text
GSM-7.  Only punctuation and spaces are mapped, never letters, so a
customer's name is spelt as given.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

import regex

from ..result import SmsResult
from . import Draft

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENDED",
    "TYPOGRAPHIC",
    "SmsChannel",
    "SmsEncoding",
    "encode_sms",
    "normalize_typography",
]

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

#: Typographic characters and their GSM-7 stand-ins (punctuation and spaces only).
TYPOGRAPHIC: Final = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),  # ‘ ’ ‚ ‛ ′
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),  # “ ” „ ‟ ″ « »
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),  # ‐ ‑ ‒ – — ― −
    "\u2026": "...",  # …
    **dict.fromkeys("\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f", " "),
}

_CLUSTER = regex.compile(r"\X")


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsEncoding:
    """How a text is sent.

    Attributes:
        text: the text as sent (after any normalization).
        encoding: ``"GSM-7"`` or ``"UCS-2"``.
        units: septets (GSM-7) or UTF-16 code units (UCS-2).
        segments: how many parts.
        parts: the text of each part; ``"".join(parts) == text``.
        ucs2_characters: the grapheme clusters that forced UCS-2, in order.
        normalized: ``(from, to)`` for each typographic character replaced.
        gsm7_segments: for a UCS-2 text, the parts it would take in GSM-7
            without the characters that forced UCS-2 (else ``segments``).
    """

    text: str
    encoding: str
    units: int
    segments: int
    parts: tuple[str, ...]
    ucs2_characters: tuple[str, ...] = ()
    normalized: tuple[tuple[str, str], ...] = ()
    gsm7_segments: int = 0

    @property
    def notes(self) -> tuple[str, ...]:
        """Advice for the author: what made the message longer than it needed to be."""
        if self.encoding != "UCS-2" or self.gsm7_segments >= self.segments:
            return ()
        shown = ", ".join(f"{c!r} ({_names(c)})" for c in self.ucs2_characters)
        if len(self.ucs2_characters) == 1 and self.segments >= 2 * self.gsm7_segments:
            return (
                f"the single character {shown} forces UCS-2 and at least doubles the "
                f"message: {self.segments} SMS parts instead of {self.gsm7_segments}",
            )
        return (f"{shown} force UCS-2: {self.segments} SMS parts instead of {self.gsm7_segments}",)


def _names(cluster: str) -> str:
    return " + ".join(unicodedata.name(c, f"U+{ord(c):04X}") for c in cluster)


def _gsm_cost(char: str) -> int:
    return 2 if char in GSM7_EXTENDED else 1


def _ucs2_cost(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def is_gsm7(text: str) -> bool:
    """True if every character of ``text`` is in the GSM-7 default or extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def normalize_typography(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Replace typographic characters by GSM-7 ones.

    Returns the new text and the ``(from, to)`` replacements made.

    >>> normalize_typography("It\u2019s \u201cyours\u201d\u2026")[0]
    'It\\'s "yours"...'
    """
    out: list[str] = []
    done: dict[str, str] = {}
    for char in text:
        repl = TYPOGRAPHIC.get(char)
        if repl is None:
            out.append(char)
        else:
            out.append(repl)
            done[char] = repl
    return "".join(out), tuple(done.items())


def _split(text: str, per_part: int, gsm: bool) -> tuple[str, ...]:
    parts: list[str] = []
    current: list[str] = []
    used = 0

    def units(s: str) -> int:
        return sum(_gsm_cost(c) if gsm else _ucs2_cost(c) for c in s)

    for cluster in _CLUSTER.findall(text):
        size = units(cluster)
        # A cluster longer than a whole part is cut between code points.
        pieces = list(cluster) if size > per_part else [cluster]
        for piece in pieces:
            c = size if len(pieces) == 1 else units(piece)
            if used + c > per_part:
                parts.append("".join(current))
                current, used = [], 0
            current.append(piece)
            used += c
    if current or not parts:
        parts.append("".join(current))
    return tuple(parts)


def _layout(text: str, gsm: bool) -> tuple[int, tuple[str, ...]]:
    if gsm:
        units = sum(_gsm_cost(c) for c in text)
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        units = sum(_ucs2_cost(c) for c in text)
        single, multi = UCS2_SINGLE, UCS2_MULTI
    if units <= single:
        return units, (text,)
    return units, _split(text, multi, gsm)


def encode_sms(text: str, *, normalize: bool = False) -> SmsEncoding:
    """Work out the encoding, size and parts of ``text``.

    Args:
        text: the message.
        normalize: replace typographic characters by GSM-7 ones when that
            makes the whole text GSM-7 (otherwise the text is kept as is:
            it goes as UCS-2 anyway, and UCS-2 carries the real quotes).

    >>> encode_sms("Hi Ada").segments
    1
    >>> encode_sms("x" * 152 + "€" + "x" * 152).segments
    3
    """
    normalized: tuple[tuple[str, str], ...] = ()
    if normalize and not is_gsm7(text):
        candidate, done = normalize_typography(text)
        if is_gsm7(candidate):
            text, normalized = candidate, done
    if is_gsm7(text):
        units, parts = _layout(text, gsm=True)
        return SmsEncoding(
            text=text,
            encoding="GSM-7",
            units=units,
            segments=len(parts),
            parts=parts,
            normalized=normalized,
            gsm7_segments=len(parts),
        )
    forcing = tuple(dict.fromkeys(c for c in _CLUSTER.findall(text) if not is_gsm7(c)))
    units, parts = _layout(text, gsm=False)
    without = "".join(c for c in _CLUSTER.findall(text) if is_gsm7(c))
    if normalize:
        without = normalize_typography(without)[0]
    return SmsEncoding(
        text=text,
        encoding="UCS-2",
        units=units,
        segments=len(parts),
        parts=parts,
        ucs2_characters=forcing,
        gsm7_segments=len(_layout(without, gsm=True)[1]),
    )


def tidy_sms(text: str) -> str:
    """Collapse template white space: single spaces, at most one blank line."""
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _normalize_setting(draft: Draft) -> bool:
    setting = draft.spec.setting("sms.normalize")
    if setting is not None:
        return bool(setting)
    policy = draft.policy
    return bool(policy.limit("sms.normalize", True)) if policy is not None else True


class SmsChannel:
    """The SMS adapter."""

    name = "sms"

    def build(self, draft: Draft) -> SmsResult:
        enc = encode_sms(tidy_sms(draft.parts["text"]), normalize=_normalize_setting(draft))
        audit = dict(draft.common.get("audit") or {})
        audit["sms.encoding"] = {
            "encoding": enc.encoding,
            "units": enc.units,
            "segments": enc.segments,
            "gsm7_segments": enc.gsm7_segments,
        }
        if enc.normalized:
            audit["sms.normalized"] = [f"{a} -> {b}" for a, b in enc.normalized]
        if enc.notes:
            audit["sms.notes"] = list(enc.notes)
        common = {**draft.common, "audit": audit}
        return SmsResult(
            **common,
            text=enc.text,
            encoding=enc.encoding,
            segments=enc.segments,
            units=enc.units,
            parts=enc.parts,
            ucs2_characters=enc.ucs2_characters,
            normalized=enc.normalized,
            notes=enc.notes,
        )
