"""Locale-aware template filters, every one a thin layer over Babel.

``{{ order.total | money(order.currency) }}``, ``{{ 0.2 | percent }}``,
``{{ customer.next_birthday | date }}``, ``{{ sent_at | datetime }}``,
``{{ customer.interests | list }}`` and ``{{ 1234.5 | number }}`` format in
the locale of the render in progress (the customer's locale, else the
message's, else the library default) and, for date-times, in the customer's
time zone.  Nothing here formats numbers or dates by hand: Babel carries the
CLDR data that knows ``"10,00 €"`` from ``"€10.00"``.

Every filter passes a missing fact through unchanged, so printing the result
is a ``missing-data`` violation naming the field rather than a crash or a
blank.  ``list`` replaces Jinja's built-in ``list`` conversion filter on
purpose: in message copy a list is printed as a sentence ("a, b and c"), and
templates loop over sequences without converting them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import babel
import babel.dates
import babel.lists
import babel.numbers
from jinja2 import Undefined, pass_context
from jinja2.runtime import Context

from .context import current_state, unwrap
from .errors import TemplateError

__all__ = [
    "FILTERS",
    "format_date",
    "format_datetime",
    "format_list",
    "format_money",
    "format_number",
    "format_percent",
    "render_locale",
]

#: The locale used when no render is in progress (a service calling a filter).
FALLBACK_LOCALE: Final = "en"

DATE_FORMATS: Final = ("short", "medium", "long", "full")


def render_locale() -> str:
    """The locale of the render in progress, else ``"en"``."""
    state = current_state()
    return state.locale if state is not None else FALLBACK_LOCALE


def _tz() -> dt.tzinfo:
    state = current_state()
    if state is not None and state.customer.timezone:
        return ZoneInfo(state.customer.timezone)
    return dt.UTC


def _decimal(value: Any, what: str) -> Decimal:
    value = unwrap(value)
    if isinstance(value, bool):
        raise TemplateError(f"{what} needs a number (got {value!r})")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    raise TemplateError(
        f"{what} needs a number (got {value!r})",
        hint="money amounts are decimal strings like '10.00' or numbers",
    )


def format_money(
    value: Any,
    currency: Any = None,
    *,
    format_type: Literal["name", "standard", "accounting"] = "standard",
    locale: str | None = None,
) -> Any:
    """``{{ 10 | money("EUR") }}`` -> ``€10.00`` (en_IE) / ``10,00 €`` (de_DE).

    Args:
        value: the amount (Decimal, int, or a decimal string).
        currency: the ISO 4217 code; required, because guessing a currency
            from a locale puts the wrong symbol in front of a price.
        format_type: Babel's ``standard``, ``accounting`` or ``name``.
        locale: overrides the render's locale.
    """
    if isinstance(value, Undefined):
        return value
    if isinstance(currency, Undefined):
        return currency
    if not currency:
        raise TemplateError(
            "money needs a currency",
            hint='write {{ amount | money("EUR") }} or pass order.currency',
        )
    amount = _decimal(value, "money")
    return babel.numbers.format_currency(
        amount, str(currency), locale=locale or render_locale(), format_type=format_type
    )


def format_percent(value: Any, *, ratio: bool = True, locale: str | None = None) -> Any:
    """``{{ 0.2 | percent }}`` -> ``20%`` (en) / ``20 %`` (de, fr).

    Args:
        value: a ratio (0.2 for 20 %), or with ``ratio=False`` a number of
            percent (20).
        ratio: whether ``value`` is a ratio.
        locale: overrides the render's locale.

    Decimals are kept rather than rounded away ("12.5%"), because rounding
    a discount is a promise the shop did not make.
    """
    if isinstance(value, Undefined):
        return value
    number = _decimal(value, "percent")
    if not ratio:
        number = number / 100
    return babel.numbers.format_percent(
        number, locale=locale or render_locale(), decimal_quantization=False
    )


def format_number(value: Any, *, locale: str | None = None) -> Any:
    """``{{ 1234.5 | number }}`` -> ``1,234.5`` (en) / ``1.234,5`` (de)."""
    if isinstance(value, Undefined):
        return value
    return babel.numbers.format_decimal(
        _decimal(value, "number"), locale=locale or render_locale(), decimal_quantization=False
    )


def _as_date(value: Any, what: str) -> dt.date:
    value = unwrap(value)
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(_tz()).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return (
                _as_date(dt.datetime.fromisoformat(value), what)
                if "T" in value
                else (dt.date.fromisoformat(value))
            )
        except ValueError:
            pass
    raise TemplateError(f"{what} needs a date (got {value!r})")


def format_date(value: Any, format: str = "long", *, locale: str | None = None) -> Any:
    """``{{ d | date }}`` -> ``3 December 2026`` (en_GB) / ``3. Dezember 2026`` (de).

    Args:
        value: a date, an ISO date string, or a date-time (converted to the
            customer's time zone first, so a voucher ending at 23:30 UTC
            ends on the right day in Sydney).
        format: ``short``, ``medium``, ``long`` (default), ``full`` or a
            CLDR pattern such as ``"d MMMM"``.
        locale: overrides the render's locale.
    """
    if isinstance(value, Undefined):
        return value
    return babel.dates.format_date(
        _as_date(value, "date"), format=format, locale=locale or render_locale()
    )


def format_datetime(value: Any, format: str = "medium", *, locale: str | None = None) -> Any:
    """``{{ t | datetime }}`` in the customer's time zone and locale.

    Naive date-times are taken to be UTC (Babel's convention); aware ones
    are converted to the customer's time zone (UTC when unknown).
    """
    if isinstance(value, Undefined):
        return value
    value = unwrap(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TemplateError(f"datetime needs a date-time (got {value!r})")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return babel.dates.format_datetime(
        value, format=format, tzinfo=_tz(), locale=locale or render_locale()
    )


def format_list(value: Any, style: str = "standard", *, locale: str | None = None) -> Any:
    """``{{ ["tea", "cake", "books"] | list }}`` -> ``tea, cake and books``.

    Args:
        value: a sequence of strings (other values are printed with ``str``).
        style: Babel's list style: ``standard`` (and), ``or``, ``unit``...
        locale: overrides the render's locale.
    """
    if isinstance(value, Undefined):
        return value
    value = unwrap(value)
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TemplateError(f"list needs a sequence of words (got {value!r})")
    items = [str(unwrap(v)) for v in value]
    return babel.lists.format_list(items, style=style, locale=locale or render_locale())  # type: ignore[arg-type]


def _at_render_time(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter so Jinja never runs it at compile time.

    Jinja's optimizer folds filters applied to constants (``{{ 0.2 | percent }}``)
    while compiling, when no render, and so no locale, exists yet.  Filters
    that take the context are never folded.
    """

    @pass_context
    @functools.wraps(fn)
    def filter_(_context: Context, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return filter_


_FORMATTERS: Final[Mapping[str, Callable[..., Any]]] = {
    "money": format_money,
    "percent": format_percent,
    "number": format_number,
    "date": format_date,
    "datetime": format_datetime,
    "list": format_list,
}

#: Filters installed on the environment by name.
FILTERS: Final[Mapping[str, Callable[..., Any]]] = {
    name: _at_render_time(fn) for name, fn in _FORMATTERS.items()
}


def babel_locale(locale: str) -> babel.Locale:
    """Parse ``locale`` with Babel (``de_AT``, ``de-AT`` or ``de``)."""
    return babel.Locale.parse(locale.replace("-", "_"))
