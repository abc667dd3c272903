"""Turn the audit records of a result into plain data and short lines.

The audit fields of a result (``offer``, ``offer_trace``, ``claims``,
``audit``) are filled by the blocks and guards layers with their own frozen
values.  The CLI shows them without knowing their classes: dataclasses,
mappings and sequences become plain JSON-ready data, and :func:`one_line`
prints that data compactly, so a new field on an audit record shows up in
previews without a CLI change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["audit_rows", "label_of", "one_line", "plain"]


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data (dicts, lists, str, numbers, bools, None)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return plain(value.value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return plain(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (Sequence, set, frozenset)) and not isinstance(value, (bytes, bytearray)):
        return [plain(v) for v in value]
    # Compiled rules, templates and the like: their name, never an address.
    return f"<{type(value).__name__}>"


def _short(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "-"
    return str(value)


def label_of(value: Any) -> str:
    """The name of an audit record: its ``id``, ``name`` or ``rule``, else ''."""
    data = plain(value)
    if isinstance(data, dict):
        for key in ("id", "name", "rule", "claim", "offer"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])
    elif isinstance(data, str):
        return data
    return ""


def one_line(value: Any, *, skip: tuple[str, ...] = ()) -> str:
    """A compact, human-readable line for an audit record.

    >>> one_line({"id": "bday-20", "eligible": False, "reason": "cooldown"}, skip=("id",))
    'eligible: False, reason: cooldown'
    """
    data = plain(value)
    if isinstance(data, dict):
        return ", ".join(
            f"{k}: {_short(v)}"
            for k, v in data.items()
            if k not in skip and v not in (None, "", [], {})
        )
    return _short(data)


def _get(value: Any, key: str) -> Any:
    """``value.key`` or ``value[key]`` (plain data), else None."""
    attr = getattr(value, key, None)
    if attr is not None and not callable(attr):
        return attr
    data = plain(value)
    return data.get(key) if isinstance(data, dict) else None


def _salutation(value: Any) -> str:
    rule, text = _get(value, "rule"), _get(value, "text")
    if rule is None or text is None:
        return one_line(value)
    extra = [str(v) for v in (_get(value, "language"), _get(value, "register")) if v]
    return f"{rule}: {str(text).strip()!r}" + (f" ({', '.join(extra)})" if extra else "")


def _offer(value: Any) -> str:
    name = _get(value, "id") or label_of(value) or "?"
    parts = []
    if _get(value, "value"):
        parts.append(str(_get(value, "value")))
    if _get(value, "expires"):
        parts.append(f"until {_get(value, 'expires')}")
    text = str(name) + (f" ({', '.join(parts)})" if parts else "")
    reason = _get(value, "reason")
    return f"{text}: {reason}" if reason else text


def audit_rows(result: Any) -> list[tuple[str, str]]:
    """The audit of a result as ``(label, text)`` rows, for the terminal and the page.

    Salutation rule, the offer chosen (or none) and each rejected one with
    its reason, each claim with whether it held and its evidence, the
    suppressions used, then every other audit record by its key.
    """
    rows: list[tuple[str, str]] = []
    audit = dict(getattr(result, "audit", {}) or {})
    if audit.get("salutation") is not None:
        rows.append(("Salutation", _salutation(audit.pop("salutation"))))
    offer = getattr(result, "offer", None)
    trace = tuple(getattr(result, "offer_trace", ()) or ())
    if offer is not None:
        rows.append(("Offer chosen", _offer(offer)))
    elif trace:
        rows.append(("Offer chosen", "none (no eligible offer)"))
    for entry in trace:
        if _get(entry, "chosen"):
            continue
        name = _get(entry, "offer") or _get(entry, "offer_id") or label_of(entry) or "?"
        kind = "Outranked" if _get(entry, "eligible") else "Rejected"
        rows.append((f"{kind} offer", f"{name}: {_get(entry, 'reason') or one_line(entry)}"))
    for claim in tuple(getattr(result, "claims", ()) or ()):
        name = _get(claim, "name") or label_of(claim) or "?"
        held = _get(claim, "held")
        if held is None:
            rows.append(("Claim", f"{name}: {one_line(claim, skip=('name',))}"))
            continue
        why = _get(claim, "evidence") if held else (_get(claim, "reason") or "rule does not hold")
        rows.append(("Claim", f"{name}: {'held' if held else 'not held'}; {why}"))
    for item in tuple(getattr(result, "suppressions", ()) or ()):
        rows.append(("Suppression", one_line(item)))
    for key, value in audit.items():
        if value in (None, "", [], {}, ()):
            continue
        rows.append((key, one_line(value)))
    return rows
