"""The validated customer: what personalize knows about one person.

:meth:`Customer.from_dict` is the only way in.  It checks the whole mapping
before building anything and reports every problem by path, because a
customer record is usually fixed by someone looking at it in another system;
one error per attempt would make that a slow loop.  The result is frozen:
templates, rules and guards all read the same facts, and nothing a template
does can change them.

Derived facts (``order_count``, ``tenure_years``...) are computed relative to
:attr:`Customer.today`, which is the ``as_of`` date when one was given (tests,
previews, batch runs with ``--today``) and otherwise today's date in the
customer's own time zone.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final, Literal, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import babel
import babel.numbers

from .errors import CustomerDataError, did_you_mean

__all__ = [
    "CHANNELS",
    "Consent",
    "Contact",
    "ContactEvent",
    "Customer",
    "Household",
    "Item",
    "Name",
    "Order",
    "Provenance",
    "Tier",
]

#: The channels a customer can consent to, in the order they are rendered.
CHANNELS: Final = ("email", "sms", "voice")
CONSENT_VALUES: Final = ("opted_in", "opted_out", "unknown")
REGISTERS: Final = ("formal", "informal")
SOURCES: Final = ("declared", "observed", "inferred", "external")
PURPOSES: Final = ("marketing", "transactional", "service")

ConsentStatus = Literal["opted_in", "opted_out", "unknown"]

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Name:
    """A person's name, exactly as they write it (never re-cased or split)."""

    given: str | None = None
    family: str | None = None
    preferred: str | None = None
    honorific: str | None = None
    pronunciation: str | None = None

    @property
    def full(self) -> str | None:
        """Given and family name joined, or whichever exists."""
        parts = [p for p in (self.given, self.family) if p]
        return " ".join(parts) or None

    @property
    def first(self) -> str | None:
        """The name to greet someone by: preferred, else given."""
        return self.preferred or self.given


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """Addresses; their presence says nothing about permission (see Consent)."""

    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Consent:
    """Per-channel marketing permission. Anything not stated is ``unknown``."""

    email: ConsentStatus = "unknown"
    sms: ConsentStatus = "unknown"
    voice: ConsentStatus = "unknown"

    def for_channel(self, channel: str) -> ConsentStatus:
        """The consent status for ``channel`` (``unknown`` for other channels)."""
        if channel in CHANNELS:
            return cast(ConsentStatus, getattr(self, channel))
        return "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One line of an order."""

    sku: str | None = None
    name: str | None = None
    category: str | None = None
    price: Decimal | None = None
    quantity: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """A past purchase."""

    id: str | None = None
    date: dt.date
    total: Decimal | None = None
    currency: str | None = None
    items: tuple[Item, ...] = ()

    @property
    def categories(self) -> tuple[str, ...]:
        """Distinct item categories, in order of first appearance."""
        return tuple(dict.fromkeys(i.category for i in self.items if i.category))


@dataclass(frozen=True, slots=True, kw_only=True)
class Household:
    """Facts about the customer's household used for life-stage relevance."""

    children_birth_years: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Tier:
    """Loyalty tier. ``rank_percentile`` 2.5 means the top 2.5% of customers."""

    name: str | None = None
    since: dt.date | None = None
    rank_percentile: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactEvent:
    """A message the customer already received.

    ``purpose`` is ``None`` when the sender did not record it; contact-pressure
    counts such contacts as marketing, the cautious reading.
    """

    channel: str
    date: dt.date
    message: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """Where a field came from, and whether we may use it."""

    source: str
    permission: bool = True


