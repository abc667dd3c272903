"""A single finding of a guard.

Kept in its own leaf module because everything reports violations: the
renderer (missing data), the channel adapters (SMS length) and the guards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Violation"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """One reason a message should not go out as it is.

    Attributes:
        guard: the stable guard id, e.g. ``"generic-address"``.
        message: why it is a problem and how to fix it.
        excerpt: the offending text, as the customer would see it.
        channel: the channel whose output was checked, if any.
        span: ``(start, end)`` character offsets of the excerpt in the text
            that was checked, when the guard works on text.
        template: the template name, when the violation points at one.
        lineno: the template line, when known.
    """

    guard: str
    message: str
    excerpt: str = ""
    channel: str | None = None
    span: tuple[int, int] | None = field(default=None, compare=False)
    template: str | None = None
    lineno: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.template:
            where = f" [{self.template}" + (f":{self.lineno}" if self.lineno else "") + "]"
        excerpt = f" {self.excerpt!r}" if self.excerpt else ""
        return f"{self.guard}{where}:{excerpt} {self.message}".rstrip()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict, used by the CLI's batch output."""
        data: dict[str, object] = {"guard": self.guard, "message": self.message}
        if self.excerpt:
            data["excerpt"] = self.excerpt
        for key in ("channel", "template", "lineno"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.span is not None:
            data["span"] = list(self.span)
        return data
