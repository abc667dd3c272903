"""Reading what the user hands the CLI: customer files, the library, dates.

Every failure here becomes a :class:`click.ClickException` with a message
that names the file and the line or field, so the command never shows a
traceback.  Bad *input data* (unreadable JSON, an invalid customer) exits 2
like any other usage error; a broken *template library* exits 1 with the
library's detailed, compiler-style message.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from ..customer import Customer
from ..errors import CustomerDataError, PersonalizeError, TemplateError
from ..library import Library

__all__ = [
    "DataError",
    "LibraryError",
    "customer_from_text",
    "load_customer",
    "open_library",
    "today_option",
]


class DataError(click.ClickException):
    """Bad input data (JSON, customer fields): exit 2, no usage banner."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class LibraryError(click.ClickException):
    """The template library failed to load: exit 1 with the detailed message."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def customer_from_text(text: str, *, source: str, today: dt.date | None = None) -> Customer:
    """Parse one customer from JSON text.

    Raises:
        DataError: naming ``source`` and the JSON line and column, or every
            invalid field (from :class:`~personalize.CustomerDataError`).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{source}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise DataError(
            f"{source}: a customer must be a JSON object (got {type(data).__name__}); "
            'e.g. {"id": "c-1", "name": {"given": "Ada"}}'
        )
    try:
        return Customer.from_dict(data, source=source, today=today)
    except CustomerDataError as exc:
        raise DataError(str(exc)) from exc


def load_customer(path: str, *, today: dt.date | None = None) -> Customer:
    """Read a customer JSON file, or standard input for ``-``."""
    source = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text ({exc.reason})"
        raise DataError(f"cannot read customer file {source}: {reason}") from exc
    return customer_from_text(text, source=source, today=today)


def open_library(path: str, *, today: dt.date | None = None) -> Library:
    """Load the templates folder, reporting load errors in full.

    Raises:
        LibraryError: with the template, line, source line and hint.
        click.BadParameter: when the folder does not exist (a usage error).
    """
    if not Path(path).is_dir():
        raise click.BadParameter(f"{path!r} is not a folder", param_hint="'--templates'")
    try:
        return Library(path, today=today)
    except TemplateError as exc:
        detail = exc.detailed_message()
        raise LibraryError(f"cannot load the templates in {path}:\n{detail}") from exc
    except PersonalizeError as exc:
        raise LibraryError(f"cannot load the templates in {path}: {exc}") from exc


def _to_date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


_F = TypeVar("_F", bound=Callable[..., Any])

_TODAY_HELP = "Pin today's date (YYYY-MM-DD); default: the customer's today."


def today_option(help_text: str = _TODAY_HELP) -> Callable[[_F], _F]:
    """The shared ``--today YYYY-MM-DD`` option, converted to a ``date``."""
    return click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        callback=lambda _ctx, _param, value: _to_date(value),
        metavar="YYYY-MM-DD",
        help=help_text,
    )
