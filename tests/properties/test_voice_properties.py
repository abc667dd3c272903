"""Voice properties: generated names are escaped in SSML and heard as written."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import personalize

VOICE = Path(__file__).resolve().parents[1] / "res" / "voice"
TODAY = dt.date(2026, 11, 23)

_TRICKY = st.sampled_from(
    [
        "<break/>",
        "</speak>",
        "&amp;",
        "&",
        '"',
        "'",
        "]]>",
        "<!--",
        "<?xml?>",
        "\ufffe",
        "Zoë",
        "😀",
    ]
)
names = st.one_of(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20),
    st.lists(st.one_of(_TRICKY, st.text(max_size=3)), min_size=1, max_size=4).map("".join),
)


@pytest.fixture(scope="module")
def lib() -> personalize.Library:
    return personalize.Library(VOICE, today=TODAY)


def _render(lib: personalize.Library, given_name: str) -> Any:
    data = {"id": "c-1", "name": {"given": given_name}, "locale": "en_GB"}
    try:
        customer = personalize.Customer.from_dict(data, today=TODAY)
    except personalize.CustomerDataError:
        assume(False)
    try:
        return lib.render("reminder", customer, "voice")
    except personalize.Refused:
        assume(False)


@given(name=names)
def test_names_are_escaped_in_ssml(lib: personalize.Library, name: str) -> None:
    result = _render(lib, name)
    benign = _render(lib, "Ada")
    tags = [el.tag for el in ET.fromstring(result.ssml).iter()]
    assert tags == [el.tag for el in ET.fromstring(benign.ssml).iter()]
    shown = personalize.Customer.from_dict({"id": "c", "name": {"given": name}}).name.first
    if shown is None:  # blank names are missing: the neutral greeting
        assert result.text.startswith("Hello. ")
        return
    heard = " ".join("".join(c for c in shown if c not in "\ufffe\uffff").split())
    if heard:
        assert f"Hello {heard}." in result.text
