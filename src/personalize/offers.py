"""Offers: ``templates/offers.toml``, the ``{% offer %}`` tag and the choice.

An offer is only worth sending when it fits the person.  Each offer in the
catalog says when it applies (``when``, a sandboxed expression over
``customer``), which category it sells (so a ``cooldown_days`` keeps laptop
offers away from someone who just bought one) and how long it lasts.  For one
slot ("birthday"), the renderer keeps the offers that are eligible for this
customer on this channel today and picks the best by priority, then by
relevance (its category is among the customer's interests or purchases),
then by id, so the same customer always gets the same offer.

Every decision is recorded: ``result.offer`` is the :class:`ChosenOffer`,
``result.offer_trace`` lists each offer considered with the reason it was
chosen or rejected.

``{% offer "birthday" %}...{% fallback %}...{% endoffer %}`` renders its body
with ``offer`` bound to the chosen offer, or the fallback body (or nothing)
when none is eligible.  Put the lead-in sentence *inside* the body so it
disappears with the offer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import babel.numbers
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

from ._tomlfile import TomlFile
from .context import CustomerView, Missing, MissingDataError, current_state
from .customer import CHANNELS, Customer
from .errors import TemplateError, did_you_mean
from .filters import format_date

if TYPE_CHECKING:
    from .environment import Environment

__all__ = [
    "COPY_KEYS",
    "ChosenOffer",
    "Offer",
    "OfferCatalog",
    "OfferExtension",
    "OfferTraceEntry",
    "OfferValue",
    "load_offers",
]

#: Per-channel copy keys of an offer.
COPY_KEYS: Final = ("email_headline", "email_body", "sms", "voice", "url")
#: The copy key printed by ``{{ offer.text }}`` on each channel.
CHANNEL_TEXT: Final = {"email": "email_body", "sms": "sms", "voice": "voice"}
OFFER_KEYS: Final = (
    "id",
    "slot",
    "category",
    "when",
    "priority",
    "cooldown_days",
    "value",
    "expires_in_days",
    "valid_from",
    "valid_until",
    "channels",
    "copy",
    *COPY_KEYS,
)
_PLACEHOLDER: Final = re.compile(r"\{([^{}]*)\}")
_COPY_PLACEHOLDERS: Final = ("value", "expires")


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferValue:
    """What an offer is worth: a percentage or an amount of money."""

    percent: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None

    def format(self, locale: str) -> str:
        """Babel-formatted in ``locale``: ``20%``/``20 %``, ``€10.00``/``10,00 €``."""
        if self.percent is not None:
            return babel.numbers.format_percent(
                self.percent / 100, locale=locale, decimal_quantization=False
            )
        assert self.amount is not None and self.currency is not None
        return babel.numbers.format_currency(self.amount, self.currency, locale=locale)


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """One entry of offers.toml, validated.

    Attributes:
        id: unique id.
        slot: where it may appear (``{% offer "slot" %}``).
        category: the product category it sells (for cooldowns and relevance).
        when: the eligibility rule's source, or None (always).
        priority: higher wins.
        cooldown_days: no offer while the customer bought ``category`` within
            this many days (inclusive: a 90-day cooldown ends on day 91).
        value: what it is worth, if anything.
        expires_in_days: days from the send date to expiry.
        valid_from, valid_until: the campaign window, if any.
        channels: channels it may be sent on.
        copy: per-channel copy (``email_headline``, ``email_body``, ``sms``,
            ``voice``, ``url``), may use ``{value}`` and ``{expires}``.
        translations: language -> copy overrides (``[offer.copy.de]``).
        lineno: the line of its ``[[offer]]`` header.
    """

    id: str
    slot: str
    category: str | None = None
    when: str | None = None
    priority: int = 0
    cooldown_days: int | None = None
    value: OfferValue | None = None
    expires_in_days: int | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    channels: tuple[str, ...] = CHANNELS
    copy: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    translations: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    lineno: int | None = field(default=None, compare=False)
    rule: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    def expiry(self, today: dt.date) -> dt.date | None:
        """The last day the offer is valid if sent ``today``."""
        ends = [d for d in (self.valid_until,) if d is not None]
        if self.expires_in_days is not None:
            ends.append(today + dt.timedelta(days=self.expires_in_days))
        return min(ends) if ends else None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferTraceEntry:
    """Why one offer was chosen or rejected for one slot.

    Attributes:
        slot: the slot.
        offer_id: the offer.
        chosen: True for the chosen offer.
        eligible: True when it passed every rule (chosen or outranked).
        reason: in words, e.g. ``cooldown: bought 'laptops' within 90 days``.
    """

    slot: str
    offer_id: str
    chosen: bool
    eligible: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "slot": self.slot,
            "offer": self.offer_id,
            "chosen": self.chosen,
            "eligible": self.eligible,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ChosenOffer:
    """The offer chosen for one customer, channel and day, ready to print.

    Attributes:
        offer: the catalog entry.
        slot: the slot it fills.
        channel: the channel it was chosen for.
        locale: the locale its value and expiry are formatted in.
        value: the Babel-formatted value ("20%", "10,00 €"), or None.
        expires_on: the last valid day, or None.
        expires: ``expires_on`` in the locale's long date format, or None.
        copy: the per-channel copy with ``{value}``/``{expires}`` filled in,
            in the customer's language where a translation exists.
        reason: why it won.
        trace: every offer considered for the slot.
    """

    offer: Offer
    slot: str
    channel: str
    locale: str
    value: str | None
    expires_on: dt.date | None
    expires: str | None
    copy: Mapping[str, str]
    reason: str
    trace: tuple[OfferTraceEntry, ...] = ()

    @property
    def id(self) -> str:
        """The offer id."""
        return self.offer.id

    @property
    def category(self) -> str | None:
        """The offer's category."""
        return self.offer.category


