"""The derived text part keeps every visible word, in order, and no markup."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from personalize.channels.email import html_to_text

words = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=8
)
phrases = st.lists(words, min_size=1, max_size=6).map(" ".join)


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> tuple[str, list[str]]:
    """(HTML, the visible words in order)."""
    kind = draw(
        st.sampled_from(["text", "p", "ul", "a", "strong", "br"] if depth < 2 else ["text"])
    )
    if kind == "text":
        text = draw(phrases)
        return html.escape(text), text.split()
    if kind == "br":
        return "<br>", []
    if kind == "ul":
        items = draw(st.lists(phrases, min_size=1, max_size=3))
        body = "".join(f"<li>{html.escape(i)}</li>" for i in items)
        return f"<ul>{body}</ul>", [w for i in items for w in i.split()]
    inner, seen = draw(fragments(depth + 1))
    if kind == "a":
        return f'<a href="https://x.example/p">{inner}</a>', seen
    return f"<{kind}>{inner}</{kind}>", seen


@given(st.lists(fragments(), min_size=1, max_size=6))
def test_visible_words_kept_in_order_without_markup(parts: list[tuple[str, list[str]]]) -> None:
    doc = "<html><head><style>p { color: red }</style></head><body>"
    doc += " ".join(h for h, _ in parts) + "</body></html>"
    text = html_to_text(doc)
    expected = [w for _, seen in parts for w in seen]
    # Links read "text (url)", or just the URL when they have no text.
    links = ("-", "(https://x.example/p)", "https://x.example/p")
    got = [w for w in text.split() if w not in links]
    # A visible word may itself be "-" (or look like a link token): filter both sides.
    expected = [w for w in expected if w not in links]
    assert got == expected
    assert "color: red" not in text
    # Markup may only appear where the visible text itself spells it; compare
    # across word boundaries too ("&lt;a 0" is the visible text "<a 0").
    visible = " ".join(w for w in text.split() if w not in links)
    for tag in ("<p>", "<ul>", "<li>", "<a ", "<strong>", "<br>", "</"):
        assert visible.count(tag) == " ".join(expected).count(tag)
    assert all(len(line) <= 76 or " " not in line.strip() for line in text.splitlines())
    assert not re.search(r"\n\n\n", text)
