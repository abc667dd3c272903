"""Guards: the policy layer that reads every rendered message.

A guard is a plain callable ``(GuardInput) -> Iterable[Violation]``
registered under its stable id.  The renderer runs every registered guard
on each result and sorts violations into refusals and warnings by the
:class:`~personalize.policy.Policy`.  The built-in guards are described in
docs/guards.md; their phrase lists live in ``phrases/<lang>.toml``.
"""

from __future__ import annotations

from ..policy import Policy
from ..violation import Violation
from . import builtin as _builtin  # registers the built-in guards
from .base import Guard, GuardInput, register_guard, registered_guards, run_guards
from .normalize import Normalized, normalize
from .suppress import AllowExtension, Suppression
from .text import CONTENT_GUARDS, check_plain

__all__ = [
    "CONTENT_GUARDS",
    "AllowExtension",
    "Guard",
    "GuardInput",
    "Normalized",
    "Suppression",
    "check_text",
    "normalize",
    "register_guard",
    "registered_guards",
    "run_guards",
]

del _builtin


def check_text(
    text: str,
    channel: str = "email",
    lang: str = "en",
    *,
    policy: Policy | None = None,
    delivery: str = "automated",
) -> list[Violation]:
    """Run the text guards on plain ``text`` with no claims.

    Markup is stripped and entities decoded first, as for an email's HTML, so
    ``"Dear <b>Valued</b> Customer"`` is caught.  Every channel gets
    ``generic-address``, ``unsupported-superlative`` and
    ``unresolved-placeholder``; ``channel="voice"`` adds ``voice-url`` and,
    for automated delivery (the default, the cautious reading),
    ``robotic-care``.

    Args:
        text: the copy to check.
        channel: ``"email"``, ``"sms"`` or ``"voice"``.
        lang: the reader's language; selects language-specific rules (phrase
            lists of every shipped language are always checked).
        policy: extra and allowed phrases, and guards turned off.
        delivery: for voice, ``"automated"`` or ``"human"`` (as message.toml's
            ``voice.delivery``).

    Returns:
        The violations, in text order; each has ``.guard``, ``.message`` (why
        and how to fix it), ``.excerpt`` and ``.span`` (offsets in ``text``).

    >>> [v.guard for v in check_text("Dear Valued Customer, hello")]
    ['generic-address']
    >>> check_text("Best regards, the Hearth & Bloom team")
    []
    """
    return check_plain(text, channel=channel, lang=lang, policy=policy, delivery=delivery)
