"""CSS inlining done once per template, so a render is Jinja work only.

premailer costs tens of times a Jinja render, so running it on every message
would dominate a campaign.  Instead, when a :class:`~personalize.Library`
loads, each email HTML template is prepared once:

1. **Flatten** the Jinja inheritance at source level: the message template's
   ``{% block %}`` bodies are spliced into its layout's blocks (recursively,
   for layouts that extend layouts), keeping the block tags themselves, so
   the result renders exactly like the original and premailer sees the full
   document, ``<style>`` and all.
2. **Protect** every Jinja construct (``{{ }}``, ``{% %}``, ``{# #}``) with a
   placeholder premailer cannot touch: an HTML comment ``<!--pz7-->`` in
   content (allowed anywhere, kept in place by lxml) and a bare token in
   attribute values and ``<title>`` (premailer URL-encodes ``{{ }}`` inside
   ``href``, which is the trap this avoids).
3. **Inline** the protected document once with premailer.
4. **Check and restore**: every placeholder must come back exactly once and
   in source order, then the constructs are put back and the result is
   compiled as a Jinja template under the original name (so autoescaping
   and error names are the same).

The fast path is only taken when it is sound; otherwise the template falls
back to premailer per message and :func:`prepare` says why.  It is unsound
when CSS selectors depend on siblings or position (``+``, ``~``,
``:first-child``, ``:nth-child``...), because loops and conditionals change
siblings; when a ``class``, ``id`` or ``style`` attribute, a ``<style>`` or a
``<script>`` contains template syntax; when template syntax sits inside a
tag outside a quoted attribute value; when HTML comes from elsewhere at
render time (``{% include %}``, ``{% import %}``, macros, ``super()``); and
when the extends target is not a literal name.  The property test in
``tests/properties/test_email_inlining.py`` checks, for generated customers,
that the fast path's HTML has the same DOM as ``premailer.transform`` run on
the same message rendered without inlining.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Final

import jinja2
from jinja2 import nodes

__all__ = [
    "PREMAILER_OPTIONS",
    "FastTemplate",
    "InliningUnsupported",
    "flatten_source",
    "inline_css",
    "prepare",
]

#: The options every premailer run uses (the fast path and per-message).
PREMAILER_OPTIONS: Final[dict[str, Any]] = {
    "keep_style_tags": True,  # media queries only work from <style>
    "strip_important": False,
    "disable_validation": True,
    "cssutils_logging_level": "CRITICAL",
    "allow_network": False,
}

_DOCTYPE = re.compile(r"^\s*(<!DOCTYPE[^>]*>)", re.I)


def inline_css(html: str) -> str:
    """Inline ``<style>`` rules into ``style`` attributes, keeping the block.

    premailer drops the document type declaration; it is put back, because
    without it some clients render in quirks mode.
    """
    import premailer

    out = str(premailer.transform(html, **PREMAILER_OPTIONS))
    doctype = _DOCTYPE.match(html)
    if doctype and not _DOCTYPE.match(out):
        out = f"{doctype.group(1)}\n{out}"
    return out


class InliningUnsupported(Exception):
    """The fast path would not be sound for this template (the reason)."""


# Jinja constructs, with raw blocks kept whole, and {% trans %} blocks whose
# body has no markup kept whole too (their body is a gettext msgid: lxml must
# not re-serialize it, or the lookup misses).  Default delimiters only: the
# Environment does not change them.
_CONSTRUCT = re.compile(
    r"\{%-?\+?\s*raw\s*[-+]?%\}.*?\{%-?\+?\s*endraw\s*[-+]?%\}"
    r"|\{%-?\+?\s*trans\b[^%]*?[-+]?%\}[^<]*?\{%-?\+?\s*endtrans\s*[-+]?%\}"
    r"|\{#.*?#\}"
    r"|\{%.*?%\}"
    r"|\{\{.*?\}\}",
    re.S,
)
_BLOCK = re.compile(r"\{%[-+]?\s*block\s+(\w+)[^%]*?[-+]?%\}")
_ENDBLOCK = re.compile(r"\{%[-+]?\s*endblock\b[^%]*?[-+]?%\}")
_EXTENDS = re.compile(r"\{%[-+]?\s*extends\s+(.*?)\s*[-+]?%\}", re.S)


@dataclass(frozen=True, slots=True)
class _Block:
    name: str
    start: int  # offset of "{% block"
    body_start: int  # just after the opening tag
    body_end: int  # offset of "{% endblock"
    end: int  # just after the closing tag


def _blocks(source: str) -> list[_Block]:
    """Top-level and nested blocks of ``source``, outermost first."""
    stack: list[tuple[str, int, int]] = []
    found: list[_Block] = []
    for match in _CONSTRUCT.finditer(source):
        text = match.group(0)
        opened = _BLOCK.fullmatch(text)
        if opened:
            stack.append((opened.group(1), match.start(), match.end()))
        elif _ENDBLOCK.fullmatch(text):
            if not stack:
                raise InliningUnsupported("unbalanced {% endblock %}")
            name, start, body_start = stack.pop()
            found.append(_Block(name, start, body_start, match.start(), match.end()))
    if stack:
        raise InliningUnsupported("unclosed {% block %}")
    return sorted(found, key=lambda b: b.start)


def _splice(source: str, overrides: dict[str, str]) -> str:
    """``source`` with each overridden block's body replaced, recursively."""
    out: list[str] = []
    pos = 0
    for block in _blocks(source):
        if block.start < pos:  # nested in a block handled already
            continue
        out.append(source[pos : block.body_start])
        body = source[block.body_start : block.body_end]
        out.append(_splice(overrides.get(block.name, body), overrides))
        out.append(source[block.body_end : block.end])
        pos = block.end
    out.append(source[pos:])
    return "".join(out)


