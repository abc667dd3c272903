"""Policy: which guards refuse a message, which only warn, and their limits.

A :class:`Policy` is a frozen value.  A library has one; a message's
``[policy]`` table may tighten it (turn a warning into a refusal, lower a
limit) but never loosen it, so that whoever owns the library sets the floor.

>>> p = Policy(actions={"contact-pressure": "warn"}, limits={"contact-pressure.days": 14})
>>> p.action("contact-pressure"), p.action("generic-address")
('warn', 'refuse')
>>> p.tightened({"contact-pressure": "refuse"}).action("contact-pressure")
'refuse'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, Literal

from .errors import InvalidArgument, did_you_mean

__all__ = [
    "ACTIONS",
    "GUARD_IDS",
    "LIMITS",
    "PHRASE_GUARDS",
    "Limit",
    "Policy",
    "policy_line",
    "register_limit",
]

#: Every guard id; these are part of the public contract.
GUARD_IDS: Final = (
    "generic-address",
    "unsupported-superlative",
    "robotic-care",
    "missing-data",
    "unresolved-placeholder",
    "no-consent",
    "contact-pressure",
    "external-data",
    "sms-length",
    "sms-opt-out",
    "voice-url",
    "email-size",
    "email-unsubscribe",
)

#: Guards whose phrase lists a policy may extend with ``extra_phrases``.
PHRASE_GUARDS: Final = ("generic-address", "unsupported-superlative", "robotic-care", "sms-opt-out")

Action = Literal["refuse", "warn", "off"]
ACTIONS: Final = ("refuse", "warn", "off")
_STRICTNESS: Final = {"off": 0, "warn": 1, "refuse": 2}
_CHANNELS: Final = ("email", "sms", "voice")


@dataclass(frozen=True, slots=True)
class Limit:
    """A tunable limit: its default, what is valid, and which way is stricter.

    ``stricter`` is ``"lower"`` (a smaller number is stricter), ``"higher"``,
    ``"true"`` (True is stricter), ``"subset"`` (fewer items is stricter) or
    ``"neither"`` (a preference, not a safeguard: a message may set it freely).
    """

    default: Any
    check: Callable[[Any], bool]
    expected: str
    stricter: str

    def loosens(self, old: Any, new: Any) -> bool:
        """Whether replacing ``old`` by ``new`` loosens the policy."""
        if self.stricter == "lower":
            return bool(new > old)
        if self.stricter == "higher":
            return bool(new < old)
        if self.stricter == "true":
            return bool(old) and not new
        if self.stricter == "neither":
            return False
        return not set(new) <= set(old)


def _count(minimum: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum


_LIMITS: dict[str, Limit] = {
    "contact-pressure.max_contacts": Limit(
        3, _count(0), "a whole number >= 0 of marketing contacts", "lower"
    ),
    "contact-pressure.days": Limit(7, _count(1), "a whole number of days >= 1", "higher"),
    "sms-length.max_segments": Limit(3, _count(1), "a whole number >= 1", "lower"),
    "email-size.max_kb": Limit(102, _count(1), "a whole number of kilobytes >= 1", "lower"),
    "unsupported-superlative.product_claims": Limit(
        False, lambda v: isinstance(v, bool), "true or false", "true"
    ),
    "no-consent.transactional_on_opt_out": Limit(
        ("email",),
        lambda v: isinstance(v, (list, tuple)) and all(c in _CHANNELS for c in v),
        "a list of channels (email, sms, voice)",
        "subset",
    ),
    "sms.normalize": Limit(True, lambda v: isinstance(v, bool), "true or false", "neither"),
}
#: Every limit a policy knows, by namespaced key (extend with :func:`register_limit`).
LIMITS: Final[Mapping[str, Limit]] = MappingProxyType(_LIMITS)


def register_limit(key: str, limit: Limit) -> None:
    """Declare a namespaced limit (``"channel.setting"``) that policies may set.

    Modules that read their own settings from the policy register them here,
    so that a misspelt key in a Policy or a message's ``[policy]`` is an error.
    """
    _LIMITS[key] = limit


_UNSET: Any = object()


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


def _check_action(guard: str, action: object, where: str) -> None:
    if guard not in GUARD_IDS:
        hint = did_you_mean(guard, GUARD_IDS)
        raise InvalidArgument(f"unknown guard {guard!r} in {where}" + (f"; {hint}" if hint else ""))
    if action not in ACTIONS:
        raise InvalidArgument(f"{where}[{guard!r}] must be refuse, warn or off (got {action!r})")
    if guard == "missing-data" and action != "refuse":
        raise InvalidArgument(
            f"{where}['missing-data'] = {action!r} would loosen what no policy may loosen: "
            "missing-data always refuses, because a message with a hole where a customer "
            "fact belongs is never sent (give the template a fallback instead)"
        )


def _check_limit(key: str, value: object, where: str) -> Any:
    spec = LIMITS.get(key)
    if spec is None:
        hint = did_you_mean(key, [*LIMITS, *GUARD_IDS]) or "known limits: " + ", ".join(LIMITS)
        raise InvalidArgument(f"unknown policy key {key!r} in {where}; {hint}")
    if not spec.check(value):
        raise InvalidArgument(f"{where}[{key!r}] must be {spec.expected} (got {value!r})")
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Guard actions, limits and phrase adjustments.

    Attributes:
        actions: guard id -> ``"refuse"``, ``"warn"`` or ``"off"``; guards not
            listed refuse.  ``missing-data`` always refuses.
        limits: namespaced limits (see :data:`LIMITS`), e.g.
            ``{"contact-pressure.max_contacts": 2, "contact-pressure.days": 14}``.
        extra_phrases: language -> guard id -> extra phrases to flag (same
            ``{a|b}`` syntax as the shipped lists; for ``sms-opt-out``, extra
            accepted opt-out instructions).
        allowed_phrases: phrases never flagged, in any language: a brand or
            product name that happens to contain "best", say.

    Raises:
        InvalidArgument: for an unknown guard or limit, or a bad value.
    """

    actions: Mapping[str, Action] = field(default_factory=lambda: _frozen({}))
    limits: Mapping[str, Any] = field(default_factory=lambda: _frozen({}))
    extra_phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=lambda: _frozen({})
    )
    allowed_phrases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for guard, action in self.actions.items():
            _check_action(guard, action, "Policy.actions")
        limits = {k: _check_limit(k, v, "Policy.limits") for k, v in self.limits.items()}
        extra: dict[str, Mapping[str, tuple[str, ...]]] = {}
        for lang, tables in self.extra_phrases.items():
            if not isinstance(lang, str) or not isinstance(tables, Mapping):
                raise InvalidArgument(
                    "Policy.extra_phrases must map a language to {guard id: phrases}"
                )
            per_guard: dict[str, tuple[str, ...]] = {}
            for guard, phrases in tables.items():
                if guard not in PHRASE_GUARDS:
                    hint = did_you_mean(guard, PHRASE_GUARDS) or "phrase guards: " + ", ".join(
                        PHRASE_GUARDS
                    )
                    raise InvalidArgument(
                        f"Policy.extra_phrases[{lang!r}] names {guard!r}, which has no phrase "
                        f"list; {hint}"
                    )
                per_guard[guard] = _phrases(phrases, f"Policy.extra_phrases[{lang!r}][{guard!r}]")
            extra[lang] = MappingProxyType(per_guard)
        allowed = _phrases(self.allowed_phrases, "Policy.allowed_phrases")
        object.__setattr__(self, "actions", _frozen(self.actions))
        object.__setattr__(self, "limits", _frozen(limits))
        object.__setattr__(self, "extra_phrases", MappingProxyType(extra))
        object.__setattr__(self, "allowed_phrases", allowed)

    def action(self, guard: str) -> Action:
        """What happens when ``guard`` fires."""
        return self.actions.get(guard, "refuse")

    def limit(self, key: str, default: Any = _UNSET) -> Any:
        """A namespaced limit, e.g. ``policy.limit("contact-pressure.days")``.

        Falls back to ``default`` when given, else to the documented default.
        """
        if key in self.limits:
            return self.limits[key]
        if default is not _UNSET:
            return default
        return LIMITS[key].default

    def tightened(self, overrides: Mapping[str, Any]) -> Policy:
        """A copy with stricter ``overrides`` from a message's ``[policy]`` table.

        Keys are guard ids (value: an action), limit keys such as
        ``"contact-pressure.max_contacts"``, or a guard id whose value is a
        table (``[policy.contact-pressure]`` with ``action`` and limit names).

        Raises:
            InvalidArgument: naming the key, when it is unknown, has a bad
                value, or would loosen the policy.
        """
        actions = dict(self.actions)
        limits = dict(self.limits)
        for key, value in _flatten(overrides):
            try:
                self._tighten_one(key, value, actions, limits)
            except InvalidArgument as exc:
                # The innermost name the author wrote, so the library can
                # point at its line in message.toml.
                exc.policy_key = key.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
                raise
        return replace(self, actions=actions, limits=limits)

    def _tighten_one(
        self, key: str, value: Any, actions: dict[str, Any], limits: dict[str, Any]
    ) -> None:
        where = "policy"
        if key in GUARD_IDS:
            _check_action(key, value, where)
            if _STRICTNESS[value] < _STRICTNESS[self.action(key)]:
                raise InvalidArgument(
                    f"policy.{key} = {value!r} would loosen the library policy "
                    f"({self.action(key)!r}); a message may only tighten it"
                )
            actions[key] = value
            return
        if key in ("allowed_phrases", "extra_phrases"):
            raise InvalidArgument(
                f"policy.{key} cannot be set in message.toml: phrase lists belong to the "
                "library Policy (a message may only tighten actions and limits)"
            )
        checked = _check_limit(key, value, where)
        if LIMITS[key].loosens(self.limit(key), checked):
            raise InvalidArgument(
                f"policy.{key} = {value!r} would loosen the library policy "
                f"({self.limit(key)!r}); a message may only tighten it"
            )
        limits[key] = checked


def policy_line(source: str, key: str | None) -> int | None:
    """The line of ``key`` inside the ``[policy]`` tables of a message.toml."""
    if not key:
        return None
    inside = False
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.startswith("[policy")
            if inside and key in stripped:
                return number
            continue
        if inside and key in stripped.split("=", 1)[0]:
            return number
    return None


def _flatten(overrides: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            for sub, subvalue in value.items():
                yield (key if sub == "action" else f"{key}.{sub}"), subvalue
        else:
            yield key, value


def _phrases(values: object, where: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{where} must be a list of strings (got {values!r})")
    out = tuple(values)
    if not all(isinstance(v, str) and v.strip() for v in out):
        raise InvalidArgument(f"{where} must hold non-empty strings (got {out!r})")
    from .guards.phrases import phrase_pattern

    for phrase in out:
        phrase_pattern(phrase)
    return out
