"""Email properties for generated customers.

* The fast path (CSS inlined once per template) gives the same document as
  ``premailer.transform`` run on the same message rendered without inlining.
* Every customer name is escaped in the HTML (it is text, never markup).
* No header built from customer data contains CR or LF.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import lxml.html
import premailer
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import personalize
import personalize.testing
from personalize.channels.inline import PREMAILER_OPTIONS

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 23)
LIBRARIES = {
    "shipped": ROOT / "templates",
    "fixture": ROOT / "tests" / "res" / "inline",
}
MESSAGES = [("shipped", "birthday"), ("fixture", "card")]

# Names that stress escaping: markup, entities, quotes, braces, non-ASCII,
# separators and template-looking text.  Control characters (CR, LF...) are
# refused by Customer.from_dict already, so they are not generated here.
_TRICKY = st.sampled_from(
    [
        "<b>",
        "</p>",
        "&amp;",
        "&",
        '"',
        "'",
        "{{ x }}",
        "{% if %}",
        "<!--",
        "\u2028",
        "Zoë",
        "李",
        "😀",
    ]
)
_TEXT = st.characters(blacklist_categories=("Cc", "Cs"))
names = st.one_of(
    st.none(),
    st.text(_TEXT, min_size=1, max_size=20),
    st.lists(st.one_of(_TRICKY, st.text(_TEXT, max_size=4)), min_size=1, max_size=4).map("".join),
)


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": draw(st.text(_TEXT, min_size=1, max_size=12).filter(str.strip)),
        "locale": draw(st.sampled_from(["en_GB", "en_US", "de_DE", "fr_FR", "es_ES"])),
        "contact": {"email": "someone@example.org"},
        "consent": {"email": "opted_in"},
    }
    name = {k: draw(names) for k in ("given", "family", "preferred")}
    data["name"] = {k: v for k, v in name.items() if v is not None}
    # Half the customers get Ada's history (orders, tier, dates) so offers,
    # claims and plurals take their other branches too.
    if draw(st.booleans()):
        for key in ("orders", "birthday", "customer_since", "tier", "household"):
            if key in _ADA:
                data[key] = _ADA[key]
    interests = draw(
        st.lists(st.text(_TEXT, min_size=1, max_size=12).filter(str.strip), max_size=3)
    )
    if interests:
        data["interests"] = interests
    return data


_ADA: dict[str, Any] = json.loads(
    (ROOT / "templates" / "customers" / "ada.json").read_text(encoding="utf-8")
)
_URL_ATTRS = frozenset({"href", "src", "action"})


def _dom(html: str) -> Any:
    """A comparable form of a document: tags, attributes, collapsed text.

    Text is compared with white space folded (HTML renders it folded).  URL
    attributes are compared percent-decoded: lxml percent-encodes non-ASCII
    in ``href`` when it serializes a whole rendered message, while the fast
    path leaves the value as the template wrote it; both mean the same URL.
    """

    def fold(text: str | None) -> str:
        return " ".join((text or "").split())

    def walk(el: Any) -> Any:
        if not isinstance(el.tag, str):  # comments, processing instructions
            return ("#comment", fold(el.text), fold(el.tail))
        attrs = tuple(
            sorted((k, unquote(v) if k in _URL_ATTRS else v) for k, v in el.attrib.items())
        )
        return (el.tag, attrs, fold(el.text), tuple(walk(c) for c in el), fold(el.tail))

    return walk(lxml.html.document_fromstring(html))


@pytest.fixture(scope="module")
def libraries() -> dict[tuple[str, str], personalize.Library]:
    return {
        (key, mode): personalize.Library(path, today=TODAY, email_inlining=mode)
        for key, path in LIBRARIES.items()
        for mode in ("template", "off")
    }


def _render(lib: personalize.Library, message: str, data: dict[str, Any]) -> Any:
    try:
        customer = personalize.Customer.from_dict(data, today=TODAY)
    except personalize.CustomerDataError:
        assume(False)
    try:
        return lib.render(message, customer, "email")
    except personalize.Refused:
        assume(False)


@pytest.mark.parametrize(("lib_key", "message"), MESSAGES)
@given(data=customers())
def test_fast_path_equals_premailer_per_message(
    libraries: dict[tuple[str, str], personalize.Library],
    lib_key: str,
    message: str,
    data: dict[str, Any],
) -> None:
    fast = _render(libraries[(lib_key, "template")], message, data)
    assert fast.audit["email.inlining"] == "template"
    plain = _render(libraries[(lib_key, "off")], message, data)
    reference = premailer.transform(plain.html, **PREMAILER_OPTIONS)
    assert _dom(fast.html) == _dom(reference)


def _shipped_email_messages() -> list[str]:
    lib = personalize.Library(LIBRARIES["shipped"], today=TODAY)
    return [name for name, spec in lib.messages.items() if "email" in spec.channels]


@pytest.mark.parametrize("message", _shipped_email_messages())
@settings(max_examples=12)
@given(data=customers())
def test_every_shipped_email_takes_a_sound_fast_path(
    libraries: dict[tuple[str, str], personalize.Library], message: str, data: dict[str, Any]
) -> None:
    """Fewer examples per message than above, but every shipped template."""
    fast = _render(libraries[("shipped", "template")], message, data)
    assert fast.audit["email.inlining"] == "template"
    plain = _render(libraries[("shipped", "off")], message, data)
    reference = premailer.transform(plain.html, **PREMAILER_OPTIONS)
    assert _dom(fast.html) == _dom(reference)


def _visible_text(html: str) -> str:
    doc = lxml.html.document_fromstring(html)
    return " ".join(doc.body.text_content().split())


@given(data=customers(), name=names.filter(lambda n: n is not None and n.strip() != ""))
def test_names_are_escaped_in_html(
    libraries: dict[tuple[str, str], personalize.Library], data: dict[str, Any], name: str
) -> None:
    data["name"] = {"given": name}
    data.pop("interests", None)
    lib = libraries[("fixture", "template")]
    result = _render(lib, "card", data)
    benign = _render(lib, "card", {**data, "name": {"given": "Ada"}})
    # The name adds no element: the document has the same tags as with "Ada"...
    tags = [el.tag for el in lxml.html.document_fromstring(result.html).iter()]
    assert tags == [el.tag for el in lxml.html.document_fromstring(benign.html).iter()]
    # ...and reads as the customer's name, character for character.
    shown = personalize.Customer.from_dict(data).name.first
    assert shown is not None
    assert f"Hello {' '.join(shown.split())}" in _visible_text(result.html)


@given(data=customers())
def test_no_header_contains_a_line_break(
    libraries: dict[tuple[str, str], personalize.Library], data: dict[str, Any]
) -> None:
    result = _render(libraries[("shipped", "template")], "birthday", data)
    assert "\r" not in result.subject and "\n" not in result.subject
    assert "\r" not in result.preheader and "\n" not in result.preheader
    msg = result.to_email_message()
    wire = msg.as_bytes(policy=email.policy.SMTP)
    head = wire.split(b"\r\n\r\n", 1)[0]
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    expected = {"From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"}
    expected |= {"List-Unsubscribe-Post", "MIME-Version", "Content-Type"}
    assert set(parsed.keys()) == expected  # nothing smuggled in
    for line in head.split(b"\r\n"):
        assert b"\n" not in line and b"\r" not in line
    assert str(parsed["Subject"]) == result.subject


@functools.cache
def _permissive(mode: str) -> personalize.Library:
    from personalize.policy import GUARD_IDS

    warn_only = personalize.Policy(actions={g: "warn" for g in GUARD_IDS if g != "missing-data"})
    return personalize.Library(
        LIBRARIES["shipped"], today=TODAY, email_inlining=mode, policy=warn_only
    )


@pytest.mark.parametrize("message", ["birthday", "repurchase_reminder"])
@settings(max_examples=25)
@given(customer=personalize.testing.customers(today=TODAY))
def test_fast_path_equals_premailer_for_the_projects_own_customers(
    message: str,
    customer: personalize.Customer,
) -> None:
    """The same property over personalize.testing.customers() (orders, tiers, locales)."""
    # Guards only warn here: the property is about the HTML, and most
    # generated customers have not opted in to marketing email.
    try:
        fast = _permissive("template").render(message, customer, "email")
        plain = _permissive("off").render(message, customer, "email")
    except personalize.Refused:
        assume(False)
    assert fast.audit["email.inlining"] == "template"
    reference = premailer.transform(plain.html, **PREMAILER_OPTIONS)  # type: ignore[attr-defined]
    assert _dom(fast.html) == _dom(reference)  # type: ignore[attr-defined]
