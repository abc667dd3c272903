"""The salutation block: greet a person the way they would want to be greeted.

``{{ salutation() }}`` in a template, :func:`salutation` in a service.  The
greeting follows a fallback chain that never ends in a generic address:

* informal register: preferred name -> given name -> form of address +
  family name -> a neutral greeting ("Hello,");
* formal register: form of address + family name -> given + family name ->
  preferred or given name -> a neutral greeting.

The per-language wording lives in ``data/salutations.toml`` rather than in
code, because conventions differ in ways ifs hide: German agrees the
adjective with the title ("Sehr geehrte Frau", "Sehr geehrter Herr"),
Spanish ends the line with a colon, French puts "Madame" on its own.  A title
that would need a gender the data does not give (German "Dr" alone) falls
through to the full name: the block never guesses anyone's gender.

Names are used exactly as the customer wrote them: never re-cased, never
split into "first" and "last" words.  The voice form speaks
``name.pronunciation`` through an SSML ``<sub alias="...">`` and is returned
as :class:`markupsafe.Markup` with every piece of customer data escaped, so
it can be printed in an autoescaped ``voice.ssml.j2``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from markupsafe import Markup, escape

from .context import current_state, template_location
from .customer import Customer
from .errors import InvalidArgument

__all__ = [
    "DEFAULT_LANGUAGE",
    "SALUTATION_CHANNELS",
    "Salutation",
    "make_template_salutation",
    "salutation",
    "salutation_for",
    "supported_languages",
]

#: The language used when the customer's is not in the table.
DEFAULT_LANGUAGE: Final = "en"
SALUTATION_CHANNELS: Final = ("email", "sms", "voice")
_REGISTERS: Final = ("formal", "informal")


@dataclass(frozen=True, slots=True, kw_only=True)
class Salutation:
    """A chosen greeting and why it was chosen.

    Attributes:
        text: the greeting (``Markup`` for voice, with SSML for the
            pronunciation; plain text for email and SMS).
        rule: which step of the chain fired: ``named``, ``titled``, ``full``
            or ``neutral``.
        language: the language of the table used (``de`` for ``de_AT``).
        register: ``formal`` or ``informal``.
        channel: ``email``, ``sms`` or ``voice``.
        warning: set when the customer's language is not supported and the
            default language was used instead.
    """

    text: str
    rule: str
    language: str
    register: str
    channel: str
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record for the result's audit."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "language": self.language,
            "register": self.register,
            "channel": self.channel,
            "text": str(self.text),
        }
        if self.warning:
            out["warning"] = self.warning
        return out


@functools.cache
def _table() -> Mapping[str, Any]:
    text = resources.files("personalize").joinpath("data/salutations.toml").read_text("utf-8")
    return tomllib.loads(text)


def supported_languages() -> tuple[str, ...]:
    """Languages with salutation forms (``en``, ``de``, ``fr``, ``es``...)."""
    return tuple(sorted(k for k in _table() if k != "honorifics"))


def _features(honorific: str | None) -> set[str]:
    if not honorific:
        return set()
    table: Mapping[str, list[str]] = _table()["honorifics"]
    found: set[str] = set()
    for token in honorific.replace(",", " ").split():
        found.update(table.get(token.casefold().rstrip("."), ()))
    return found


def _title_keys(features: set[str]) -> list[str]:
    gender = next((g for g in ("female", "male", "nonbinary") if g in features), None)
    specific = next((s for s in ("mrs", "miss", "ms", "mr", "mx") if s in features), None)
    academic = next((a for a in ("prof", "dr") if a in features), None)
    keys: list[str] = []
    if academic:
        keys += [f"{x}_{academic}" for x in (specific, gender) if x]
        keys.append(academic)
    keys += [x for x in (specific, gender) if x]
    return keys


def _title(lang: Mapping[str, Any], honorific: str | None, channel: str) -> tuple[str, str] | None:
    """(title, gender key of the greeting) for the honorific, or None."""
    features = _features(honorific)
    if not features:
        return None
    titles: Mapping[str, str] = lang.get("titles", {})
    voice_titles: Mapping[str, str] = lang.get("voice_titles", {})
    gender = next((g for g in ("female", "male") if g in features), "any")
    for key in _title_keys(features):
        if key in titles:
            title = titles[key]
            if channel == "voice" and key in voice_titles:
                title = voice_titles[key]
            elif honorific and honorific.strip().rstrip(".") == title.rstrip("."):
                title = honorific.strip()  # "Dr." as the customer wrote it
            return title, gender
    return None


def _lang_of(locale: str) -> str:
    return locale.replace("-", "_").split("_")[0].casefold()


def _language(locale: str | None, default_locale: str) -> tuple[str, str | None]:
    """(language of the table, warning) for ``locale``."""
    requested = _lang_of(locale or default_locale)
    if requested in supported_languages():
        return requested, None
    default = _lang_of(default_locale)
    if default not in supported_languages():
        default = DEFAULT_LANGUAGE
    return default, (
        f"no salutation forms for language {requested!r}; used {default!r}"
        f" (supported: {', '.join(supported_languages())})"
    )


_PLACEHOLDER: Final = re.compile(r"\{(name|title|family|given)\}")


def _fill(template: str, values: Mapping[str, str | Markup], *, markup: bool) -> str:
    """Fill placeholders in one pass (a name containing "{family}" stays literal)."""
    if not markup:
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), template)
    parts: list[str] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(escape(template[pos : match.start()]))
        parts.append(escape(values.get(match.group(1), "")))
        pos = match.end()
    parts.append(escape(template[pos:]))
    return Markup("").join(parts)


def salutation_for(
    customer: Customer,
    channel: str = "email",
    register: str | None = None,
    locale: str | None = None,
    *,
    default_locale: str = DEFAULT_LANGUAGE,
) -> Salutation:
    """Choose the greeting for ``customer`` and say which rule fired.

    Args:
        customer: the customer.
        channel: ``email`` (a line), ``sms`` (a prefix ending in a space) or
            ``voice`` (a spoken sentence, SSML-safe Markup).
        register: ``formal`` or ``informal``; default: the customer's, else
            the language's usual register for business mail.
        locale: default: the customer's locale; ``de_AT`` uses ``de``.
        default_locale: the language used (with a warning on the result)
            when the customer's language has no salutation forms.

    Raises:
        InvalidArgument: for an unknown channel or register.
    """
    if channel not in SALUTATION_CHANNELS:
        raise InvalidArgument(f"salutation channel must be email, sms or voice (got {channel!r})")
    if register is not None and register not in _REGISTERS:
        raise InvalidArgument(f"register must be formal or informal (got {register!r})")
    language, warning = _language(locale or customer.locale, default_locale)
    lang: Mapping[str, Any] = _table()[language]
    reg = register or customer.register or lang.get("default_register", "informal")
    name = customer.name
    first = name.preferred or name.given
    voice = channel == "voice"

    def first_name() -> str | Markup:
        assert first is not None
        if voice and name.pronunciation and first in (name.preferred, name.given):
            return Markup('<sub alias="{}">{}</sub>').format(name.pronunciation, first)
        return first

    def given_name() -> str | Markup:
        assert name.given is not None
        if voice and name.pronunciation and name.given == first:
            return Markup('<sub alias="{}">{}</sub>').format(name.pronunciation, name.given)
        return name.given

    forms: Mapping[str, Any] = lang.get(reg, {})
    titled = _title(lang, name.honorific, channel) if name.family else None
    chain: list[str]
    chain = ["titled", "full", "named"] if reg == "formal" else ["named", "titled"]
    for rule in chain:
        values: dict[str, str | Markup]
        if rule == "named" and first:
            form = forms.get("named") or lang["informal"]["named"]
            values = {"name": first_name()}
        elif rule == "titled" and titled is not None:
            title, gender = titled
            by_gender = lang["formal"]["titled"]
            form = by_gender.get(gender) or by_gender.get("any")
            if form is None:
                continue
            values = {"title": title, "family": name.family or ""}
        elif rule == "full" and name.given and name.family:
            form = lang["formal"]["full"]
            values = {"given": given_name(), "family": name.family}
        else:
            continue
        return Salutation(
            text=_fill(form[channel], values, markup=voice),
            rule=rule,
            language=language,
            register=reg,
            channel=channel,
            warning=warning,
        )
    neutral = lang.get(f"{reg}_neutral") or lang["neutral"]
    return Salutation(
        text=_fill(neutral[channel], {}, markup=voice),
        rule="neutral",
        language=language,
        register=reg,
        channel=channel,
        warning=warning,
    )


def salutation(
    customer: Customer,
    channel: str = "email",
    register: str | None = None,
    locale: str | None = None,
) -> str:
    """The greeting text for ``customer``: see :func:`salutation_for`.

    >>> from personalize import Customer
    >>> salutation(Customer.from_dict({"id": "1", "name": {"given": "Ada"}}))
    'Hi Ada,'
    """
    return salutation_for(customer, channel, register, locale).text


def make_template_salutation(default_locale: str = DEFAULT_LANGUAGE) -> Callable[..., str]:
    """The ``salutation()`` template global for a library.

    Args:
        default_locale: the library's default locale, used for customers
            whose language has no salutation forms.
    """

    def salutation(register: str | None = None) -> str:
        """Greet the customer being rendered: ``{{ salutation() }}``."""
        return template_salutation(register, default_locale=default_locale)

    return salutation


def template_salutation(register: str | None = None, *, default_locale: str = "en") -> str:
    """Greet the customer of the render in progress.

    Reads the render in progress (customer, channel, locale), records the
    name fields it used as facts and the rule that fired in
    ``result.audit["salutation"]``; a language without salutation forms
    adds a note to ``result.audit["warnings"]``.
    """
    state = current_state()
    if state is None:
        template, lineno = template_location()
        from .errors import TemplateError

        raise TemplateError(
            "salutation() can only be used while rendering a message",
            name=template,
            lineno=lineno,
        )
    customer = state.customer
    channel = state.channel if state.channel in SALUTATION_CHANNELS else "email"
    chosen = salutation_for(
        customer, channel, register, state.locale, default_locale=default_locale
    )
    used = {
        "named": ("preferred",) if customer.name.preferred else ("given",),
        "titled": ("honorific", "family"),
        "full": ("given", "family"),
        "neutral": (),
    }[chosen.rule]
    for part in used:
        state.read(f"customer.name.{part}", f"name.{part}")
    if chosen.rule == "named" and channel == "voice" and customer.name.pronunciation:
        state.read("customer.name.pronunciation", "name.pronunciation")
    audit = state.extras.setdefault("audit", {})
    audit["salutation"] = chosen.to_dict()
    if chosen.warning:
        notes = audit.setdefault("warnings", [])
        if chosen.warning not in notes:
            notes.append(chosen.warning)
    return chosen.text
