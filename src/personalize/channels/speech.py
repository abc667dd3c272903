"""Template filters that write money, dates, times and phone numbers as spoken.

Speech engines disagree on ``<say-as>``: espeak-ng 1.51 reads
``interpret-as="currency"`` and ``"date"`` content literally ("pound twelve
point five zero" for "£12.50"), and only some commercial engines support
currency at all.  So the voice copy says these things the way the locale
speaks them, with Babel's words for currencies and months:

========================  =============================================
``{{ 1299.5 | spoken_money("GBP") }}`` en_GB: ``1299 British pounds 50``;
                                       de_DE: ``12 Britische Pfund 50``
``{{ d | spoken_date }}``              ``Thursday, 10 December 2026``;
                                       de_DE ``Donnerstag, 10. Dezember 2026``
``{{ t | spoken_time }}``              ``14 30`` (written 14:30); en_US ``2 30 PM``
``{{ "+447700900123" | spoken_phone }}``  ``07700 900123`` spoken
                                       ``0 7 7 0 0, 9 0 0 1 2 3``
========================  =============================================

In a voice template, money and phone numbers come out as
``<sub alias="spoken words">written form</sub>``: an engine says the alias,
and the written form stays in the script for a human agent to glance at.
Times get an alias without the separator ("14:30" is said "14 30"; espeak-ng
reads the colon aloud).  Dates need no alias: their written form, with the
month in words, is already what is said.
On other channels the filters return the spoken words as plain text.

The filters take the template context (``pass_context``) only so that Jinja
never folds them at compile time: ``{{ "12.50" | spoken_money("GBP") }}``
has constant arguments, but its words depend on the render's locale.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.numbers import get_currency_name as _currency_name
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from ..context import current_state, is_missing, unwrap
from ..errors import TemplateError

__all__ = ["SPEECH_FILTERS", "spoken_date", "spoken_money", "spoken_phone", "spoken_time"]


def _locale() -> str:
    state = current_state()
    return state.locale if state is not None else "en"


def _voice() -> bool:
    state = current_state()
    return state is not None and state.channel == "voice"


def _sub(alias: str, written: str) -> str:
    if _voice():
        return Markup('<sub alias="{}">{}</sub>').format(alias, written)
    return alias


@pass_context
def spoken_money(_context: Context, value: Any, currency: str | None = None) -> Any:
    """An amount as the locale says it: "12 British pounds 50".

    Args:
        value: a Decimal, int or decimal string, or an object with ``amount``
            and ``currency`` (an offer value).
        currency: ISO 4217 code, unless ``value`` carries one.

    Raises:
        TemplateError: without a currency or for a value that is not a number.
    """
    value = unwrap(value)
    if is_missing(value):
        return value
    if currency is None and hasattr(value, "currency"):
        currency = str(value.currency)
    if hasattr(value, "amount"):
        value = value.amount
    if not currency:
        raise TemplateError(
            f"spoken_money needs a currency for {value!r}",
            hint='write {{ amount | spoken_money("EUR") }}',
        )
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise TemplateError(f"spoken_money: {value!r} is not an amount") from None
    locale = _locale()
    digits = get_currency_precision(currency)
    amount = amount.quantize(Decimal(1).scaleb(-digits))
    major = int(amount)
    minor = int((abs(amount) - abs(major)) * (10**digits))
    # No grouping separator: "1 299" (fr) or "1,299" can be read as two numbers.
    number = format_decimal(major, locale=locale, group_separator=False)
    words = f"{number} {_currency_name(currency, major, locale)}"
    if minor:
        words += f" {minor}"
    written = format_currency(amount, currency, locale=locale)
    return _sub(words, written)


def _as_date(value: Any) -> dt.date:
    value = unwrap(value)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise TemplateError(f"spoken_date: {value!r} is not a date")


@pass_context
def spoken_date(_context: Context, value: Any, format: str = "full") -> Any:
    """A date with the month (and by default weekday) in words.

    Args:
        value: a date, datetime or ISO date string.
        format: a Babel date format: ``full`` (with weekday), ``long``, or
            a pattern such as ``"EEEE d MMMM"``.
    """
    if is_missing(value):
        return value
    return format_date(_as_date(value), format=format, locale=_locale())


@pass_context
def spoken_time(_context: Context, value: Any, format: str = "short") -> Any:
    """A time of day as the locale says it, in the customer's time zone."""
    value = unwrap(value)
    if is_missing(value):
        return value
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value)
        except ValueError:
            raise TemplateError(f"spoken_time: {value!r} is not a time") from None
    state = current_state()
    if isinstance(value, dt.datetime) and value.tzinfo and state and state.customer.tzinfo:
        value = value.astimezone(state.customer.tzinfo)
    if not isinstance(value, (dt.time, dt.datetime)):
        raise TemplateError(f"spoken_time: {value!r} is not a time")
    written = format_time(value, format=format, locale=_locale())
    # "14:30" is said "14 30"; espeak-ng reads the colon aloud in SSML mode.
    return _sub(re.sub(r"(?<=\d)[:.h](?=\d)", " ", written), written)


@pass_context
def spoken_phone(_context: Context, value: Any) -> Any:
    """A phone number read digit by digit, in the groups people say.

    A number in the customer's own country is said in national form
    ("0 7 7 0 0, 9 0 0 1 2 3"), any other in international form.
    """
    import phonenumbers

    value = unwrap(value)
    if is_missing(value):
        return value
    text = str(value)
    region = _locale().partition("_")[2] or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise TemplateError(
            f"spoken_phone: {text!r} is not a phone number",
            hint="use the international form, e.g. +447700900123",
        ) from None
    # Compare country codes, not regions: fictional numbers (Ofcom's 07700
    # 900xxx drama range) have no region but are still dialled nationally.
    home = region is not None and number.country_code == phonenumbers.country_code_for_region(
        region
    )
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else (phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    )
    written = phonenumbers.format_number(number, style)
    groups = re.findall(r"\+?\d+", written)
    words = ", ".join(" ".join(g) for g in groups)
    return _sub(words, written)


#: The filters registered on every environment.
SPEECH_FILTERS: Final = {
    "spoken_money": spoken_money,
    "spoken_date": spoken_date,
    "spoken_time": spoken_time,
    "spoken_phone": spoken_phone,
}
