"""``personalize check``: fuzz every message with generated customers.

For each message and channel, Hypothesis draws customers from
:func:`personalize.testing.customers` and each render is *classified*:

=========================  ===================================================
failure class              what it means
=========================  ===================================================
``crash``                  an exception that is not a personalize error
``template-error``         a :class:`~personalize.TemplateError` met while
                           rendering (a template bug some customers reach)
``missing-data``, ...      a refusal by a guard that points at the copy:
                           ``missing-data``, ``generic-address``,
                           ``unsupported-superlative``, ``robotic-care``,
                           ``unresolved-placeholder``, ``sms-length``,
                           ``sms-opt-out``, ``voice-url``, ``email-size``,
                           ``email-unsubscribe``
``sms-length``             also: an SMS over ``sms.max_segments``, even when
                           that guard only warns
=========================  ===================================================

Refusals by ``no-consent``, ``contact-pressure`` and ``external-data`` are
*policy outcomes*: they depend on the person (their consent, how often they
were contacted, where their data came from), are correct behaviour, and no
template change could fix them, so they are counted but are not failures.
The same holds for a content refusal whose offending text is the customer's
own data (a name that is literally ``{{ x }}`` or ``None``): refusing to send
"Hi {{ x }}," is right, and the fix belongs in the customer record.  Those
are counted as policy outcomes under ``data:<guard>``.

Each failure class found is then searched for again on its own with
:func:`hypothesis.find`, so that Hypothesis shrinks every class to its own
smallest customer independently.  The run is deterministic for a given
``--seed`` and ``--today``: every search gets a ``random.Random(seed)`` and
no example database is read or written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import re
import shlex
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from hypothesis import HealthCheck, Phase, Verbosity, find, settings, target
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException, NoSuchExample

from ..customer import Customer
from ..errors import CustomerDataError, MessageNotFound, PersonalizeError, Refused, TemplateError
from ..guards import check_text
from ..library import Library
from ..result import RenderResult, SmsResult
from ..testing import customers
from ..violation import Violation
from .coverage import library_coverage
from .inputs import open_library, today_option

__all__ = ["POLICY_OUTCOMES", "Observation", "check", "classify"]

#: Refusals that are decisions about a person, not bugs in a template.
POLICY_OUTCOMES = frozenset({"no-consent", "contact-pressure", "external-data"})
#: Guards that do not judge wording, so customer text cannot explain them.
_NOT_TEXT = frozenset({"missing-data", "sms-length", "email-size"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """What one render of one customer showed.

    Attributes:
        failures: failure class -> a one-paragraph description.
        policy: policy-outcome guard ids that refused the customer.
        segments: SMS segment count (also for a refused SMS when known).
        units: SMS size in units.
    """

    failures: dict[str, str] = field(default_factory=dict)
    policy: tuple[str, ...] = ()
    segments: int | None = None
    units: int | None = None
    encoding: str | None = None


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if "personalize" in frame.filename or frame.filename.endswith(".j2"):
            return f" (at {frame.filename}:{frame.lineno})"
    return ""


def _customer_strings(customer: Customer) -> tuple[str, ...]:
    """Every string value of the customer record, longest first."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(customer.to_dict())
    return tuple(sorted(set(out), key=len, reverse=True))


#: What a customer's own text is replaced with to see whether copy is sound.
_ORDINARY_VALUE = "Alex"


def _from_data(violation: Violation, values: tuple[str, ...], lang: str) -> bool:
    """True when ``violation`` goes away once the customer's data is ordinary.

    Either the excerpt lies inside one customer value (a name such as
    ``"{% raw %}Ada"``), or it is re-checked with every customer value in it
    replaced by an ordinary name and the same guard no longer fires: then the
    customer's data, not the template, caused the refusal.
    """
    if violation.guard in _NOT_TEXT or not violation.excerpt:
        return False
    folded = " ".join(violation.excerpt.split()).casefold()
    if any(folded in " ".join(v.split()).casefold() for v in values):
        return True  # the offending text is part of one of the customer's values
    text = violation.excerpt
    for value in values:
        if value.strip():
            # Whole values only: an id "c" must not match inside "Customer".
            pattern = rf"(?<!\w){re.escape(value)}(?!\w)"
            text = re.sub(pattern, _ORDINARY_VALUE, text, flags=re.IGNORECASE)
    if text == violation.excerpt:
        return False
    found = check_text(text, channel=violation.channel or "email", lang=lang)
    return all(v.guard != violation.guard for v in found)


