"""Phrase lists: data files per language, compiled to one linear-time regex each.

The lists live in ``phrases/<lang>.toml`` next to this module, one table per
guard, so that a copywriter can read and extend them without reading Python.
A table may have:

``phrases``
    phrases flagged anywhere (on word boundaries);
``start``
    phrases flagged only at the start of the text or of a sentence (an
    "Occupant," that opens a letter, not "occupant" in a sentence);
``allow``
    phrases that excuse any match they overlap (e.g. a product name).

A phrase may hold alternatives in braces: ``"dear {valued |loyal |}customer{s|}"``
is six phrases.  A ``~`` stands for any one word (``"dear ~ customer"``
matches "Dear Beloved Customer"); it is bounded, so it keeps matching linear.  Phrases are folded
exactly like the text they are matched against (see
:mod:`~personalize.guards.normalize`), so they are written in plain lower
case, with or without accents.

Why one regex of literal alternatives: each group's options are merged into
a trie and written out as nested alternations such as ``(?:customer(?:s|)
|member)``, and the lines of a table are alternatives of one regex.  Sibling
branches start with different characters, so at any position at most one
branch can continue; the only repetition is the bounded one-word ``~``, so
the engine's work per position is bounded by the phrase list, not the text.
Matching is therefore linear in the text length for a given list, which
``tests/properties/test_guard_properties.py`` checks with adversarial inputs.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final

from ..errors import InvalidArgument
from .normalize import _clusters, _folded_cluster, _plain_cluster

__all__ = [
    "LANGUAGES",
    "PhraseMatcher",
    "compile_lists",
    "expand",
    "fold_fragment",
    "load_table",
    "matcher",
    "phrase_data",
    "phrase_pattern",
    "trie_pattern",
]

#: Languages with shipped phrase lists.
LANGUAGES: Final = ("en", "de", "fr", "es")
#: Keys a guard table may have.
TABLE_KEYS: Final = ("phrases", "start", "allow", "words", "greetings")
#: Upper bound on the phrases one line may expand to (a typo guard).
MAX_EXPANSION: Final = 20000

_GROUP = re.compile(r"\{([^{}]*)\}")


def expand(phrase: str) -> list[str]:
    """Expand ``{a|b}`` alternatives: ``"hi {a|b}"`` -> ``["hi a", "hi b"]``.

    Used by tests and tools; matching compiles the groups directly (see
    :func:`phrase_pattern`) because some lines stand for tens of thousands
    of phrases.

    Raises:
        InvalidArgument: for unbalanced braces or too many expansions.
    """
    _check_braces(phrase)
    results = [""]
    pos = 0
    for match in _GROUP.finditer(phrase):
        literal = phrase[pos : match.start()]
        options = match.group(1).split("|")
        results = [r + literal + o for r in results for o in options]
        if len(results) > MAX_EXPANSION:
            raise InvalidArgument(f"phrase {phrase!r} expands to more than {MAX_EXPANSION}")
        pos = match.end()
    return [r + phrase[pos:] for r in results]


def _check_braces(phrase: str) -> None:
    if "{" in _GROUP.sub("", phrase) or "}" in _GROUP.sub("", phrase):
        raise InvalidArgument(
            f"phrase {phrase!r} has unbalanced braces; write alternatives as {{a|b}}"
        )


def fold_fragment(text: str) -> str:
    """Fold a piece of a phrase like the text it is matched against.

    Unlike :func:`~.normalize.fold` it keeps leading and trailing spaces,
    which separate a group from the words around it (``{very |}``).
    """
    return "".join(
        _folded_cluster(_plain_cluster(text[start:end])) for start, end in _clusters(text)
    )


def trie_pattern(words: Iterable[str]) -> str:
    """A regex matching exactly ``words``, as nested literal alternations.

    >>> trie_pattern(["dear sir", "dear sirs", "dear madam"])
    'dear\\ (?:madam|sir(?:s|))'
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: Mapping[str, Any]) -> str:
        end = "" in node
        branches = []
        for char in sorted(k for k in node if k):
            branches.append(re.escape(char) + emit(node[char]))
        if not branches:
            return ""
        if len(branches) == 1 and not end:
            return branches[0]
        if end:
            branches.append("")
        return "(?:" + "|".join(branches) + ")"

    return emit(trie)


