"""The one exception hierarchy of personalize.

Every error a caller can see derives from :class:`PersonalizeError`, and
each also inherits the standard exception it resembles (``ValueError`` for
bad data, ``TypeError`` for bad arguments) so that code written against the
standard library keeps working.  Errors that come from a template carry its
name, line and source line, passed by keyword so that a higher layer (the
renderer) can fill them in after the fact, and a hint saying how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .violation import Violation

__all__ = [
    "CustomerDataError",
    "InvalidArgument",
    "MessageNotFound",
    "PersonalizeError",
    "Refused",
    "SecurityError",
    "TemplateError",
    "did_you_mean",
]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """Return ``"did you mean 'x'?"`` for the closest candidate, or None."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


class PersonalizeError(Exception):
    """Root of every error raised by personalize."""


class InvalidArgument(PersonalizeError, TypeError):
    """A function was called with an argument it cannot accept."""


class CustomerDataError(PersonalizeError, ValueError):
    """Customer data failed validation.

    ``problems`` lists every bad field as ``"path: what is wrong"``, so a
    caller fixing a record sees all of its problems at once rather than one
    per attempt.
    """

    def __init__(self, problems: Sequence[str], *, source: str | None = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        self.source = source
        super().__init__(self._format())

    def _format(self) -> str:
        where = f" in {self.source}" if self.source else ""
        if len(self.problems) == 1:
            return f"invalid customer data{where}: {self.problems[0]}"
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"invalid customer data{where} ({len(self.problems)} problems):\n{lines}"


class TemplateError(PersonalizeError):
    """A message, template, offer or claim file is wrong.

    Attributes:
        message: the short description, lower case.
        name: the template or file name, if known.
        lineno: the 1-based line, if known.
        source: the template source, used to show the offending line.
        hint: how to fix it, if there is something useful to say.
    """

    def __init__(
        self,
        message: str,
        *,
        name: str | None = None,
        lineno: int | None = None,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.lineno = lineno
        self.source = source
        self.hint = hint

    @property
    def location(self) -> str:
        """``File "birthday/sms.txt.j2", line 3`` or what is known of it."""
        parts = []
        if self.name:
            parts.append(f'File "{self.name}"')
        if self.lineno:
            parts.append(f"line {self.lineno}")
        return ", ".join(parts)

    def source_line(self) -> str | None:
        """The offending line of the template source, if known."""
        if self.source is None or not self.lineno:
            return None
        lines = self.source.splitlines()
        if 0 < self.lineno <= len(lines):
            return lines[self.lineno - 1]
        return None

    def detailed_message(self) -> str:
        """A compiler-style message with location, source line and hint."""
        out = [self.message]
        if self.location:
            out.append(f"  -> {self.location}")
        line = self.source_line()
        if line is not None and self.lineno:
            out.append(f"{self.lineno:>4} | {line.rstrip()}")
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)

    def __str__(self) -> str:
        text = self.message
        if self.location:
            text = f"{text} ({self.location})"
        if self.hint:
            text = f"{text}; {self.hint}"
        return text


class SecurityError(TemplateError):
    """A template tried to reach outside the sandbox.

    It is a :class:`TemplateError` because the fix is always in the template;
    templates may be written by people who are not engineers, so the sandbox
    is the boundary, not a convention.
    """


class Refused(PersonalizeError):
    """The render produced copy that a guard refuses to send.

    ``violations`` holds every blocking violation (never just the first), so
    an author fixes them in one pass.  ``result`` is the rendered result the
    guards looked at, when there is one, for previews and audits.
    """

    def __init__(self, violations: Sequence[Violation], *, result: object | None = None) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        self.result = result
        super().__init__(self._format())

    def _format(self) -> str:
        if not self.violations:
            return "refused"
        lines = "\n".join(f"  - {v}" for v in self.violations)
        return f"refused ({len(self.violations)} violation(s)):\n{lines}"


class MessageNotFound(PersonalizeError, LookupError):
    """No message (or channel of a message) by that name."""
