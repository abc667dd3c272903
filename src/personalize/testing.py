"""Hypothesis strategies and assertions for testing your own messages.

A message that reads well for the one customer its author had in mind can
still break for the next ten thousand: a name written right to left, a
profile with nothing in it but an id, a customer who bought something
yesterday, a name that looks like markup.  These strategies generate such
customers so that a property test can say "this message renders soundly for
*every* valid customer" instead of "for Ada".

Every strategy generates *valid* data only: each customer is built through
:meth:`personalize.Customer.from_dict`, exactly as your production data is,
so a failure is always a problem in the message (or in personalize), never
in the test data.

>>> from hypothesis import given, settings
>>> from personalize.testing import customers, assert_renders_soundly
>>> @settings(deadline=None)  # rendering every channel can exceed 200 ms
... @given(customers(locales=["en_GB", "de_DE"]))      # doctest: +SKIP
... def test_birthday(customer):
...     assert_renders_soundly(lib, "birthday", customer)

The building blocks follow Hypothesis's own API style: plural nouns,
keyword-only arguments, and :class:`personalize.InvalidArgument` for
arguments that cannot work, raised when the strategy is first drawn from
(or when you call ``.validate()`` on it), so a bad argument in a
module-level strategy does not break test collection.

:func:`names`, :func:`orders` and :func:`consents` generate the JSON-shaped
pieces of a customer (the ``"name"`` mapping, one entry of ``"orders"``,
the ``"consent"`` mapping); :func:`customer_dicts` assembles them into the
mapping :meth:`~personalize.Customer.from_dict` accepts, and
:func:`customers` validates it into a :class:`~personalize.Customer`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar

import babel
from hypothesis import strategies as st

from .customer import CHANNELS, CONSENT_VALUES, PURPOSES, REGISTERS, SOURCES, Customer
from .errors import InvalidArgument, PersonalizeError, Refused
from .library import Library
from .result import EmailResult, RenderResult, SmsResult, VoiceResult

__all__ = [
    "DEFAULT_LOCALES",
    "assert_renders_soundly",
    "consents",
    "customer_dicts",
    "customers",
    "names",
    "orders",
]

T = TypeVar("T")

#: Locales :func:`customers` draws from by default: the four languages the
#: shipped messages are translated into (in several regional forms), right-
#: to-left and CJK locales whose language has no translation (so the library
#: default applies), and ``None`` for a customer with no stated locale.
DEFAULT_LOCALES: Final[tuple[str | None, ...]] = (
    "en_GB",
    "en_US",
    "en_IE",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_CA",
    "es_ES",
    "es_MX",
    "ar_EG",
    "he_IL",
    "ja_JP",
    None,
)

_TIMEZONES: Final = (
    "Europe/London",
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Paris",
    "Europe/Madrid",
    "America/Mexico_City",
    "America/Montreal",
    "America/New_York",
    "Asia/Tokyo",
    "Asia/Jerusalem",
    "Africa/Cairo",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)

# Real names that have broken real systems: particles, apostrophes,
# diacritics, single names, non-Latin scripts, and names that are also
# words software treats specially.
_NOTABLE_NAMES: Final = (
    "Ada",
    "José",
    "Zoë",
    "Siân",
    "Nguyễn Thị Minh Khai",
    "María José",
    "de la Cruz",
    "van der Berg",
    "von Neumann",
    "d'Artagnan",
    "O'Brien",
    "Ní Bhriain",
    "Jean-Luc",
    "Björk",
    "Þórunn",
    "Łukasz",
    "Øyvind",
    "Çağlar",
    "Ærøe",
    "محمد",
    "فاطمة الزهراء",
    "דוד",
    "שׂרה",
    "李",
    "山田 太郎",
    "Ёлка",
    "Αλέξανδρος",
    "Null",
    "True",
    "Mr",
    "X Æ A-12",
    "Mary-Kate",
    "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff",
)

# Text that looks like code or markup in one of the channels. A sound
# renderer prints it literally (escaped where the channel needs it).
_MARKUP_NAMES: Final = (
    "<b>Ada</b>",
    "<script>alert(1)</script>",
    "Ada & Bob",
    "Tom &amp; Jerry",
    "{{ x }}",
    "{% raw %}Ada",
    "{# Ada #}",
    '"Ada"',
    "Ada <ada@example.org>",
    "]]>Ada<![CDATA[",
    "<break time='9s'/>Ada",
)

_HONORIFICS: Final = ("Dr", "Ms", "Mr", "Mx", "Frau", "Herr", "Mme", "M.", "Sra.", "Sr.", "Prof.")

_EMOJI: Final = ("🎂", "🌷", "👩‍💻", "👨‍👩‍👧", "🏳️‍🌈", "🇩🇪", "✨", "👍🏽")

_CATEGORIES: Final = (
    "laptops",
    "flowers",
    "garden",
    "kitchen",
    "books",
    "baby",
    "toys",
    "beauty",
    "coffee",
    "outdoor",
)

_PRODUCTS: Final = {
    "laptops": ("Ultrabook 14", "Ultrabook 16 Pro", "Chromebook Go"),
    "flowers": ("Anniversary roses", "Spring tulips", "Peony bouquet"),
    "garden": ("Pruning shears", "Raised bed kit", "Seed starter set"),
    "kitchen": ("Cast-iron skillet", "Kettle", "Knife set"),
    "books": ("Atlas of Remote Islands", "Cookbook", "Field guide to birds"),
    "baby": ("Baby monitor", "Changing bag", "Sleep suit"),
    "toys": ("Wooden train", "Puzzle 1000", "Kite"),
    "beauty": ("Hand cream", "Bath oil", "Lip balm"),
    "coffee": ("Espresso beans", "Pour-over set", "Grinder"),
    "outdoor": ("Rain jacket", "Walking poles", "Tent"),
}

_INTERESTS: Final = (
    "gardening",
    "cooking",
    "cycling",
    "reading",
    "photography",
    "jardinage",
    "Gärtnern",
    "cocina",
    "jazz & soul",
    "<i>knitting</i>",
)

_CURRENCIES: Final = ("GBP", "EUR", "USD", "MXN", "CHF", "JPY")

# Scripts for generated names: Latin with its diacritics, right-to-left
# Arabic and Hebrew, Greek, Cyrillic, Devanagari, CJK, and combining marks
# (which from_dict NFC-normalizes, and which may stack on any letter).
_ALPHABETS: Final[dict[str, st.SearchStrategy[str]]] = {
    "latin": st.characters(min_codepoint=0x41, max_codepoint=0x24F, categories=["L"]),
    "arabic": st.characters(min_codepoint=0x620, max_codepoint=0x64A, categories=["L"]),
    "hebrew": st.characters(min_codepoint=0x5D0, max_codepoint=0x5EA),
    "greek": st.characters(min_codepoint=0x391, max_codepoint=0x3C9, categories=["L"]),
    "cyrillic": st.characters(min_codepoint=0x410, max_codepoint=0x44F),
    "devanagari": st.characters(min_codepoint=0x905, max_codepoint=0x939),
    "cjk": st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),
    "any": st.characters(categories=("L", "M", "N", "Pd", "Po", "Zs", "So", "Sk")),
}
_COMBINING: Final = st.characters(min_codepoint=0x300, max_codepoint=0x36F)

_EMAILS: Final = st.builds(
    "{}@example.{}".format,
    st.sampled_from(("ada", "o'brien", "j.doe+news", "mj_de-la-cruz", "x")),
    st.sampled_from(("org", "com", "de", "fr", "es")),
)
_PHONES: Final = st.one_of(
    st.integers(min_value=900000, max_value=900999).map("+44 7700 {}".format),
    st.integers(min_value=10**8, max_value=10**9 - 1).map("+4915{}".format),
    st.integers(min_value=10**7, max_value=10**8 - 1).map("+336{}".format),
)


# ---------------------------------------------------------------------------
# Argument validation: Hypothesis raises when the strategy is first used,
# so we build lazily through st.deferred and validate inside.
# ---------------------------------------------------------------------------


def _check_locales(locales: Iterable[str | None] | None) -> tuple[str | None, ...]:
    if locales is None:
        return DEFAULT_LOCALES
    if isinstance(locales, str):
        raise InvalidArgument(
            f"locales must be a list of locale tags, not a single string (got {locales!r}); "
            f"write locales=[{locales!r}]"
        )
    out: list[str | None] = []
    for loc in locales:
        if loc is None:
            out.append(None)
            continue
        if not isinstance(loc, str):
            raise InvalidArgument(
                f"locales must contain locale tags like 'de_DE' (got {loc!r} "
                f"that is a {type(loc).__name__})"
            )
        try:
            babel.Locale.parse(loc.replace("-", "_"))
        except (ValueError, TypeError, babel.UnknownLocaleError):
            raise InvalidArgument(
                f"locales: unknown locale {loc!r}; use a tag like 'en_GB' or 'de-AT'"
            ) from None
        out.append(loc)
    if not out:
        raise InvalidArgument("locales must not be empty (pass None for the default locales)")
    return tuple(out)


def _check_completeness(completeness: float | None) -> float | None:
    if completeness is None:
        return None
    if isinstance(completeness, bool) or not isinstance(completeness, (int, float)):
        raise InvalidArgument(
            f"completeness must be a number between 0 and 1 (got {completeness!r} "
            f"that is a {type(completeness).__name__})"
        )
    if not 0 <= completeness <= 1:
        raise InvalidArgument(
            f"completeness must be between 0 (only an id) and 1 (every field) "
            f"(got {completeness!r})"
        )
    return float(completeness)


def _check_today(today: dt.date | None) -> dt.date | None:
    if today is None:
        return None
    if isinstance(today, dt.datetime) or not isinstance(today, dt.date):
        raise InvalidArgument(
            f"today must be a datetime.date (got {today!r} that is a {type(today).__name__})"
        )
    if not dt.date(1950, 1, 1) <= today <= dt.date(9000, 1, 1):
        raise InvalidArgument(f"today must be between 1950 and 9000 (got {today.isoformat()})")
    return today


def _check_dates(min_date: dt.date | None, max_date: dt.date | None) -> tuple[dt.date, dt.date]:
    for label, value in (("min_date", min_date), ("max_date", max_date)):
        if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
            raise InvalidArgument(
                f"{label} must be a datetime.date (got {value!r} that is a {type(value).__name__})"
            )
    hi = max_date or dt.date.today()
    lo = min_date or hi - dt.timedelta(days=365 * 20)
    if lo > hi:
        raise InvalidArgument(
            f"min_date {lo.isoformat()} is after max_date {hi.isoformat()} "
            "(you probably swapped them)"
        )
    return lo, hi


def _check_choices(
    label: str, values: Iterable[str] | None, default: Sequence[str], allowed: Sequence[str] = ()
) -> tuple[str, ...]:
    if values is None:
        return tuple(default)
    if isinstance(values, str):
        raise InvalidArgument(
            f"{label} must be a list, not a single string (got {values!r}); "
            f"write {label}=[{values!r}]"
        )
    out = tuple(values)
    if not out:
        raise InvalidArgument(f"{label} must not be empty (pass None for the default)")
    for v in out:
        if not isinstance(v, str) or not v.strip():
            raise InvalidArgument(f"{label} must contain non-empty strings (got {v!r})")
        if allowed and v not in allowed:
            raise InvalidArgument(f"{label}: {v!r} is not one of {', '.join(allowed)}")
    return out


def _lazy(build: Callable[[], st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """Defer building (and so argument validation) until first draw."""
    return st.deferred(build)


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def _valid_text(text: str) -> bool:
    """What Customer.from_dict accepts as a present string."""
    norm = unicodedata.normalize("NFC", text).strip()
    return bool(norm) and not any(unicodedata.category(c) == "Cc" for c in norm)


@st.composite
def _combined(draw: st.DrawFn) -> str:
    """Letters with stacked combining marks, left in decomposed form."""
    base = draw(st.text(_ALPHABETS["latin"], min_size=1, max_size=8))
    out = []
    for ch in base:
        out.append(ch + draw(st.text(_COMBINING, max_size=3)))
    return "".join(out)


@functools.lru_cache(maxsize=8)
def _name_texts(*, max_size: int = 120) -> st.SearchStrategy[str]:
    scripted = st.one_of(
        [st.text(_ALPHABETS[script], min_size=1, max_size=24) for script in sorted(_ALPHABETS)]
    )
    emoji = st.tuples(st.sampled_from(_EMOJI), st.sampled_from(_NOTABLE_NAMES)).map(
        lambda t: f"{t[1]} {t[0]}"
    )
    long = st.text(_ALPHABETS["latin"], min_size=100, max_size=max(100, max_size))
    return st.one_of(
        st.sampled_from(_NOTABLE_NAMES),
        st.sampled_from(_MARKUP_NAMES),
        scripted,
        _combined(),
        emoji,
        long,
    ).filter(_valid_text)


def names(*, min_fields: int = 0, max_size: int = 120) -> st.SearchStrategy[dict[str, str]]:
    """The ``"name"`` mapping of a customer, from empty to every part.

    Names are adversarial but real: particles (``de la Cruz``), apostrophes
    (``O'Brien``), single names, Arabic and Hebrew (right to left), CJK,
    combining marks left decomposed, emoji, names of up to ``max_size``
    characters, and markup-looking text such as ``<b>Ada</b>`` or
    ``{{ x }}`` that a sound renderer prints literally.

    Args:
        min_fields: the fewest name parts to include (0 to 5).
        max_size: the longest generated name part, at least 100.

    Raises:
        InvalidArgument: for a ``min_fields`` outside 0..5 or a
            ``max_size`` below 100 (when first drawn from).
    """

    def build() -> st.SearchStrategy[dict[str, str]]:
        if isinstance(min_fields, bool) or not isinstance(min_fields, int):
            raise InvalidArgument(f"min_fields must be an int (got {min_fields!r})")
        if not 0 <= min_fields <= 5:
            raise InvalidArgument(f"min_fields must be between 0 and 5 (got {min_fields})")
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 100:
            raise InvalidArgument(
                f"max_size must be an int of at least 100 (got {max_size!r}); "
                "long names are part of what these strategies test"
            )
        return _names(min_fields=min_fields, max_size=max_size)

    return _lazy(build)


@functools.lru_cache(maxsize=16)
def _names(*, min_fields: int, max_size: int) -> st.SearchStrategy[dict[str, str]]:
    text = _name_texts(max_size=max_size)
    parts: dict[str, st.SearchStrategy[str]] = {
        "given": text,
        "family": text,
        "preferred": text,
        "honorific": st.sampled_from(_HONORIFICS) | text,
        "pronunciation": st.sampled_from(("AY-da", "ho-SAY", "zo-EE", "SHAHN")) | text,
    }
    if min_fields == len(parts):
        return st.fixed_dictionaries(parts)
    strategy = st.fixed_dictionaries({}, optional=parts)
    if min_fields:
        strategy = strategy.filter(lambda d: len(d) >= min_fields)
    return strategy


def consents(
    *, channels: Iterable[str] | None = None, statuses: Iterable[str] | None = None
) -> st.SearchStrategy[dict[str, str]]:
    """The ``"consent"`` mapping: a status for some (or none) of the channels.

    Channels left out are ``unknown`` to personalize, which is not the same
    as opted in: marketing needs an explicit ``opted_in``.

    Args:
        channels: the channels to state a status for (default: all).
        statuses: the statuses to draw from (default: ``opted_in``,
            ``opted_out``, ``unknown``).

    Raises:
        InvalidArgument: for an unknown channel or status (when first drawn from).
    """

    def build() -> st.SearchStrategy[dict[str, str]]:
        chs = _check_choices("channels", channels, CHANNELS, CHANNELS)
        sts = _check_choices("statuses", statuses, CONSENT_VALUES, CONSENT_VALUES)
        if (chs, sts) == (CHANNELS, CONSENT_VALUES):
            return _CONSENTS
        return st.fixed_dictionaries({}, optional={ch: st.sampled_from(sts) for ch in chs})

    return _lazy(build)


def orders(
    *,
    min_date: dt.date | None = None,
    max_date: dt.date | None = None,
    currencies: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """One entry of ``"orders"``: a dated order with items and a total.

    The total is the sum of the item prices times quantities, written as a
    decimal string the way money always is in personalize.

    Args:
        min_date: the earliest order date (default: 20 years before ``max_date``).
        max_date: the latest order date (default: today).
        currencies: ISO 4217 codes to draw the order's currency from.
        categories: item categories to draw from (default: a shop's mix,
            including ``laptops``, ``flowers`` and ``baby``).

    Raises:
        InvalidArgument: for dates the wrong way round, an unknown currency,
            or an empty list (when first drawn from).
    """

    def build() -> st.SearchStrategy[dict[str, Any]]:
        lo, hi = _check_dates(min_date, max_date)
        curs = _check_choices("currencies", currencies, _CURRENCIES)
        for c in curs:
            if not re.fullmatch(r"[A-Z]{3}", c) or not babel.numbers.is_currency(c):
                raise InvalidArgument(f"currencies: unknown ISO 4217 code {c!r}")
        cats = _check_choices("categories", categories, _CATEGORIES)
        return _orders(lo=lo, hi=hi, currencies=curs, categories=cats)

    return _lazy(build)


@st.composite
def _items(draw: st.DrawFn, categories: tuple[str, ...]) -> dict[str, Any]:
    category = draw(st.sampled_from(categories))
    products = _PRODUCTS.get(category, (category.title(),))
    cents = draw(st.integers(min_value=0, max_value=500_000))
    item: dict[str, Any] = {
        "sku": f"{category[:2].upper()}-{draw(st.integers(min_value=1, max_value=9999))}",
        "name": draw(st.sampled_from(products) | st.sampled_from(_MARKUP_NAMES)),
        "category": category,
        "price": str(Decimal(cents) / 100),
    }
    quantity = draw(st.integers(min_value=1, max_value=5))
    if quantity > 1:
        item["quantity"] = quantity
    return item


@st.composite
def _orders(
    draw: st.DrawFn,
    *,
    lo: dt.date,
    hi: dt.date,
    currencies: tuple[str, ...],
    categories: tuple[str, ...],
) -> dict[str, Any]:
    items = draw(st.lists(_items(categories), min_size=1, max_size=3))
    total = sum(
        (Decimal(i["price"]) * int(i.get("quantity", 1)) for i in items), Decimal("0.00")
    ).quantize(Decimal("0.01"))
    return {
        "id": f"o-{draw(st.integers(min_value=1, max_value=99_999_999))}",
        "date": draw(st.dates(min_value=lo, max_value=hi)).isoformat(),
        "total": str(total),
        "currency": draw(st.sampled_from(currencies)),
        "items": items,
    }


# ---------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------


def customer_dicts(
    *,
    locales: Iterable[str | None] | None = None,
    completeness: float | None = None,
    today: dt.date | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """JSON-shaped customer mappings that :meth:`Customer.from_dict` accepts.

    Use this to test code that takes raw records (an importer, a batch
    job); use :func:`customers` for validated customers.

    Dates are plausible: the birthday makes the customer 16 to 100 years
    old, ``customer_since`` is after their 16th birthday, orders fall
    between ``customer_since`` and ``today``, children are born after the
    customer, recent contacts are within the last 60 days.  Some fields
    carry provenance, including external data with no recorded permission
    (which the ``external-data`` guard must catch).

    Args:
        locales: the locales to draw from; ``None`` inside the list means
            "no locale given".  Default: :data:`DEFAULT_LOCALES`.
        completeness: the chance (0 to 1) that each optional field is
            present: 0 gives a bare id, 1 a complete profile.  Default:
            drawn per example, so both extremes and everything between occur.
        today: the date the data is relative to (default: today).

    Raises:
        InvalidArgument: for an unknown locale, a completeness outside 0..1
            or a ``today`` that is not a date (when first drawn from).
    """

    def build() -> st.SearchStrategy[dict[str, Any]]:
        locs = _check_locales(locales)
        p = _check_completeness(completeness)
        day = _check_today(today)
        return _customer_dicts(locales=locs, completeness=p, today=day)

    return _lazy(build)


def customers(
    *,
    locales: Iterable[str | None] | None = None,
    completeness: float | None = None,
    today: dt.date | None = None,
) -> st.SearchStrategy[Customer]:
    """Valid :class:`~personalize.Customer` objects, sparse to complete.

    Each is built with :meth:`Customer.from_dict` from a
    :func:`customer_dicts` mapping and pinned to ``today`` (so derived facts
    such as ``days_since_last_order`` agree with the generated dates).
    See :func:`customer_dicts` for the arguments.

    Raises:
        InvalidArgument: as :func:`customer_dicts` (when first drawn from).
    """

    def build() -> st.SearchStrategy[Customer]:
        locs = _check_locales(locales)
        p = _check_completeness(completeness)
        day = _check_today(today)
        return st.builds(
            _customer_from_dict,
            _customer_dicts(locales=locs, completeness=p, today=day),
            st.just(day),
        )

    return _lazy(build)


def _customer_from_dict(data: dict[str, Any], today: dt.date | None) -> Customer:
    return Customer.from_dict(data, today=today or dt.date.today())


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` years earlier (later, if negative); 29 Feb -> 28 Feb."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _date_between(draw: st.DrawFn, lo: dt.date, hi: dt.date) -> dt.date:
    """A date in ``[lo, hi]`` that shrinks towards ``hi`` (recent, the common case)."""
    return hi - dt.timedelta(days=draw(st.integers(min_value=0, max_value=(hi - lo).days)))


_IDS: Final = st.integers(min_value=1, max_value=999_999).map("c-{}".format) | st.text(
    _ALPHABETS["any"], min_size=1, max_size=20
).filter(_valid_text)
_P_ANY: Final = st.sampled_from((0.0, 1.0)) | st.floats(min_value=0, max_value=1)
_UNIT: Final = st.floats(min_value=0, max_value=1)
# Opt-in first and twice as likely: marketing renders only for opted-in
# channels, so this keeps most generated customers receivable somewhere and
# makes failing examples shrink towards a customer who can be sent to.
_CONSENT_STATUSES: Final = st.sampled_from(("opted_in", "opted_in", "opted_out", "unknown"))
_CONSENTS: Final = st.fixed_dictionaries({}, optional={ch: _CONSENT_STATUSES for ch in CHANNELS})
_PERCENTILES: Final = st.integers(min_value=0, max_value=10_000).map(lambda n: n / 100)
_EVENTS: Final = st.fixed_dictionaries(
    {"channel": st.sampled_from(CHANNELS), "days_ago": st.integers(min_value=0, max_value=60)},
    optional={
        "message": st.sampled_from(("weekly-promo", "birthday", "receipt")),
        "purpose": st.sampled_from(PURPOSES),
    },
)
_PROVENANCE: Final = st.fixed_dictionaries(
    {"source": st.sampled_from(SOURCES)}, optional={"permission": st.booleans()}
)
_INTEREST_LISTS: Final = st.lists(
    st.sampled_from(_INTERESTS) | st.sampled_from(_NOTABLE_NAMES), max_size=4
)


@st.composite
def _customer_dicts(
    draw: st.DrawFn,
    *,
    locales: tuple[str | None, ...],
    completeness: float | None,
    today: dt.date | None,
) -> dict[str, Any]:
    day = today or dt.date.today()
    p = draw(_P_ANY) if completeness is None else completeness

    def present() -> bool:
        # Shrinks towards "absent", so a failing example is the sparsest one.
        if p >= 1:
            return True
        if p <= 0:
            return False
        return draw(_UNIT) >= 1 - p

    data: dict[str, Any] = {"id": draw(_IDS)}
    if present():
        data["name"] = draw(_names(min_fields=5 if p >= 1 else 0, max_size=120))
    if present():
        locale = draw(st.sampled_from(locales))
        if locale is not None:
            data["locale"] = locale
    if present():
        data["timezone"] = draw(st.sampled_from(_TIMEZONES))
    if present():
        data["register"] = draw(st.sampled_from(REGISTERS))
    contact: dict[str, str] = {}
    if present():
        contact["email"] = draw(_EMAILS)
    if present():
        contact["phone"] = draw(_PHONES)
    if contact:
        data["contact"] = contact
    if present():
        data["consent"] = draw(_CONSENTS)
    earliest_adult = day
    if present():
        birthday = _date_between(draw, _years_before(day, 100), _years_before(day, 16))
        data["birthday"] = birthday.isoformat()
        earliest_adult = _years_before(birthday, -16)
    since_floor = max(_years_before(day, 30), min(earliest_adult, day))
    since: dt.date | None = None
    if present():
        since = _date_between(draw, since_floor, day)
        data["customer_since"] = since.isoformat()
    if present():
        currency = draw(st.sampled_from(_CURRENCIES))
        currencies = _CURRENCIES if draw(st.booleans()) else (currency,)
        count = draw(st.integers(min_value=1, max_value=6))
        data["orders"] = [
            draw(
                _orders(
                    lo=since or since_floor, hi=day, currencies=currencies, categories=_CATEGORIES
                )
            )
            for _ in range(count)
        ]
    if present():
        born_after = int(data["birthday"][:4]) + 16 if "birthday" in data else day.year - 50
        count = draw(st.integers(min_value=0, max_value=4))
        data["household"] = {
            "children_birth_years": [
                day.year - draw(st.integers(min_value=0, max_value=max(0, day.year - born_after)))
                for _ in range(count)
            ]
        }
    if present():
        data["interests"] = draw(_INTEREST_LISTS)
    if present():
        data["tier"] = {
            "name": draw(st.sampled_from(("bronze", "silver", "gold", "platinum"))),
            "since": _date_between(draw, since or since_floor, day).isoformat(),
            "rank_percentile": draw(_PERCENTILES),
        }
    if present():
        data["contact_history"] = [
            {
                **{k: v for k, v in event.items() if k != "days_ago"},
                "date": (day - dt.timedelta(days=int(str(event["days_ago"])))).isoformat(),
            }
            for event in draw(st.lists(_EVENTS, max_size=8))
        ]
    if present():
        fields = sorted(k for k in data if k != "id") or ["interests"]
        data["provenance"] = draw(st.dictionaries(st.sampled_from(fields), _PROVENANCE, max_size=3))
    if present():
        data["attributes"] = {"favorite_store": draw(st.sampled_from(("Leeds", "Köln", "Lyon")))}
    return data


# ---------------------------------------------------------------------------
# Assertions
# ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|#\}|\*\|[A-Z_]+\|\*|\[(?:First|Last) ?Name\]"
    r"|%(?=[A-Z_]*[G-Z_])[A-Z][A-Z_]{2,}%"  # %FIRSTNAME%, not URL escapes like %C3%BA%
    r"|(?<!\w)(?:None|null|undefined|NaN)(?!\w)"
)
_URL = re.compile(r"\bhttps?://[^\s)>\]]+")
_MARKUP = re.compile(r"<[A-Za-z/!]|&[A-Za-z]+;|&#")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _without(text: str, values: Sequence[str]) -> str:
    """``text`` with every customer-supplied string blanked out."""
    for v in values:
        text = text.replace(v, " ")
    return text


def _fail(message: str, channel: str, problem: str, detail: str = "") -> AssertionError:
    extra = f"\n  in: {detail[:500]!r}" if detail else ""
    return AssertionError(f"{message}/{channel}: {problem}{extra}")


def _visible_texts(result: RenderResult) -> dict[str, str]:
    if isinstance(result, EmailResult):
        return {
            "subject": result.subject,
            "preheader": result.preheader,
            "text": result.text,
        }
    if isinstance(result, (SmsResult, VoiceResult)):
        return {"text": result.text}
    return {"body": result.body}


def assert_renders_soundly(
    lib: Library,
    message: str,
    customer: Customer,
    *,
    channels: Iterable[str] | None = None,
) -> dict[str, RenderResult | Refused]:
    """Render ``message`` for ``customer`` and assert the outcome is sound.

    Sound means, for every channel:

    * the render returns a result or raises :class:`~personalize.Refused`
      with at least one violation; any other exception fails the assertion
      (a guard refusing is the library doing its job; a crash is a bug);
    * no unresolved placeholder (``{{``, ``*|FNAME|*``, ``[First Name]``)
      and no ``None``/``null``/``undefined``/``NaN`` in the text a person
      reads, unless the customer's own data contains it;
    * escaping holds: markup-looking customer data never appears raw in the
      email HTML or the SSML, the SSML is well-formed XML, the plain-text
      parts contain no HTML entities the data did not contain, and the
      subject has no line breaks.

    Args:
        lib: the library holding the message.
        message: the message name.
        customer: the customer to render for.
        channels: the channels to render (default: all the message has,
            whether or not this customer may receive them; a refusal for
            missing consent is a sound outcome).

    Returns:
        channel -> the result or the :class:`~personalize.Refused`, for
        further assertions of your own.

    Raises:
        AssertionError: naming the message, channel and problem.
        MessageNotFound: for an unknown message or channel.
    """
    spec = lib.message(message)
    chosen = tuple(spec.channels) if channels is None else tuple(channels)
    if isinstance(channels, str):
        raise InvalidArgument(
            f"channels must be a list (got {channels!r}); write channels=[{channels!r}]"
        )
    # Longest first, so "Ada Lovelace" is blanked before "Ada".
    values = sorted({s for s in _strings(customer.to_dict()) if s.strip()}, key=len, reverse=True)
    data_has_entities = any(_ENTITY.search(v) for v in values)
    markup_values = [v for v in values if _MARKUP.search(v) and re.sub(r"<[^>]*>", "", v).strip()]
    outcomes: dict[str, RenderResult | Refused] = {}
    for channel in chosen:
        try:
            result = lib.render(message, customer, channel)
        except Refused as exc:
            if not exc.violations:
                raise _fail(message, channel, "Refused without violations") from exc
            for v in exc.violations:
                if not (isinstance(v.guard, str) and v.guard and v.message):
                    raise _fail(message, channel, f"malformed violation {v!r}") from exc
            outcomes[channel] = exc
            continue
        except PersonalizeError as exc:
            raise _fail(
                message,
                channel,
                f"raised {type(exc).__name__} instead of a result or Refused: {exc}",
            ) from exc
        except Exception as exc:
            raise _fail(message, channel, f"crashed with {type(exc).__name__}: {exc}") from exc
        _check_result(message, channel, customer, result, values, markup_values, data_has_entities)
        outcomes[channel] = result
    return outcomes


def _check_result(
    message: str,
    channel: str,
    customer: Customer,
    result: RenderResult,
    values: Sequence[str],
    markup_values: Sequence[str],
    data_has_entities: bool,
) -> None:
    if result.channel != channel or result.message != message:
        raise _fail(message, channel, f"result is for {result.message}/{result.channel}")
    if result.customer_id != customer.id:
        raise _fail(message, channel, f"result is for customer {result.customer_id!r}")
    for part, text in _visible_texts(result).items():
        if part in ("text", "body") and not text.strip():
            raise _fail(message, channel, f"{part} is empty")
        # URLs are percent-encoded ("%C4%BAG%2F" is not "%BAG%"), so they are
        # left out of the placeholder check.
        found = _PLACEHOLDER.search(_without(_URL.sub(" ", text), values))
        if found:
            raise _fail(
                message, channel, f"unresolved placeholder {found.group()!r} in {part}", text
            )
        if not data_has_entities:
            entity = _ENTITY.search(text)
            if entity:
                raise _fail(
                    message,
                    channel,
                    f"HTML/XML entity {entity.group()!r} in plain-text {part} "
                    "(escaped twice, or escaped for the wrong channel)",
                    text,
                )
    if isinstance(result, EmailResult):
        if "\r" in result.subject or "\n" in result.subject:
            raise _fail(message, channel, "line break in the subject", result.subject)
        for raw in markup_values:
            if raw in result.html:
                raise _fail(message, channel, f"unescaped customer data {raw!r} in the HTML")
        if re.search(r"\{\{|\{%|\{#", result.html):
            raise _fail(message, channel, "Jinja syntax left in the HTML", result.html)
    if isinstance(result, VoiceResult):
        try:
            ET.fromstring(result.ssml)
        except ET.ParseError as exc:
            raise _fail(
                message, channel, f"SSML is not well-formed XML: {exc}", result.ssml
            ) from exc
        for raw in markup_values:
            if raw in result.ssml:
                raise _fail(message, channel, f"unescaped customer data {raw!r} in the SSML")
