"""Frozen results of a render, one class per channel.

Every result "shows its work": the facts the render read (with provenance),
the offer chosen and the ones rejected, the claims checked with their
evidence, and the suppressions an author used, so a reviewer can audit a
message without re-running it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .context import Fact
from .violation import Violation

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["EmailResult", "RenderResult", "SmsResult", "VoiceResult"]


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderResult:
    """What every channel's result has.

    Attributes:
        channel: ``email``, ``sms`` or ``voice``.
        message: the message name.
        customer_id: the customer's id.
        purpose: the message purpose (marketing, transactional, service).
        locale: the locale the message was rendered in.
        warnings: violations that did not block the message.
        facts: customer facts the render read, by path.
        offer: the chosen offer (an ``personalize.offers`` value) or None.
        offer_trace: why each considered offer was chosen or rejected.
        claims: claims evaluated, with whether they held and their evidence.
        suppressions: ``{% allow %}`` spans used, with their reasons.
        audit: further records (salutation rule used, normalizations...).
    """

    channel: str
    message: str
    customer_id: str
    purpose: str = "marketing"
    locale: str = "en"
    warnings: tuple[Violation, ...] = ()
    facts: Mapping[str, Fact] = field(default_factory=_empty)
    offer: Any = None
    offer_trace: tuple[Any, ...] = ()
    claims: tuple[Any, ...] = ()
    suppressions: tuple[Any, ...] = ()
    audit: Mapping[str, Any] = field(default_factory=_empty)

    @property
    def body(self) -> str:
        """The main text a guard reads for this channel."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (used by the CLI's batch output)."""
        out: dict[str, Any] = {
            "channel": self.channel,
            "message": self.message,
            "customer_id": self.customer_id,
            "locale": self.locale,
            "warnings": [w.to_dict() for w in self.warnings],
            "facts": [f.to_dict() for f in self.facts.values()],
        }
        offer_id = getattr(self.offer, "id", None)
        if offer_id is not None:
            out["offer"] = offer_id
        for key in ("offer_trace", "claims", "suppressions"):
            records = [r.to_dict() for r in getattr(self, key) if hasattr(r, "to_dict")]
            if records:
                out[key] = records
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailResult(RenderResult):
    """An email: subject, preheader, HTML (CSS inlined) and plain text."""

    subject: str
    preheader: str = ""
    html: str
    text: str
    unsubscribe_url: str | None = None
    sender: str | None = None
    recipient_name: str | None = None
    recipient_email: str | None = None

    @property
    def body(self) -> str:
        return self.text

    def to_email_message(
        self,
        sender: str | None = None,
        recipient: str | None = None,
        *,
        unsubscribe_url: str | None = None,
        message_id_domain: str | None = None,
    ) -> EmailMessage:
        """Build a stdlib :class:`email.message.EmailMessage`.

        multipart/alternative with the text part first and the HTML second,
        UTF-8, with ``List-Unsubscribe`` and ``List-Unsubscribe-Post``
        (RFC 8058 one-click) for marketing messages.

        Args:
            sender: the From address; defaults to message.toml's email.sender.
            recipient: the To address; defaults to the customer's name and email.
            unsubscribe_url: overrides the message's unsubscribe URL.
            message_id_domain: domain for the Message-ID (default: the sender's).
        """
        from .channels.email import build_email_message

        return build_email_message(
            self,
            sender=sender,
            recipient=recipient,
            unsubscribe_url=unsubscribe_url,
            message_id_domain=message_id_domain,
        )

    def to_dict(self) -> dict[str, Any]:
        out = RenderResult.to_dict(self)
        out.update(subject=self.subject, preheader=self.preheader, html=self.html, text=self.text)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsResult(RenderResult):
    """An SMS: the text and how it will be sent.

    Attributes:
        text: the message text.
        encoding: ``"GSM-7"`` or ``"UCS-2"``.
        segments: how many SMS parts it takes.
        units: septets (GSM-7) or UTF-16 code units (UCS-2).
        parts: the text of each segment (``"".join(parts) == text``).
        ucs2_characters: the characters (grapheme clusters, so a ZWJ emoji
            is one entry) that forced UCS-2, for the author to fix.
        normalized: ``(from, to)`` typographic replacements that kept the
            text in GSM-7 (``sms.normalize``).
        notes: non-blocking advice, e.g. that one character doubled the
            number of parts; the ``sms-length`` guard may quote it.
    """

    text: str
    encoding: str
    segments: int
    units: int
    parts: tuple[str, ...] = ()
    ucs2_characters: tuple[str, ...] = ()
    normalized: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        out = RenderResult.to_dict(self)
        out.update(
            text=self.text,
            encoding=self.encoding,
            segments=self.segments,
            units=self.units,
            parts=list(self.parts),
            ucs2_characters=list(self.ucs2_characters),
        )
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceResult(RenderResult):
    """A voice script: SSML for a speech engine, plain text for a person."""

    ssml: str
    text: str
    estimated_seconds: float = 0.0
    delivery: str = "automated"

    @property
    def body(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        out = RenderResult.to_dict(self)
        out.update(ssml=self.ssml, text=self.text, estimated_seconds=self.estimated_seconds)
        return out
