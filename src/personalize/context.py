"""What a template sees of the customer, and what the render learns from it.

Templates never touch :class:`~personalize.customer.Customer` directly; they
get a :class:`CustomerView`, which

* records every fact the template reads (with its provenance) on the
  current :class:`RenderState`, so each result can say what it used;
* turns absent data into :class:`Missing`: falsy, chainable and comparable
  (always False), so ``{{ customer.name.given or "there" }}`` and
  ``{% if customer.tier.rank_percentile <= 5 %}`` just work, while *printing*
  it becomes a ``missing-data`` violation instead of "Hi ," or "Hi None,";
* rejects fields that do not exist (``customer.name.givn``) with a
  "did you mean" hint, because that is a template bug, not missing data.

The state of the render in progress lives in a context variable rather than
in the template context, so templates cannot read or forge it and concurrent
renders in threads or tasks stay separate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from jinja2 import Undefined
from jinja2.exceptions import UndefinedError

from .customer import (
    Consent,
    Contact,
    ContactEvent,
    Customer,
    Household,
    Item,
    Name,
    Order,
    Provenance,
    Tier,
)
from .errors import TemplateError, did_you_mean
from .violation import Violation

__all__ = [
    "CustomerView",
    "Fact",
    "Missing",
    "MissingDataError",
    "RenderState",
    "current_state",
    "fallback",
    "is_missing",
    "template_location",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """A customer fact a render read.

    Attributes:
        path: what the template read, e.g. ``customer.name.given`` or
            ``customer.bought_within('laptops', 30)``.
        field: the stored field it comes from (``name.given``, ``orders``).
        source: provenance source (``first-party``, ``declared``, ``external``...).
        permission: whether that source may be used.
        present: False when the fact was missing.
    """

    path: str
    field: str
    source: str
    permission: bool
    present: bool = True

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclass(slots=True, kw_only=True)
class RenderState:
    """Mutable scratchpad of one render (one channel of one message).

    Only the renderer and the blocks write to it; results copy out of it
    into frozen values when the render ends.
    """

    customer: Customer
    channel: str
    message: str
    today: dt.date
    locale: str
    facts: dict[str, Fact] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    #: Rendered bodies of satisfied ``{% claim %}`` blocks: (claim name, text).
    #: The superlative guard accepts superlatives found inside these texts.
    claimed: list[tuple[str, str]] = field(default_factory=list)
    #: Rendered bodies of ``{% allow %}`` blocks: (guard ids, reason, text).
    allowed: list[tuple[frozenset[str], str, str]] = field(default_factory=list)
    #: Records for the result: "offer", "offer_trace", "claims",
    #: "suppressions", "audit" (a dict), set by the blocks and guards.
    extras: dict[str, Any] = field(default_factory=dict)

    def read(self, path: str, stored: str, *, present: bool = True) -> None:
        """Record that the template read ``path`` (stored under ``stored``)."""
        if path in self.facts and self.facts[path].present:
            return
        prov: Provenance = self.customer.provenance_of(stored)
        self.facts[path] = Fact(
            path=path,
            field=stored,
            source=prov.source,
            permission=prov.permission,
            present=present,
        )

    def missing(self, path: str) -> None:
        """Record a ``missing-data`` violation for printing ``path``."""
        template, lineno = template_location()
        excerpt = "{{ " + path + " }}"
        if any(
            v.guard == "missing-data" and v.excerpt == excerpt and v.lineno == lineno
            for v in self.violations
        ):
            return
        self.violations.append(
            Violation(
                guard="missing-data",
                message=(
                    f"{path} is missing for this customer and was printed without a "
                    f'fallback; write {{{{ {path} or "..." }}}}, use the fallback '
                    "filter, or guard it with {% if %}"
                ),
                excerpt=excerpt,
                channel=self.channel,
                template=template,
                lineno=lineno,
            )
        )


_STATE: ContextVar[RenderState | None] = ContextVar("personalize_render_state", default=None)


def current_state() -> RenderState | None:
    """The render in progress in this thread or task, if any."""
    return _STATE.get()


def set_state(state: RenderState | None) -> Any:
    """Install ``state`` as the current render; returns a token for ``reset_state``."""
    return _STATE.set(state)


def reset_state(token: Any) -> None:
    """Undo :func:`set_state`."""
    _STATE.reset(token)


def template_location() -> tuple[str | None, int | None]:
    """The template name and line being executed, found on the call stack.

    Jinja's compiled templates keep a ``__jinja_template__`` global and a
    line map, which is what Jinja's own traceback rewriting uses.
    """
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return template.name, template.get_corresponding_lineno(frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return None, None


# ---------------------------------------------------------------------------
# Missing
# ---------------------------------------------------------------------------


class MissingDataError(UndefinedError):
    """Raised when a missing fact is used where a value is required."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path} is missing")
        self.path = path


