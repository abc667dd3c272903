"""Per-message cost of email rendering: inlining once per template vs per message.

Run: ``python benchmarks/bench_render.py`` (no arguments; a few seconds).

Three libraries render the same message for the same customer through the
whole pipeline (context, blocks, guards, adapter):

* ``off``: no CSS inlining at all, the floor (raw Jinja rendering);
* ``template``: the fast path, CSS inlined once when the library loads;
* ``message``: premailer run on every rendered message.

Printed as milliseconds per message and as ratios to ``off``.  The fast path
should cost about the same as ``off``; per-message premailer costs many times
more.  Nothing here asserts timings (machines differ); the tests check that
the fast path's output equals premailer's.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import personalize
from personalize.channels import email as email_channel

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)


def _per_call(fn: Callable[[], Any], *, repeat: int = 5, min_time: float = 0.3) -> float:
    """Best-of-``repeat`` seconds per call, each run lasting at least ``min_time``."""
    fn()  # warm caches
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start >= min_time / 5:
            break
        n *= 2
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - start) / n)
    return min(runs)


def _cases() -> list[tuple[str, Path, str, dict[str, Any]]]:
    ada = json.loads((ROOT / "templates" / "customers" / "ada.json").read_text(encoding="utf-8"))
    many = dict(ada, interests=[f"topic number {i}" for i in range(120)])
    many["name"] = {"given": "Ada", "family": "Lovelace"}
    return [
        ("birthday (shipped)", ROOT / "templates", "birthday", ada),
        ("card, 120 list items", ROOT / "tests" / "res" / "inline", "card", many),
    ]


class _HtmlTimer:
    """Wraps the email HTML renderer to time just that part of each render."""

    def __init__(self) -> None:
        self.total = 0.0
        self.calls = 0
        self.inner = email_channel.render_html

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.total += time.perf_counter() - start
            self.calls += 1


def _measure(lib: personalize.Library, message: str, customer: Any) -> tuple[float, float]:
    """(seconds per whole render, seconds per HTML part) for one library."""
    timer = _HtmlTimer()
    email_channel.render_html = timer  # type: ignore[assignment]
    try:
        whole = _per_call(lambda: lib.render(message, customer, "email"))
    finally:
        email_channel.render_html = timer.inner  # type: ignore[assignment]
    return whole, timer.total / timer.calls


def main() -> None:
    header = (
        f"{'message':<22}{'KB':>6}  {'HTML part ms: raw':>17}{'fast':>7}{'premailer':>10}"
        f"  {'fast/raw':>8}{'premailer/raw':>14}{'premailer/fast':>15}"
    )
    rows: list[str] = []
    wholes: list[str] = []
    for label, root, message, data in _cases():
        customer = personalize.Customer.from_dict(data, today=TODAY)
        part: dict[str, float] = {}
        whole: dict[str, float] = {}
        size = 0
        for mode in ("off", "template", "message"):
            lib = personalize.Library(root, today=TODAY, email_inlining=mode)
            result = lib.render(message, customer, "email")
            size = max(size, len(result.html.encode()))  # type: ignore[attr-defined]
            whole[mode], part[mode] = _measure(lib, message, customer)
        raw, fast, slow = part["off"], part["template"], part["message"]
        rows.append(
            f"{label:<22}{size / 1024:>6.1f}  {raw * 1e3:>17.2f}{fast * 1e3:>7.2f}"
            f"{slow * 1e3:>10.2f}  {fast / raw:>8.2f}{slow / raw:>14.1f}{slow / fast:>15.1f}"
        )
        wholes.append(
            f"{label:<22}whole render ms: raw {whole['off'] * 1e3:.2f}, fast "
            f"{whole['template'] * 1e3:.2f}, premailer {whole['message'] * 1e3:.2f}"
        )
    print("Email HTML part per message (raw = Jinja only, no inlining):")
    print(header)
    print("\n".join(rows))
    print("\nWhole pipeline per message (context, blocks, text part, guards):")
    print("\n".join(wholes))
    loads = {
        mode: _per_call(
            lambda mode=mode: personalize.Library(ROOT / "templates", email_inlining=mode),
            repeat=3,
        )
        for mode in ("off", "template")
    }
    print(
        f"\nLibrary load: {loads['off'] * 1e3:.1f} ms without inlining, "
        f"{loads['template'] * 1e3:.1f} ms with (paid once, not per message)"
    )


if __name__ == "__main__":
    main()
