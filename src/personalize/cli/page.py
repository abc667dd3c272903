"""The ``preview --html`` page: one self-contained file a marketer can open.

The page is a Jinja template shipped in this package (``page.html.j2``),
rendered with autoescaping on, so nothing from the customer or the copy can
add markup to the page.  It loads nothing from the network: the CSS is
inline, there are no scripts or external assets, and a Content-Security-Policy
forbids fetching anything.  The email is shown as a mail client shows it, in
an ``<iframe sandbox srcdoc=...>``: the sandbox (no allow-* flags) runs no
script and gives the email no access to the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from .. import __version__
from ..result import EmailResult, RenderResult, SmsResult, VoiceResult
from ..violation import Violation
from .describe import audit_rows, plain
from .preview import Outcome

__all__ = ["build_page", "sms_runs", "write_page"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("personalize.cli", "."),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def sms_runs(part: str, ucs2: Sequence[str]) -> list[tuple[str, bool]]:
    """Split one SMS segment into runs of (text, forced UCS-2).

    >>> sms_runs("Hi Zoë!", ["ë"])
    [('Hi Zo', False), ('ë', True), ('!', False)]
    """
    special = set(ucs2)
    runs: list[tuple[str, bool]] = []
    for char in part:
        flag = char in special
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + char, flag)
        else:
            runs.append((char, flag))
    return runs


def _violation(v: Violation) -> dict[str, Any]:
    return {
        "guard": v.guard,
        "message": v.message,
        "excerpt": v.excerpt,
        "template": v.template,
        "lineno": v.lineno,
    }


def _audit(r: RenderResult) -> dict[str, Any]:
    return {
        "rows": audit_rows(r),
        "facts": [f.to_dict() for f in r.facts.values()],
        "warnings": [_violation(w) for w in r.warnings],
    }


def _channel_view(outcome: Outcome) -> dict[str, Any]:
    r = outcome.result
    view: dict[str, Any] = {
        "channel": outcome.channel,
        "refused": outcome.refused,
        "violations": [_violation(v) for v in outcome.violations],
        "result": r is not None,
    }
    if r is None:
        return view
    view["audit"] = _audit(r)
    if isinstance(r, EmailResult):
        view.update(subject=r.subject, preheader=r.preheader, html=r.html, text=r.text)
    elif isinstance(r, SmsResult):
        parts = r.parts or (r.text,)
        view.update(
            text=r.text,
            encoding=r.encoding,
            units=r.units,
            segments=r.segments,
            parts=[sms_runs(p, r.ucs2_characters) for p in parts],
            ucs2=[(c, f"U+{ord(c):04X}") for c in r.ucs2_characters],
        )
    elif isinstance(r, VoiceResult):
        view.update(
            text=r.text, ssml=r.ssml, seconds=round(r.estimated_seconds, 1), delivery=r.delivery
        )
    return view


def build_page(
    *,
    message: str,
    description: str,
    customer: Any,
    outcomes: Sequence[Outcome],
) -> str:
    """The page as a string (autoescaped Jinja, no external resources)."""
    import json

    return _ENV.get_template("page.html.j2").render(
        message=message,
        description=description,
        customer_id=customer.get("id", "") if isinstance(customer, dict) else "",
        customer_json=json.dumps(plain(customer), indent=2, ensure_ascii=False),
        channels=[_channel_view(o) for o in outcomes],
        version=__version__,
    )


def write_page(
    path: Path,
    *,
    message: str,
    description: str,
    customer: Any,
    outcomes: Sequence[Outcome],
) -> None:
    """Write :func:`build_page` to ``path`` as UTF-8."""
    html = build_page(
        message=message, description=description, customer=customer, outcomes=outcomes
    )
    path.write_text(html, encoding="utf-8")
