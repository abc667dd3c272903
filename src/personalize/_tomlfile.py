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
        """The line of ``key = ...`` in the table whose header is on line ``start``.

        The search covers that table and its sub-tables (``[offer.copy.de]``
        after ``[[offer]]``) and stops at the next other table; without
        ``start`` it covers the top level, before the first table.  Returns
        ``start`` when the key is not found, so errors still point at the
        table.
        """
        rx = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=")
        header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
        lines = self._lines()
        table = None
        first = 0
        if start is not None:
            first = start - 1
            match = header.match(lines[first]) if 0 <= first < len(lines) else None
            table = match.group(1) if match else None
        for i in range(first, len(lines)):
            match = header.match(lines[i])
            if match and i != first:
                name = match.group(1)
                if table is None or not name.startswith(table + "."):
                    break
            if rx.match(lines[i]):
                return i + 1
        return start

    def error(
        self, message: str, *, lineno: int | None = None, hint: str | None = None
    ) -> TemplateError:
        """A TemplateError pointing at this file."""
        return TemplateError(message, name=self.name, lineno=lineno, source=self.text, hint=hint)
