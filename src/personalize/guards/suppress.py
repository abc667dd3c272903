"""``{% allow %}``: an author vouches for a span of copy, with a reason.

::

    {% allow "unsupported-superlative", reason="Award: Which? Best Buy 2026" %}
      Rated the best kettle in the UK by Which?
    {% endallow %}

Matches of the named content guards that fall inside the rendered body are
accepted; matches elsewhere in the message are not.  The reason is required
and must be a string literal, so a reviewer can read every suppression in the
template itself, and each one that rendered is listed on the result
(``result.suppressions``).  Only content guards can be vouched for: consent,
contact pressure, data permission and channel limits are facts about the
customer or the channel that no wording changes, so naming them is an error
when the library loads, like a missing reason or an unknown guard id.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

from ..context import current_state
from ..errors import did_you_mean
from ..policy import GUARD_IDS
from .text import CONTENT_GUARDS

__all__ = ["AllowExtension", "Suppression"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Suppression:
    """One ``{% allow %}`` block that rendered.

    Attributes:
        guards: the guard ids it vouches for.
        reason: the author's reason.
        template: the template it is in.
        lineno: its line.
        text: the rendered body (for audits).
    """

    guards: tuple[str, ...]
    reason: str
    template: str | None
    lineno: int
    text: str

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "guards": list(self.guards),
            "reason": self.reason,
            "template": self.template,
            "lineno": self.lineno,
            "text": self.text,
        }


def _string_literal(node: nodes.Expr) -> str | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return None


class AllowExtension(Extension):
    """The ``{% allow "guard-id", ..., reason="..." %}...{% endallow %}`` tag."""

    tags = {"allow"}  # noqa: RUF012 (Jinja declares it as a plain class attribute)

    def parse(self, parser: Parser) -> nodes.Node:
        token = next(parser.stream)
        lineno = token.lineno
        guards: list[str] = []
        reason: str | None = None
        while parser.stream.current.type != "block_end":
            if guards or reason is not None:
                parser.stream.expect("comma")
            if parser.stream.current.type == "name" and parser.stream.look().type == "assign":
                key = next(parser.stream).value
                parser.stream.expect("assign")
                value = _string_literal(parser.parse_expression())
                if key != "reason":
                    parser.fail(f"{{% allow %}} takes guard ids and reason=, not {key!r}", lineno)
                if value is None or not value.strip():
                    parser.fail(
                        '{% allow %} needs a reason as a non-empty string, e.g. reason="Award: '
                        'Which? Best Buy 2026"; reviewers audit suppressions by it',
                        lineno,
                    )
                reason = value.strip()
                continue
            guard = _string_literal(parser.parse_expression())
            if guard is None:
                parser.fail("{% allow %} takes guard ids as string literals", lineno)
            if guard not in GUARD_IDS:
                hint = did_you_mean(guard, GUARD_IDS) or "known: " + ", ".join(CONTENT_GUARDS)
                parser.fail(f"{{% allow %}} names unknown guard {guard!r}; {hint}", lineno)
            if guard not in CONTENT_GUARDS:
                parser.fail(
                    f"{{% allow %}} cannot vouch for {guard!r}: it is about the customer or the "
                    f"channel, not the wording; only {', '.join(CONTENT_GUARDS)} can be allowed "
                    "in a template (change the Policy instead)",
                    lineno,
                )
            guards.append(guard)
        if not guards:
            parser.fail('{% allow %} needs at least one guard id, e.g. "generic-address"', lineno)
        if reason is None:
            parser.fail(
                '{% allow %} needs a reason, e.g. {% allow "unsupported-superlative", '
                'reason="Award: Which? Best Buy 2026" %}; reviewers audit suppressions by it',
                lineno,
            )
        body = parser.parse_statements(("name:endallow",), drop_needle=True)
        # Capture the body with {% set %}-block semantics, then print it
        # through render_allow, which records it.  No CallBlock: the email CSS
        # inliner refuses those (they may bring in HTML from elsewhere).
        target = parser.free_identifier(lineno)
        capture = nodes.AssignBlock(target, None, body, lineno=lineno)
        call = self.call_method(
            "render_allow",
            [
                nodes.Tuple([nodes.Const(g) for g in guards], "load"),
                nodes.Const(reason),
                nodes.Const(parser.name),
                nodes.Const(lineno),
                target,
            ],
            lineno=lineno,
        )
        return nodes.Scope([capture, nodes.Output([call], lineno=lineno)], lineno=lineno)

    def render_allow(
        self,
        guards: tuple[str, ...],
        reason: str,
        template: str | None,
        lineno: int,
        body: str,
    ) -> str:
        """Record the rendered ``body`` on the current render and return it."""
        state = current_state()
        if state is not None and str(body).strip():
            text = str(body)
            state.allowed.append((frozenset(guards), reason, text))
            record = Suppression(
                guards=tuple(guards),
                reason=reason,
                template=template,
                lineno=lineno,
                text=" ".join(Markup(text).striptags().split()),
            )
            state.extras.setdefault("suppressions", []).append(record)
        return body