class OfferView:
    """The ``offer`` variable inside ``{% offer %}``: a read-only view.

    Copy the offer lacks is :class:`~personalize.Missing`, so printing
    ``{{ offer.voice }}`` for an offer without voice copy is a
    ``missing-data`` violation naming ``offer.voice``.
    """

    __slots__ = ("_chosen",)

    _FIELDS: Final = frozenset(
        {"id", "slot", "category", "value", "expires", "expires_on", "text", *COPY_KEYS}
    )

    def __init__(self, chosen: ChosenOffer) -> None:
        self._chosen = chosen

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        chosen = self._chosen
        if name not in self._FIELDS:
            hint = did_you_mean(name, sorted(self._FIELDS))
            raise TemplateError(
                f"offer has no field {name!r}",
                hint=hint or "offer fields: " + ", ".join(sorted(self._FIELDS)),
            )
        value: Any
        if name in ("id", "slot", "category", "value", "expires", "expires_on"):
            value = getattr(chosen, name)
        elif name == "text":
            value = chosen.copy.get(CHANNEL_TEXT.get(chosen.channel, "email_body"))
        else:
            value = chosen.copy.get(name)
        return Missing(f"offer.{name}") if value is None else value

    def __str__(self) -> str:
        raise TemplateError(
            "offer is a group of fields and cannot be printed",
            hint="print offer.text, offer.value, offer.email_headline...",
        )

    def __repr__(self) -> str:
        return f"<offer {self._chosen.id!r}>"


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferCatalog:
    """Every offer in offers.toml, by slot.

    Attributes:
        offers: the offers in file order.
        slots: every slot known (declared in ``slots = [...]`` or used).
        name: the file name (``offers.toml``), or None when there is none.
    """

    offers: tuple[Offer, ...] = ()
    slots: frozenset[str] = frozenset()
    name: str | None = None

    def for_slot(self, slot: str) -> tuple[Offer, ...]:
        """The offers of ``slot``, in file order."""
        return tuple(o for o in self.offers if o.slot == slot)

    def choose(
        self,
        slot: str,
        customer: Customer,
        channel: str,
        *,
        today: dt.date,
        locale: str,
    ) -> tuple[ChosenOffer | None, tuple[OfferTraceEntry, ...]]:
        """Choose the best eligible offer of ``slot``; see the module docs.

        Returns:
            (the chosen offer or None, the trace of every offer considered).

        Raises:
            TemplateError: when a ``when`` rule fails for a reason other than
                missing data (a template bug), naming offers.toml and line.
        """
        customer = customer.at(today)
        view = CustomerView(customer)
        eligible: list[tuple[tuple[int, int, str], Offer, str]] = []
        rejected: dict[str, str] = {}
        for offer in self.for_slot(slot):
            reason = self._rejection(offer, customer, view, channel, today)
            if reason is not None:
                rejected[offer.id] = reason
                continue
            relevance, why = _relevance(offer, customer)
            eligible.append(((-offer.priority, -relevance, offer.id), offer, why))
        eligible.sort(key=lambda e: e[0])
        trace: list[OfferTraceEntry] = []
        winner = eligible[0] if eligible else None
        for offer in self.for_slot(slot):
            if offer.id in rejected:
                trace.append(
                    OfferTraceEntry(
                        slot=slot,
                        offer_id=offer.id,
                        chosen=False,
                        eligible=False,
                        reason=rejected[offer.id],
                    )
                )
                continue
            entry = next(e for e in eligible if e[1] is offer)
            if winner is not None and entry is winner:
                reason = f"chosen: priority {offer.priority}, {entry[2]}"
                if len(eligible) > 1:
                    reason += f"; {len(eligible) - 1} other eligible offer(s) ranked lower"
                trace.append(
                    OfferTraceEntry(
                        slot=slot, offer_id=offer.id, chosen=True, eligible=True, reason=reason
                    )
                )
            else:
                assert winner is not None
                trace.append(
                    OfferTraceEntry(
                        slot=slot,
                        offer_id=offer.id,
                        chosen=False,
                        eligible=True,
                        reason=(
                            f"eligible but ranked below {winner[1].id!r} "
                            f"(priority {offer.priority}, {entry[2]})"
                        ),
                    )
                )
        frozen_trace = tuple(trace)
        if winner is None:
            return None, frozen_trace
        offer = winner[1]
        chosen_reason = next(t.reason for t in frozen_trace if t.chosen)
        value = offer.value.format(locale) if offer.value is not None else None
        expires_on = offer.expiry(today)
        expires = format_date(expires_on, "long", locale=locale) if expires_on else None
        copy = _localized_copy(offer, locale)
        filled = {
            k: _fill(v, value=value, expires=expires) for k, v in copy.items() if v is not None
        }
        return (
            ChosenOffer(
                offer=offer,
                slot=slot,
                channel=channel,
                locale=locale,
                value=value,
                expires_on=expires_on,
                expires=expires,
                copy=MappingProxyType(filled),
                reason=chosen_reason,
                trace=frozen_trace,
            ),
            frozen_trace,
        )

    def _rejection(
        self,
        offer: Offer,
        customer: Customer,
        view: CustomerView,
        channel: str,
        today: dt.date,
    ) -> str | None:
        if channel not in offer.channels:
            return f"not offered on {channel} (channels: {', '.join(offer.channels)})"
        if offer.valid_from is not None and today < offer.valid_from:
            return f"not valid yet (valid from {offer.valid_from.isoformat()})"
        if offer.valid_until is not None and today > offer.valid_until:
            return f"expired (valid until {offer.valid_until.isoformat()})"
        consent = customer.consent.for_channel(channel)
        if consent != "opted_in":
            return f"no marketing consent on {channel} (consent is {consent})"
        if (
            offer.category is not None
            and offer.cooldown_days is not None
            and customer.bought_within(offer.category, offer.cooldown_days)
        ):
            last = customer.last_bought(offer.category)
            ago = f", last on {last.isoformat()}" if last else ""
            return f"cooldown: bought {offer.category!r} within {offer.cooldown_days} days{ago}"
        if offer.rule is not None:
            try:
                held = offer.rule(customer=view, today=today, channel=channel)
            except MissingDataError as exc:
                return f"rule needs missing data: {exc.path}"
            except TemplateError as exc:
                if exc.name is None:
                    exc.name, exc.lineno = self.name, offer.lineno
                raise
            except Exception as exc:
                raise TemplateError(
                    f"offer {offer.id!r}: when rule failed: {type(exc).__name__}: {exc}",
                    name=self.name,
                    lineno=offer.lineno,
                    hint="compare facts with numbers, e.g. customer.order_count >= 3",
                ) from exc
            if not held:
                return f"rule does not hold: {offer.when}"
        return None