def flatten_source(env: jinja2.Environment, name: str) -> str:
    """The source of ``name`` with its ``{% extends %}`` chain resolved.

    Block tags are kept (a template without ``extends`` renders its blocks
    in place), so the flattened source renders like the original.

    Raises:
        InliningUnsupported: for a computed extends target or ``super()``.
    """
    assert env.loader is not None
    source = env.loader.get_source(env, name)[0]
    match = _EXTENDS.search(source)
    if match is None:
        return source
    target = match.group(1)
    if not re.fullmatch(r"\"[^\"]+\"|'[^']+'", target):
        raise InliningUnsupported(f"extends target {target} is not a literal name")
    if "super()" in source:
        raise InliningUnsupported("a block calls super()")
    overrides: dict[str, str] = {}
    preamble: list[str] = []
    pos = 0
    for block in _blocks(source):
        overrides.setdefault(block.name, source[block.body_start : block.body_end])
        if block.start >= pos:
            preamble.append(source[pos : block.start])
            pos = block.end
    preamble.append(source[pos:])
    # Outside blocks, a child template only contributes statements (set,
    # import); its text is never output, so keep just the constructs.
    kept = [
        m.group(0)
        for m in _CONSTRUCT.finditer("".join(preamble))
        if not _EXTENDS.fullmatch(m.group(0)) and not m.group(0).startswith("{#")
    ]
    parent = flatten_source(env, target[1:-1])
    return "".join(kept) + _splice(parent, overrides)


# -- protecting template syntax -------------------------------------------

_TRANS_BODY = re.compile(r"\{%-?\+?\s*trans\b.*?%\}(.*?)\{%-?\+?\s*endtrans", re.S)
_PARTIALS: Final = (nodes.Include, nodes.Import, nodes.FromImport)


def _writes_markup(node: nodes.Node) -> bool:
    return any(isinstance(n, nodes.TemplateData) and "<" in n.data for n in _walk(node))


