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

__all__ = ["label_of", "one_line", "plain"]


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
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (Sequence, set, frozenset)) and not isinstance(value, (bytes, bytearray)):
        return [plain(v) for v in value]
    return str(value)


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