def classify(
    lib: Library, message: str, channel: str, customer: Customer, today: dt.date
) -> Observation:
    """Render once and sort what happened into failure classes."""
    failures: dict[str, str] = {}
    policy: list[str] = []
    result: RenderResult | None = None
    try:
        result = lib.render(message, customer, channel, today=today)
    except Refused as exc:
        result = exc.result if isinstance(exc.result, RenderResult) else None
        values = _customer_strings(customer)
        lang = (customer.language or lib.default_locale).split("_")[0]
        for v in exc.violations:
            if v.guard in POLICY_OUTCOMES:
                policy.append(v.guard)
            elif _from_data(v, values, lang):
                policy.append(f"data:{v.guard}")
            else:
                failures.setdefault(v.guard, str(v))
    except TemplateError as exc:
        failures["template-error"] = exc.detailed_message()
    except PersonalizeError as exc:
        failures["template-error"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        failures["crash"] = f"{type(exc).__name__}: {exc}{_where(exc)}"
    segments = units = None
    encoding = None
    if isinstance(result, SmsResult):
        segments, units, encoding = result.segments, result.units, result.encoding
        limit = lib.message(message).setting("sms.max_segments")
        if isinstance(limit, int) and segments > limit and "sms-length" not in failures:
            failures["sms-length"] = (
                f"sms-length: {segments} segments ({result.encoding}, {units} units) "
                f"over the message's limit of {limit}"
            )
    return Observation(
        failures=failures,
        policy=tuple(dict.fromkeys(policy)),
        segments=segments,
        units=units,
        encoding=encoding,
    )


def customer_strategy(today: dt.date) -> st.SearchStrategy[Customer]:
    """Generated customers, from :func:`personalize.testing.customers`."""
    return customers(today=today)


FieldPath = tuple[str | int, ...]


def _paths(data: Any, prefix: FieldPath = ()) -> list[FieldPath]:
    """Every key and list item below ``data``, outermost first, items last-first."""
    out: list[FieldPath] = []
    children: list[tuple[str | int, Any]] = []
    if isinstance(data, dict):
        children = list(data.items())
    elif isinstance(data, list):
        children = list(reversed(list(enumerate(data))))
    for key, _ in children:
        out.append((*prefix, key))
    for key, value in children:
        out.extend(_paths(value, (*prefix, key)))
    return out


def _without(data: Any, path: FieldPath) -> Any:
    """A copy of ``data`` with ``path`` deleted, or None if the path is gone."""
    if not path:
        return None
    head, rest = path[0], path[1:]
    if isinstance(data, dict) and isinstance(head, str) and head in data:
        if not rest:
            return {k: v for k, v in data.items() if k != head}
        inner = _without(data[head], rest)
        return None if inner is None else {**data, head: inner}
    if isinstance(data, list) and isinstance(head, int) and 0 <= head < len(data):
        if not rest:
            return data[:head] + data[head + 1 :]
        inner = _without(data[head], rest)
        return None if inner is None else [*data[:head], inner, *data[head + 1 :]]
    return None


def reduce_customer(
    data: dict[str, Any], still_fails: Callable[[dict[str, Any]], bool], *, budget: int = 600
) -> dict[str, Any]:
    """Delete every field and list item the failure does not need.

    Hypothesis shrinks the choices a strategy made, which cannot drop a
    field the strategy always draws for a complete profile; this greedy
    pass over the JSON finishes the job, so that removing any one remaining
    field (other than ``id``) makes the failure go away.  Deterministic, and
    bounded by ``budget`` renders.
    """
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        for path in _paths(data):
            if path == ("id",) or tries >= budget:
                continue
            candidate = _without(data, path)
            if candidate is None:
                continue
            tries += 1
            if still_fails(candidate):
                data, changed = candidate, True
    return data


def _settings(examples: int, *, phases: tuple[Phase, ...]) -> settings:
    return settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )


