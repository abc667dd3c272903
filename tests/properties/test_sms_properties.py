"""SMS encoding against a straightforward reference written independently here.

The reference works from the 3GPP TS 23.038 tables typed in as code points,
counts costs per user-perceived character and fills parts greedily; the
library must agree on encoding, units, segment count and the parts.
"""

from __future__ import annotations

import unicodedata

import regex
from hypothesis import given
from hypothesis import strategies as st

from personalize.channels.sms import encode_sms, normalize_typography

# 3GPP TS 23.038 section 6.2.1, default alphabet, by code point, row by row.
_DEFAULT_TABLE = [
    0x40,
    0xA3,
    0x24,
    0xA5,
    0xE8,
    0xE9,
    0xF9,
    0xEC,
    0xF2,
    0xC7,
    0x0A,
    0xD8,
    0xF8,
    0x0D,
    0xC5,
    0xE5,
    0x394,
    0x5F,
    0x3A6,
    0x393,
    0x39B,
    0x3A9,
    0x3A0,
    0x3A8,
    0x3A3,
    0x398,
    0x39E,
    0xC6,
    0xE6,
    0xDF,
    0xC9,
    *range(0x20, 0x24),
    0xA4,
    *range(0x25, 0x40),
    0xA1,
    *range(0x41, 0x5B),
    0xC4,
    0xD6,
    0xD1,
    0xDC,
    0xA7,
    0xBF,
    *range(0x61, 0x7B),
    0xE4,
    0xF6,
    0xF1,
    0xFC,
    0xE0,
]
# 6.2.1.1, the extension table (escape 0x1B then the character).
_EXTENSION_TABLE = [0x0C, 0x5E, 0x7B, 0x7D, 0x5C, 0x5B, 0x7E, 0x5D, 0x7C, 0x20AC]
DEFAULT = {chr(c) for c in _DEFAULT_TABLE}
EXTENSION = {chr(c) for c in _EXTENSION_TABLE}


def reference(text: str) -> tuple[str, int, list[str]]:
    """(encoding, units, parts) the obvious way."""
    clusters = regex.findall(r"\X", text)
    if all(ch in DEFAULT or ch in EXTENSION for ch in text):
        encoding, single, multi = "GSM-7", 160, 153

        def cost(s: str) -> int:
            return sum(2 if ch in EXTENSION else 1 for ch in s)
    else:
        encoding, single, multi = "UCS-2", 70, 67

        def cost(s: str) -> int:
            return len(s.encode("utf-16-le")) // 2

    total = cost(text)
    if total <= single:
        return encoding, total, [text]
    parts = [""]
    for cluster in clusters:
        pieces = [cluster] if cost(cluster) <= multi else list(cluster)
        for piece in pieces:
            if cost(parts[-1]) + cost(piece) > multi:
                parts.append("")
            parts[-1] += piece
    return encoding, total, parts


_GSM_SAMPLE = "".join(sorted(DEFAULT | EXTENSION))
texts = st.one_of(
    st.text(alphabet=_GSM_SAMPLE, max_size=400),
    st.text(alphabet=_GSM_SAMPLE + "€{}[]", max_size=400),
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            [
                "a",
                "€",
                "😀",
                "👩\u200d👩\u200d👧",
                "🇬🇧",
                "e\u0301",
                "1\ufe0f\u20e3",
                "ж",
                "\r\n",
                "—",
            ]
        ),
        max_size=200,
    ).map("".join),
)


@given(texts)
def test_matches_reference(text: str) -> None:
    enc = encode_sms(text)
    encoding, units, parts = reference(text)
    assert (enc.encoding, enc.units, enc.segments) == (encoding, units, len(parts))
    assert list(enc.parts) == parts


@given(texts)
def test_parts_fit_and_never_split_escapes_or_surrogates(text: str) -> None:
    enc = encode_sms(text)
    assert "".join(enc.parts) == text
    limit = 153 if enc.encoding == "GSM-7" else 67
    for part in enc.parts if enc.segments > 1 else ():
        if enc.encoding == "GSM-7":
            septets = b"".join(b"\x1b" + b"x" if c in EXTENSION else b"x" for c in part)
            assert len(septets) <= limit
        else:
            assert len(part.encode("utf-16-le")) // 2 <= limit
            # A str never holds half a surrogate pair; check the UTF-16 form too.
            units = part.encode("utf-16-le")
            assert not 0xDC00 <= int.from_bytes(units[:2], "little") <= 0xDFFF


@given(st.text(max_size=200))
def test_normalization_never_changes_letters_marks_or_digits(text: str) -> None:
    out, done = normalize_typography(text)
    for before, _after in done:
        assert unicodedata.category(before)[0] in "PZS"
    kept = [c for c in text if unicodedata.category(c)[0] in "LMN"]
    assert [c for c in out if unicodedata.category(c)[0] in "LMN"] == kept


@given(texts)
def test_normalized_text_is_gsm7_or_untouched(text: str) -> None:
    enc = encode_sms(text, normalize=True)
    if enc.normalized:
        assert enc.encoding == "GSM-7"
    else:
        assert enc.text == text