class Missing(Undefined):
    """An absent customer fact: falsy, empty, chainable, never printable.

    It is a Jinja ``Undefined``, so the built-in ``default`` filter and the
    ``is defined`` test treat it as undefined.  Comparisons are False rather
    than errors, so a rule such as ``customer.tenure_years >= 3`` simply does
    not hold for a customer whose tenure is unknown.
    """

    __slots__ = ()

    def __init__(self, path: str) -> None:
        super().__init__(name=path, exc=MissingDataError)

    @property
    def path(self) -> str:
        """The dotted path of the missing fact."""
        return str(self._undefined_name)

    @property
    def _undefined_message(self) -> str:
        return self.path

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise MissingDataError(self.path)

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return Missing(f"{self.path}.{name}")

    def __getitem__(self, key: Any) -> Missing:  # type: ignore[override]
        return Missing(f"{self.path}[{key!r}]")

    def __call__(self, *args: Any, **kwargs: Any) -> Missing:  # type: ignore[override]
        return self

    def __str__(self) -> str:
        raise MissingDataError(self.path)

    def __lt__(self, other: Any) -> bool:  # type: ignore[override]
        return False

    def __le__(self, other: Any) -> bool:  # type: ignore[override]
        return False

    def __gt__(self, other: Any) -> bool:  # type: ignore[override]
        return False

    def __ge__(self, other: Any) -> bool:  # type: ignore[override]
        return False

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Missing) and other.path == self.path

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("Missing", self.path))

    def __repr__(self) -> str:
        return f"Missing({self.path!r})"


def is_missing(value: object) -> bool:
    """True for Missing, None, Jinja undefined and blank strings."""
    if value is None or isinstance(value, Undefined):
        return True
    return isinstance(value, str) and not value.strip()


def fallback(value: Any, *alternatives: Any) -> Any:
    """Template filter: the first of ``value, *alternatives`` that is present.

    ``{{ customer.name.preferred | fallback(customer.name.given, "there") }}``.
    Returns the last alternative when every one is missing, so the final
    argument should be a literal.
    """
    candidates = (value, *alternatives)
    for candidate in candidates:
        if not is_missing(candidate):
            return candidate
    return candidates[-1]


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------

#: Derived facts and the stored fields they are computed from, for provenance.
DERIVED_SOURCES: Final[Mapping[str, str]] = {
    "order_count": "orders",
    "tenure_years": "customer_since",
    "lifetime_value": "orders",
    "lifetime_currency": "orders",
    "last_order": "orders",
    "days_since_last_order": "orders",
    "bought_within": "orders",
    "last_bought": "orders",
    "purchased_categories": "orders",
    "youngest_child_age": "household",
    "next_birthday": "birthday",
    "days_until_birthday": "birthday",
    "age": "birthday",
    "contacts_within": "contact_history",
    "language": "locale",
    "today": "locale",
}

_VALUE_TYPES: Final = (Name, Contact, Consent, Item, Order, Household, Tier, ContactEvent)


def _public_names(cls: type) -> frozenset[str]:
    names = {f.name for f in dataclasses.fields(cls)}
    names.update(
        n for n, v in vars(cls).items() if not n.startswith("_") and isinstance(v, property)
    )
    names.update(
        n
        for n, v in vars(cls).items()
        if not n.startswith("_") and callable(v) and not isinstance(v, (classmethod, staticmethod))
    )
    return frozenset(names)


