"""Email: subject, preheader, HTML with inlined CSS, plain text, MIME.

Mail clients such as Gmail drop ``<style>`` in some views, so CSS is inlined
with premailer; the ``<style>`` block is kept for media queries.  Inlining
happens once per template when the library loads (see
:mod:`personalize.channels.inline`), so a message costs a Jinja render only;
templates where that is not sound fall back to premailer per message.

The text part is derived from the HTML when the message has no
``email.txt.j2``.  Headers are built by the stdlib ``email`` package, which
encodes non-ASCII display names (RFC 2047) and refuses line breaks in
header values; subject and preheader are also folded to one line here, so
neither customer data nor template text can add a header.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import textwrap
import unicodedata
from collections.abc import Callable, Mapping
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Final

import jinja2

from ..errors import InvalidArgument
from ..result import EmailResult
from . import Draft
from .inline import FastTemplate, InliningUnsupported, inline_css, prepare

if TYPE_CHECKING:
    from ..context import RenderState
    from ..library import Library

__all__ = [
    "INLINING_MODES",
    "EmailChannel",
    "build_email_message",
    "header_safe",
    "html_to_text",
    "inline_css",
    "prepare_templates",
    "render_html",
]

#: ``Library(email_inlining=...)``: "template" inlines once per template
#: (falling back per message where unsound), "message" runs premailer on
#: every message, "off" does not inline (tests and benchmarks).
INLINING_MODES: Final = ("template", "message", "off")


_SPACES = re.compile(r" {2,}")


def header_safe(text: str) -> str:
    """Fold ``text`` to one header-safe line: no CR, LF or control characters.

    >>> header_safe("Hi\\r\\nBcc: x@y.example")
    'Hi Bcc: x@y.example'
    """
    cleaned = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c == "\x85" else c for c in text
    )
    # Fold runs of ordinary spaces only: a no-break space is typography
    # (French "Ada\u202f!") and must survive into the header.
    return _SPACES.sub(" ", cleaned).strip(" ")


# -- HTML rendering with the fast path -----------------------------------


def prepare_templates(
    env: jinja2.Environment, names: list[str]
) -> tuple[dict[str, FastTemplate], dict[str, str]]:
    """Inline every email HTML template once.

    Returns:
        (template name -> prepared template, template name -> why the fast
        path is not used for it).
    """
    fast: dict[str, FastTemplate] = {}
    slow: dict[str, str] = {}
    for name in names:
        try:
            fast[name] = prepare(env, name)
        except InliningUnsupported as exc:
            slow[name] = str(exc)
        except Exception as exc:  # premailer/lxml/Jinja on a flattened copy
            # The original template compiled, so it can still be rendered and
            # inlined per message; never fail a library load over the fast path.
            slow[name] = f"preparing failed: {type(exc).__name__}: {exc}"
    return fast, slow


_RunTemplate = Callable[
    [jinja2.Environment, jinja2.Template, dict[str, Any], "RenderState"], "str | None"
]


def _snapshot(state: RenderState) -> dict[str, Any]:
    saved: dict[str, Any] = {}
    for f in dataclasses.fields(state):
        name = f.name
        value = getattr(state, name)
        if isinstance(value, list):
            saved[name] = list(value)
        elif isinstance(value, dict):
            saved[name] = {
                k: (v.copy() if isinstance(v, (list, dict, set)) else v) for k, v in value.items()
            }
    return saved


def _rollback(state: RenderState, saved: Mapping[str, Any]) -> None:
    for name, value in saved.items():
        current = getattr(state, name)
        current.clear()
        if isinstance(current, list):
            current.extend(value)
        else:
            current.update(value)


def render_html(
    lib: Library,
    name: str,
    variables: dict[str, Any],
    state: RenderState,
    run: _RunTemplate,
) -> str | None:
    """Render the email HTML part, CSS inlined; None if the render stopped.

    The prepared template is used when there is one.  If that render reports
    a problem (a missing fact, an error), it is rolled back and the original
    template is rendered instead, so violations and errors name the line of
    the file the author wrote, not of the flattened copy.
    """
    mode = getattr(lib, "email_inlining", "template")
    fast: FastTemplate | None = getattr(lib, "email_templates", {}).get(name)
    audit = state.extras.setdefault("audit", {})
    if mode == "template" and fast is not None:
        saved = _snapshot(state)
        before = len(state.violations)
        try:
            out = run(lib.env, fast.template, dict(variables), state)
        except Exception:
            out = None
        if out is not None and len(state.violations) == before:
            audit["email.inlining"] = "template"
            return out
        _rollback(state, saved)
        audit = state.extras.setdefault("audit", {})
    out = run(lib.env, lib.env.get_template(name), dict(variables), state)
    if out is None or mode == "off":
        audit["email.inlining"] = "off"
        return out
    why = getattr(lib, "email_inlining_fallbacks", {}).get(name)
    audit["email.inlining"] = "message" + (f" ({why})" if why else "")
    return inline_css(out)


# -- plain text from HTML -------------------------------------------------

_BLOCK_TAGS: Final = frozenset(
    {
        *("p", "div", "table", "tr", "ul", "ol", "blockquote", "section", "article"),
        *("header", "footer", "main", "aside", "hr", "pre", "address", "center"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "body", "dl", "dt", "dd", "figure"),
    }
)
_SKIP_TAGS: Final = frozenset({"style", "script", "head", "title", "template", "noscript"})
_VOID_TAGS: Final = frozenset(
    {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "source", "wbr"}
)
_BREAK = "\x00"  # a <br> inside a paragraph, until wrapping


class _TextExtractor(HTMLParser):
    """HTML to readable text: paragraphs, ``<br>`` line breaks, "- item",
    "1. item", links as "text (url)", hidden elements (the preheader) and
    ``<style>`` skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str, bool]] = []  # (wrap indent, text, preformatted)
        self.current: list[str] = []
        self.indent = ""
        self.skip = 0
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden)
        self.lists: list[list[int]] = []  # per open list: [counter] or [-1] for <ul>
        self.links: list[tuple[str | None, int, int]] = []  # (href, offset, blocks)
        self.pre = 0

    @property
    def hidden(self) -> bool:
        return any(h for _, h in self.stack)

    def flush(self) -> None:
        raw = "".join(self.current)
        if self.pre:
            text = raw.strip("\n")
        else:
            lines: list[str] = []
            for line in (" ".join(part.split()) for part in raw.split(_BREAK)):
                # No leading blank line, and <br><br> gives one blank line at most.
                if line or (lines and lines[-1]):
                    lines.append(line)
            while lines and not lines[-1]:
                lines.pop()
            text = _BREAK.join(lines)
        if text.strip(_BREAK + " -").strip():
            self.blocks.append((self.indent, text, bool(self.pre)))
        self.current = []
        self.indent = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag not in _VOID_TAGS:
            style = (attr.get("style") or "").replace(" ", "").lower()
            hidden = "display:none" in style or "hidden" in attr
            self.stack.append((tag, hidden))
        if tag in _SKIP_TAGS:
            self.skip += 1
        if self.skip or self.hidden:
            return
        if tag in _BLOCK_TAGS:
            self.flush()
            if tag == "pre":
                self.pre += 1
            if tag == "ul":
                self.lists.append([-1])
            elif tag == "ol":
                self.lists.append([0])
        elif tag == "li":
            self.flush()
            depth = max(len(self.lists) - 1, 0)
            counter = self.lists[-1] if self.lists else [-1]
            if counter[0] >= 0:
                counter[0] += 1
                bullet = f"{counter[0]}. "
            else:
                bullet = "- "
            self.current.append("  " * depth + bullet)
            self.indent = " " * (2 * depth + len(bullet))
        elif tag == "br":
            self.current.append(_BREAK)
        elif tag == "a":
            self.links.append((attr.get("href"), len("".join(self.current)), len(self.blocks)))
        elif tag == "img" and attr.get("alt"):
            self.current.append(attr["alt"] or "")
        elif tag in ("td", "th"):
            self.current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if not any(t == tag for t, _ in self.stack):
            return
        visible = not (self.skip or self.hidden)
        if visible and tag == "a" and self.links:
            href, start, blocks = self.links.pop()
            label = " ".join("".join(self.current)[start:].replace(_BREAK, " ").split())
            url = (href or "").strip()
            if url.lower().startswith("mailto:"):
                url = url[7:].split("?", 1)[0]
            if url and not url.startswith("#") and url != label:
                if not label and len(self.blocks) > blocks:
                    # The link wrapped whole blocks: put the URL after the last.
                    indent, text, pre = self.blocks[-1]
                    self.blocks[-1] = (indent, f"{text} ({url})", pre)
                else:
                    self.current.append(f" ({url})" if label else url)
        if visible and (tag in _BLOCK_TAGS or tag == "li"):
            self.flush()
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
        while self.stack:
            popped, _ = self.stack.pop()
            if popped in _SKIP_TAGS:
                self.skip = max(0, self.skip - 1)
            if popped == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip and not self.hidden:
            self.current.append(data)