def _check_markup_sources(env: jinja2.Environment, ast: nodes.Node, *, seen: set[str]) -> None:
    """Refuse markup that premailer would not see where it ends up.

    premailer sees the flattened template's own text.  Partials (include,
    import) and macros are fine when they write text only, like a phrase of
    interests; markup in them would be styled in the wrong place or not at
    all.  ``|safe`` output can carry markup from data.
    """
    for node in _walk(ast):
        if isinstance(node, _PARTIALS):
            target = node.template
            if not isinstance(target, nodes.Const) or not isinstance(target.value, str):
                raise InliningUnsupported("a partial's name is computed at render time")
            if target.value in seen:
                continue
            seen.add(target.value)
            assert env.loader is not None
            source = env.loader.get_source(env, target.value)[0]
            partial = env.parse(source, name=target.value)
            if _writes_markup(partial):
                raise InliningUnsupported(
                    f"partial {target.value!r} writes HTML the inliner cannot see in place"
                )
            _check_markup_sources(env, partial, seen=seen)
        elif isinstance(node, nodes.Macro) and _writes_markup(node):
            raise InliningUnsupported(
                f"macro {node.name!r} writes HTML that would be styled where it is defined, "
                "not where it is called"
            )
        elif isinstance(node, nodes.CallBlock):
            raise InliningUnsupported("{% call %} wraps its body in a macro's output")
        elif isinstance(node, nodes.Filter) and node.name == "safe":
            raise InliningUnsupported("|safe output may carry HTML the inliner cannot see")


_STRUCTURAL_SELECTOR = re.compile(
    r"[+~]|:(first|last|nth|only|empty|not|has|root|is|where|lang|dir)", re.I
)
# At-rules: "@import ...;" or "@media ... { rules }" (one level of nesting).
_AT_RULE = re.compile(r"@[a-z-]+[^{;]*(;|\{(?:[^{}]*\{[^{}]*\})*[^{}]*\})", re.I)


