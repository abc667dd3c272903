"""Policy: which guards refuse a message, which only warn, and their limits.

A :class:`Policy` is a frozen value.  A library has one; a message's
``[policy]`` table may tighten it (turn a warning into a refusal, lower a
limit) but never loosen it, so that whoever owns the library sets the floor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, Literal

from .errors import InvalidArgument

__all__ = ["GUARD_IDS", "Policy"]

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

Action = Literal["refuse", "warn", "off"]
ACTIONS: Final = ("refuse", "warn", "off")
_STRICTNESS: Final = {"off": 0, "warn": 1, "refuse": 2}


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Guard actions and limits.

    Attributes:
        actions: guard id -> ``"refuse"``, ``"warn"`` or ``"off"``; guards not
            listed refuse.
        limits: namespaced limits, e.g. ``"contact-pressure.max_contacts"``.
        extra_phrases: language -> guard id -> extra phrases to flag.
        allowed_phrases: phrases never flagged (e.g. a brand name).
    """

    actions: Mapping[str, Action] = field(default_factory=lambda: _frozen({}))
    limits: Mapping[str, Any] = field(default_factory=lambda: _frozen({}))
    extra_phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=lambda: _frozen({})
    )
    allowed_phrases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for guard, action in self.actions.items():
            if guard not in GUARD_IDS:
                raise InvalidArgument(f"unknown guard {guard!r} in Policy.actions")
            if action not in ACTIONS:
                raise InvalidArgument(
                    f"Policy.actions[{guard!r}] must be refuse, warn or off (got {action!r})"
                )
        object.__setattr__(self, "actions", _frozen(self.actions))
        object.__setattr__(self, "limits", _frozen(self.limits))

    def action(self, guard: str) -> Action:
        """What happens when ``guard`` fires."""
        return self.actions.get(guard, "refuse")

    def limit(self, key: str, default: Any) -> Any:
        """A namespaced limit, e.g. ``policy.limit("contact-pressure.days", 7)``."""
        return self.limits.get(key, default)

    def tightened(self, overrides: Mapping[str, Any]) -> Policy:
        """A copy with stricter ``overrides`` from a message's ``[policy]`` table.

        Raises:
            InvalidArgument: when an override would loosen the policy.
        """
        actions = dict(self.actions)
        limits = dict(self.limits)
        for key, value in overrides.items():
            if key in GUARD_IDS:
                if value not in ACTIONS:
                    raise InvalidArgument(f"policy.{key} must be refuse, warn or off")
                if _STRICTNESS[value] < _STRICTNESS[self.action(key)]:
                    raise InvalidArgument(
                        f"policy.{key} = {value!r} would loosen the library policy "
                        f"({self.action(key)!r}); a message may only tighten it"
                    )
                actions[key] = value
            else:
                limits[key] = value
        return replace(self, actions=actions, limits=limits)