def _relevance(offer: Offer, customer: Customer) -> tuple[int, str]:
    """One point each for the category being among interests and purchases.

    Interests from an external source without recorded permission are not
    used (the external-data rule applies to targeting, not only to printing);
    the facts used are recorded on the render in progress.
    """
    if offer.category is None:
        return 0, "no category"
    category = offer.category.casefold()
    state = current_state()
    reasons = []
    if customer.interests and customer.provenance_of("interests").permission:
        if state is not None:
            state.read("customer.interests", "interests")
        if category in (i.casefold() for i in customer.interests):
            reasons.append("in interests")
    if customer.orders:
        if state is not None:
            state.read("customer.purchased_categories", "orders")
        if category in customer.purchased_categories:
            reasons.append("in purchase history")
    if not reasons:
        return 0, f"category {offer.category!r} not among interests or purchases"
    return len(reasons), f"category {offer.category!r} " + " and ".join(reasons)


def _localized_copy(offer: Offer, locale: str) -> dict[str, str]:
    copy = dict(offer.copy)
    language = locale.replace("-", "_").split("_")[0]
    for lang in (language, locale):
        copy.update(offer.translations.get(lang, {}))
    return copy


def _fill(text: str, *, value: str | None, expires: str | None) -> str:
    values = {"value": value or "", "expires": expires or ""}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _check_copy(
    text: object, key: str, where: str, offer_line: int | None, file: TomlFile, *, has: set[str]
) -> str:
    line = file.key_line(key, offer_line)
    if not isinstance(text, str) or not text.strip():
        raise file.error(f"{where}.{key} must be a non-empty string (got {text!r})", lineno=line)
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in _COPY_PLACEHOLDERS:
            raise file.error(
                f"{where}.{key}: unknown placeholder {{{name}}}",
                lineno=line,
                hint="copy may use {value} and {expires}; write names with the template",
            )
        if name not in has:
            need = "value" if name == "value" else "expires_in_days or valid_until"
            raise file.error(
                f"{where}.{key} uses {{{name}}} but the offer has no {need}", lineno=line
            )
    return text


