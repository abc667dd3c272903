"""Voice: an SSML 1.1 ``<speak>`` document and the plain spoken script.

The template writes SSML; customer data in it is XML-escaped by the
environment's autoescaping, so a name can never add tags.  The adapter
checks the document is well-formed, makes sure the root is ``<speak>`` with
the customer's language, and derives the words a listener hears: ``<sub>``
replaced by its alias, breaks as pauses, every other tag dropped.
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
WORDS_PER_MINUTE: Final = 150.0
_BREAK_STRENGTH: Final = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.2,
    "medium": 0.4,
    "strong": 0.7,
    "x-strong": 1.0,
}


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
    elif tag in ("p", "s"):
        out.append(" ")
        if el.text:
            out.append(el.text)
        for child in el:
            _spoken(child, out)
        out.append(" ")
    else:
        if el.text:
            out.append(el.text)
        for child in el:
            _spoken(child, out)
    if el.tail:
        out.append(el.tail)


def ssml_to_text(ssml: str) -> str:
    """The words of an SSML document, as a person would read them."""
    root = ET.fromstring(ssml)
    out: list[str] = []
    if root.text:
        out.append(root.text)
    for child in root:
        _spoken(child, out)
    return " ".join("".join(out).split())


def estimate_seconds(ssml: str, *, words_per_minute: float = WORDS_PER_MINUTE) -> float:
    """Rough speaking time: words at ``words_per_minute`` plus every break."""
    root = ET.fromstring(ssml)
    words = len(ssml_to_text(ssml).split())
    pauses = sum(_break_seconds(el) for el in root.iter() if _local(el.tag) == "break")
    return round(words / words_per_minute * 60 + pauses, 1)


def _ensure_speak(ssml: str, lang: str, template: str | None) -> str:
    body = ssml.strip()
    if not body.startswith("<speak"):
        body = f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="{lang}">{body}</speak>'
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise TemplateError(
            f"voice template did not produce well-formed SSML: {exc}",
            name=template,
            hint="check that every tag is closed and attribute values are quoted",
        ) from exc
    if _local(root.tag) != "speak":
        raise TemplateError("the SSML root element must be <speak>", name=template)
    return body


class VoiceChannel:
    """The voice adapter."""

    name = "voice"

    def build(self, draft: Draft) -> VoiceResult:
        lang = draft.state.locale.replace("_", "-")
        ssml = _ensure_speak(draft.parts["ssml"], lang, draft.spec.template_for("voice", "ssml"))
        rate = float(draft.spec.setting("voice.rate", WORDS_PER_MINUTE))
        return VoiceResult(
            **draft.common,
            ssml=ssml,
            text=ssml_to_text(ssml),
            estimated_seconds=estimate_seconds(ssml, words_per_minute=rate),
            delivery=draft.spec.setting("voice.delivery", "automated"),
        )