#: Provenance of fields that have no entry: data the customer gave or that
#: the business observed directly.
FIRST_PARTY: Final = Provenance(source="first-party", permission=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """One validated, immutable customer. Build it with :meth:`from_dict`.

    Attributes mirror the JSON shape documented in DESIGN.md; collections are
    tuples and mappings are read-only.  ``as_of`` pins "today" for derived
    facts; it is not part of the data and not compared.
    """

    id: str
    name: Name = field(default_factory=Name)
    locale: str | None = None
    timezone: str | None = None
    register: str | None = None
    contact: Contact = field(default_factory=Contact)
    consent: Consent = field(default_factory=Consent)
    birthday: dt.date | None = None
    customer_since: dt.date | None = None
    orders: tuple[Order, ...] = ()
    household: Household = field(default_factory=Household)
    interests: tuple[str, ...] = ()
    tier: Tier | None = None
    contact_history: tuple[ContactEvent, ...] = ()
    provenance: Mapping[str, Provenance] = field(default_factory=lambda: MappingProxyType({}))
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    as_of: dt.date | None = field(default=None, compare=False)

    # -- construction -------------------------------------------------------

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, today: dt.date | None = None, source: str | None = None
    ) -> Customer:
        """Validate ``data`` and build a Customer.

        Args:
            data: a mapping shaped like the JSON in DESIGN.md.
            today: pin the date derived facts are computed against.
            source: where the data came from (a file name), for error messages.

        Raises:
            CustomerDataError: listing every bad field by path.
        """
        problems: list[str] = []
        customer = _parse_customer(data, problems)
        if problems or customer is None:
            raise CustomerDataError(problems or ["not a customer"], source=source)
        if today is not None:
            customer = replace(customer, as_of=today)
        return customer

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready mapping that :meth:`from_dict` accepts back."""
        return _dump_customer(self)

    def at(self, today: dt.date) -> Customer:
        """A copy whose derived facts are computed as of ``today``."""
        return replace(self, as_of=today)

    # -- locale -------------------------------------------------------------

    @property
    def babel_locale(self) -> babel.Locale | None:
        """The customer's locale as a Babel ``Locale``, or None if not given."""
        return babel.Locale.parse(self.locale) if self.locale else None

    @property
    def language(self) -> str | None:
        """The language part of the locale (``"de"`` for ``de_AT``)."""
        return self.locale.split("_")[0] if self.locale else None

    @property
    def tzinfo(self) -> ZoneInfo | None:
        """The customer's time zone, or None if not given."""
        return ZoneInfo(self.timezone) if self.timezone else None

    # -- derived facts ------------------------------------------------------

    @property
    def today(self) -> dt.date:
        """``as_of`` if pinned, else today's date in the customer's time zone."""
        if self.as_of is not None:
            return self.as_of
        return dt.datetime.now(self.tzinfo or dt.UTC).date()

    @property
    def order_count(self) -> int:
        """How many orders the customer has placed."""
        return len(self.orders)

    @property
    def tenure_years(self) -> int | None:
        """Whole years since ``customer_since``; None if unknown."""
        if self.customer_since is None:
            return None
        return _whole_years(self.customer_since, self.today)

    @property
    def lifetime_value(self) -> Decimal | None:
        """Sum of order totals; None when unknown or in mixed currencies.

        Adding euros to pounds would make a number nobody should quote, so
        mixed currencies give None rather than a wrong figure.
        """
        totals = [o for o in self.orders if o.total is not None]
        if not totals or len({o.currency for o in totals}) > 1:
            return None
        return sum((cast(Decimal, o.total) for o in totals), Decimal("0"))

    @property
    def lifetime_currency(self) -> str | None:
        """The currency of :attr:`lifetime_value`."""
        currencies = {o.currency for o in self.orders if o.total is not None}
        return currencies.pop() if len(currencies) == 1 else None

    @property
    def last_order(self) -> Order | None:
        """The most recent order, or None."""
        return max(self.orders, key=lambda o: o.date) if self.orders else None

    @property
    def days_since_last_order(self) -> int | None:
        """Days since the most recent order; None with no orders."""
        last = self.last_order
        return None if last is None else (self.today - last.date).days

    def bought_within(self, category: str, days: int) -> bool:
        """True if an item of ``category`` was bought in the last ``days`` days.

        The window is inclusive: bought exactly ``days`` days ago counts, so a
        90-day cooldown ends on day 91.
        """
        today = self.today
        return any(
            0 <= (today - order.date).days <= days and category in order.categories
            for order in self.orders
        )

    def last_bought(self, category: str) -> dt.date | None:
        """The date of the latest order with an item of ``category``."""
        dates = [o.date for o in self.orders if category in o.categories]
        return max(dates) if dates else None

    @property
    def purchased_categories(self) -> tuple[str, ...]:
        """Every category the customer has bought from, most recent first."""
        ordered = sorted(self.orders, key=lambda o: o.date, reverse=True)
        return tuple(dict.fromkeys(c for o in ordered for c in o.categories))

    @property
    def youngest_child_age(self) -> int | None:
        """Age this year of the youngest child (birth years only); None if none."""
        years = self.household.children_birth_years
        return None if not years else self.today.year - max(years)

    @property
    def next_birthday(self) -> dt.date | None:
        """The next birthday on or after today (29 Feb falls on 28 Feb)."""
        if self.birthday is None:
            return None
        today = self.today
        for year in (today.year, today.year + 1):
            candidate = _anniversary(self.birthday, year)
            if candidate >= today:
                return candidate
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def days_until_birthday(self) -> int | None:
        """Days from today to :attr:`next_birthday` (0 on the day)."""
        nb = self.next_birthday
        return None if nb is None else (nb - self.today).days

    @property
    def age(self) -> int | None:
        """Age in whole years, from ``birthday``."""
        return None if self.birthday is None else _whole_years(self.birthday, self.today)

    def contacts_within(
        self, days: int, *, channel: str | None = None, purpose: str | None = None
    ) -> int:
        """How many recorded contacts fall in the last ``days`` days.

        Args:
            days: the window, inclusive of today.
            channel: count only this channel.
            purpose: count only this purpose; contacts with no recorded
                purpose count as marketing.
        """
        today = self.today
        count = 0
        for event in self.contact_history:
            if not 0 <= (today - event.date).days <= days:
                continue
            if channel is not None and event.channel != channel:
                continue
            if purpose is not None and (event.purpose or "marketing") != purpose:
                continue
            count += 1
        return count

    def provenance_of(self, path: str) -> Provenance:
        """The provenance recorded for ``path`` or its closest parent path."""
        parts = path.split(".")
        while parts:
            entry = self.provenance.get(".".join(parts))
            if entry is not None:
                return entry
            parts.pop()
        return FIRST_PARTY