#: Fields and facts templates may read, per value type.  Customer hides the
#: raw plumbing (``provenance``, ``as_of``) and the constructors.
ALLOWED: Final[Mapping[type, frozenset[str]]] = {
    Customer: _public_names(Customer)
    - {
        "provenance",
        "as_of",
        "from_dict",
        "to_dict",
        "at",
        "babel_locale",
        "tzinfo",
        "provenance_of",
    },
    **{cls: _public_names(cls) for cls in _VALUE_TYPES},
}

#: Types of the dataclass-valued fields, for static checks of attribute chains.
FIELD_TYPES: Final[Mapping[tuple[type, str], type]] = {
    (Customer, "name"): Name,
    (Customer, "contact"): Contact,
    (Customer, "consent"): Consent,
    (Customer, "household"): Household,
    (Customer, "tier"): Tier,
    (Customer, "last_order"): Order,
}


class _View:
    """Read-only, fact-recording proxy over one frozen customer value."""

    __slots__ = ("_allowed", "_path", "_stored", "_target")

    def __init__(self, target: Any, path: str, stored: str) -> None:
        self._target = target
        self._path = path
        self._stored = stored
        self._allowed = ALLOWED[type(target)]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._allowed:
            hint = did_you_mean(name, sorted(self._allowed))
            raise TemplateError(
                f"{self._path} has no field {name!r}",
                hint=hint or f"known fields: {', '.join(sorted(self._allowed))}",
            )
        path = f"{self._path}.{name}"
        stored = self._stored_for(name)
        value = getattr(self._target, name)
        if callable(value):
            return _tracked_call(value, path, stored)
        return wrap(value, path, stored)

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def _stored_for(self, name: str) -> str:
        if isinstance(self._target, Customer):
            return DERIVED_SOURCES.get(name, name)
        return f"{self._stored}.{name}" if self._stored else name

    def __repr__(self) -> str:
        return f"<{type(self._target).__name__} view of {self._path}>"

    def __str__(self) -> str:
        raise TemplateError(
            f"{self._path} is a group of fields and cannot be printed",
            hint=f"print one of its fields, e.g. {self._path}.{sorted(self._allowed)[0]}",
        )

    def __html__(self) -> str:
        return self.__str__()


class CustomerView(_View):
    """The ``customer`` object templates and rules see."""

    __slots__ = ()

    def __init__(self, customer: Customer) -> None:
        super().__init__(customer, "customer", "")


class _MappingView(Mapping[str, Any]):
    """Free-form ``attributes``: any key may be read; absent keys are Missing."""

    __slots__ = ("_data", "_path", "_stored")

    def __init__(self, data: Mapping[str, Any], path: str, stored: str) -> None:
        self._data = data
        self._path = path
        self._stored = stored

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        return wrap(self._data.get(name), f"{self._path}.{name}", f"{self._stored}.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def wrap(value: Any, path: str, stored: str) -> Any:
    """Wrap a customer value for templates and record the read."""
    state = _STATE.get()
    absent = value is None or value == () or (isinstance(value, str) and not value.strip())
    if isinstance(value, Mapping) and not value:
        absent = True
    if state is not None and not isinstance(value, (*_VALUE_TYPES,)):
        state.read(path, stored, present=not absent)
    if absent:
        return Missing(path)
    if isinstance(value, _VALUE_TYPES):
        return _View(value, path, stored)
    if isinstance(value, Mapping):
        return _MappingView(value, path, stored)
    if isinstance(value, tuple):
        return tuple(wrap_quiet(v, f"{path}[{i}]", stored) for i, v in enumerate(value))
    return value


def wrap_quiet(value: Any, path: str, stored: str) -> Any:
    """Wrap without recording (the collection read was recorded already)."""
    if value is None:
        return Missing(path)
    if isinstance(value, _VALUE_TYPES):
        return _View(value, path, stored)
    if isinstance(value, Mapping):
        return _MappingView(value, path, stored)
    return value


def _tracked_call(fn: Callable[..., Any], path: str, stored: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
        return wrap(fn(*args, **kwargs), f"{path}({shown})", stored)

    return call


def unwrap(value: Any) -> Any:
    """The plain value behind a view (for filters that format values)."""
    if isinstance(value, _View):
        return value._target
    if isinstance(value, _MappingView):
        return value._data
    return value
