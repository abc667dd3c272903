"""``personalize preview``: one message for one customer, every channel, with its work shown.

The terminal view and the HTML page (:mod:`.page`) show the same
:class:`Outcome` list: per channel, the result (or, for a refusal, the
result the guards looked at, when the renderer kept it) and the violations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from ..customer import Customer
from ..errors import MessageNotFound, PersonalizeError, Refused, TemplateError
from ..library import Library
from ..result import EmailResult, RenderResult, SmsResult, VoiceResult
from ..violation import Violation
from .describe import audit_rows, plain
from .inputs import DataError, LibraryError, load_customer, open_library, today_option

__all__ = ["Outcome", "preview", "render_outcomes"]

CHANNELS = ("email", "sms", "voice")


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """One channel of a preview.

    Attributes:
        channel: the channel name.
        result: the rendered result; for a refusal, the refused result when
            the renderer kept one (``Refused.result``), else None.
        violations: the refusing violations (empty when rendered).
    """

    channel: str
    result: RenderResult | None
    violations: tuple[Violation, ...] = ()

    @property
    def refused(self) -> bool:
        """True when a guard refused this channel."""
        return bool(self.violations)


def render_outcomes(
    lib: Library,
    message: str,
    customer: Customer,
    channels: Sequence[str],
    *,
    today: dt.date | None,
) -> list[Outcome]:
    """Render each channel, turning refusals into outcomes.

    Raises:
        TemplateError: for a template bug met while rendering.
        MessageNotFound: for an unknown message or channel.
    """
    out = []
    for channel in channels:
        try:
            result = lib.render(message, customer, channel, today=today)
        except Refused as exc:
            kept = exc.result if isinstance(exc.result, RenderResult) else None
            out.append(Outcome(channel=channel, result=kept, violations=exc.violations))
        else:
            out.append(Outcome(channel=channel, result=result))
    return out


# -- terminal output ------------------------------------------------------------


def _heading(text: str, *, fg: str | None = None) -> None:
    click.secho(text, bold=True, fg=fg)


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _show_email(r: EmailResult) -> None:
    click.echo(f"Subject:   {r.subject}")
    click.echo(f"Preheader: {r.preheader or '-'}")
    click.echo("Text part:")
    click.echo(_indent(r.text))


def _show_sms(r: SmsResult) -> None:
    click.echo(_indent(r.text))
    segments = "segment" if r.segments == 1 else "segments"
    click.echo(f"Encoding: {r.encoding}, {r.units} units, {r.segments} {segments}")
    if r.ucs2_characters:
        chars = " ".join(f"{c!r} (U+{ord(c):04X})" for c in r.ucs2_characters)
        click.echo(f"UCS-2 forced by: {chars}")
    if len(r.parts) > 1:
        click.echo("Segment boundaries:")
        for i, part in enumerate(r.parts, 1):
            click.echo(f"  [{i}/{len(r.parts)}] {part!r}")


def _show_voice(r: VoiceResult) -> None:
    click.echo(_indent(r.text))
    click.echo(f"Estimated duration: {r.estimated_seconds:.1f} s ({r.delivery} delivery)")


def _show_audit(r: RenderResult) -> None:
    for label, text in audit_rows(r):
        click.echo(f"{label}: {text}")
    if r.facts:
        click.echo("Facts read:")
        for fact in r.facts.values():
            flags = [fact.source]
            if not fact.permission:
                flags.append("no permission")
            if not fact.present:
                flags.append("missing")
            click.echo(f"  {fact.path} <- {fact.field} [{', '.join(flags)}]")
    for warning in r.warnings:
        click.secho(f"warning: {warning}", fg="yellow")


def _show_violation(v: Violation) -> None:
    where = ""
    if v.template:
        where = f" ({v.template}" + (f", line {v.lineno}" if v.lineno else "") + ")"
    click.secho(f"  x {v.guard}{where}", fg="red", bold=True)
    if v.excerpt:
        click.echo(f"    excerpt: {v.excerpt!r}")
    click.echo(f"    fix: {v.message}")


def show_outcome(outcome: Outcome) -> None:
    """Print one channel's outcome to standard output."""
    if outcome.refused:
        _heading(f"== {outcome.channel}: REFUSED ==", fg="red")
        for v in outcome.violations:
            _show_violation(v)
        if outcome.result is None:
            click.echo()
            return
        click.echo("The refused copy:")
    else:
        _heading(f"== {outcome.channel} ==")
    r = outcome.result
    if isinstance(r, EmailResult):
        _show_email(r)
    elif isinstance(r, SmsResult):
        _show_sms(r)
    elif isinstance(r, VoiceResult):
        _show_voice(r)
    if r is not None:
        _show_audit(r)
    click.echo()