@dataclass(slots=True, kw_only=True)
class ChannelReport:
    """The fuzzing outcome of one message channel."""

    message: str
    channel: str
    examples: int = 0
    rendered: int = 0
    policy: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    first: dict[str, Customer] = field(default_factory=dict)
    minimal: dict[str, tuple[Customer, str]] = field(default_factory=dict)
    worst_segments: int | None = None
    worst_units: int = 0
    worst_encoding: str = ""
    worst_customer: Customer | None = None
    sms_limit: int | None = None


def fuzz_channel(
    lib: Library,
    message: str,
    channel: str,
    *,
    examples: int,
    seed: int,
    today: dt.date,
    strategy: st.SearchStrategy[Customer],
) -> ChannelReport:
    """Explore with ``examples`` customers, then shrink each failure class found."""
    limit = lib.message(message).setting("sms.max_segments")
    report = ChannelReport(
        message=message, channel=channel, sms_limit=limit if isinstance(limit, int) else None
    )

    def explore(customer: Customer) -> bool:
        obs = classify(lib, message, channel, customer, today)
        report.examples += 1
        if not obs.failures and not obs.policy:
            report.rendered += 1
        report.policy.update(obs.policy)
        for name in obs.failures:
            report.seen[name] += 1
            report.first.setdefault(name, customer)
        if obs.segments is not None and obs.units is not None:
            # Steer generation towards long messages to find the worst case.
            target(float(obs.units), label="sms units")
            if (report.worst_segments or 0, report.worst_units) < (obs.segments, obs.units):
                report.worst_segments, report.worst_units = obs.segments, obs.units
                report.worst_encoding = obs.encoding or ""
                report.worst_customer = customer
        return False

    with contextlib.suppress(NoSuchExample):
        find(
            strategy,
            explore,
            settings=_settings(examples, phases=(Phase.generate, Phase.target)),
            random=random.Random(seed),
        )

    for name in sorted(report.seen):

        def fails(customer: Customer, name: str = name) -> bool:
            return name in classify(lib, message, channel, customer, today).failures

        try:
            smallest = find(
                strategy,
                fails,
                settings=_settings(max(examples, 100), phases=(Phase.generate, Phase.shrink)),
                random=random.Random(seed),
            )
        except (NoSuchExample, HypothesisException):
            # Not met again (or not reproducibly): show the one exploration saw.
            smallest = report.first[name]

        def still_fails(data: dict[str, Any], name: str = name) -> bool:
            try:
                customer = Customer.from_dict(data, today=today)
            except CustomerDataError:
                return False
            return name in classify(lib, message, channel, customer, today).failures

        reduced = reduce_customer(smallest.to_dict(), still_fails)
        smallest = Customer.from_dict(reduced, today=today)
        detail = classify(lib, message, channel, smallest, today).failures.get(name, "")
        report.minimal[name] = (smallest, detail or "(did not fail again when replayed)")
    return report


def customer_json(customer: Customer) -> str:
    """The customer as compact JSON, as ``preview --customer -`` reads it."""
    return json.dumps(customer.to_dict(), ensure_ascii=False, sort_keys=False)


def preview_command(
    customer: Customer, *, message: str, channel: str, templates: str, today: dt.date
) -> str:
    """The exact shell command that previews ``customer``."""
    return (
        f"echo {shlex.quote(customer_json(customer))} | personalize preview "
        f"{shlex.quote(message)} --customer - --channel {channel} "
        f"--templates {shlex.quote(templates)} --today {today.isoformat()}"
    )


def _static_report(lib: Library, messages: list[str]) -> None:
    click.secho("Customer fields printed by the templates:", bold=True)
    coverage = library_coverage(lib, messages)
    any_field = False
    for template, fields in coverage.items():
        for f in fields:
            any_field = True
            if f.fallback:
                click.echo(f"  {template}:{f.lineno}  {f.path}  fallback: {f.fallback}")
            else:
                click.secho(
                    f"  {template}:{f.lineno}  {f.path}  NO FALLBACK "
                    "(refused as missing-data when absent)",
                    fg="yellow",
                )
    if not any_field:
        click.echo("  (none)")
    click.echo()


