"""The built-in guards, registered under their contract ids.

Content guards (see :mod:`.text`) read each part of the final message;
relationship guards read the customer and the message's purpose; channel
guards read the channel's own limits.  ``missing-data`` is not here: the
renderer reports it while rendering, because only it knows the template line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

from ..result import EmailResult, SmsResult, VoiceResult
from ..violation import Violation
from .base import GuardInput, register_guard
from .normalize import Normalized, fold, normalize
from .phrases import LANGUAGES, matcher
from .text import Exemption, scan_text

__all__ = [
    "OPT_OUT_EXAMPLES",
    "TextPart",
    "consent_problem",
    "language_of",
    "text_parts",
]

#: How an opt-out instruction looks per language, for the fix hint.
OPT_OUT_EXAMPLES: Final = {
    "en": "Reply STOP to opt out",
    "de": "Abmelden: STOP an 12345",
    "fr": "STOP au 36111",
    "es": "Baja: STOP al 12345",
}


def language_of(locale: str | None) -> str:
    """The language part of a locale: ``"de"`` for ``"de_AT"`` or ``"de-AT"``."""
    if not locale:
        return "en"
    return locale.replace("-", "_").split("_")[0].lower()


@dataclass(frozen=True, slots=True)
class TextPart:
    """One part of a result that the content guards read."""

    name: str
    text: str
    markup: bool
    template: str | None


def text_parts(data: GuardInput) -> list[TextPart]:
    """The parts of the result a reader sees, with their templates."""
    result, spec = data.result, data.spec
    if isinstance(result, EmailResult):
        html_template = spec.template_for("email", "html")
        return [
            TextPart("subject", result.subject, False, spec.template_for("email", "subject")),
            TextPart("preheader", result.preheader, False, spec.template_for("email", "preheader")),
            TextPart("html", result.html, True, html_template),
            TextPart(
                "text", result.text, False, spec.template_for("email", "text") or html_template
            ),
        ]
    if isinstance(result, SmsResult):
        return [TextPart("text", result.text, False, spec.template_for("sms", "text"))]
    if isinstance(result, VoiceResult):
        return [TextPart("script", result.text, False, spec.template_for("voice", "ssml"))]
    body = getattr(result, "body", None)
    return [TextPart("text", body, True, None)] if isinstance(body, str) else []


@lru_cache(maxsize=32)
def _normalized(text: str, markup: bool) -> Normalized:
    return normalize(text, markup=markup)


def _exemptions(data: GuardInput) -> list[Exemption]:
    out = [
        Exemption(frozenset({"unsupported-superlative"}), text, f"claim {name}")
        for name, text in data.state.claimed
    ]
    out.extend(Exemption(frozenset(ids), text, reason) for ids, reason, text in data.state.allowed)
    return out


@lru_cache(maxsize=256)
def _template_lines(path: str) -> tuple[str, ...]:
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError:
        return ()
    return tuple(fold(line) for line in source.splitlines())


def _line_of(data: GuardInput, template: str | None, excerpt: str) -> int | None:
    """The template line that holds ``excerpt`` literally, when one does.

    Copy that comes from customer data, a block or a layout is not in the
    message's template, and gets no line.
    """
    if template is None or data.spec.path is None or not excerpt:
        return None
    needle = fold(excerpt)
    lines = _template_lines(str(data.spec.path.parent / template))
    found = [n for n, line in enumerate(lines, 1) if needle in line]
    return found[0] if len(found) == 1 else None


def _content(data: GuardInput, guard: str) -> Iterator[Violation]:
    """One guard over every part; the same words in several parts are one violation.

    An email says most things twice (the HTML and its text part, the
    preheader and its hidden copy in the HTML), so a phrase is reported once,
    in the first part that has it, and the message names the other parts.
    """
    lang = language_of(data.result.locale)
    exemptions = _exemptions(data)
    channel = data.result.channel
    kept: list[tuple[str, Violation]] = []
    first_part: dict[str, str] = {}
    also: dict[str, list[str]] = {}
    for part in text_parts(data):
        if not part.text:
            continue
        norm = _normalized(part.text, part.markup)
        findings = scan_text(
            norm, lang=lang, guards=(guard,), policy=data.policy, exemptions=exemptions
        )
        for finding in findings:
            violation = finding.to_violation(
                norm, channel=channel, part=part.name, template=part.template
            )
            key = fold(violation.excerpt)
            if first_part.setdefault(key, part.name) != part.name:
                if part.name not in also.setdefault(key, []):
                    also[key].append(part.name)
                continue
            lineno = _line_of(data, part.template, violation.excerpt)
            kept.append((key, replace(violation, lineno=lineno) if lineno else violation))
    for key, violation in kept:
        others = also.get(key)
        if others:
            where = f"in the {channel} {first_part[key]}"
            violation = replace(
                violation,
                message=violation.message.replace(
                    where, f"{where} (also in the {', '.join(others)})", 1
                ),
            )
        yield violation


def _generic_address(data: GuardInput) -> Iterator[Violation]:
    return _content(data, "generic-address")


def _unsupported_superlative(data: GuardInput) -> Iterator[Violation]:
    return _content(data, "unsupported-superlative")


def _unresolved_placeholder(data: GuardInput) -> Iterator[Violation]:
    return _content(data, "unresolved-placeholder")


def _delivery(data: GuardInput) -> str:
    delivery = getattr(data.result, "delivery", None)
    return str(delivery or data.spec.setting("voice.delivery", "automated"))


def _robotic_care(data: GuardInput) -> Iterator[Violation]:
    if data.result.channel != "voice" or _delivery(data) != "automated":
        return iter(())
    return _content(data, "robotic-care")


def _voice_url(data: GuardInput) -> Iterator[Violation]:
    if data.result.channel != "voice":
        return iter(())
    return _content(data, "voice-url")


# ---------------------------------------------------------------------------
# Relationship guards
# ---------------------------------------------------------------------------


def consent_problem(
    purpose: str, channel: str, status: str, transactional_channels: tuple[str, ...]
) -> str | None:
    """Why ``channel`` may not carry a ``purpose`` message, or None if it may.

    Marketing needs ``opted_in``.  Transactional and service messages need
    no opt-in, but after an opt-out they go only on ``transactional_channels``
    (by default e-mail: an e-mail unsubscribe covers marketing, while STOP to
    an SMS sender or a do-not-call request asks for silence on that channel).
    """
    if purpose == "marketing":
        if status == "opted_in":
            return None
        return (
            f"marketing on {channel} needs opted_in consent and this customer's is "
            f"{status}; send it on a channel they opted into, or ask for consent first"
        )
    if status == "opted_out" and channel not in transactional_channels:
        return (
            f"the customer opted out of {channel}; a {purpose} message goes on a channel "
            f"they have not opted out of (allowed after opt-out: "
            f"{', '.join(transactional_channels) or 'none'})"
        )
    return None


def _no_consent(data: GuardInput) -> Iterator[Violation]:
    channel = data.result.channel
    status = data.customer.consent.for_channel(channel)
    allowed = tuple(data.policy.limit("no-consent.transactional_on_opt_out"))
    problem = consent_problem(data.spec.purpose, channel, status, allowed)
    if problem:
        yield Violation(
            guard="no-consent",
            message=problem,
            excerpt=f"consent.{channel} = {status}",
            channel=channel,
        )


def _contact_pressure(data: GuardInput) -> Iterator[Violation]:
    if data.spec.purpose != "marketing":
        return
    most = int(data.policy.limit("contact-pressure.max_contacts"))
    days = int(data.policy.limit("contact-pressure.days"))
    # contacts_within(n) counts today and the n days before it: a window of
    # ``days`` calendar days that includes today is contacts_within(days - 1).
    recent = data.customer.contacts_within(max(days - 1, 0), purpose="marketing")
    if recent + 1 > most:
        yield Violation(
            guard="contact-pressure",
            message=(
                f"this would be marketing contact number {recent + 1} in {days} days across "
                f"all channels (the policy allows {most}); wait, or drop a lower-value send"
            ),
            excerpt=f"{recent} marketing contacts in the last {days} days",
            channel=data.result.channel,
        )


def _external_data(data: GuardInput) -> Iterator[Violation]:
    for fact in data.state.facts.values():
        if fact.source == "external" and not fact.permission and fact.present:
            yield Violation(
                guard="external-data",
                message=(
                    f"{fact.path} comes from an external source without recorded permission; "
                    f"do not use it, or record permission in provenance.{fact.field}"
                ),
                excerpt=fact.path,
                channel=data.result.channel,
            )


# ---------------------------------------------------------------------------
# Channel guards
# ---------------------------------------------------------------------------


def _capped(setting: object, policy_limit: int) -> int:
    """A message setting capped by the policy (a message may not loosen it)."""
    if isinstance(setting, int) and not isinstance(setting, bool):
        return min(setting, policy_limit)
    return policy_limit


def _sms_length(data: GuardInput) -> Iterator[Violation]:
    result = data.result
    if not isinstance(result, SmsResult):
        return
    most = _capped(
        data.spec.setting("sms.max_segments"),
        int(data.policy.limit("sms-length.max_segments")),
    )
    if result.segments > most:
        hint = ""
        if result.encoding == "UCS-2" and result.ucs2_characters:
            shown = "".join(result.ucs2_characters[:5])
            hint = f" ({shown!r} forced UCS-2, 70 characters a segment instead of 160)"
        notes = " ".join(getattr(result, "notes", ()) or ())
        if notes:
            hint = f" ({notes})"
        yield Violation(
            guard="sms-length",
            message=(
                f"the SMS takes {result.segments} segments and this message allows {most}"
                f"{hint}; shorten the copy"
            ),
            excerpt=result.text[-40:],
            channel="sms",
            template=data.spec.template_for("sms", "text"),
        )


def _sms_opt_out(data: GuardInput) -> Iterator[Violation]:
    result = data.result
    if not isinstance(result, SmsResult) or data.spec.purpose != "marketing":
        return
    lang = language_of(result.locale)
    folded = _normalized(result.text, False).folded
    extra = tuple(data.policy.extra_phrases.get(lang, {}).get("sms-opt-out", ()))
    languages = (lang,) if lang in LANGUAGES else LANGUAGES
    for code in languages:
        found = next(matcher(code, "sms-opt-out", extra).spans(folded), None)
        if found is not None:
            return
    if lang not in LANGUAGES and extra:
        from .phrases import compile_lists

        if next(compile_lists(extra).spans(folded), None) is not None:
            return
    example = OPT_OUT_EXAMPLES.get(lang, OPT_OUT_EXAMPLES["en"])
    yield Violation(
        guard="sms-opt-out",
        message=(
            f"a marketing SMS must tell the customer how to opt out in their language "
            f"({lang}); add an instruction such as {example!r}"
        ),
        excerpt=result.text[-40:],
        channel="sms",
        template=data.spec.template_for("sms", "text"),
    )


def _email_size(data: GuardInput) -> Iterator[Violation]:
    result = data.result
    if not isinstance(result, EmailResult):
        return
    max_kb = _capped(
        data.spec.setting("email.max_kb"),
        int(data.policy.limit("email-size.max_kb")),
    )
    size = len(result.html.encode("utf-8"))
    if size > max_kb * 1024:
        yield Violation(
            guard="email-size",
            message=(
                f"the HTML is {size / 1024:.1f} KB and this message allows {max_kb} KB; Gmail "
                "clips messages over 102 KB, hiding the rest (often the unsubscribe link); "
                "trim markup, inline CSS and images"
            ),
            excerpt=f"{size} bytes",
            channel="email",
            template=data.spec.template_for("email", "html"),
        )


class _Links(HTMLParser):
    """Collects ``(href, text)`` of every ``<a>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append((dict(attrs).get("href") or "", []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, text = self._open.pop()
            self.links.append((href, "".join(text)))

    def handle_data(self, data: str) -> None:
        for _href, text in self._open:
            text.append(data)


_UNSUBSCRIBE_URL_WORDS: Final = (
    "unsubscribe",
    "unsub",
    "optout",
    "opt-out",
    "opt_out",
    "abmelden",
    "abbestellen",
    "desinscri",
    "desabonn",
    "darse-de-baja",
    "baja",
    "preferences",
)


def has_unsubscribe_link(html: str, url: str | None, lang: str) -> bool:
    """Whether ``html`` links to ``url`` or has a link that reads as an unsubscribe."""
    if url and any(f"href={q}{u}{q}" in html for q in "\"'" for u in (url, escape(url))):
        return True  # the usual case, without parsing the document
    parser = _Links()
    parser.feed(html)
    parser.close()
    for href, text in parser.links:
        href = href.strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        if url and href == url:
            return True
        lowered = fold(href)
        if any(word in lowered for word in _UNSUBSCRIBE_URL_WORDS):
            return True
        folded = fold(text)
        for code in (lang, *LANGUAGES):
            if next(matcher(code, "email-unsubscribe").spans(folded), None) is not None:
                return True
    return False


def _email_unsubscribe(data: GuardInput) -> Iterator[Violation]:
    result = data.result
    if not isinstance(result, EmailResult) or data.spec.purpose != "marketing":
        return
    if has_unsubscribe_link(result.html, result.unsubscribe_url, language_of(result.locale)):
        return
    yield Violation(
        guard="email-unsubscribe",
        message=(
            "a marketing email needs a visible unsubscribe link in the HTML; set "
            "email.unsubscribe_url in message.toml and link {{ unsubscribe_url }} "
            "in the footer"
        ),
        channel="email",
        template=data.spec.template_for("email", "html"),
    )


for _id, _guard in (
    ("generic-address", _generic_address),
    ("unsupported-superlative", _unsupported_superlative),
    ("robotic-care", _robotic_care),
    ("unresolved-placeholder", _unresolved_placeholder),
    ("no-consent", _no_consent),
    ("contact-pressure", _contact_pressure),
    ("external-data", _external_data),
    ("sms-length", _sms_length),
    ("sms-opt-out", _sms_opt_out),
    ("voice-url", _voice_url),
    ("email-size", _email_size),
    ("email-unsubscribe", _email_unsubscribe),
):
    register_guard(_id, _guard)
