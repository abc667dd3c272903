"""Voice: an SSML 1.1 ``<speak>`` document and the plain spoken script.

The template writes SSML; customer data in it is XML-escaped by the
environment's autoescaping (``.ssml.j2`` templates), so a name can never add
tags.  The adapter

* checks the document is well-formed XML with a ``<speak>`` root, and sets
  ``version="1.1"``, the SSML namespace and ``xml:lang`` from the locale
  the message was rendered in;
* moves a full stop that directly follows ``</sub>`` or ``</emphasis>``
  inside the element (espeak-ng 1.51 reads such a stop as "dot"; for
  ``<sub>`` the alias gets it too) so every engine ends the sentence;
* derives :attr:`VoiceResult.text`, the words a listener hears (``<sub>``
  replaced by its alias, breaks as pauses, no markup) for a human agent
  (``voice.delivery = "human"``) and for the guards;
* estimates the speaking time from the words, the sentence ends and every
  ``<break>``.

URLs are not removed from the text: the ``voice-url`` guard reads it and
refuses a script that would read one out.

Money, dates, times and phone numbers: see :mod:`personalize.channels.speech`
for the ``spoken_*`` filters that write them as the locale speaks them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Final

from ..errors import TemplateError
from ..result import VoiceResult
from . import Draft

__all__ = ["SSML_NS", "VoiceChannel", "estimate_seconds", "ssml_to_text"]

SSML_NS: Final = "http://www.w3.org/2001/10/synthesis"
XML_LANG: Final = "{http://www.w3.org/XML/1998/namespace}lang"
#: A measured middle: espeak-ng speaks about 170 words a minute by default,
#: agents reading a script about 140.
WORDS_PER_MINUTE: Final = 150.0
#: Pause after a sentence or paragraph, in seconds.
SENTENCE_PAUSE: Final = 0.3
_BREAK_STRENGTH: Final = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.2,
    "medium": 0.4,
    "strong": 0.7,
    "x-strong": 1.0,
}
#: Elements whose content is not spoken.
_SILENT: Final = frozenset({"desc", "mark", "meta", "metadata", "lexicon"})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _break_seconds(el: ET.Element) -> float:
    time = el.get("time")
    if time:
        match = re.fullmatch(r"\s*([\d.]+)\s*(ms|s)\s*", time)
        if match:
            value = float(match.group(1))
            return value / 1000 if match.group(2) == "ms" else value
    return _BREAK_STRENGTH.get(el.get("strength", "medium"), 0.4)


def _spoken(el: ET.Element, out: list[str]) -> None:
    tag = _local(el.tag)
    if tag == "sub":
        out.append(el.get("alias", "".join(el.itertext())))
    elif tag == "break":
        out.append(" ")
    elif tag in _SILENT:
        pass
    else:
        block = tag in ("p", "s", "speak")
        if block:
            out.append(" ")
        if el.text:
            out.append(el.text)
        for child in el:
            _spoken(child, out)
        if block:
            out.append(" ")
    if el.tail:
        out.append(el.tail)


def ssml_to_text(ssml: str) -> str:
    """The words of an SSML document, as a person would read them.

    >>> ssml_to_text('<speak>Hi <sub alias="AY-da">Ada</sub>.<break/>Bye.</speak>')
    'Hi AY-da. Bye.'
    """
    root = ET.fromstring(ssml)
    out: list[str] = []
    _spoken(root, out)
    return " ".join("".join(out).split())


def estimate_seconds(ssml: str, *, words_per_minute: float = WORDS_PER_MINUTE) -> float:
    """Rough speaking time: words at ``words_per_minute``, sentence pauses, breaks."""
    root = ET.fromstring(ssml)
    text = ssml_to_text(ssml)
    words = len(re.findall(r"\w+", text))
    sentences = len(re.findall(r"[.!?;:](\s|$)", text))
    pauses = sum(_break_seconds(el) for el in root.iter() if _local(el.tag) == "break")
    return round(words / words_per_minute * 60 + sentences * SENTENCE_PAUSE + pauses, 1)


# <sub> holds text only (SSML 1.1), so its content has no "<".
_SUB_THEN_STOP = re.compile(r'(<sub\b[^>]*?\balias=")([^"]*)("[^>]*>)([^<]*)(</sub>)\.(?!\.)')
_EMPHASIS_THEN_STOP = re.compile(r"(</emphasis>)\.(?!\.)")


def _stops_inside(ssml: str) -> str:
    ssml = _SUB_THEN_STOP.sub(r"\1\2.\3\4.\5", ssml)
    return _EMPHASIS_THEN_STOP.sub(r".\1", ssml)


_SPEAK_OPEN = re.compile(r"<speak\b[^>]*>")
_OWN_ATTRIBUTES = re.compile(r"""\s+(version|xmlns|xml:lang)\s*=\s*("[^"]*"|'[^']*')""")


#: Characters XML 1.0 does not allow (controls, U+FFFE/U+FFFF): no engine
#: can say them, and one in customer data must not break the document.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _ensure_speak(ssml: str, lang: str, template: str | None) -> str:
    body = _XML_INVALID.sub("", ssml).strip()
    if not body.startswith("<speak"):
        body = f"<speak>{body}</speak>"
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise TemplateError(
            f"voice template did not produce well-formed SSML: {exc}",
            name=template,
            hint="close every tag, quote attribute values, write & as &amp;",
        ) from exc
    if _local(root.tag) != "speak":
        raise TemplateError("the SSML root element must be <speak>", name=template)
    if root.tag != f"{{{SSML_NS}}}speak" and root.tag != "speak":
        raise TemplateError(f"<speak> must be in the SSML namespace {SSML_NS}", name=template)

    # Rewrite the opening tag in place so namespace declarations that vendor
    # extensions need (xmlns:mstts, xmlns:amazon...) and other attributes stay.
    def opening(match: re.Match[str]) -> str:
        tag = _OWN_ATTRIBUTES.sub("", match.group(0)[len("<speak") :])
        return f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="{lang}"{tag}'

    body = _SPEAK_OPEN.sub(opening, body, count=1)
    return _stops_inside(body)


class VoiceChannel:
    """The voice adapter."""

    name = "voice"

    def build(self, draft: Draft) -> VoiceResult:
        lang = draft.state.locale.replace("_", "-")
        template = draft.spec.template_for("voice", "ssml")
        ssml = _ensure_speak(draft.parts["ssml"], lang, template)
        rate = float(draft.spec.setting("voice.rate", WORDS_PER_MINUTE))
        return VoiceResult(
            **draft.common,
            ssml=ssml,
            text=ssml_to_text(ssml),
            estimated_seconds=estimate_seconds(ssml, words_per_minute=rate),
            delivery=draft.spec.setting("voice.delivery", "automated"),
        )
