"""Claims: copy that only renders when the data supports it.

``templates/claims.toml`` declares each claim a message may make about the
customer, with the rule that must hold and a human-readable ``evidence``
string that goes on the result::

    [claim.loyal_customer]
    when = "customer.tenure_years >= 3 and customer.order_count >= 10"
    evidence = "{{ customer.order_count }} orders over {{ customer.tenure_years }} years"

``{% claim "loyal_customer" %}...{% else %}...{% endclaim %}`` renders its
body only when the rule holds.  Every claim evaluated is recorded on the
result (``result.claims``: name, held, evidence), and the rendered body of
every satisfied claim goes to ``state.claimed``, where the superlative guard
accepts superlatives ("one of our most loyal customers") that the data backs.
An unknown claim name fails when the library loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

from ._tomlfile import TomlFile
from .context import CustomerView, MissingDataError, current_state, reset_state, set_state
from .customer import Customer
from .errors import PersonalizeError, TemplateError, did_you_mean

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .environment import Environment

__all__ = ["Claim", "ClaimCatalog", "ClaimCheck", "ClaimExtension", "load_claims"]

CLAIM_KEYS: Final = ("when", "evidence", "description")
_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """One claim of claims.toml.

    Attributes:
        name: the claim's name (``loyal_customer``).
        when: the rule's source.
        evidence: the evidence text, may print customer facts with ``{{ }}``.
        description: what the claim allows the copy to say.
        lineno: the line of its ``[claim.NAME]`` header.
    """

    name: str
    when: str
    evidence: str
    description: str = ""
    lineno: int | None = field(default=None, compare=False)
    rule: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    evidence_template: jinja2.Template | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimCheck:
    """A claim evaluated for one customer.

    Attributes:
        name: the claim.
        held: whether its rule held.
        evidence: the evidence text, with the customer's facts filled in when
            the claim held (the raw declaration otherwise).
        reason: why it did not hold, when it did not (e.g. missing data).
    """

    name: str
    held: bool
    evidence: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out: dict[str, Any] = {"name": self.name, "held": self.held, "evidence": self.evidence}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimCatalog:
    """Every claim of claims.toml, by name."""

    claims: Mapping[str, Claim] = field(default_factory=lambda: MappingProxyType({}))
    name: str | None = None

    def check(self, claim_name: str, customer: Customer) -> ClaimCheck:
        """Evaluate ``claim_name`` for ``customer`` (as of ``customer.today``).

        Raises:
            TemplateError: for an unknown claim, or a rule that fails for a
                reason other than missing data.
        """
        claim = self.claims.get(claim_name)
        if claim is None:
            raise TemplateError(
                f"unknown claim {claim_name!r}",
                hint=did_you_mean(claim_name, self.claims) or "declare it in claims.toml",
            )
        assert claim.rule is not None
        try:
            held = bool(claim.rule(customer=CustomerView(customer), today=customer.today))
        except MissingDataError as exc:
            return ClaimCheck(
                name=claim.name,
                held=False,
                evidence=claim.evidence,
                reason=f"missing data: {exc.path}",
            )
        except PersonalizeError:
            raise
        except Exception as exc:
            raise TemplateError(
                f"claim {claim.name!r}: when rule failed: {type(exc).__name__}: {exc}",
                name=self.name,
                lineno=claim.lineno,
            ) from exc
        if not held:
            return ClaimCheck(
                name=claim.name,
                held=False,
                evidence=claim.evidence,
                reason=f"rule does not hold: {claim.when}",
            )
        return ClaimCheck(name=claim.name, held=True, evidence=_evidence(claim, customer))


def _evidence(claim: Claim, customer: Customer) -> str:
    """The evidence text with facts filled in; the raw text if that fails.

    Rendered with no render state so that evidence never adds facts or
    ``missing-data`` violations to the message itself.
    """
    if claim.evidence_template is None:
        return claim.evidence
    token = set_state(None)
    try:
        return claim.evidence_template.render(customer=CustomerView(customer))
    except Exception:
        return claim.evidence
    finally:
        reset_state(token)


def load_claims(root: Path, env: Environment) -> ClaimCatalog:
    """Load and validate ``root/claims.toml`` (an empty catalog if absent).

    Raises:
        TemplateError: naming claims.toml, the line and the key, with a hint.
    """
    from .offers import compile_rule

    path = root / "claims.toml"
    if not path.is_file():
        return ClaimCatalog()
    file = TomlFile.load(path, root)
    for key in file.data:
        if key != "claim":
            raise file.error(
                f"unknown top-level key {key!r}",
                lineno=file.key_line(key) or None,
                hint="claims are written as [claim.NAME] tables",
            )
    raw_claims = file.data.get("claim", {})
    if not isinstance(raw_claims, dict):
        raise file.error("claims must be written as [claim.NAME] tables")
    claims: dict[str, Claim] = {}
    for name, raw in raw_claims.items():
        lines = file.header_lines(rf"\[\s*claim\.\"?{re.escape(name)}\"?\s*\]")
        line = lines[0] if lines else None
        if not _NAME.match(name):
            raise file.error(
                f"claim name {name!r} must be letters, digits and underscores", lineno=line
            )
        if not isinstance(raw, dict):
            raise file.error(f"claim.{name} must be a table", lineno=line)
        for key in raw:
            if key not in CLAIM_KEYS:
                raise file.error(
                    f"claim.{name}: unknown key {key!r}",
                    lineno=file.key_line(key, line),
                    hint=did_you_mean(key, CLAIM_KEYS) or "claim keys: " + ", ".join(CLAIM_KEYS),
                )
        for key in ("when", "evidence"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise file.error(
                    f"claim.{name}.{key} is required and must be a non-empty string",
                    lineno=file.key_line(key, line),
                    hint='when = "customer.order_count >= 10"; evidence = "10+ orders"'
                    if key == "when"
                    else "say in words what data supports the claim",
                )
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise file.error(
                f"claim.{name}.description must be a string",
                lineno=file.key_line("description", line),
            )
        when_line = file.key_line("when", line)
        rule = compile_rule(env, raw["when"], file=file, lineno=when_line)
        evidence_line = file.key_line("evidence", line)
        try:
            evidence_template = env.from_string(raw["evidence"])
        except jinja2.TemplateSyntaxError as exc:
            raise file.error(f"claim.{name}.evidence: {exc.message}", lineno=evidence_line) from exc
        claims[name] = Claim(
            name=name,
            when=raw["when"],
            evidence=raw["evidence"],
            description=description,
            lineno=line,
            rule=rule,
            evidence_template=evidence_template,
        )
    return ClaimCatalog(claims=MappingProxyType(claims), name=file.name)


# ---------------------------------------------------------------------------
# The {% claim %} tag
# ---------------------------------------------------------------------------


def check_for_render(catalog: ClaimCatalog, claim_name: str) -> ClaimCheck:
    """Evaluate a claim for the render in progress (once per render) and record it."""
    state = current_state()
    if state is None:
        raise TemplateError("{% claim %} can only be used while rendering a message")
    checks: list[ClaimCheck] = state.extras.setdefault("claims", [])
    for done in checks:
        if done.name == claim_name:
            return done
    check = catalog.check(claim_name, state.customer)
    checks.append(check)
    return check


class ClaimExtension(Extension):
    """``{% claim "name" %}body{% else %}other body{% endclaim %}``.

    The claim name must be a quoted name declared in claims.toml; the
    library checks it while it loads every template (parsing is where the
    tag is compiled, so an unknown name is a ``TemplateError`` with the
    template and line).  Under ``pybabel extract`` no catalog is set and
    names are not checked.
    """

    tags = {"claim"}  # noqa: RUF012 - Jinja's Extension API declares a plain set

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.extend(personalize_claims=None)

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        name_node = parser.parse_expression()
        if not (isinstance(name_node, nodes.Const) and isinstance(name_node.value, str)):
            parser.fail(
                'the claim must be a quoted name, e.g. {% claim "loyal_customer" %}', lineno
            )
        name: str = name_node.value
        catalog: ClaimCatalog | None = getattr(self.environment, "personalize_claims", None)
        if catalog is not None and name not in catalog.claims:
            hint = did_you_mean(name, catalog.claims)
            known = ", ".join(sorted(catalog.claims)) or "none"
            parser.fail(
                f"unknown claim {name!r}; "
                + (hint or f"claims in claims.toml: {known}; declare it as [claim.{name}]"),
                lineno,
            )
        body = parser.parse_statements(("name:else", "name:endclaim"))
        else_: list[nodes.Node] = []
        if next(parser.stream).test("name:else"):
            else_ = parser.parse_statements(("name:endclaim",), drop_needle=True)
        # The body is captured with {% set %}-block semantics (AssignBlock)
        # into a compiler-private name, then printed through _claimed, which
        # records the text for the guards.  No macro or CallBlock: the email
        # CSS inliner refuses those, as they may bring in HTML from elsewhere.
        holds = self.call_method("_holds", [nodes.Const(name)], lineno=lineno)
        target = parser.free_identifier(lineno)
        capture = nodes.AssignBlock(target, None, body, lineno=lineno)
        output = nodes.Output(
            [self.call_method("_claimed", [nodes.Const(name), target], lineno=lineno)],
            lineno=lineno,
        )
        scoped = nodes.Scope([capture, output], lineno=lineno)
        return nodes.If(holds, [scoped], [], else_, lineno=lineno)

    def _catalog(self) -> ClaimCatalog:
        catalog: ClaimCatalog | None = getattr(self.environment, "personalize_claims", None)
        return catalog or ClaimCatalog()

    def _holds(self, name: str) -> bool:
        return check_for_render(self._catalog(), name).held

    def _claimed(self, name: str, rendered: str) -> str:
        state = current_state()
        if state is not None:
            state.claimed.append((name, str(rendered)))
        return rendered