def _int(
    data: Mapping[str, Any], key: str, where: str, line: int | None, file: TomlFile, *, lo: int
) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise file.error(
            f"{where}.{key} must be a whole number >= {lo} (got {value!r})",
            lineno=file.key_line(key, line),
        )
    return value


def _date(
    data: Mapping[str, Any], key: str, where: str, line: int | None, file: TomlFile
) -> dt.date | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise file.error(
            f"{where}.{key} must be a date like 2026-12-31 (no quotes) (got {value!r})",
            lineno=file.key_line(key, line),
        )
    return value


def _value(raw: object, where: str, line: int | None, file: TomlFile) -> OfferValue | None:
    if raw is None:
        return None
    vline = file.key_line("value", line)
    hint = 'value = {percent = 20} or value = {amount = "10.00", currency = "EUR"}'
    if not isinstance(raw, dict):
        raise file.error(f"{where}.value must be a table (got {raw!r})", lineno=vline, hint=hint)
    if set(raw) == {"percent"}:
        pct = raw["percent"]
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 < pct <= 100:
            raise file.error(
                f"{where}.value.percent must be a number between 0 and 100 (got {pct!r})",
                lineno=vline,
            )
        return OfferValue(percent=Decimal(str(pct)))
    if set(raw) == {"amount", "currency"}:
        amount, currency = raw["amount"], raw["currency"]
        if not isinstance(amount, str):
            raise file.error(
                f'{where}.value.amount must be a decimal string like "10.00" (got {amount!r})',
                lineno=vline,
                hint="money is never a float: quote it",
            )
        try:
            money = Decimal(amount)
        except InvalidOperation:
            money = Decimal("NaN")
        if not money.is_finite() or money <= 0:
            raise file.error(
                f"{where}.value.amount must be a positive amount (got {amount!r})", lineno=vline
            )
        if not isinstance(currency, str) or not babel.numbers.is_currency(currency):
            raise file.error(
                f"{where}.value.currency must be an ISO 4217 code like 'EUR' (got {currency!r})",
                lineno=vline,
            )
        return OfferValue(amount=money, currency=currency)
    raise file.error(f"{where}.value has keys {sorted(raw)}", lineno=vline, hint=hint)


