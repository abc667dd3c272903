"""Text normalization for the guards, with a map back to the original text.

Guards match phrases on a *folded* form of the text so that markup, entity
encoding, Unicode look-alikes and layout cannot hide them: "Dear
<b>Valued</b> Customer", "Dear&nbsp;Valued Customer", "Ｄｅａｒ Customer",
"Dear Val\\u200bued Customer" and "Dear Valued\\nCustomer" all fold to
``"dear valued customer"``.  Every character of the folded text remembers
which character of the original produced it, so a violation's ``span``
points into the text the author wrote, not into an internal form.

The folding, in order:

1. markup: HTML/XML tags and comments are removed (block-level tags and
   ``<br>`` become a space; ``<style>``, ``<script>`` and ``<head>`` content
   is dropped), character references are decoded (``html.unescape``);
2. characters: Unicode NFKC, zero-width characters and soft hyphens
   dropped, every kind of space and line break becomes one space, smart
   quotes become ``'``/``"``, dashes become ``-``;
3. for matching only: case folded, accents stripped (so "más" also matches
   the "mas" an SMS encoder leaves), double quotes dropped (so 'Dear
   "Valued" Customer' still reads as a phrase), common Cyrillic/Greek
   look-alikes of Latin letters mapped to Latin.

Steps 1-2 give :attr:`Normalized.plain`, which keeps case (the placeholder
guard needs to tell "NaN" from "nan"); step 3 gives :attr:`Normalized.folded`.
Everything here runs in one pass over the text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

__all__ = ["Normalized", "fold", "normalize"]

#: One token of markup-bearing text: a ``<<merge tag>>`` (kept as text), a
#: comment, a tag, a character reference, or a run of other characters.
_TOKEN: Final = re.compile(
    r"(?P<merge><<[^<>]{1,40}>>)"
    r"|(?P<comment><!--.*?(?:-->|\Z))"
    r"|(?P<tag></?(?P<name>[A-Za-z][A-Za-z0-9:-]{0,30})(?:\s[^<>]{0,2000})?/?>|<![A-Za-z][^<>]{0,200}>)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?)"
    r"|(?P<text>[^<&]+|[<&])",
    re.S,
)

#: Tags whose boundaries separate words.
_BLOCK_TAGS: Final = frozenset(
    {
        *("p", "div", "br", "hr", "li", "ul", "ol", "table", "tr", "td", "th", "tbody"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "article", "header"),
        *("footer", "main", "aside", "pre", "address", "title", "body", "html", "center"),
        *("speak", "s", "break", "audio", "voice", "prosody"),
    }
)
#: Every HTML and SSML element name; anything else in angle brackets (such as
#: a leftover ``<FIRSTNAME>``) is text a reader would see.
_KNOWN_TAGS: Final = frozenset(
    """a abbr address area article aside audio b base bdi bdo big blockquote body br button
    canvas caption center cite code col colgroup data dd del details dfn dialog div dl
    dt em embed fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 head
    header hr html i iframe img input ins kbd label legend li link main map mark meta
    meter nav noscript object ol optgroup option output p param picture pre progress q
    rp rt ruby s samp script section select small source span strike strong style sub
    summary sup table tbody td template textarea tfoot th thead time title tr track tt u
    ul var video wbr o:p v:shape xml speak break emphasis lang mark phoneme prosody
    say-as voice audio desc lexicon meta metadata""".split()  # noqa: SIM905
)
#: Tags whose content nobody reads.
_SKIP_TAGS: Final = frozenset({"style", "script", "head", "template"})

_ZERO_WIDTH: Final = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u034f")
_QUOTES: Final = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4\u0060", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
}
_DASHES: Final = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-")
#: Cyrillic and Greek letters that look like Latin ones (lower case: the
#: map is applied after case folding).
_LOOKALIKES: Final = {
    **dict(zip("аеорсхуіјѕԁһԛԝ", "aeopcxyijsdhqw", strict=True)),
    **dict(zip("αεοριυκνχτ", "aeopiukvxt", strict=True)),
}


@dataclass(frozen=True, slots=True)
class Normalized:
    """A text folded for matching, with offsets into the original.

    Attributes:
        original: the text as given.
        plain: markup removed, characters and spaces folded, case kept.
        plain_map: for each character of ``plain``, its index in ``original``.
        folded: ``plain`` case folded, accents stripped, look-alikes mapped.
        folded_map: for each character of ``folded``, its index in ``original``.
        folded_plain: for each character of ``folded``, its index in ``plain``.
        plain_folded: for each index of ``plain`` (and its end), the first
            index of ``folded`` it produced or, if none, the next one.
    """

    original: str
    plain: str
    plain_map: tuple[int, ...]
    folded: str
    folded_map: tuple[int, ...]
    folded_plain: tuple[int, ...]
    plain_folded: tuple[int, ...] = ()

    def span(self, start: int, end: int, *, folded: bool = True) -> tuple[int, int]:
        """The original ``(start, end)`` of ``[start:end]`` in the folded (or plain) text."""
        mapping = self.folded_map if folded else self.plain_map
        if not mapping or start >= end:
            return (0, 0)
        first = mapping[start]
        last = mapping[end - 1]
        # The original character at ``last`` may be an entity or a ligature
        # that produced several characters: extend to its end.
        return first, self._end_of(last)

    def excerpt(self, start: int, end: int) -> str:
        """What the reader sees of folded ``[start:end]``: the plain text, case kept."""
        if start >= end or not self.folded_plain:
            return ""
        return self.plain[self.folded_plain[start] : self.folded_plain[end - 1] + 1]

    def _end_of(self, index: int) -> int:
        text = self.original
        if index < len(text) and text[index] == "&":
            match = _TOKEN.match(text, index)
            if match and match.group("entity"):
                return match.end()
        end = index + 1
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        return end


def _space_like(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def _fold_char(char: str) -> str:
    if char in _ZERO_WIDTH:
        return ""
    if char in _QUOTES:
        return _QUOTES[char]
    if char in _DASHES:
        return _DASHES[char]
    if _space_like(char):
        return " "
    if unicodedata.category(char) == "Cc":
        return " "
    return char


@lru_cache(maxsize=4096)
def _plain_cluster(cluster: str) -> str:
    """NFKC and character folding of one base character with its marks."""
    out = unicodedata.normalize("NFKC", cluster)
    return "".join(_fold_char(c) for c in out)


@lru_cache(maxsize=4096)
def _folded_cluster(cluster: str) -> str:
    """Case fold, strip accents and map look-alikes of one plain cluster."""
    decomposed = unicodedata.normalize("NFD", cluster.casefold())
    out = "".join(c for c in decomposed if not unicodedata.combining(c) and c != '"')
    return "".join(_LOOKALIKES.get(c, c) for c in out)


def _visible_pieces(text: str, markup: bool) -> list[tuple[str, int]]:
    """(characters, original index) pieces with markup removed and entities decoded."""
    if not markup:
        return [(text, 0)]
    pieces: list[tuple[str, int]] = []
    skip: str | None = None
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        start = match.start()
        if kind == "tag":
            name = (match.group("name") or "").lower()
            if name and name not in _KNOWN_TAGS:
                if skip is None:
                    pieces.append((match.group(0), start))
                continue
            closing = match.group(0).startswith("</")
            if skip is not None:
                if closing and name == skip:
                    skip = None
                continue
            if name in _SKIP_TAGS and not closing and not match.group(0).endswith("/>"):
                skip = name
            elif name in _BLOCK_TAGS:
                pieces.append((" ", start))
            continue
        if skip is not None or kind == "comment":
            continue
        if kind == "entity":
            decoded = html.unescape(match.group(0))
            # Every character of a decoded entity maps to the entity's start.
            pieces.extend((c, start) for c in decoded)
            continue
        pieces.append((match.group(0), start))
    return pieces


def _clusters(text: str) -> list[tuple[int, int]]:
    """(start, end) of each base character with its combining marks."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        out.append((i, j))
        i = j
    return out


