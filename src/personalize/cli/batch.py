"""``personalize batch``: render a campaign, one JSON line out per line in.

Streaming, in constant memory: the input is read line by line, rendered in
small chunks, and each output line is written and flushed as soon as every
line before it is done.  With ``--workers N`` the chunks go to N processes,
at most ``4 * N`` chunks in flight, and come back in input order.

Every input line yields exactly one output line, so output line ``n`` always
belongs to input line ``n``:

* ``{"line": n, "customer_id": ..., "status": "rendered", ...result fields}``
* ``{"line": n, "customer_id": ..., "status": "refused", "violations": [...]}``
* ``{"line": n, "customer_id": ..., "status": "invalid", "error": "..."}``:
  bad JSON, not UTF-8, an invalid customer, or a blank line (a blank line
  is an input error like any other rather than silently skipped, which
  would shift the line numbers);
* ``{"line": n, "customer_id": ..., "status": "error", "error": "..."}``: a
  template bug met while rendering this customer (the library loaded, but
  this customer reached a broken branch).

Ctrl-C (SIGINT) is caught as a flag between lines, never inside a write:
the command stops, the output holds complete lines for a prefix of the
input, and it exits 130.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO, TextIO

import click

from ..customer import Customer
from ..errors import CustomerDataError, MessageNotFound, PersonalizeError, Refused, TemplateError
from ..library import Library
from .inputs import open_library, today_option

__all__ = ["STATUSES", "batch", "render_line"]

#: Output statuses; anything but "rendered" makes the command exit 1.
STATUSES = ("rendered", "refused", "invalid", "error")

#: Lines per chunk sent to a worker, and chunks in flight per worker.
CHUNK_LINES = 16
WINDOW_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class Job:
    """What every line of a batch is rendered with."""

    templates: str
    message: str
    channel: str
    today: dt.date | None


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=str)


def render_line(lib: Library, job: Job, lineno: int, raw: bytes) -> tuple[str, str]:
    """Render one input line; returns ``(status, output JSON line)``."""
    record: dict[str, Any] = {"line": lineno, "customer_id": None}

    def invalid(error: str) -> tuple[str, str]:
        record.update(status="invalid", error=error)
        return "invalid", _dumps(record)

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return invalid(f"line {lineno}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    if not text.strip():
        return invalid(f"line {lineno}: blank line, expected a customer JSON object")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return invalid(f"line {lineno}, column {exc.colno}: invalid JSON: {exc.msg}")
    if not isinstance(data, dict):
        kind = type(data).__name__
        return invalid(f"line {lineno}: a customer must be a JSON object (got {kind})")
    if isinstance(data.get("id"), str):
        record["customer_id"] = data["id"]
    try:
        customer = Customer.from_dict(data, today=job.today, source=f"line {lineno}")
    except CustomerDataError as exc:
        return invalid(str(exc))
    try:
        result = lib.render(job.message, customer, job.channel, today=job.today)
    except Refused as exc:
        record.update(
            status="refused",
            channel=job.channel,
            message=job.message,
            violations=[v.to_dict() for v in exc.violations],
        )
        return "refused", _dumps(record)
    except TemplateError as exc:
        record.update(status="error", error=exc.detailed_message())
        return "error", _dumps(record)
    except PersonalizeError as exc:
        record.update(status="error", error=f"{type(exc).__name__}: {exc}")
        return "error", _dumps(record)
    record["status"] = "rendered"
    fields = result.to_dict()
    fields.pop("customer_id", None)
    record.update(fields)
    return "rendered", _dumps(record)


# -- workers --------------------------------------------------------------------

_WORKER: tuple[Library, Job] | None = None


def _init_worker(job: Job) -> None:
    # The parent owns Ctrl-C: it stops feeding and shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _WORKER
    _WORKER = (Library(job.templates, today=job.today), job)


def _render_chunk(chunk: list[tuple[int, bytes]]) -> list[tuple[str, str]]:
    assert _WORKER is not None, "worker not initialised"
    lib, job = _WORKER
    return [render_line(lib, job, n, raw) for n, raw in chunk]


# -- the driver -----------------------------------------------------------------


def _chunks(stream: BinaryIO) -> Iterator[tuple[list[tuple[int, bytes]], int]]:
    """``(lines, bytes read)`` chunks; line endings stripped."""
    chunk: list[tuple[int, bytes]] = []
    size = 0
    for lineno, raw in enumerate(stream, 1):
        size += len(raw)
        chunk.append((lineno, raw.rstrip(b"\r\n")))
        if len(chunk) == CHUNK_LINES:
            yield chunk, size
            chunk, size = [], 0
    if chunk:
        yield chunk, size


class _Interrupt:
    """A SIGINT handler that only sets a flag, checked between lines."""

    def __init__(self) -> None:
        self.stopped = False
        self._previous: Any = None

    def __enter__(self) -> _Interrupt:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.stopped = True

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)


def _results(
    job: Job, stream: BinaryIO, workers: int, interrupt: _Interrupt
) -> Iterator[tuple[list[tuple[str, str]], int]]:
    """Rendered chunks in input order, with the input bytes they covered."""
    if workers == 1:
        lib = Library(job.templates, today=job.today)
        for chunk, size in _chunks(stream):
            if interrupt.stopped:
                return
            yield [render_line(lib, job, n, raw) for n, raw in chunk], size
        return
    window = workers * WINDOW_PER_WORKER
    pending: collections.deque[tuple[Future[list[tuple[str, str]]], int]] = collections.deque()
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(job,))
    try:
        chunks = _chunks(stream)
        exhausted = False
        while not interrupt.stopped:
            while not exhausted and len(pending) < window:
                try:
                    chunk, size = next(chunks)
                except StopIteration:
                    exhausted = True
                    break
                pending.append((pool.submit(_render_chunk, chunk), size))
            if not pending:
                return
            future, size = pending[0]
            try:
                lines = future.result(timeout=0.1)
            except FutureTimeout:
                continue
            except BrokenProcessPool as exc:
                if interrupt.stopped:
                    return
                raise click.ClickException(f"a worker process died: {exc}") from exc
            pending.popleft()
            yield lines, size
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _count_text(counts: collections.Counter[str]) -> str:
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s] or s != "error")


@click.command()
@click.argument("message")
@click.option(
    "--customers",
    "customers_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE.jsonl",
    help="One customer JSON object per line.",
)
@click.option(
    "--channel",
    required=True,
    type=click.Choice(["email", "sms", "voice"]),
    help="The channel to render.",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE.jsonl",
    help="Where to write one JSON line per input line.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Render in this many processes (output keeps the input order).",
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
def batch(
    message: str,
    customers_file: Path,
    channel: str,
    out_file: Path,
    workers: int,
    templates_dir: str,
    today: dt.date | None,
) -> None:
    """Render MESSAGE on one channel for every customer in a JSON Lines file.

    Writes exactly one JSON line per input line, in input order, with
    "status" rendered, refused (with its violations), invalid (bad JSON or
    customer data, or a blank line, with the error) or error (a template
    bug this customer reached).  Memory stays constant however large the
    input; a progress bar on standard error shows the counts and a summary
    follows.  Exit 0 when every line rendered, 1 otherwise, 130 when
    interrupted with Ctrl-C (the output then holds only complete lines).

    \b
    Examples:
      personalize batch birthday --customers campaign.jsonl --channel email --out out.jsonl
      personalize batch birthday --customers big.jsonl --channel sms --out sms.jsonl --workers 4
    """
    lib = open_library(templates_dir, today=today)
    try:
        spec = lib.message(message)
    except MessageNotFound as exc:
        raise click.BadParameter(str(exc), param_hint="'MESSAGE'") from exc
    if channel not in spec.channels:
        raise click.BadParameter(
            f"message {message!r} has no {channel} channel (it has: {', '.join(spec.channels)})",
            param_hint="'--channel'",
        )
    job = Job(templates=templates_dir, message=message, channel=channel, today=today)
    counts: collections.Counter[str] = collections.Counter()
    total = os.path.getsize(customers_file)
    written = 0
    with (
        _Interrupt() as interrupt,
        customers_file.open("rb") as stream,
        out_file.open("w", encoding="utf-8", newline="\n") as out,
        click.progressbar(
            length=total,
            label=f"{message}/{channel}",
            file=sys.stderr,
            item_show_func=lambda text: text,
        ) as bar,
    ):
        for lines, size in _results(job, stream, workers, interrupt):
            for status, line in lines:
                _write_line(out, line)
                written += 1
                counts[status] += 1
            bar.update(size, _count_text(counts))
    summary = f"{written} line(s): {_count_text(counts)} -> {out_file}"
    if interrupt.stopped:
        click.secho(
            f"Interrupted: {summary}. The output holds the first {written} input line(s); "
            f"resume with the lines after line {written}.",
            fg="yellow",
            err=True,
        )
        raise SystemExit(130)
    failed = written - counts["rendered"]
    click.secho(f"Done: {summary}", fg="red" if failed else "green", err=True)
    if failed:
        raise SystemExit(1)


def _write_line(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()
