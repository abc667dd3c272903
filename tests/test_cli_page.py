"""``preview --html``: a self-contained, injection-proof page, checked in a real browser."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import personalize
from personalize.cli import main
from personalize.cli.page import sms_runs

from .cli_support import FLAWED, TEMPLATES, TODAY

HOSTILE = '<script>alert("x")</script><img src=https://evil.example/x.png onerror=alert(1)>'
CUSTOMER = {
    "id": "c-42",
    "name": {"given": "Zoë " + HOSTILE, "family": "Lovelace"},
    "locale": "en_GB",
    "contact": {"email": "zoe@example.org", "phone": "+447700900123"},
    "consent": {"email": "opted_in", "sms": "opted_in", "voice": "opted_in"},
    "interests": ["knitting"],
}


class Tags(HTMLParser):
    """Every start tag of a document with its attributes, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def write_page(tmp_path: Path, templates: Path, message: str, customer: dict[str, object]) -> Path:
    out = tmp_path / "preview.html"
    result = CliRunner().invoke(
        main,
        [
            "preview",
            message,
            "--customer",
            "-",
            "--templates",
            str(templates),
            "--today",
            TODAY,
            "--html",
            str(out),
        ],
        input=json.dumps(customer),
    )
    assert result.exit_code in (0, 1), result.output
    assert out.is_file()
    return out


@pytest.fixture
def page(tmp_path: Path) -> Path:
    return write_page(tmp_path, TEMPLATES, "birthday", CUSTOMER)


def test_customer_data_cannot_add_markup_to_the_page(page: Path) -> None:
    doc = parse(page.read_text(encoding="utf-8"))
    names = {tag for tag, _ in doc.tags}
    assert "script" not in names
    assert "img" not in names
    for _tag, attrs in doc.tags:
        assert not any(name.startswith("on") for name in attrs), attrs
    # The hostile name is there, as text, wherever the copy shows it.
    assert any(HOSTILE in chunk for chunk in doc.text)


def test_page_loads_nothing_from_the_network(page: Path) -> None:
    doc = parse(page.read_text(encoding="utf-8"))
    for tag, attrs in doc.tags:
        assert tag not in {"link", "script", "img", "object", "embed"}
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    csp = [a["content"] for t, a in doc.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0] or "")


def test_email_is_in_a_sandboxed_iframe_with_the_rendered_html(page: Path) -> None:
    lib = personalize.Library(TEMPLATES)
    import datetime as dt

    customer = personalize.Customer.from_dict(CUSTOMER)
    try:
        email = lib.render("birthday", customer, "email", today=dt.date.fromisoformat(TODAY))
    except personalize.Refused as exc:
        assert isinstance(exc.result, personalize.EmailResult)
        email = exc.result
    assert isinstance(email, personalize.EmailResult)
    frames = [a for t, a in parse(page.read_text(encoding="utf-8")).tags if t == "iframe"]
    assert len(frames) == 1
    assert frames[0]["sandbox"] == ""  # no allow-* token: no scripts, no same-origin
    assert frames[0]["srcdoc"] == email.html


def test_sms_runs_mark_the_characters_that_forced_ucs2() -> None:
    assert sms_runs("Hi Zoë 😀!", ["ë", "😀"]) == [
        ("Hi Zo", False),
        ("ë", True),
        (" ", False),
        ("😀", True),
        ("!", False),
    ]
    assert sms_runs("plain", []) == [("plain", False)]


def test_sms_bubble_highlights_ucs2_and_shows_each_segment(tmp_path: Path) -> None:
    customer = {"id": "c-1", "name": {"given": "Zoë"}, "interests": ["knitting"] * 6}
    page = write_page(tmp_path, FLAWED, "chatty", customer)
    html = page.read_text(encoding="utf-8")
    assert '<mark class="ucs2" title="forces UCS-2">ë</mark>' in html
    lib = personalize.Library(FLAWED)
    sms = lib.render("chatty", personalize.Customer.from_dict(customer), "sms")
    assert isinstance(sms, personalize.SmsResult) and sms.segments >= 2
    assert html.count('<span class="seg"') == sms.segments
    assert f"{sms.segments} segments</strong>" in html


# -- a real browser ---------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")


def chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={user_data}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG: (width, height, rows)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = prev[i]
            upleft = prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else upleft
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r) for r in rows]


@needs_chromium
def test_page_renders_in_headless_chromium(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        proc = chromium(
            f"--screenshot={shot}",
            "--window-size=1280,900",
            page.as_uri(),
            user_data=Path(profile),
        )
    assert shot.is_file(), proc.stderr[-2000:]
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 900)
    step = 3 if len(rows[0]) == width * 3 else 4
    colours = {row[i : i + 3] for row in rows[::4] for i in range(0, len(row), step * 4)}
    # A blank or error page has a handful of colours; ours has text, the dark
    # header, the phone frame and the email, anti-aliased.
    assert len(colours) > 200, len(colours)
    dark = sum(1 for row in rows[:40] for i in range(0, len(row), step) if max(row[i : i + 3]) < 60)
    assert dark > 1000, "the dark page header is not on the screenshot"


@needs_chromium
def test_page_dom_in_chromium_holds_the_three_variants(page: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        proc = chromium("--dump-dom", page.as_uri(), user_data=Path(profile))
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = parse(proc.stdout)
    sections = {a.get("id"): a for t, a in doc.tags if t == "section"}
    assert set(sections) >= {"email", "sms", "voice"}
    text = "".join(doc.text)
    lib = personalize.Library(TEMPLATES)
    customer = personalize.Customer.from_dict(CUSTOMER)
    import datetime as dt

    day = dt.date.fromisoformat(TODAY)
    for channel in ("email", "sms", "voice"):
        try:
            result = lib.render("birthday", customer, channel, today=day)
        except personalize.Refused as exc:
            assert sections[channel]["data-status"] == "refused"
            result = exc.result  # type: ignore[assignment]
            if result is None:
                continue
        if isinstance(result, personalize.EmailResult):
            assert result.subject in text
            frames = [a for t, a in doc.tags if t == "iframe"]
            assert frames and frames[0]["srcdoc"] == result.html
        elif isinstance(result, (personalize.SmsResult, personalize.VoiceResult)):
            assert result.text in text
        if isinstance(result, personalize.VoiceResult):
            assert result.ssml in text