def _whole_years(start: dt.date, today: dt.date) -> int:
    years = today.year - start.year
    if (today.month, today.day) < (start.month, start.day):
        years -= 1
    return max(years, 0)


def _anniversary(day: dt.date, year: int) -> dt.date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 2, 28)


# ---------------------------------------------------------------------------
# Parsing: each _parse_* appends "path: problem" strings and returns a value
# (or None); nothing raises until every field has been looked at.
# ---------------------------------------------------------------------------

_TOP_LEVEL: Final = tuple(f.name for f in fields(Customer) if f.name != "as_of")

T = TypeVar("T")


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} that is a {type(value).__name__}"


def _text(value: object, path: str, problems: list[str], *, single_line: bool = True) -> str | None:
    """A non-empty string, NFC-normalized and stripped; blank means missing."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{path}: must be a string (got {_describe(value)})")
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return None
    bad = [
        c for c in text if unicodedata.category(c) == "Cc" and not (c == "\n" and not single_line)
    ]
    if bad:
        problems.append(f"{path}: contains control character {bad[0]!r} (got {value!r})")
        return None
    return text


def _mapping(value: object, path: str, problems: list[str]) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append(f"{path}: must be an object (got {_describe(value)})")
        return None
    return value


def _sequence(value: object, path: str, problems: list[str]) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        problems.append(f"{path}: must be a list (got {_describe(value)})")
        return []
    return list(value)


def _check_keys(
    data: Mapping[str, Any],
    allowed: tuple[str, ...],
    path: str,
    problems: list[str],
    hint: str = "",
) -> None:
    for key in data:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            suggestion = did_you_mean(str(key), allowed) if isinstance(key, str) else None
            extra = f"; {suggestion}" if suggestion else hint
            problems.append(f"{where}: unknown field{extra}")


def _date(value: object, path: str, problems: list[str]) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        problems.append(f"{path}: not an ISO date (got {value!r}); write YYYY-MM-DD")
        return None
    if isinstance(value, str):
        return None
    problems.append(f"{path}: not an ISO date (got {_describe(value)}); write YYYY-MM-DD")
    return None


def _money(value: object, path: str, problems: list[str]) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, (bool, float)):
        problems.append(
            f"{path}: money must be a decimal string like '12.50', never a float "
            f"(got {_describe(value)})"
        )
        return None
    if isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    elif isinstance(value, str):
        if not value.strip():
            return None
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            problems.append(f"{path}: not a decimal amount (got {value!r})")
            return None
    else:
        problems.append(f"{path}: must be a decimal string (got {_describe(value)})")
        return None
    if not amount.is_finite() or amount < 0:
        problems.append(f"{path}: must be a finite, non-negative amount (got {value!r})")
        return None
    return amount


def _currency(value: object, path: str, problems: list[str]) -> str | None:
    text = _text(value, path, problems)
    if text is None:
        return None
    if not _CURRENCY.match(text) or not babel.numbers.is_currency(text):
        problems.append(f"{path}: unknown ISO 4217 currency code (got {value!r})")
        return None
    return text


def _choice(value: object, allowed: tuple[str, ...], path: str, problems: list[str]) -> str | None:
    text = _text(value, path, problems)
    if text is None:
        return None
    if text not in allowed:
        options = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        problems.append(f"{path}: must be {options} (got {value!r})")
        return None
    return text


def _locale(value: object, path: str, problems: list[str]) -> str | None:
    text = _text(value, path, problems)
    if text is None:
        return None
    try:
        loc = babel.Locale.parse(text.replace("-", "_"))
    except (ValueError, TypeError, babel.UnknownLocaleError):
        problems.append(f"{path}: unknown locale {text!r}; use a tag like 'en_GB' or 'de-AT'")
        return None
    return str(loc)


def _timezone(value: object, path: str, problems: list[str]) -> str | None:
    text = _text(value, path, problems)
    if text is None:
        return None
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"{path}: unknown time zone {text!r}; use an IANA name like 'Europe/London'"
        )
        return None
    return text


def _int(value: object, path: str, problems: list[str], *, lo: int, hi: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{path}: must be a whole number (got {_describe(value)})")
        return None
    if not lo <= value <= hi:
        problems.append(f"{path}: must be between {lo} and {hi} (got {value})")
        return None
    return value


def _items_of(
    value: object,
    path: str,
    problems: list[str],
    parse: Callable[[object, str, list[str]], T | None],
) -> tuple[T, ...]:
    out = []
    for i, entry in enumerate(_sequence(value, path, problems)):
        if entry is None:
            problems.append(f"{path}[{i}]: must be an object (got None)")
            continue
        parsed = parse(entry, f"{path}[{i}]", problems)
        if parsed is not None:
            out.append(parsed)
    return tuple(out)


def _parse_name(value: object, problems: list[str]) -> Name:
    data = _mapping(value, "name", problems)
    if data is None:
        return Name()
    allowed = ("given", "family", "preferred", "honorific", "pronunciation")
    _check_keys(data, allowed, "name", problems)
    return Name(**{k: _text(data.get(k), f"name.{k}", problems) for k in allowed})


def _parse_contact(value: object, problems: list[str]) -> Contact:
    data = _mapping(value, "contact", problems)
    if data is None:
        return Contact()
    _check_keys(data, ("email", "phone"), "contact", problems)
    email = _text(data.get("email"), "contact.email", problems)
    if email is not None and not _EMAIL.match(email):
        problems.append(f"contact.email: not an email address (got {email!r})")
        email = None
    phone = _text(data.get("phone"), "contact.phone", problems)
    if phone is not None:
        compact = re.sub(r"[\s().-]", "", phone)
        if not _E164.match(compact):
            problems.append(
                f"contact.phone: must be an E.164 number like '+447700900123' (got {phone!r})"
            )
            phone = None
        else:
            phone = compact
    return Contact(email=email, phone=phone)


def _parse_consent(value: object, problems: list[str]) -> Consent:
    data = _mapping(value, "consent", problems)
    if data is None:
        return Consent()
    _check_keys(data, CHANNELS, "consent", problems)
    statuses = {
        ch: _choice(data.get(ch), CONSENT_VALUES, f"consent.{ch}", problems) or "unknown"
        for ch in CHANNELS
    }
    return Consent(**cast(dict[str, ConsentStatus], statuses))


def _parse_item(value: object, path: str, problems: list[str]) -> Item | None:
    data = _mapping(value, path, problems)
    if data is None:
        return None
    _check_keys(data, ("sku", "name", "category", "price", "quantity"), path, problems)
    quantity = _int(data.get("quantity"), f"{path}.quantity", problems, lo=1, hi=1_000_000)
    category = _text(data.get("category"), f"{path}.category", problems)
    return Item(
        sku=_text(data.get("sku"), f"{path}.sku", problems),
        name=_text(data.get("name"), f"{path}.name", problems),
        category=category.casefold() if category else None,
        price=_money(data.get("price"), f"{path}.price", problems),
        quantity=quantity or 1,
    )


def _parse_order(value: object, path: str, problems: list[str]) -> Order | None:
    data = _mapping(value, path, problems)
    if data is None:
        return None
    _check_keys(data, ("id", "date", "total", "currency", "items"), path, problems)
    before = len(problems)
    date = _date(data.get("date"), f"{path}.date", problems)
    if date is None and len(problems) == before:
        problems.append(f"{path}.date: required")
    order_id = data.get("id")
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        order_id = str(order_id)
    items = _items_of(data.get("items"), f"{path}.items", problems, _parse_item)
    total = _money(data.get("total"), f"{path}.total", problems)
    before = len(problems)
    currency = _currency(data.get("currency"), f"{path}.currency", problems)
    if total is not None and currency is None and len(problems) == before:
        problems.append(f"{path}.currency: required when total is given")
    if date is None:
        return None
    return Order(
        id=_text(order_id, f"{path}.id", problems),
        date=date,
        total=total,
        currency=currency,
        items=items,
    )


def _parse_household(value: object, problems: list[str]) -> Household:
    data = _mapping(value, "household", problems)
    if data is None:
        return Household()
    _check_keys(data, ("children_birth_years",), "household", problems)
    years = []
    for i, year in enumerate(_sequence(data.get("children_birth_years"), "household", problems)):
        parsed = _int(year, f"household.children_birth_years[{i}]", problems, lo=1900, hi=2200)
        if parsed is not None:
            years.append(parsed)
    return Household(children_birth_years=tuple(years))


def _parse_tier(value: object, problems: list[str]) -> Tier | None:
    data = _mapping(value, "tier", problems)
    if data is None:
        return None
    _check_keys(data, ("name", "since", "rank_percentile"), "tier", problems)
    rank = data.get("rank_percentile")
    percentile: float | None = None
    if rank is not None:
        if isinstance(rank, bool) or not isinstance(rank, (int, float, str, Decimal)):
            problems.append(f"tier.rank_percentile: must be a number (got {_describe(rank)})")
        else:
            try:
                percentile = float(rank)
            except ValueError:
                problems.append(f"tier.rank_percentile: must be a number (got {rank!r})")
            else:
                if not 0 <= percentile <= 100:
                    problems.append(
                        f"tier.rank_percentile: must be between 0 and 100 (got {rank!r})"
                    )
                    percentile = None
    tier = Tier(
        name=_text(data.get("name"), "tier.name", problems),
        since=_date(data.get("since"), "tier.since", problems),
        rank_percentile=percentile,
    )
    return None if tier == Tier() else tier


def _parse_event(value: object, path: str, problems: list[str]) -> ContactEvent | None:
    data = _mapping(value, path, problems)
    if data is None:
        return None
    _check_keys(data, ("channel", "date", "message", "purpose"), path, problems)
    before = len(problems)
    channel = _choice(data.get("channel"), CHANNELS, f"{path}.channel", problems)
    if channel is None and len(problems) == before:
        problems.append(f"{path}.channel: required")
    before = len(problems)
    date = _date(data.get("date"), f"{path}.date", problems)
    if date is None and len(problems) == before:
        problems.append(f"{path}.date: required")
    purpose = _choice(data.get("purpose"), PURPOSES, f"{path}.purpose", problems)
    message = _text(data.get("message"), f"{path}.message", problems)
    if channel is None or date is None:
        return None
    return ContactEvent(channel=channel, date=date, message=message, purpose=purpose)


def _parse_provenance(value: object, problems: list[str]) -> Mapping[str, Provenance]:
    data = _mapping(value, "provenance", problems)
    if data is None:
        return MappingProxyType({})
    out: dict[str, Provenance] = {}
    for key, entry in data.items():
        path = f"provenance.{key}"
        root = str(key).split(".")[0]
        if root not in _TOP_LEVEL or root in ("id", "provenance"):
            hint = did_you_mean(root, _TOP_LEVEL)
            problems.append(f"{path}: not a customer field" + (f"; {hint}" if hint else ""))
            continue
        spec = _mapping(entry, path, problems)
        if spec is None:
            continue
        _check_keys(spec, ("source", "permission"), path, problems)
        before = len(problems)
        source = _choice(spec.get("source"), SOURCES, f"{path}.source", problems)
        if source is None and len(problems) == before:
            problems.append(f"{path}.source: required")
        permission = spec.get("permission")
        if permission is not None and not isinstance(permission, bool):
            problems.append(
                f"{path}.permission: must be true or false (got {_describe(permission)})"
            )
            continue
        if source is not None:
            # Only external data needs explicit permission; first-party
            # sources default to permitted.
            default = source != "external"
            out[str(key)] = Provenance(
                source=source, permission=default if permission is None else permission
            )
    return MappingProxyType(out)


def _freeze(value: Any, path: str, problems: list[str]) -> Any:
    """Deep-freeze JSON-like attribute values so templates cannot mutate them."""
    if isinstance(value, Mapping):
        return MappingProxyType(
            {str(k): _freeze(v, f"{path}.{k}", problems) for k, v in value.items()}
        )
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, f"{path}[{i}]", problems) for i, v in enumerate(value))
    if value is None or isinstance(value, (str, int, float, bool, Decimal, dt.date)):
        return value
    problems.append(f"{path}: must be JSON data (got {_describe(value)})")
    return None


def _parse_customer(data: object, problems: list[str]) -> Customer | None:
    if not isinstance(data, Mapping):
        problems.append(f"customer: must be an object (got {_describe(data)})")
        return None
    _check_keys(data, _TOP_LEVEL, "", problems, hint="; put custom data under 'attributes'")
    raw_id = data.get("id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    customer_id = _text(raw_id, "id", problems)
    if customer_id is None and not any(p.startswith("id:") for p in problems):
        problems.append("id: required")
    attributes = _mapping(data.get("attributes"), "attributes", problems) or {}
    interests = tuple(
        dict.fromkeys(
            t
            for i, v in enumerate(_sequence(data.get("interests"), "interests", problems))
            if (t := _text(v, f"interests[{i}]", problems)) is not None
        )
    )
    customer = Customer(
        id=customer_id or "",
        name=_parse_name(data.get("name"), problems),
        locale=_locale(data.get("locale"), "locale", problems),
        timezone=_timezone(data.get("timezone"), "timezone", problems),
        register=_choice(data.get("register"), REGISTERS, "register", problems),
        contact=_parse_contact(data.get("contact"), problems),
        consent=_parse_consent(data.get("consent"), problems),
        birthday=_date(data.get("birthday"), "birthday", problems),
        customer_since=_date(data.get("customer_since"), "customer_since", problems),
        orders=_items_of(data.get("orders"), "orders", problems, _parse_order),
        household=_parse_household(data.get("household"), problems),
        interests=interests,
        tier=_parse_tier(data.get("tier"), problems),
        contact_history=_items_of(
            data.get("contact_history"), "contact_history", problems, _parse_event
        ),
        provenance=_parse_provenance(data.get("provenance"), problems),
        attributes=_freeze(attributes, "attributes", problems),
    )
    return None if problems else customer


# ---------------------------------------------------------------------------
# Dumping
# ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _compact(obj: Any) -> dict[str, Any]:
    """A dataclass as a dict, leaving out fields at their empty defaults."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None or value == () or (isinstance(value, Mapping) and not value):
            continue
        out[f.name] = _plain(value)
    return out