def html_to_text(html: str, *, width: int = 76) -> str:
    """Readable plain text for the text/plain part.

    Paragraphs are separated by a blank line, ``<br>`` is a line break,
    list items read "- item" (or "1. item"), links "text (url)"; lines are
    wrapped at ``width`` without breaking URLs or words.

    >>> html_to_text('<p>Hi <a href="https://x.example/a">there</a>.<br>Bye</p>')
    'Hi there (https://x.example/a).\\nBye\\n'
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    parser.flush()
    out: list[str] = []
    previous_item = False
    for indent, block, pre in parser.blocks:
        is_item = bool(indent)
        lines: list[str] = []
        for line in block.split(_BREAK):
            if pre or not line:
                lines.append(line)
                continue
            wrapped = textwrap.wrap(
                line,
                width,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            lines.extend(wrapped or [""])
            indent = indent if is_item else ""
        text = "\n".join(lines)
        if out:
            out.append("\n" if is_item and previous_item else "\n\n")
        out.append(text)
        previous_item = is_item
    return "".join(out).strip("\n") + "\n"


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
        from ..render import unsubscribe_url

        parts = draft.parts
        # MIME text ends with a line break; end with one so the part round-trips.
        html = parts["html"].rstrip() + "\n"
        text = tidy_text(parts["text"]) if "text" in parts else html_to_text(html)
        customer = draft.customer
        name = customer.name
        return EmailResult(
            **draft.common,
            subject=header_safe(parts["subject"]),
            preheader=header_safe(parts.get("preheader", "")),
            html=html,
            text=text,
            unsubscribe_url=unsubscribe_url(draft.spec, customer),
            sender=draft.spec.setting("email.sender"),
            recipient_name=name.full or name.first,
            recipient_email=customer.contact.email,
        )


# -- MIME -------------------------------------------------------------------


def _address(value: str, what: str) -> Address:
    from email.headerregistry import HeaderRegistry

    if header_safe(value) != value.strip():
        raise InvalidArgument(f"{what} must be one line without control characters (got {value!r})")
    try:
        header = HeaderRegistry()("To", value)
        addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
    except Exception as exc:  # the parser raises several types
        raise InvalidArgument(f"{what} is not an address (got {value!r}): {exc}") from exc
    if len(addresses) != 1 or not addresses[0].domain:
        raise InvalidArgument(
            f"{what} must be one address like 'Name <user@example.org>' (got {value!r})"
        )
    return addresses[0]


def build_email_message(
    result: EmailResult,
    *,
    sender: str | None,
    recipient: str | None,
    unsubscribe_url: str | None,
    message_id_domain: str | None,
) -> EmailMessage:
    """Assemble the MIME message for :meth:`EmailResult.to_email_message`.

    Raises:
        InvalidArgument: without a sender or recipient, with a malformed
            address, or for a marketing message without an unsubscribe URL.
    """
    sender = sender or result.sender
    if not sender:
        raise InvalidArgument("to_email_message() needs a sender (or email.sender in message.toml)")
    msg = EmailMessage()
    from_addr = _address(sender, "sender")
    msg["From"] = from_addr
    if recipient is not None:
        msg["To"] = _address(recipient, "recipient")
    elif result.recipient_email:
        to = _address(result.recipient_email, "the customer's email")
        msg["To"] = Address(
            display_name=header_safe(result.recipient_name or ""),
            username=to.username,
            domain=to.domain,
        )
    else:
        raise InvalidArgument("to_email_message() needs a recipient: the customer has no email")
    subject = header_safe(result.subject)
    if subject.isascii():
        msg["Subject"] = subject
    else:
        # The stdlib folder (3.11-3.13) can put a space of the subject between
        # two encoded words when it folds, where RFC 2047 says readers drop
        # it ("¡ !" arrives as "¡!").  The legacy Header encoder keeps every
        # space inside the encoded text; its lines are short enough that the
        # generator emits them as they are.
        msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode(linesep="\n"))
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    domain = header_safe(message_id_domain or from_addr.domain or "")
    msg["Message-ID"] = make_msgid(domain=domain or None)
    # Marketing gets the message's unsubscribe URL; other purposes only one
    # passed explicitly (a receipt is not a list the customer can leave).
    default_url = result.unsubscribe_url if result.purpose == "marketing" else None
    url = header_safe(unsubscribe_url or default_url or "")
    if result.purpose == "marketing" and not url:
        raise InvalidArgument(
            "a marketing email needs an unsubscribe URL: pass unsubscribe_url= "
            "or set email.unsubscribe_url in message.toml"
        )
    if url:
        if any(c in url for c in "<> ,"):
            raise InvalidArgument(f"unsubscribe_url must be a single URL (got {url!r})")
        msg["List-Unsubscribe"] = f"<{url}>"
        if url.lower().startswith("https://"):
            # RFC 8058: one-click needs an HTTPS URI that accepts this POST.
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(result.text, subtype="plain", charset="utf-8")
    msg.add_alternative(result.html, subtype="html", charset="utf-8")
    return msg
