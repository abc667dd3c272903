"""The Library: a templates folder, loaded, validated and compiled once.

Everything that can be checked without a customer is checked when the
library loads: every message.toml, every template's syntax, sandbox escapes,
unknown variables and misspelt customer fields.  A service that builds its
``Library`` at start-up therefore fails at deploy time, not on the first
customer who happens to reach a broken branch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2

from .blocks import install_blocks
from .context import ALLOWED, FIELD_TYPES
from .customer import Customer
from .environment import Environment, attribute_chains, check_template_ast, undeclared_names
from .errors import (
    InvalidArgument,
    MessageNotFound,
    PersonalizeError,
    Refused,
    TemplateError,
    did_you_mean,
)
from .message import MessageSpec, load_message
from .offers import ChosenOffer, OfferTraceEntry
from .policy import Policy, policy_line
from .render import ContextHook, render_channel
from .result import RenderResult

__all__ = ["Library"]

#: Variables every template gets from the renderer.
RENDER_VARIABLES = frozenset(
    {"customer", "channel", "message", "today", "locale", "preheader", "unsubscribe_url"}
)

DEFAULT_LOCALE = "en"


class Library:
    """A loaded templates folder.

    Args:
        path: the templates folder (message folders, offers.toml, claims.toml,
            ``_layouts/``, ``_partials/``).
        policy: the guard policy; messages may tighten it.
        today: pin "today" for every render (tests, previews).
        default_locale: the locale for customers without one.
        email_inlining: "template" (inline CSS once per template, the
            default), "message" (premailer on every message) or "off".

    Raises:
        TemplateError: when a message, template or catalog is invalid.
        SecurityError: when a template reaches outside the sandbox.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        policy: Policy | None = None,
        today: dt.date | None = None,
        default_locale: str = DEFAULT_LOCALE,
        email_inlining: str = "template",
    ) -> None:
        self.root = Path(path)
        if not self.root.is_dir():
            raise InvalidArgument(f"templates folder {str(self.root)!r} does not exist")
        self.policy = policy or Policy()
        self.today = today
        self.default_locale = default_locale
        self.env = Environment(self.root)
        self.context_hooks: list[ContextHook] = []
        self.blocks = install_blocks(self)
        self._policies: dict[str, Policy] = {}
        self.messages: Mapping[str, MessageSpec] = self._load_messages()
        self._compile_all()
        self._prepare_email(email_inlining)

    # -- loading ------------------------------------------------------------

    def _load_messages(self) -> Mapping[str, MessageSpec]:
        specs: dict[str, MessageSpec] = {}
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(("_", ".")) or not folder.is_dir():
                continue
            if not (folder / "message.toml").is_file():
                continue
            spec = load_message(folder, self.root)
            specs[spec.name] = spec
            try:
                self._policies[spec.name] = self.policy.tightened(
                    {
                        k.removeprefix("policy."): v
                        for k, v in spec.settings.items()
                        if k.startswith("policy.")
                    }
                )
            except PersonalizeError as exc:
                source = (folder / "message.toml").read_text(encoding="utf-8")
                raise TemplateError(
                    str(exc),
                    name=f"{spec.name}/message.toml",
                    lineno=policy_line(source, getattr(exc, "policy_key", None)),
                    source=source,
                ) from exc
        return MappingProxyType(specs)

    def template_names(self) -> list[str]:
        """Every template the messages use, plus layouts and partials."""
        names = {n for spec in self.messages.values() for n in spec.templates.values()}
        for sub in ("_layouts", "_partials"):
            folder = self.root / sub
            if folder.is_dir():
                names.update(p.relative_to(self.root).as_posix() for p in folder.rglob("*.j2"))
        return sorted(names)

    def _compile_all(self) -> None:
        known = RENDER_VARIABLES | set(self.env.globals) | {"gettext", "ngettext", "_"}
        for name in self.template_names():
            source = self._source(name)
            try:
                ast = self.env.parse(source, name=name)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(
                    exc.message or "syntax error",
                    name=name,
                    lineno=exc.lineno,
                    source=source,
                ) from exc
            check_template_ast(ast, name=name, source=source)
            for var in sorted(undeclared_names(self.env, ast) - known):
                raise TemplateError(
                    f"unknown variable {var!r}",
                    name=name,
                    lineno=_first_line(ast, var),
                    source=source,
                    hint=did_you_mean(var, known)
                    or "templates see: " + ", ".join(sorted(RENDER_VARIABLES)),
                )
            for chain, lineno in attribute_chains(ast, "customer"):
                problem = check_customer_chain(chain)
                if problem:
                    msg, hint = problem
                    raise TemplateError(msg, name=name, lineno=lineno, source=source, hint=hint)
            try:
                self.env.get_template(name)
            except jinja2.TemplateError as exc:
                raise TemplateError(str(exc), name=name, source=source) from exc

    def _prepare_email(self, mode: str) -> None:
        from .channels.email import INLINING_MODES, prepare_templates

        if mode not in INLINING_MODES:
            raise InvalidArgument(f"email_inlining must be one of {INLINING_MODES} (got {mode!r})")
        self.email_inlining = mode
        names = [n for s in self.messages.values() if (n := s.template_for("email", "html"))]
        self.email_templates, self.email_inlining_fallbacks = prepare_templates(self.env, names)

    def _source(self, name: str) -> str:
        assert self.env.loader is not None
        return self.env.loader.get_source(self.env, name)[0]

    # -- configuration used by the renderer and the blocks -------------------

    def add_context_hook(self, hook: ContextHook) -> None:
        """Add template variables to every render (used by the blocks layer)."""
        self.context_hooks.append(hook)

    def policy_for(self, spec: MessageSpec) -> Policy:
        """The library policy as tightened by the message's ``[policy]``."""
        return self._policies.get(spec.name, self.policy)

    def resolve_locale(self, customer: Customer, spec: MessageSpec) -> str:
        """The customer's locale, else the message's, else the library default."""
        return customer.locale or spec.setting("locale") or self.default_locale

    # -- rendering ----------------------------------------------------------

    def message(self, name: str) -> MessageSpec:
        """The message called ``name``.

        Raises:
            MessageNotFound: with a "did you mean" hint.
        """
        try:
            return self.messages[name]
        except KeyError:
            hint = did_you_mean(name, self.messages)
            known = ", ".join(self.messages) or "none"
            raise MessageNotFound(
                f"no message {name!r} in {self.root}"
                + (f"; {hint}" if hint else f" (messages: {known})")
            ) from None

    def _customer(self, customer: Customer | Mapping[str, Any]) -> Customer:
        if isinstance(customer, Customer):
            return customer
        if isinstance(customer, Mapping):
            return Customer.from_dict(customer)
        raise InvalidArgument(
            f"customer must be a Customer or a mapping (got {type(customer).__name__})"
        )

    def _today(self, customer: Customer, today: dt.date | None) -> dt.date:
        return today or self.today or customer.today

    def render(
        self,
        message: str,
        customer: Customer | Mapping[str, Any],
        channel: str = "email",
        *,
        today: dt.date | None = None,
    ) -> RenderResult:
        """Render ``channel`` of ``message`` for ``customer``.

        Args:
            message: the message folder name.
            customer: a :class:`Customer` or a mapping for ``Customer.from_dict``.
            channel: ``email``, ``sms`` or ``voice``.
            today: pin the date (overrides the library's ``today``).

        Returns:
            An ``EmailResult``, ``SmsResult`` or ``VoiceResult``.

        Raises:
            Refused: when a guard refuses the copy (``.violations`` says why).
            MessageNotFound: for an unknown message or a channel it lacks.
            CustomerDataError: when ``customer`` is an invalid mapping.
        """
        spec = self.message(message)
        if channel not in spec.channels:
            has = ", ".join(spec.channels)
            raise MessageNotFound(f"message {message!r} has no {channel!r} channel (it has: {has})")
        cust = self._customer(customer)
        return render_channel(self, spec, cust, channel, today=self._today(cust, today))

    def _choose(
        self,
        slot: str,
        customer: Customer | Mapping[str, Any],
        channel: str,
        today: dt.date | None,
    ) -> tuple[ChosenOffer | None, tuple[OfferTraceEntry, ...]]:
        cust = self._customer(customer)
        chosen, trace = self.blocks.offers.choose(
            slot,
            cust,
            channel,
            today=self._today(cust, today),
            locale=cust.locale or self.default_locale,
        )
        return chosen, tuple(trace)

    def choose_offer(
        self,
        slot: str,
        customer: Customer | Mapping[str, Any],
        channel: str = "email",
        *,
        today: dt.date | None = None,
    ) -> ChosenOffer | None:
        """The offer ``{% offer slot %}`` would show ``customer`` on ``channel``.

        For services that place offers themselves; ``.trace`` on the result
        (or :meth:`offer_trace`) says why each offer was chosen or rejected.
        """
        return self._choose(slot, customer, channel, today)[0]

    def offer_trace(
        self,
        slot: str,
        customer: Customer | Mapping[str, Any],
        channel: str = "email",
        *,
        today: dt.date | None = None,
    ) -> tuple[OfferTraceEntry, ...]:
        """Why each offer of ``slot`` was chosen or rejected for ``customer``."""
        return self._choose(slot, customer, channel, today)[1]

    def receivable_channels(self, message: str, customer: Customer) -> tuple[str, ...]:
        """The channels of ``message`` this customer can and may receive.

        A channel needs an address (email, or phone for SMS and voice) and
        what the ``no-consent`` guard asks: for marketing, opt-in consent; for
        other purposes, no opt-out except on the channels the policy allows
        after one (e-mail by default; see docs/guards.md).
        """
        from .guards.builtin import consent_problem

        spec = self.message(message)
        after_opt_out = tuple(self.policy_for(spec).limit("no-consent.transactional_on_opt_out"))
        out = []
        for channel in spec.channels:
            address = customer.contact.email if channel == "email" else customer.contact.phone
            consent = customer.consent.for_channel(channel)
            allowed = consent_problem(spec.purpose, channel, consent, after_opt_out) is None
            if address and allowed:
                out.append(channel)
        return tuple(out)

    def render_all(
        self,
        message: str,
        customer: Customer | Mapping[str, Any],
        *,
        today: dt.date | None = None,
    ) -> dict[str, RenderResult | Refused]:
        """Render every channel the customer can and may receive.

        Returns:
            channel -> result, or the :class:`Refused` for that channel, so a
            refusal on one channel does not hide the others.
        """
        cust = self._customer(customer)
        out: dict[str, RenderResult | Refused] = {}
        for channel in self.receivable_channels(message, cust):
            try:
                out[channel] = self.render(message, cust, channel, today=today)
            except Refused as exc:
                out[channel] = exc
        return out

    def __repr__(self) -> str:
        return f"Library({str(self.root)!r}, messages={list(self.messages)})"


def _first_line(ast: jinja2.nodes.Template, var: str) -> int | None:
    for node in ast.find_all(jinja2.nodes.Name):
        if node.name == var:
            return node.lineno
    return None


def check_customer_chain(chain: list[str]) -> tuple[str, str | None] | None:
    """Check ``customer.a.b`` against the customer's fields.

    Returns ``(message, hint)`` for an unknown field, else None.
    """
    cls: type = Customer
    path = "customer"
    for attr in chain:
        allowed = ALLOWED.get(cls)
        if allowed is None:  # attributes, lists, scalars: free-form from here
            return None
        if attr not in allowed:
            hint = did_you_mean(attr, sorted(allowed))
            return f"{path} has no field {attr!r}", hint or "known fields: " + ", ".join(
                sorted(allowed)
            )
        nxt = FIELD_TYPES.get((cls, attr))
        if nxt is None:
            return None
        cls = nxt
        path = f"{path}.{attr}"
    return None
