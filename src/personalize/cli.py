"""The ``personalize`` command: preview, check and batch.

A thin layer over the library: usage errors exit 2, refusals and failures
exit 1 with the detailed message, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .customer import Customer
from .errors import CustomerDataError, PersonalizeError, Refused, TemplateError
from .library import Library
from .result import EmailResult, RenderResult, SmsResult, VoiceResult

__all__ = ["main"]


def _load_customer(path: str) -> Customer:
    name = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(f"cannot read customer file {name}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.UsageError(
            f"{name}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"
        ) from exc
    try:
        return Customer.from_dict(data, source=name)
    except CustomerDataError as exc:
        raise click.UsageError(str(exc)) from exc


def _show(result: RenderResult) -> None:
    click.secho(f"== {result.channel} ==", bold=True)
    if isinstance(result, EmailResult):
        click.echo(f"Subject: {result.subject}")
        click.echo(f"Preheader: {result.preheader}")
        click.echo()
        click.echo(result.text)
    elif isinstance(result, SmsResult):
        click.echo(result.text)
        click.echo(f"[{result.encoding}, {result.units} units, {result.segments} segment(s)]")
    elif isinstance(result, VoiceResult):
        click.echo(result.text)
        click.echo(f"[about {result.estimated_seconds:.0f} s, {result.delivery} delivery]")
    if result.facts:
        click.echo("Facts used:")
        for fact in result.facts.values():
            state = "" if fact.present else " (missing)"
            click.echo(f"  {fact.path} <- {fact.field} [{fact.source}]{state}")
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow")
    click.echo()


@click.group()
@click.version_option(__version__, prog_name="personalize")
def main() -> None:
    """Render personalized messages and check them before they go out."""


@main.command()
@click.argument("message")
@click.option(
    "--customer", "customer_file", required=True, help="Customer JSON file, or - for stdin."
)
@click.option(
    "--channel",
    type=click.Choice(["email", "sms", "voice", "all"]),
    default="all",
    show_default=True,
)
@click.option("--templates", "templates_dir", default="templates", show_default=True)
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def preview(message: str, customer_file: str, channel: str, templates_dir: str, today: Any) -> None:
    """Render MESSAGE for one customer and show every channel.

    Example: personalize preview birthday --customer templates/customers/ada.json
    """
    customer = _load_customer(customer_file)
    day: dt.date | None = today.date() if today else None
    try:
        lib = Library(templates_dir)
        spec = lib.message(message)
    except TemplateError as exc:
        click.echo(exc.detailed_message(), err=True)
        sys.exit(1)
    except PersonalizeError as exc:
        raise click.UsageError(str(exc)) from exc
    channels = spec.channels if channel == "all" else (channel,)
    refused = False
    for ch in channels:
        try:
            _show(lib.render(message, customer, ch, today=day))
        except Refused as exc:
            refused = True
            click.secho(f"== {ch}: refused ==", bold=True, fg="red")
            for v in exc.violations:
                click.echo(f"  {v}")
            click.echo()
        except PersonalizeError as exc:
            raise click.UsageError(str(exc)) from exc
    sys.exit(1 if refused else 0)
