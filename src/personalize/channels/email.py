"""Email: subject, preheader, HTML with inlined CSS, plain text, MIME.

Mail clients such as Gmail drop ``<style>`` in some views, so CSS is inlined
with premailer; the ``<style>`` block is kept for media queries.  The text
part is derived from the HTML when the message has no ``email.txt.j2``.
Headers are built by the stdlib ``email`` package, which encodes non-ASCII
display names (RFC 2047) and refuses line breaks in header values; the
subject is additionally folded to one line here, so neither customer data
nor template text can add a header.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from ..result import EmailResult
from . import Draft

if TYPE_CHECKING:
    pass

__all__ = ["EmailChannel", "build_email_message", "header_safe", "html_to_text", "inline_css"]


def header_safe(text: str) -> str:
    """Fold ``text`` to one header-safe line: no CR, LF or control characters."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return " ".join(cleaned.split())


def inline_css(html: str) -> str:
    """Inline ``<style>`` rules into ``style`` attributes, keeping the block."""
    import premailer

    return str(
        premailer.transform(
            html,
            keep_style_tags=True,
            strip_important=False,
            disable_validation=True,
            cssutils_logging_level="CRITICAL",
            allow_network=False,
        )
    )


_BLOCK_TAGS = frozenset(
    {
        *("p", "div", "table", "tr", "ul", "ol", "blockquote", "section", "article"),
        *("header", "footer", "main", "aside", "hr", "pre", "address"),
        *("h1", "h2", "h3", "h4", "h5", "h6"),
    }
)
_SKIP_TAGS = frozenset({"style", "script", "head", "title", "template"})


class _TextExtractor(HTMLParser):
    """HTML to readable text: links as "text (url)", list items as "- item"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.hidden_depth = 0
        self.stack: list[str] = []
        self.links: list[tuple[str | None, int]] = []

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        style = (attr.get("style") or "").replace(" ", "").lower()
        hidden = "display:none" in style or attr.get("hidden") is not None
        if tag not in ("br", "img", "hr", "meta", "link", "input"):
            self.stack.append(tag)
            if self.hidden_depth or hidden:
                self.hidden_depth += 1
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self._flush()
        elif tag == "li":
            self._flush()
            self.current.append("- ")
        elif tag == "br":
            self._flush()
        elif tag == "a":
            self.links.append((attr.get("href"), len("".join(self.current))))
        elif tag == "img" and attr.get("alt") and not self.hidden_depth:
            self.current.append(attr["alt"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = " ".join("".join(self.current)[start:].split())
            if href and not href.startswith(("#", "mailto:")) and href != label:
                self.current.append(f" ({href})" if label else href)
        if tag in _BLOCK_TAGS or tag == "li":
            self._flush()
        if self.stack and tag in self.stack:
            while self.stack:
                popped = self.stack.pop()
                if self.hidden_depth:
                    self.hidden_depth -= 1
                if popped == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.skip and not self.hidden_depth:
            self.current.append(data)


def html_to_text(html: str, *, width: int = 76) -> str:
    """Readable plain text for the text/plain part."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    parser._flush()
    paragraphs = []
    for block in parser.blocks:
        if block.startswith("- "):
            paragraphs.append(
                textwrap.fill(
                    block,
                    width,
                    subsequent_indent="  ",
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
        else:
            paragraphs.append(
                textwrap.fill(block, width, break_long_words=False, break_on_hyphens=False)
            )
    text = "\n\n".join(paragraphs)
    # Consecutive list items read better without blank lines between them.
    text = re.sub(r"(\n- [^\n]*(?:\n  [^\n]*)*)\n\n(?=- )", r"\1\n", "\n" + text)[1:]
    text = re.sub(r"^(- [^\n]*(?:\n  [^\n]*)*)\n\n(?=- )", r"\1\n", text)
    return text.strip() + "\n"


def tidy_text(text: str) -> str:
    """Trim trailing spaces and runs of blank lines left by template tags."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


class EmailChannel:
    """The email adapter."""

    name = "email"

    def build(self, draft: Draft) -> EmailResult:
        parts = draft.parts
        html = inline_css(parts["html"])
        text = tidy_text(parts["text"]) if "text" in parts else html_to_text(html)
        customer = draft.customer
        from ..render import unsubscribe_url

        return EmailResult(
            **draft.common,
            subject=header_safe(parts["subject"]),
            preheader=header_safe(parts.get("preheader", "")),
            html=html,
            text=text,
            unsubscribe_url=unsubscribe_url(draft.spec, customer),
            sender=draft.spec.setting("email.sender"),
            recipient_name=customer.name.full or customer.name.first,
            recipient_email=customer.contact.email,
        )


def _address(value: str) -> Address:
    from email.headerregistry import HeaderRegistry

    header = HeaderRegistry()("To", value)
    addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
    if len(addresses) != 1:
        raise ValueError(f"not a single address: {value!r}")
    return addresses[0]


def build_email_message(
    result: EmailResult,
    *,
    sender: str | None,
    recipient: str | None,
    unsubscribe_url: str | None,
    message_id_domain: str | None,
) -> EmailMessage:
    """Assemble the MIME message for :meth:`EmailResult.to_email_message`."""
    from ..errors import InvalidArgument

    sender = sender or result.sender
    if not sender:
        raise InvalidArgument("to_email_message() needs a sender (or email.sender in message.toml)")
    msg = EmailMessage()
    from_addr = _address(sender)
    msg["From"] = from_addr
    if recipient is not None:
        msg["To"] = _address(recipient)
    elif result.recipient_email:
        user, _, domain = result.recipient_email.rpartition("@")
        msg["To"] = Address(
            display_name=header_safe(result.recipient_name or ""), username=user, domain=domain
        )
    else:
        raise InvalidArgument("to_email_message() needs a recipient: the customer has no email")
    msg["Subject"] = header_safe(result.subject)
    msg["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=message_id_domain or from_addr.domain or None)
    url = unsubscribe_url or result.unsubscribe_url
    if result.purpose == "marketing":
        if not url:
            raise InvalidArgument(
                "a marketing email needs an unsubscribe URL: pass unsubscribe_url= "
                "or set email.unsubscribe_url in message.toml"
            )
        msg["List-Unsubscribe"] = f"<{header_safe(url)}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(result.text, subtype="plain", charset="utf-8")
    msg.add_alternative(result.html, subtype="html", charset="utf-8")
    return msg
