"""Content guards: what the copy says, read the way the customer reads it.

``generic-address``, ``unsupported-superlative``, ``robotic-care``,
``unresolved-placeholder`` and ``voice-url`` read the final text of each
part of a message (email subject, preheader, HTML and text part; the SMS
text; the spoken voice script) after :func:`~.normalize.normalize`, so
markup, entities and Unicode tricks cannot hide a phrase, and report spans
in the part's original text.

Phrase lists of *every* shipped language are checked whatever the
customer's language: a German customer who receives an untranslated
"Dear Valued Customer" has still been addressed as a category.  The
customer's language only selects the language-specific rules (which words
are placeholders, whether ``null`` is a German "zero").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from ..policy import Policy
from ..violation import Violation
from .normalize import Normalized, fold, normalize
from .phrases import LANGUAGES, load_table, matcher, trie_pattern

__all__ = [
    "CONTENT_GUARDS",
    "Exemption",
    "Finding",
    "scan_text",
]

#: Guards that read the copy itself (and may be vouched for with ``{% allow %}``).
CONTENT_GUARDS: Final = (
    "generic-address",
    "unsupported-superlative",
    "robotic-care",
    "unresolved-placeholder",
    "voice-url",
)

_MESSAGES: Final = {
    "generic-address": (
        "addresses the customer as a category instead of by name; use "
        "{{ salutation() }} or the customer's name, and a neutral greeting "
        '("Hello,") when there is no name'
    ),
    "unsupported-superlative": (
        "is a superlative or exclusivity claim the data may not support; say it "
        'inside {% claim "..." %} so it only shows when the evidence holds, '
        "rephrase it without the superlative, or vouch for it with "
        '{% allow "unsupported-superlative", reason="..." %}'
    ),
    "product-rank": (
        "ranks a product (best-selling, most popular, top-rated...), which this "
        'policy requires evidence for; put it inside a {% claim "..." %} or '
        '{% allow "unsupported-superlative", reason="source of the figure" %}'
    ),
    "robotic-care": (
        "is an emotional claim of caring, which sounds hollow from an automated "
        "voice; say what you will do for the customer instead, or set "
        'voice.delivery = "human" if a person reads the script'
    ),
    "unresolved-placeholder": (
        "is leftover template or merge-tag syntax, or an empty value printed as "
        "text; the customer would see it as written.  Use customer fields with a "
        'fallback ({{ customer.name.first or "there" }}) and check the template'
    ),
    "voice-url": (
        "is a web or e-mail address in a voice script, which a listener cannot "
        'click or easily note down; say it in words ("hearth and bloom dot com") '
        "or offer to send it by text message"
    ),
}


@dataclass(frozen=True, slots=True)
class Exemption:
    """Text an author vouched for: matches of ``guards`` inside it are accepted.

    Attributes:
        guards: the guard ids it covers.
        text: the rendered text (any markup), as recorded by the tag.
        reason: why (a claim's name or an ``{% allow %}`` reason).
    """

    guards: frozenset[str]
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A content-guard match before it becomes a :class:`Violation`."""

    guard: str
    start: int
    end: int
    kind: str

    def to_violation(
        self,
        norm: Normalized,
        *,
        channel: str | None,
        part: str | None = None,
        template: str | None = None,
    ) -> Violation:
        excerpt = norm.excerpt(self.start, self.end)
        where = f"in the {channel} {part}: " if channel and part else ""
        return Violation(
            guard=self.guard,
            message=f"{where}{excerpt!r} {_MESSAGES[self.kind]}",
            excerpt=excerpt,
            channel=channel,
            span=norm.span(self.start, self.end),
            template=template,
        )


# ---------------------------------------------------------------------------
# Placeholders
# ---------------------------------------------------------------------------

#: Template and merge-tag syntax that no customer should see (case kept).
_SYNTAX: Final = re.compile(
    r"\{\{[^{}]{0,80}\}\}|\{%[^{}]{0,80}%\}|\{#[^{}]{0,80}#\}"
    r"|\{\{|\}\}|\{%|%\}|\{#|#\}"
    r"|\*\|[A-Za-z0-9_:. -]{1,40}\|\*"  # Mailchimp *|FNAME|*
    r"|\$\{[^{}\n]{0,40}\}"  # ${name}
    r"|(?<![\w$])\$[A-Za-z_][A-Za-z0-9_]{1,30}(?!\w)"  # $name
    r"|(?<![\w%])%%?[A-Za-z_][A-Za-z0-9_]{1,30}%%?(?![\w%])"  # %FIRSTNAME%
    r"|<<[^<>]{1,40}>>"  # <<name>>
    r"|\[\[[^\[\]]{1,40}\]\]"  # [[name]]
    r"|\{[A-Za-z_][A-Za-z0-9_.]{0,40}\}"  # {first_name}
    r"|\[object Object\]|NoneType|(?<!\w)NaN(?!\w)|(?<!\w)undefined(?!\w)"
    r"|(?<![\w-])(?:NULL|Undefined|UNDEFINED|NONE)(?![\w-])"
    # "None" mid-sentence: after a word, a digit or a comma, not opening one.
    r"|(?<=[a-z0-9,;:] )None(?!\w)"
    # Bare merge-field names left by a mail tool.
    r"|(?<!\w)(?:FNAME|LNAME|FIRSTNAME|LASTNAME|FIRST_NAME|LAST_NAME|FULLNAME|CUSTOMER_NAME)(?!\w)"
)
#: A greeting followed by punctuation: the name printed as nothing ("Hi ,").
_EMPTY_NAME: Final = re.compile(
    r"(?<!\w)(?:hi|hello|hey|dear|hallo|liebe|lieber|bonjour|cher|chere|hola|estimado|estimada"
    r"|querido|querida|mr|mrs|ms|dr|herr|frau|madame|monsieur|sr|sra)\.? [,!:;.]"
)
_NULL_WORD: Final = r"(?:none|null|undefined|nan|nil|n/a|n\.a\.|false|true)"
_VALUE_CONTEXT: Final = re.compile(
    r"[£$€¥]\s?" + _NULL_WORD + r"(?!\w)"
    r"|(?<!\w)" + _NULL_WORD + r"\s?(?:%|€|£|\$|gbp|eur|usd|chf)(?!\w)"
    r"|(?<!\w)(?:none|null|undefined|nan)\s(?:days?|points?|pts|items?|orders?|tage|punkte|jours|points|dias|puntos)(?!\w)"
)


@lru_cache(maxsize=16)
def _placeholder_patterns(lang: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """(bracketed placeholder words, null-after-greeting) for ``lang`` (folded)."""
    words: set[str] = set()
    greetings: set[str] = set()
    for code in (lang, "en") if lang in LANGUAGES else LANGUAGES:
        table = load_table(code, "unresolved-placeholder")
        words.update(fold(w) for w in table.get("words", ()))
        greetings.update(fold(g) for g in table.get("greetings", ()))
    inner = trie_pattern(sorted(w for w in words if w))
    bracketed = re.compile(r"[\[<] ?(?:" + inner + r") ?[\]>]")
    greet = None
    if greetings:
        nulls = "(?:none|null|undefined|nil|n/a)" if lang != "de" else "(?:none|undefined|nil|n/a)"
        greet = re.compile(
            r"(?<!\w)(?:" + trie_pattern(sorted(greetings)) + r"),? " + nulls + r"(?!\w)"
        )
    return bracketed, greet


def _null_word_pattern(lang: str) -> re.Pattern[str]:
    # "null" is German for zero ("null Prozent"); elsewhere it is a leaked value
    # when it ends a phrase ("your code is null.", "Hi null,") rather than
    # starting one ("null and void", "the null hypothesis").
    if lang == "de":
        return re.compile(r"(?!)")
    return re.compile(r"(?<!\w)null(?= ?(?:[.,;:!?)\]]|$))")


def _placeholders(norm: Normalized, lang: str) -> Iterator[tuple[int, int]]:
    """Spans (in folded text) of leftover syntax and printed empty values."""
    plain_to_folded = _inverse(norm)
    for match in _SYNTAX.finditer(norm.plain):
        yield plain_to_folded[match.start()], plain_to_folded[match.end() - 1] + 1
    bracketed, greet = _placeholder_patterns(lang)
    for pattern in (bracketed, greet, _VALUE_CONTEXT, _EMPTY_NAME, _null_word_pattern(lang)):
        if pattern is None:
            continue
        for match in pattern.finditer(norm.folded):
            yield match.span()


def _inverse(norm: Normalized) -> tuple[int, ...]:
    """For each plain index, the first folded index it produced."""
    return norm.plain_folded


# ---------------------------------------------------------------------------
# Voice: addresses
# ---------------------------------------------------------------------------

_TLDS: Final = frozenset(
    """com org net edu gov uk de fr es it nl be at ch eu io co shop store info biz app
    online site example dev me tv us ca au ie pt se no dk fi pl cz""".split()  # noqa: SIM905
)
_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOKEN: Final = re.compile(r"\S+")
_EDGE_PUNCT: Final = "\"'()[]<>.,;:!?"


def _is_address(token: str) -> bool:
    token = token.lower()
    if token.startswith(("http://", "https://", "www.", "mailto:")):
        return True
    if "@" in token:
        user, _, host = token.rpartition("@")
        return bool(user) and _is_host(host)
    return _is_host(token.split("/", 1)[0])


def _is_host(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or labels[-1] not in _TLDS:
        return False
    return all(_LABEL.fullmatch(label) for label in labels)


def _addresses(norm: Normalized) -> Iterator[tuple[int, int]]:
    plain_to_folded = _inverse(norm)
    for match in _TOKEN.finditer(norm.plain):
        start, _end = match.span()
        token = match.group(0)
        lead = len(token) - len(token.lstrip(_EDGE_PUNCT))
        token = token.strip(_EDGE_PUNCT)
        if token and len(token) <= 400 and _is_address(token):
            s = start + lead
            e = s + len(token)
            yield plain_to_folded[s], plain_to_folded[e - 1] + 1


# ---------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------


def _phrase_spans(
    norm: Normalized, table: str, guard: str, lang: str, policy: Policy
) -> Iterator[tuple[int, int]]:
    order = (lang, *(code for code in LANGUAGES if code != lang))
    allowed = policy.allowed_phrases
    for code in order:
        extra = tuple(policy.extra_phrases.get(code, {}).get(guard, ()))
        if table != guard:
            extra = ()
        yield from matcher(code, table, extra, allowed).spans(norm.folded)
    if lang not in LANGUAGES:
        extra = tuple(policy.extra_phrases.get(lang, {}).get(guard, ()))
        if extra and table == guard:
            from .phrases import compile_lists

            yield from compile_lists(extra, (), allowed).spans(norm.folded)


def _exempt_intervals(norm: Normalized, texts: Iterable[str]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for text in texts:
        needle = fold(text)
        if not needle:
            continue
        start = norm.folded.find(needle)
        while start != -1:
            out.append((start, start + len(needle)))
            start = norm.folded.find(needle, start + 1)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Keep the longest of overlapping findings of the same guard."""
    findings.sort(key=lambda f: (f.guard, f.start, -(f.end - f.start)))
    out: list[Finding] = []
    for finding in findings:
        if out and out[-1].guard == finding.guard and finding.start < out[-1].end:
            continue
        out.append(finding)
    out.sort(key=lambda f: (f.start, f.guard))
    return out


def scan_text(
    norm: Normalized,
    *,
    lang: str,
    guards: Sequence[str],
    policy: Policy,
    exemptions: Sequence[Exemption] = (),
) -> list[Finding]:
    """Run the content ``guards`` over one normalized text.

    Args:
        norm: the normalized part.
        lang: the customer's language (``"en"``, ``"de"``...).
        guards: which content guards to run.
        policy: extra and allowed phrases, the product-claims switch.
        exemptions: claimed and allowed texts whose matches are accepted.
    """
    findings: list[Finding] = []
    for guard in guards:
        if guard in ("generic-address", "unsupported-superlative", "robotic-care"):
            for start, end in _phrase_spans(norm, guard, guard, lang, policy):
                findings.append(Finding(guard, start, end, guard))
        if guard == "unsupported-superlative" and policy.limit(
            "unsupported-superlative.product_claims"
        ):
            for start, end in _phrase_spans(norm, "product-rank", guard, lang, policy):
                findings.append(Finding(guard, start, end, "product-rank"))
        if guard == "unresolved-placeholder":
            for start, end in _placeholders(norm, lang):
                findings.append(Finding(guard, start, end, guard))
        if guard == "voice-url":
            for start, end in _addresses(norm):
                findings.append(Finding(guard, start, end, guard))
    if exemptions and findings:
        kept = []
        cache: dict[str, list[tuple[int, int]]] = {}
        for finding in findings:
            texts = [e.text for e in exemptions if finding.guard in e.guards]
            key = "\x00".join(texts)
            if key not in cache:
                cache[key] = _exempt_intervals(norm, texts)
            if any(a <= finding.start and finding.end <= b for a, b in cache[key]):
                continue
            kept.append(finding)
        findings = kept
    return _dedupe(findings)


def check_plain(
    text: str,
    *,
    channel: str = "email",
    lang: str = "en",
    policy: Policy | None = None,
    markup: bool = True,
    delivery: str = "automated",
) -> list[Violation]:
    """The content violations of ``text`` (see :func:`personalize.guards.check_text`)."""
    policy = policy or Policy()
    guards = ["generic-address", "unsupported-superlative", "unresolved-placeholder"]
    if channel == "voice":
        guards += ["robotic-care", "voice-url"] if delivery == "automated" else ["voice-url"]
    guards = [g for g in guards if policy.action(g) != "off"]
    norm = normalize(text, markup=markup)
    findings = scan_text(norm, lang=lang, guards=guards, policy=policy)
    return [f.to_violation(norm, channel=channel) for f in findings]