def _parse_offer(
    raw: object, index: int, line: int | None, file: TomlFile, env: Environment
) -> Offer:
    where = f"offer[{index}]"
    if not isinstance(raw, dict):
        raise file.error(f"{where} must be a table", lineno=line)
    for key in raw:
        if key not in OFFER_KEYS:
            hint = did_you_mean(key, OFFER_KEYS) or "known keys: " + ", ".join(OFFER_KEYS)
            raise file.error(
                f"{where}: unknown key {key!r}", lineno=file.key_line(key, line), hint=hint
            )
    for key in ("id", "slot"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise file.error(
                f"{where}.{key} is required and must be a non-empty string",
                lineno=file.key_line(key, line),
            )
    offer_id: str = raw["id"]
    where = f"offer {offer_id!r}"
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not category.strip()):
        raise file.error(
            f"{where}.category must be a non-empty string (got {category!r})",
            lineno=file.key_line("category", line),
        )
    priority = raw.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise file.error(
            f"{where}.priority must be a whole number (got {priority!r})",
            lineno=file.key_line("priority", line),
        )
    cooldown = _int(raw, "cooldown_days", where, line, file, lo=0)
    if cooldown is not None and category is None:
        raise file.error(
            f"{where}.cooldown_days needs a category",
            lineno=file.key_line("cooldown_days", line),
            hint="the cooldown applies to purchases in the offer's category",
        )
    expires_in = _int(raw, "expires_in_days", where, line, file, lo=1)
    valid_from = _date(raw, "valid_from", where, line, file)
    valid_until = _date(raw, "valid_until", where, line, file)
    if valid_from and valid_until and valid_until < valid_from:
        raise file.error(
            f"{where}.valid_until is before valid_from", lineno=file.key_line("valid_until", line)
        )
    channels = raw.get("channels", list(CHANNELS))
    if (
        not isinstance(channels, list)
        or not channels
        or not all(isinstance(c, str) and c in CHANNELS for c in channels)
    ):
        raise file.error(
            f"{where}.channels must be a non-empty list of email, sms and voice (got {channels!r})",
            lineno=file.key_line("channels", line),
        )
    value = _value(raw.get("value"), where, line, file)
    has = set()
    if value is not None:
        has.add("value")
    if expires_in is not None or valid_until is not None:
        has.add("expires")
    copy = {k: _check_copy(raw[k], k, where, line, file, has=has) for k in COPY_KEYS if k in raw}
    translations: dict[str, Mapping[str, str]] = {}
    raw_tr = raw.get("copy", {})
    if not isinstance(raw_tr, dict):
        raise file.error(
            f"{where}.copy must be a table of languages, e.g. [offer.copy.de]",
            lineno=file.key_line("copy", line),
        )
    for lang, entries in raw_tr.items():
        if not isinstance(entries, dict):
            raise file.error(f"{where}.copy.{lang} must be a table", lineno=line)
        for key in entries:
            if key not in COPY_KEYS:
                raise file.error(
                    f"{where}.copy.{lang}: unknown key {key!r}",
                    lineno=file.key_line(key, line),
                    hint=did_you_mean(key, COPY_KEYS) or "copy keys: " + ", ".join(COPY_KEYS),
                )
        translations[lang] = MappingProxyType(
            {
                k: _check_copy(v, k, f"{where}.copy.{lang}", line, file, has=has)
                for k, v in entries.items()
            }
        )
    when = raw.get("when")
    rule = None
    if when is not None:
        if not isinstance(when, str) or not when.strip():
            raise file.error(
                f"{where}.when must be an expression string (got {when!r})",
                lineno=file.key_line("when", line),
            )
        rule = compile_rule(env, when, file=file, lineno=file.key_line("when", line))
    return Offer(
        id=offer_id,
        slot=raw["slot"],
        category=category.casefold() if isinstance(category, str) else None,
        when=when,
        priority=priority,
        cooldown_days=cooldown,
        value=value,
        expires_in_days=expires_in,
        valid_from=valid_from,
        valid_until=valid_until,
        channels=tuple(dict.fromkeys(channels)),
        copy=MappingProxyType(copy),
        translations=MappingProxyType(translations),
        lineno=line,
        rule=rule,
    )


