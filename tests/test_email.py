"""The email channel: inlining, plain text, headers, MIME, and a real SMTP hop."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import smtplib
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

import personalize
from personalize.channels.email import header_safe, html_to_text

from .conftest import TEMPLATES, TODAY, load_customer_data

INLINE = Path(__file__).parent / "res" / "inline"


@dataclass(frozen=True)
class Case:
    description: str
    html: str
    expect: str


TEXT_CASES = [
    Case("paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo\n"),
    Case("br is a line break", "<p>Warm wishes,<br>The team</p>", "Warm wishes,\nThe team\n"),
    Case(
        "link as text (url)",
        '<p>See <a href="https://x.example/a?b=1&amp;c=2">our page</a> today</p>',
        "See our page (https://x.example/a?b=1&c=2) today\n",
    ),
    Case(
        "link whose text is the url",
        '<p><a href="https://x.example/">https://x.example/</a></p>',
        "https://x.example/\n",
    ),
    Case(
        "mailto shows the address",
        '<a href="mailto:a@b.example">write</a>',
        "write (a@b.example)\n",
    ),
    Case("anchor links dropped", '<p><a href="#top">Top</a></p>', "Top\n"),
    Case("unordered list", "<ul><li>tea</li><li>cake</li></ul>", "- tea\n- cake\n"),
    Case("ordered list", "<ol><li>tea</li><li>cake</li></ol>", "1. tea\n2. cake\n"),
    Case(
        "list between paragraphs",
        "<p>Ideas:</p><ul><li>a</li><li>b</li></ul><p>Bye</p>",
        "Ideas:\n\n- a\n- b\n\nBye\n",
    ),
    Case(
        "style and head skipped", "<head><style>p{}</style><title>T</title></head><p>x</p>", "x\n"
    ),
    Case("hidden preheader skipped", '<div style="display: none">pre</div><p>x</p>', "x\n"),
    Case(
        "entities decoded",
        "<p>Hearth &amp; Bloom &lt;3 &#8212; &eacute;</p>",
        "Hearth & Bloom <3 — é\n",
    ),
    Case("image alt text", '<p><img src="x.png" alt="A cake"> for you</p>', "A cake for you\n"),
    Case("white space folded", "<p>  a \n\n   b\t c </p>", "a b c\n"),
]


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda c: c.description)
def test_html_to_text(case: Case) -> None:
    assert html_to_text(case.html) == case.expect


def test_html_to_text_wraps_without_breaking_urls() -> None:
    url = "https://hearthandbloom.example/" + "x" * 90
    words = " ".join(["word"] * 40)
    text = html_to_text(f'<p>{words} <a href="{url}">link</a></p><ul><li>{words}</li></ul>')
    lines = text.splitlines()
    assert all(len(line) <= 76 or url in line for line in lines)
    assert any(url in line for line in lines)
    item_lines = text.split("\n\n")[1].splitlines()
    assert item_lines[0].startswith("- ")
    assert all(line.startswith("  ") for line in item_lines[1:])


def test_text_has_no_markup(lib: personalize.Library, ada: personalize.Customer) -> None:
    result = lib.render("birthday", ada, "email")
    assert isinstance(result, personalize.EmailResult)
    assert "<" not in result.text and "&amp;" not in result.text
    assert "Warm wishes,\nThe Hearth & Bloom team" in result.text
    assert "(https://hearthandbloom.example/unsubscribe?c=c-1001)" in result.text


@pytest.mark.parametrize(
    "raw",
    ["Hi\r\nBcc: evil@x.example", "a\nb", "a\rb", "tab\there", "nel\x85x", "ls\u2028x", "nul\x00"],
)
def test_header_safe_removes_line_breaks_and_controls(raw: str) -> None:
    folded = header_safe(raw)
    assert not any(c in folded for c in "\r\n\t\x00\x85\u2028")
    assert folded == " ".join(folded.split())


# -- inlining ---------------------------------------------------------------


@pytest.fixture(scope="module")
def inline_lib() -> personalize.Library:
    return personalize.Library(INLINE, today=TODAY)


def _zoe() -> personalize.Customer:
    return personalize.Customer.from_dict(
        {
            "id": "c-7",
            "name": {"given": "Zoë", "family": "Åström"},
            "interests": ["tea", "kites"],
            "contact": {"email": "zoe@example.org"},
        },
        today=TODAY,
    )


def test_fast_path_used_and_template_syntax_not_mangled(inline_lib: personalize.Library) -> None:
    prepared = inline_lib.email_templates["card/email.html.j2"]  # type: ignore[attr-defined]
    # premailer URL-encodes "{{ }}" in href when it sees it; the prepared
    # source must still hold the template expressions intact.
    assert 'href="https://shop.example/topics/{{ interest | urlencode }}?c=' in prepared.source
    assert "%7B" not in prepared.source and "{{%20" not in prepared.source
    result = inline_lib.render("card", _zoe(), "email")
    assert result.audit["email.inlining"] == "template"
    assert '<li style="margin:0 0 4px 0; color:#535"><a href="https://shop.example/topics/tea' in (
        result.html  # type: ignore[attr-defined]
    )
    assert "@media (max-width: 600px)" in result.html  # type: ignore[attr-defined]
    assert result.html.startswith("<!DOCTYPE html>")  # type: ignore[attr-defined]


def test_unsound_template_falls_back_per_message(inline_lib: personalize.Library) -> None:
    reason = inline_lib.email_inlining_fallbacks["positional/email.html.j2"]  # type: ignore[attr-defined]
    assert "li:first-child" in reason
    result = inline_lib.render("positional", _zoe(), "email")
    assert result.audit["email.inlining"].startswith("message (")
    assert '<li style="font-weight:bold">tea</li><li>kites</li>' in result.html  # type: ignore[attr-defined]


def test_missing_data_in_fast_path_names_the_authors_line(inline_lib: personalize.Library) -> None:
    customer = personalize.Customer.from_dict(
        {"id": "c-8", "name": {"given": "Ana"}, "contact": {"email": "a@example.org"}}
    )
    with pytest.raises(personalize.Refused) as info:
        inline_lib.render("missing", customer, "email")
    (violation,) = [v for v in info.value.violations if v.guard == "missing-data"]
    assert violation.guard == "missing-data"
    assert (violation.template, violation.lineno) == ("missing/email.html.j2", 3)


def test_bad_inlining_mode() -> None:
    with pytest.raises(personalize.InvalidArgument, match="email_inlining"):
        personalize.Library(INLINE, email_inlining="sometimes")


# -- MIME -------------------------------------------------------------------


def _ada_named(given: str, family: str) -> personalize.Customer:
    data = load_customer_data("ada")
    data["name"] = {"given": given, "family": family}
    return personalize.Customer.from_dict(data, today=TODAY)


def test_to_email_message_structure(lib: personalize.Library) -> None:
    result = lib.render("birthday", _ada_named("Zoë", "Łukasiewicz"), "email")
    assert isinstance(result, personalize.EmailResult)
    msg = result.to_email_message(message_id_domain="mail.hearthandbloom.example")
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    assert msg["To"].addresses[0].display_name == "Zoë Łukasiewicz"
    assert msg["To"].addresses[0].addr_spec == "ada@example.org"
    assert msg["From"].addresses[0].addr_spec == "hello@hearthandbloom.example"
    assert msg["Message-ID"].endswith("@mail.hearthandbloom.example>")
    assert email.utils.parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert msg["List-Unsubscribe"] == "<https://hearthandbloom.example/unsubscribe?c=c-1001>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    wire = msg.as_bytes(policy=email.policy.SMTP)
    # RFC 2047: the non-ASCII display name is encoded on the wire.
    to_line = next(line for line in wire.split(b"\r\n") if line.startswith(b"To:"))
    assert to_line.isascii() and b"=?utf-8?" in to_line


def test_transactional_has_no_list_unsubscribe(inline_lib: personalize.Library) -> None:
    result = inline_lib.render("card", _zoe(), "email")
    msg = result.to_email_message(sender="Shop <shop@example.org>")  # type: ignore[attr-defined]
    assert "List-Unsubscribe" not in msg and "List-Unsubscribe-Post" not in msg


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sender": "Shop <shop@example.org>\r\nBcc: x@evil.example"}, "one line"),
        ({"sender": "not an address"}, "address"),
        ({"recipient": "a@x.example, b@y.example"}, "one address"),
        ({"unsubscribe_url": "https://x.example/u> , <mailto:x@y.example"}, "single URL"),
    ],
)
def test_to_email_message_rejects_bad_arguments(
    lib: personalize.Library, ada: personalize.Customer, kwargs: dict[str, Any], match: str
) -> None:
    result = lib.render("birthday", ada, "email")
    with pytest.raises(personalize.InvalidArgument, match=match):
        result.to_email_message(**kwargs)  # type: ignore[attr-defined]


def test_marketing_without_unsubscribe_cannot_be_built(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(TEMPLATES, tmp_path / "t")
    toml = tmp_path / "t" / "birthday" / "message.toml"
    toml.write_text(
        "\n".join(
            line for line in toml.read_text().splitlines() if not line.startswith("unsubscribe_url")
        )
    )
    # Even when the email-unsubscribe guard only warns, no MIME message
    # without List-Unsubscribe is built for marketing.
    policy = personalize.Policy(actions={"email-unsubscribe": "warn"})
    lib = personalize.Library(tmp_path / "t", today=TODAY, policy=policy)
    result = lib.render("birthday", load_customer_data("ada"), "email")
    with pytest.raises(personalize.InvalidArgument, match="unsubscribe"):
        result.to_email_message()  # type: ignore[attr-defined]


def test_trans_msgids_survive_inlining(inline_lib: personalize.Library) -> None:
    prepared = inline_lib.email_templates["translated/email.html.j2"]  # type: ignore[attr-defined]
    assert "{% trans %}Tea &amp; cake &#8212; “on us”&nbsp;today{% endtrans %}" in prepared.source
    assert "{% trans %}A <strong>bold</strong> offer{% endtrans %}" in prepared.source


# -- a real SMTP hop --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _utf8(value: str) -> str:
    """A header value parsed from bytes: RFC 6532 UTF-8 arrives surrogate-escaped."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8")


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.mark.parametrize(
    ("given", "family", "address"),
    [
        ("Zoë", "Łukasiewicz", None),
        ("Ada", "Lovelace", None),
        ("Søren", "Kierkegård", "søren@example.org"),
    ],
    ids=["non-ascii-name", "ascii-name", "smtputf8-mailbox"],
)
def test_message_survives_a_real_smtp_server(
    lib: personalize.Library, given: str, family: str, address: str | None
) -> None:
    from aiosmtpd.controller import Controller

    result = lib.render("birthday", _ada_named(given, family), "email")
    assert isinstance(result, personalize.EmailResult)
    recipient = f"{given} {family} <{address}>" if address else None
    msg = result.to_email_message(recipient=recipient)
    inbox = _Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=_free_port(), enable_SMTPUTF8=True, ready_timeout=10
    )
    controller.start()
    try:
        with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as client:
            client.send_message(msg)
    finally:
        controller.stop()
    (envelope,) = inbox.envelopes
    raw: bytes = envelope.original_content
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(received, EmailMessage)
    for header in ("Subject", "Message-ID", "Date", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert str(received[header]) == str(msg[header])
    to = received["To"].addresses[0]
    assert _utf8(to.display_name) == f"{given} {family}"
    assert _utf8(to.addr_spec) == (address or "ada@example.org")
    assert _utf8(str(received["Subject"])) == f"Happy birthday, {given}!"
    plain, html = received.iter_parts()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    # Text travels in canonical form (CRLF line ends); otherwise byte-exact.
    assert plain.get_content().replace("\r\n", "\n") == result.text
    assert html.get_content().replace("\r\n", "\n") == result.html
    assert envelope.rcpt_tos == [address or "ada@example.org"]
    if address:
        assert "SMTPUTF8" in envelope.mail_options
        assert f"{given} {family} <{address}>".encode() in raw  # raw UTF-8 header, byte-exact
    else:
        assert raw.split(b"\r\n\r\n", 1)[0].isascii()  # encoded words only


def test_result_dates_are_now() -> None:
    # Date is set at build time, not render time (a batch may render ahead).
    lib = personalize.Library(TEMPLATES, today=dt.date(2020, 1, 1))
    data = load_customer_data("ada")
    result = lib.render("birthday", data, "email")
    msg = result.to_email_message()  # type: ignore[attr-defined]
    sent = email.utils.parsedate_to_datetime(msg["Date"])
    assert abs((sent - dt.datetime.now(dt.UTC)).total_seconds()) < 300


@pytest.mark.parametrize(
    ("css", "dynamic", "reason"),
    [
        ("li:first-child { x: y }", (), "first-child"),
        ("p + p { x: y }", (), r"p \+ p"),
        (":lang(de) p { x: y }", (), "lang"),
        ('a[href^="https"] { x: y }', ("href",), "'href' attribute"),
        ("@import url(x.css); li:nth-child(2) { x: y }", (), "nth-child"),
    ],
)
def test_unsound_css_is_refused_for_the_fast_path(
    css: str, dynamic: tuple[str, ...], reason: str
) -> None:
    from personalize.channels.inline import InliningUnsupported, _check_css

    with pytest.raises(InliningUnsupported, match=reason):
        _check_css(css, frozenset(dynamic))


@pytest.mark.parametrize(
    "css",
    [
        "a[href] { x: y }",  # presence is the same in source and output
        '.x[data-kind="a"] { x: y }',  # a static attribute
        "@media (max-width: 600px) { li:first-child { x: y } }",  # not inlined
        "a:hover { x: y }",  # left in <style> by premailer
    ],
)
def test_sound_css_is_accepted(css: str) -> None:
    from personalize.channels.inline import _check_css

    _check_css(css, frozenset({"href"}))


def test_markup_the_parser_restructures_falls_back(inline_lib: personalize.Library) -> None:
    # <div> inside <p>: lxml closes the <p> first, which would move the
    # {% endif %} out of the paragraph; the fast path notices and stands down.
    reason = inline_lib.email_inlining_fallbacks["nested/email.html.j2"]  # type: ignore[attr-defined]
    assert "restructured" in reason
    result = inline_lib.render("nested", _zoe(), "email")
    assert result.audit["email.inlining"].startswith("message (")


def test_text_only_partials_keep_the_fast_path(inline_lib: personalize.Library) -> None:
    import premailer

    from personalize.channels.inline import PREMAILER_OPTIONS

    from .properties.test_email_properties import _dom

    assert "textpartial/email.html.j2" in inline_lib.email_templates  # type: ignore[attr-defined]
    result = inline_lib.render("textpartial", _zoe(), "email")
    assert result.audit["email.inlining"] == "template"
    assert "You like tea and kites." in result.text  # type: ignore[attr-defined]
    off = personalize.Library(INLINE, today=TODAY, email_inlining="off")
    plain = off.render("textpartial", _zoe(), "email")
    expected = premailer.transform(plain.html, **PREMAILER_OPTIONS)  # type: ignore[attr-defined]
    assert _dom(result.html) == _dom(expected)  # type: ignore[attr-defined]


def test_partials_that_write_markup_fall_back(inline_lib: personalize.Library) -> None:
    reason = inline_lib.email_inlining_fallbacks["markuppartial/email.html.j2"]  # type: ignore[attr-defined]
    assert "'_partials/button.j2' writes HTML" in reason
    result = inline_lib.render("markuppartial", _zoe(), "email")
    # Per message, premailer sees the button where it landed: the a[href] rule applies.
    assert 'class="button" href="https://shop.example/" style="color:#6b2d5c"' in (
        result.html  # type: ignore[attr-defined]
    )


def test_long_non_ascii_subject_keeps_every_space(lib: personalize.Library) -> None:
    # Found by the header property: the stdlib folder dropped the space in
    # "𐀀 ¡" when a long encoded subject was folded.
    result = lib.render("birthday", load_customer_data("ada"), "email")
    subject = "Joyeux anniversaire, 0¡¡¡¡¡¡¡¡¡¡𐀀 ¡ !" * 2
    long_one = dataclasses.replace(result, subject=subject)
    msg = long_one.to_email_message()  # type: ignore[attr-defined]
    wire = msg.as_bytes(policy=email.policy.SMTP)
    assert all(len(line) <= 78 for line in wire.split(b"\r\n\r\n", 1)[0].split(b"\r\n"))
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert str(parsed["Subject"]) == subject


def test_header_safe_keeps_no_break_spaces() -> None:
    # French puts a narrow no-break space before "!"; folding it to a plain
    # space would let a mail client break the line before the "!".
    assert header_safe("Joyeux anniversaire, Ada\u202f!") == "Joyeux anniversaire, Ada\u202f!"
    assert header_safe("  a\r\n\t b\u00a0c  ") == "a b\u00a0c"