def _print_report(report: ChannelReport, *, templates: str, today: dt.date) -> None:
    where = f"{report.message}/{report.channel}"
    policy = ", ".join(f"{g} x{n}" for g, n in sorted(report.policy.items()))
    summary = f"{report.examples} customers: {report.rendered} rendered"
    if policy:
        summary += f", refused by policy ({policy})"
    if report.seen:
        click.secho(f"FAIL {where}: {summary}", fg="red", bold=True)
    else:
        click.secho(f"ok   {where}: {summary}", fg="green")
    if report.worst_segments is not None:
        limit = report.sms_limit
        click.echo(
            f"     worst-case SMS: {report.worst_segments} segment(s) "
            f"({report.worst_encoding}, {report.worst_units} units)"
            + (f"; limit {limit}" if limit else "")
        )
        if report.worst_customer is not None and report.worst_segments > 1:
            click.echo(f"     longest for: {customer_json(report.worst_customer)}")
    cmd_args = {"message": report.message, "channel": report.channel, "templates": templates}
    for name, (customer, detail) in sorted(report.minimal.items()):
        click.echo()
        click.secho(
            f"  {name} ({report.seen[name]} of {report.examples} customers)", fg="red", bold=True
        )
        for line in detail.splitlines():
            click.echo(f"    {line}")
        click.echo("    smallest customer:")
        click.echo(f"      {customer_json(customer)}")
        click.echo("    see it with:")
        click.echo(f"      {preview_command(customer, today=today, **cmd_args)}")
    if report.minimal:
        click.echo()


@click.command()
@click.argument("templates_dir", metavar="[DIR]", default="templates")
@click.option(
    "--examples",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Generated customers per message and channel.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed; the same seed and --today give the same report.",
)
@click.option(
    "--message",
    "only",
    metavar="NAME",
    default=None,
    help="Check only this message.",
)
@click.option(
    "--channel",
    "only_channel",
    type=click.Choice(["email", "sms", "voice"]),
    default=None,
    help="Check only this channel.",
)
@today_option("The date generated customers and renders use (YYYY-MM-DD); default: today.")
def check(
    templates_dir: str,
    examples: int,
    seed: int,
    only: str | None,
    only_channel: str | None,
    today: dt.date | None,
) -> None:
    """Fuzz every message in DIR with generated customers and report failures.

    First a static pass lists every customer field each template prints and
    whether it has a fallback.  Then, for every message and channel,
    Hypothesis renders --examples generated customers and reports each
    failure class (crashes, template errors, missing data without fallback,
    generic or unsupported copy, unresolved placeholders, an SMS over its
    segment limit, ...) with the smallest customer that reproduces it and the
    `personalize preview` command that shows it, plus the worst-case SMS
    size.  Refusals for no consent, contact pressure or external data are
    decisions about a person, reported but not failures.  Exit 0 when clean,
    1 when anything failed.

    \b
    Examples:
      personalize check
      personalize check templates --examples 500 --seed 7
      personalize check templates --message birthday --channel sms --today 2026-12-10
    """
    day = today or dt.date.today()
    lib = open_library(templates_dir, today=day)
    if only is not None:
        try:
            lib.message(only)
        except MessageNotFound as exc:
            raise click.BadParameter(str(exc), param_hint="'--message'") from exc
    names = [only] if only else list(lib.messages)
    click.echo(
        f"Loaded {templates_dir}: {len(lib.messages)} message(s); checking "
        f"{', '.join(names) or 'none'} with {examples} customers per channel "
        f"(seed {seed}, today {day.isoformat()})"
    )
    click.echo()
    _static_report(lib, names)
    strategy = customer_strategy(day)
    failed = 0
    for name in names:
        for channel in lib.message(name).channels:
            if only_channel is not None and channel != only_channel:
                continue
            report = fuzz_channel(
                lib, name, channel, examples=examples, seed=seed, today=day, strategy=strategy
            )
            _print_report(report, templates=templates_dir, today=day)
            failed += len(report.minimal)
    click.echo()
    if failed:
        click.secho(f"{failed} failure class(es) found.", fg="red", bold=True)
        raise SystemExit(1)
    click.secho("No failures found.", fg="green", bold=True)