#: Names a ``when`` rule may use besides ``customer``.
RULE_NAMES: Final = frozenset({"customer", "today", "channel"})


def compile_rule(
    env: Environment, source: str, *, file: TomlFile, lineno: int | None
) -> Callable[..., Any]:
    """Compile a ``when`` rule once, in the sandbox, and check its names.

    Unknown variables and misspelt customer fields fail here, at load time,
    naming the file and line, rather than on the first customer who reaches
    the rule.

    Raises:
        TemplateError: for syntax errors, unknown names and fields.
        SecurityError: for expressions reaching outside the sandbox.
    """
    from jinja2 import meta

    from .environment import attribute_chains
    from .library import check_customer_chain

    rule = env.compile_expression_checked(source, name=file.name, lineno=lineno)
    ast = env.parse("{{ " + source + " }}")
    for var in sorted(set(meta.find_undeclared_variables(ast)) - RULE_NAMES - set(env.globals)):
        raise file.error(
            f"unknown name {var!r} in rule {source!r}",
            lineno=lineno,
            hint=did_you_mean(var, RULE_NAMES) or "rules see customer, today and channel",
        )
    for chain, _ in attribute_chains(ast, "customer"):
        problem = check_customer_chain(chain)
        if problem:
            msg, hint = problem
            raise file.error(f"{msg} in rule {source!r}", lineno=lineno, hint=hint)
    return rule


def _first(lines: list[int]) -> int | None:
    return lines[0] if lines else None


def load_offers(root: Path, env: Environment) -> OfferCatalog:
    """Load and validate ``root/offers.toml`` (an empty catalog if absent).

    Raises:
        TemplateError: naming offers.toml, the line and the key, with a hint.
    """
    path = root / "offers.toml"
    if not path.is_file():
        return OfferCatalog()
    file = TomlFile.load(path, root)
    data = file.data
    for key in data:
        if key not in ("offer", "slots"):
            raise file.error(
                f"unknown top-level key {key!r}",
                lineno=file.key_line(key) or _first(file.header_lines(rf"\[{re.escape(key)}\]")),
                hint=did_you_mean(key, ("offer", "slots"))
                or "offers.toml has [[offer]] tables and an optional slots = [...] list",
            )
    slots_raw = data.get("slots", [])
    if not isinstance(slots_raw, list) or not all(isinstance(s, str) for s in slots_raw):
        raise file.error("slots must be a list of slot names", lineno=file.key_line("slots"))
    raw_offers = data.get("offer", [])
    if not isinstance(raw_offers, list):
        raise file.error(
            "offers must be written as [[offer]] tables",
            lineno=_first(file.header_lines(r"\[offer\]")),
        )
    lines = file.header_lines(r"\[\[\s*offer\s*\]\]")
    offers: list[Offer] = []
    seen: dict[str, int | None] = {}
    for i, raw in enumerate(raw_offers):
        line = lines[i] if i < len(lines) else None
        offer = _parse_offer(raw, i, line, file, env)
        if offer.id in seen:
            raise file.error(
                f"duplicate offer id {offer.id!r} (first on line {seen[offer.id]})", lineno=line
            )
        seen[offer.id] = line
        offers.append(offer)
    slots = frozenset(slots_raw) | {o.slot for o in offers}
    return OfferCatalog(offers=tuple(offers), slots=slots, name=file.name)