# -- the command ----------------------------------------------------------------


@click.command()
@click.argument("message")
@click.option(
    "--customer",
    "customer_file",
    required=True,
    metavar="FILE.json",
    help="The customer as JSON (the shape in DESIGN.md), or - for standard input.",
)
@click.option(
    "--channel",
    type=click.Choice([*CHANNELS, "all"]),
    default="all",
    show_default=True,
    help="Which channel to show; all = every channel the message has.",
)
@click.option(
    "--templates",
    "templates_dir",
    default="templates",
    show_default=True,
    metavar="DIR",
    help="The templates folder.",
)
@today_option()
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    metavar="OUT.html",
    help="Also write one self-contained page with the email, SMS bubble and voice script.",
)
def preview(
    message: str,
    customer_file: str,
    channel: str,
    templates_dir: str,
    today: dt.date | None,
    html_out: Path | None,
) -> None:
    """Render MESSAGE for one customer and show every channel with its work.

    For each channel: the copy (email subject, preheader and text part; the
    SMS with its encoding and segments; the voice script with its duration),
    the salutation rule, the offer chosen and the ones rejected, the claims
    with their evidence, the customer facts read with their provenance, and
    warnings.  A refused channel shows each violation, the offending excerpt
    and how to fix it.  Exit 0 when every channel rendered, 1 when any was
    refused, 2 for bad input.

    \b
    Examples:
      personalize preview birthday --customer templates/customers/ada.json
      personalize preview birthday --customer ada.json --channel sms --today 2026-12-10
      cat ada.json | personalize preview birthday --customer - --html preview.html
    """
    customer = load_customer(customer_file, today=today)
    lib = open_library(templates_dir, today=today)
    try:
        spec = lib.message(message)
    except MessageNotFound as exc:
        raise click.BadParameter(str(exc), param_hint="'MESSAGE'") from exc
    if channel == "all":
        channels = spec.channels
    elif channel in spec.channels:
        channels = (channel,)
    else:
        raise click.BadParameter(
            f"message {message!r} has no {channel} channel (it has: {', '.join(spec.channels)})",
            param_hint="'--channel'",
        )
    try:
        outcomes = render_outcomes(lib, message, customer, channels, today=today)
    except TemplateError as exc:
        raise LibraryError(exc.detailed_message()) from exc
    except PersonalizeError as exc:
        raise LibraryError(str(exc)) from exc
    for outcome in outcomes:
        show_outcome(outcome)
    if html_out is not None:
        from .page import write_page

        try:
            write_page(
                html_out,
                message=spec.name,
                description=spec.description,
                customer=plain(customer.to_dict()),
                outcomes=outcomes,
            )
        except OSError as exc:
            raise DataError(f"cannot write {html_out}: {exc.strerror}") from exc
        click.echo(f"Wrote {html_out}", err=True)
    refused = [o.channel for o in outcomes if o.refused]
    if refused:
        click.secho(f"Refused: {', '.join(refused)}", fg="red", err=True)
        raise SystemExit(1)