def _check_css(css: str, dynamic_attributes: frozenset[str]) -> None:
    """Refuse selectors whose matches can differ between source and output.

    Rules inside at-rules (``@media``) are not inlined by premailer, so only
    top-level rules are checked.
    """
    body = _AT_RULE.sub("", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    for selectors in re.findall(r"([^{}]+)\{", body):
        for selector in selectors.split(","):
            if _STRUCTURAL_SELECTOR.search(selector):
                raise InliningUnsupported(
                    f"CSS selector {selector.strip()!r} depends on siblings, position or "
                    "language, which loops, conditionals and the locale change"
                )
            # [attr] tests presence, the same in source and output; [attr=...]
            # tests the value, which a placeholder stands in for.
            for attr in re.findall(r"\[\s*([\w:-]+)\s*[~|^$*]?=", selector):
                if attr.lower() in dynamic_attributes:
                    raise InliningUnsupported(
                        f"CSS selector {selector.strip()!r} tests the {attr!r} attribute, "
                        "whose value comes from the template"
                    )


@dataclass(frozen=True, slots=True)
class _Protected:
    html: str
    placeholders: tuple[tuple[str, str], ...]  # (placeholder, construct), in order
    dynamic_attributes: frozenset[str]  # attribute names whose values hold syntax


def _protect(source: str) -> _Protected:
    """Replace each Jinja construct with a placeholder premailer leaves alone."""
    prefix = "pz"
    while prefix in source:
        prefix += "q"
    pieces: list[str] = []
    placeholders: list[tuple[str, str]] = []
    dynamic: set[str] = set()
    state = "data"  # data | tag | attr | comment | rcdata
    quote = ""
    attr_name = ""
    element = ""
    pos = 0

    def scan(text: str) -> None:
        nonlocal state, quote, attr_name, element
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            if state == "data":
                if text.startswith("<!--", i):
                    end = text.find("-->", i + 4)
                    if end < 0:
                        state = "comment"
                        return
                    i = end + 3
                    continue
                if ch == "<":
                    m = re.match(r"</?([A-Za-z][\w-]*)|<!", text[i:])
                    if m:
                        element = (
                            (m.group(1) or "").lower() if not m.group(0).startswith("</") else ""
                        )
                        state = "tag"
                        i += len(m.group(0))
                        continue
            elif state == "comment":
                end = text.find("-->", i)
                if end < 0:
                    return
                state = "data"
                i = end + 3
                continue
            elif state == "rcdata":
                if text.startswith(f"</{element}", i):
                    state = "data"
                    continue
            elif state == "tag":
                if ch == ">":
                    state = (
                        "rcdata" if element in ("title", "textarea", "style", "script") else "data"
                    )
                elif ch in "\"'":
                    state, quote = "attr", ch
                    m = re.search(r"([\w:-]+)\s*=\s*$", text[:i])
                    attr_name = m.group(1).lower() if m else attr_name
            elif state == "attr" and ch == quote:
                state = "tag"
            i += 1

    for index, match in enumerate(_CONSTRUCT.finditer(source)):
        scan(source[pos : match.start()])
        pieces.append(source[pos : match.start()])
        construct = match.group(0)
        if state in ("data", "comment"):
            ph = f"<!--{prefix}{index}-->" if state == "data" else f"{prefix}{index}q"
        elif state == "attr":
            if attr_name in ("class", "id", "style"):
                raise InliningUnsupported(
                    f"template syntax in a {attr_name!r} attribute: {construct!r}"
                )
            ph = f"{prefix}{index}q"
            dynamic.add(attr_name)
        elif state == "rcdata":
            if element in ("style", "script"):
                raise InliningUnsupported(f"template syntax inside <{element}>: {construct!r}")
            ph = f"{prefix}{index}q"
        else:
            raise InliningUnsupported(
                f"template syntax inside a tag, outside a quoted attribute value: {construct!r}"
            )
        pieces.append(ph)
        placeholders.append((ph, construct))
        pos = match.end()
    scan(source[pos:])
    pieces.append(source[pos:])
    return _Protected("".join(pieces), tuple(placeholders), frozenset(dynamic))


def _restore(html: str, protected: _Protected) -> str:
    out: list[str] = []
    pos = 0
    for ph, construct in protected.placeholders:
        at = html.find(ph, pos)
        if at < 0 or html.count(ph) != 1:
            raise InliningUnsupported(
                f"the inliner moved or dropped template syntax {construct!r}; "
                "keep template tags inside <html> and markup balanced in each branch"
            )
        out.append(html[pos:at])
        out.append(construct)
        pos = at + len(ph)
    out.append(html[pos:])
    return "".join(out)


class _Skeleton(HTMLParser):
    """Start and end tags and comment placeholders of a document, in order.

    Implied end tags (``<li>`` without ``</li>``) come out explicit after
    lxml, so such a template takes the per-message path: safe, only slower.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("html", "head", "body"):  # the parser may add these
            self.items.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("html", "head", "body"):
            self.items.append(f"/{tag}")

    def handle_comment(self, data: str) -> None:
        self.items.append(f"<!--{data}-->")


def _skeleton(html: str) -> list[str]:
    parser = _Skeleton()
    parser.feed(html)
    parser.close()
    return parser.items


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


@dataclass(frozen=True, slots=True)
class FastTemplate:
    """An email HTML template with its CSS already inlined.

    Attributes:
        name: the original template name.
        source: the flattened, inlined Jinja source.
        template: that source compiled in the library's environment.
    """

    name: str
    source: str
    template: jinja2.Template


def prepare(env: jinja2.Environment, name: str) -> FastTemplate:
    """Flatten, protect, inline once and compile ``name``.

    Raises:
        InliningUnsupported: when the fast path would not be sound (the
            message says why); callers fall back to inlining per message.
    """
    flat = flatten_source(env, name)
    ast = env.parse(flat, name=name)
    _check_markup_sources(env, ast, seen=set())
    protected = _protect(flat)
    for css in re.findall(r"<style[^>]*>(.*?)</style>", flat, flags=re.S | re.I):
        _check_css(css, protected.dynamic_attributes)
    transformed = inline_css(protected.html)
    if _skeleton(transformed) != _skeleton(protected.html):
        # lxml added or moved elements (a stray </p>, a <div> inside <p>):
        # the branches of the template would no longer line up with the tags.
        raise InliningUnsupported(
            "the HTML parser restructured the markup (check nesting, e.g. a block element "
            "inside <p>, and that each {% if %} branch is balanced)"
        )
    inlined = _restore(transformed, protected)
    if _TRANS_BODY.findall(inlined) != _TRANS_BODY.findall(flat):
        raise InliningUnsupported(
            "the inliner would change the text of a {% trans %} block (its gettext msgid)"
        )
    code = env.compile(inlined, name=name, filename=name)
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    return FastTemplate(name=name, source=inlined, template=template)