#: What ``~`` in a phrase stands for: exactly one word (bounded, so matching
#: stays linear: at most this many characters are tried per position).
ANY_WORD: Final = r"[\w'-]{1,25}"


def _literal(text: str) -> str:
    return ANY_WORD.join(re.escape(fold_fragment(part)) for part in text.split("~"))


def phrase_pattern(phrase: str) -> str:
    """The regex for one phrase line: literals, ``~`` for any one word, and a
    trie per ``{a|b}`` group.

    Raises:
        InvalidArgument: for unbalanced braces.
    """
    _check_braces(phrase)
    out: list[str] = []
    pos = 0
    for match in _GROUP.finditer(phrase):
        out.append(_literal(phrase[pos : match.start()]))
        options = sorted({fold_fragment(o) for o in match.group(1).split("|")})
        if options != [""]:
            out.append(trie_pattern(options) if len(options) > 1 else re.escape(options[0]))
        pos = match.end()
    out.append(_literal(phrase[pos:]))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class PhraseMatcher:
    """One compiled list: finds phrase spans in folded text."""

    pattern: re.Pattern[str] | None
    allow: re.Pattern[str] | None

    def spans(self, folded: str) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of each match not overlapping an allowed phrase."""
        if self.pattern is None:
            return
        allowed = [m.span() for m in self.allow.finditer(folded)] if self.allow else []
        for match in self.pattern.finditer(folded):
            start, end = match.span()
            if start == end:
                continue
            if any(a < end and start < b for a, b in allowed):
                continue
            yield start, end


_WORD_START: Final = r"(?<!\w)"
_WORD_END: Final = r"(?!\w)"
_SENTENCE_START: Final = r"(?:^|(?<=[.!?:;] )|(?<=[.!?:;]))"


def _alternation(phrases: Iterable[str]) -> str | None:
    patterns = sorted({phrase_pattern(p) for p in phrases if p.strip()}, key=lambda p: -len(p))
    return "(?:" + "|".join(patterns) + ")" if patterns else None


def compile_lists(
    phrases: Iterable[str], start: Iterable[str] = (), allow: Iterable[str] = ()
) -> PhraseMatcher:
    """Compile phrase lists into a :class:`PhraseMatcher` (one regex)."""
    parts = []
    anywhere = _alternation(phrases)
    if anywhere:
        parts.append(_WORD_START + anywhere + _WORD_END)
    anchored = _alternation(start)
    if anchored:
        parts.append(_SENTENCE_START + anchored + _WORD_END)
    allowed = _alternation(allow)
    return PhraseMatcher(
        pattern=re.compile("|".join(parts)) if parts else None,
        allow=re.compile(_WORD_START + allowed + _WORD_END) if allowed else None,
    )


@cache
def phrase_data(lang: str) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    """The raw tables of ``phrases/<lang>.toml`` (empty for other languages).

    Raises:
        InvalidArgument: when the file has an unknown key or a bad value.
    """
    if lang not in LANGUAGES:
        return {}
    path = resources.files(__package__ or "personalize.guards") / "phrases" / f"{lang}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for table, entries in data.items():
        if not isinstance(entries, dict):
            raise InvalidArgument(f"phrases/{lang}.toml: [{table}] must be a table")
        out[table] = {}
        for key, values in entries.items():
            if key not in TABLE_KEYS:
                raise InvalidArgument(f"phrases/{lang}.toml: unknown key {table}.{key}")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InvalidArgument(f"phrases/{lang}.toml: {table}.{key} must be strings")
            out[table][key] = tuple(values)
    return out


def load_table(lang: str, table: str) -> Mapping[str, tuple[str, ...]]:
    """One table of a language's phrase file (empty when absent)."""
    return phrase_data(lang).get(table, {})


@lru_cache(maxsize=256)
def matcher(
    lang: str, table: str, extra: tuple[str, ...] = (), allowed: tuple[str, ...] = ()
) -> PhraseMatcher:
    """The compiled matcher for ``table`` in ``lang`` plus policy extras."""
    data = load_table(lang, table)
    return compile_lists(
        (*data.get("phrases", ()), *extra),
        data.get("start", ()),
        (*data.get("allow", ()), *allowed),
    )