def _dump_customer(c: Customer) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.id}
    if c.name != Name():
        out["name"] = _compact(c.name)
    for key in ("locale", "timezone", "register"):
        if getattr(c, key) is not None:
            out[key] = getattr(c, key)
    if c.contact != Contact():
        out["contact"] = _compact(c.contact)
    if c.consent != Consent():
        out["consent"] = {ch: c.consent.for_channel(ch) for ch in CHANNELS}
    for key in ("birthday", "customer_since"):
        if getattr(c, key) is not None:
            out[key] = getattr(c, key).isoformat()
    if c.orders:
        out["orders"] = [
            {**_compact(o), "items": [_compact(i) for i in o.items]} if o.items else _compact(o)
            for o in c.orders
        ]
    if c.household.children_birth_years:
        out["household"] = {"children_birth_years": list(c.household.children_birth_years)}
    if c.interests:
        out["interests"] = list(c.interests)
    if c.tier is not None:
        out["tier"] = _compact(c.tier)
    if c.contact_history:
        out["contact_history"] = [_compact(e) for e in c.contact_history]
    if c.provenance:
        out["provenance"] = {
            k: {"source": p.source, "permission": p.permission} for k, p in c.provenance.items()
        }
    if c.attributes:
        out["attributes"] = _plain(c.attributes)
    return out