# ---------------------------------------------------------------------------
# The {% offer %} tag
# ---------------------------------------------------------------------------


def choose_for_render(catalog: OfferCatalog, slot: str) -> ChosenOffer | None:
    """Choose the offer of ``slot`` for the render in progress, once per render.

    Records ``state.extras["offer"]`` (the first offer chosen in the render),
    ``state.extras["offers"]`` (slot -> chosen) and ``state.extras["offer_trace"]``.
    """
    state = current_state()
    if state is None:
        raise TemplateError("{% offer %} can only be used while rendering a message")
    choices: dict[str, ChosenOffer | None] = state.extras.setdefault("offers", {})
    if slot in choices:
        return choices[slot]
    chosen, trace = catalog.choose(
        slot, state.customer, state.channel, today=state.today, locale=state.locale
    )
    choices[slot] = chosen
    state.extras.setdefault("offer_trace", []).extend(trace)
    if chosen is not None and state.extras.get("offer") is None:
        state.extras["offer"] = chosen
    return chosen


class OfferExtension(Extension):
    """``{% offer "slot" %}body{% fallback %}fallback body{% endoffer %}``.

    The slot must be a quoted name so that a typo is caught when the library
    loads ("unknown offer slot 'brithday'; did you mean 'birthday'?").  The
    body sees ``offer``; the fallback, if any, renders when no offer is
    eligible.  The catalog is read from ``environment.personalize_offers``
    (set by the library); without one, as under ``pybabel extract``, slot
    names are not checked.
    """

    tags = {"offer"}  # noqa: RUF012 - Jinja's Extension API declares a plain set

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.extend(personalize_offers=None)

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        slot_node = parser.parse_expression()
        if not (isinstance(slot_node, nodes.Const) and isinstance(slot_node.value, str)):
            parser.fail('the offer slot must be a quoted name, e.g. {% offer "birthday" %}', lineno)
        slot: str = slot_node.value
        catalog: OfferCatalog | None = getattr(self.environment, "personalize_offers", None)
        if catalog is not None and slot not in catalog.slots:
            hint = did_you_mean(slot, sorted(catalog.slots))
            known = ", ".join(sorted(catalog.slots)) or "none"
            parser.fail(
                f"unknown offer slot {slot!r}; "
                + (hint or f"slots in offers.toml: {known}; declare it with slots = [...]"),
                lineno,
            )
        body = parser.parse_statements(("name:fallback", "name:endoffer"))
        fallback: list[nodes.Node] = []
        if next(parser.stream).test("name:fallback"):
            fallback = parser.parse_statements(("name:endoffer",), drop_needle=True)
        choose = self.call_method("_choose", [nodes.Const(slot)], lineno=lineno)
        branch = nodes.If(nodes.Name("offer", "load"), body, [], fallback, lineno=lineno)
        return nodes.With([nodes.Name("offer", "store")], [choose], [branch], lineno=lineno)

    def _choose(self, slot: str) -> OfferView | None:
        catalog: OfferCatalog = getattr(self.environment, "personalize_offers", None) or (
            OfferCatalog()
        )
        chosen = choose_for_render(catalog, slot)
        return OfferView(chosen) if chosen is not None else None
