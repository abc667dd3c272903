"""The guard protocol and registry.

A guard is a plain callable ``(GuardInput) -> Iterable[Violation]``
registered under its stable id; a service adds its own with
:func:`register_guard` rather than subclassing anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..context import RenderState
from ..customer import Customer
from ..message import MessageSpec
from ..policy import Policy
from ..result import RenderResult
from ..violation import Violation

__all__ = ["Guard", "GuardInput", "register_guard", "registered_guards", "run_guards"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardInput:
    """Everything a guard may look at.

    Attributes:
        result: the channel's result, after the channel adapter.
        customer: the customer rendered for.
        spec: the message definition (purpose, per-channel settings).
        state: the render's state (facts read, claims, allowed spans).
        policy: the effective policy (library policy tightened by the message).
    """

    result: RenderResult
    customer: Customer
    spec: MessageSpec
    state: RenderState
    policy: Policy


Guard = Callable[[GuardInput], Iterable[Violation]]

_GUARDS: dict[str, Guard] = {}


def register_guard(guard_id: str, guard: Guard) -> None:
    """Register ``guard`` under ``guard_id`` (replacing any earlier one)."""
    _GUARDS[guard_id] = guard


def registered_guards() -> tuple[str, ...]:
    """The ids of the registered guards, in the order they run."""
    return tuple(_GUARDS)


def run_guards(data: GuardInput) -> list[Violation]:
    """Run every registered guard whose policy action is not ``off``."""
    found: list[Violation] = []
    for guard_id, guard in _GUARDS.items():
        if data.policy.action(guard_id) == "off":
            continue
        found.extend(guard(data))
    return found