#: Runs that need no Unicode work: printable ASCII other than the double
#: quote (dropped when folding), and runs of ASCII white space and controls.
_ASCII_WORDS: Final = re.compile(r'[\x21\x23-\x7e]+|[\x00-\x20\x7f]+|"')
_ASCII_RUN: Final = re.compile(r"[\x20\x21\x23-\x7e]+")


def normalize(text: str, *, markup: bool = True) -> Normalized:
    """Fold ``text`` for matching, keeping a map back to ``text``.

    Args:
        text: the text to fold (plain text, HTML or SSML).
        markup: strip tags and decode character references (set False for
            text that is known to be plain, such as an SMS).
    """
    plain_chars: list[str] = []
    plain_map: list[int] = []
    last_space = True  # drop leading spaces

    def put(char: str, origin: int) -> None:
        nonlocal last_space
        if char == " ":
            if last_space:
                return
            last_space = True
        else:
            last_space = False
        plain_chars.append(char)
        plain_map.append(origin)

    for piece, base in _visible_pieces(text, markup):
        if piece.isascii():
            # Fast path: ASCII needs only white space folded.
            for match in _ASCII_WORDS.finditer(piece):
                run = match.group(0)
                if run[0] <= " " or run[0] == "\x7f":
                    put(" ", base + match.start())
                else:
                    last_space = False
                    plain_chars.append(run)
                    plain_map.extend(range(base + match.start(), base + match.end()))
            continue
        single = len(piece) == 1
        for start, end in _clusters(piece):
            origin = base if single else base + start
            for char in _plain_cluster(piece[start:end]):
                put(char, origin)
    plain = "".join(plain_chars)
    if plain.endswith(" "):
        plain = plain[:-1]
        plain_map.pop()

    folded_chars: list[str] = []
    folded_map: list[int] = []
    folded_plain: list[int] = []
    plain_folded: list[int] = []
    pos = 0
    while pos < len(plain):
        ascii_run = _ASCII_RUN.match(plain, pos)
        if ascii_run is not None:
            end = ascii_run.end()
            if end < len(plain) and unicodedata.combining(plain[end]):
                end -= 1  # the last letter carries a mark: fold it as a cluster
            if end > pos:
                plain_folded.extend(range(len(folded_plain), len(folded_plain) + end - pos))
                folded_chars.append(plain[pos:end].lower())
                folded_map.extend(plain_map[pos:end])
                folded_plain.extend(range(pos, end))
                pos = end
                continue
        stop = pos + 1
        while stop < len(plain) and unicodedata.combining(plain[stop]):
            stop += 1
        plain_folded.extend([len(folded_plain)] * (stop - pos))
        out = _folded_cluster(plain[pos:stop])
        folded_chars.append(out)
        folded_map.extend([plain_map[pos]] * len(out))
        folded_plain.extend([pos] * (len(out) - 1))
        if out:
            folded_plain.append(stop - 1)
        pos = stop
    return Normalized(
        original=text,
        plain=plain,
        plain_map=tuple(plain_map),
        folded="".join(folded_chars),
        folded_map=tuple(folded_map),
        folded_plain=tuple(folded_plain),
        plain_folded=(*plain_folded, len(folded_plain)),
    )


def fold(text: str) -> str:
    """The folded form of ``text`` alone (phrases, claims, allowed spans)."""
    return normalize(text).folded
