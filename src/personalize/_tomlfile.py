"""Reading catalog files (offers.toml, claims.toml) with line numbers for errors.

``tomllib`` gives no positions, so errors point at lines found by searching
the text for the table header and the key inside it.  Good enough to put the
author on the right line, which is what the error is for.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TemplateError

__all__ = ["TomlFile"]


@dataclass(frozen=True, slots=True)
class TomlFile:
    """A parsed TOML catalog and its text.

    Attributes:
        name: the file name relative to the templates folder.
        text: the file's text.
        data: the parsed TOML.
    """

    name: str
    text: str
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path, root: Path) -> TomlFile:
        """Read and parse ``path``.

        Raises:
            TemplateError: for invalid TOML, with the line tomllib reports.
        """
        name = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            raise TemplateError(
                f"invalid TOML: {exc}",
                name=name,
                lineno=int(match.group(1)) if match else None,
                source=text,
            ) from exc
        return cls(name=name, text=text, data=data)

    def _lines(self) -> list[str]:
        return self.text.splitlines()

    def header_lines(self, pattern: str) -> list[int]:
        """1-based lines whose table header matches the regex ``pattern``."""
        rx = re.compile(rf"^\s*{pattern}\s*(#.*)?$")
        return [i for i, line in enumerate(self._lines(), 1) if rx.match(line)]

    def key_line(self, key: str, start: int | None = None) -> int | None:
        """The line of ``key = ...`` at or after ``start`` and before the next table."""
        rx = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=")
        lines = self._lines()
        first = (start or 1) - 1
        for i in range(first, len(lines)):
            line = lines[i]
            if i > first and line.lstrip().startswith("[") and start is not None:
                is_sub = False
                # a sub-table of the same entry ([offer.copy.de]) still belongs to it
                if re.match(r"^\s*\[[^\[]", line) and "." in line:
                    is_sub = True
                if not is_sub:
                    break
            if rx.match(line):
                return i + 1
        return start

    def error(
        self, message: str, *, lineno: int | None = None, hint: str | None = None
    ) -> TemplateError:
        """A TemplateError pointing at this file."""
        return TemplateError(message, name=self.name, lineno=lineno, source=self.text, hint=hint)
