"""Helpers for the blocks tests: tiny template folders written to tmp_path."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import personalize
from personalize.policy import GUARD_IDS

TODAY = dt.date(2026, 11, 23)

#: Only missing-data refuses: these tests are about the blocks, not the guards.
BLOCKS_ONLY = personalize.Policy(actions={g: "off" for g in GUARD_IDS if g != "missing-data"})


def write_library(
    root: Path,
    *,
    sms: str | None = None,
    email: str | None = None,
    voice: str | None = None,
    offers: str | None = None,
    claims: str | None = None,
    purpose: str = "transactional",
    today: dt.date = TODAY,
) -> personalize.Library:
    """Write message ``m`` (with the given channel templates) and load it."""
    folder = root / "m"
    folder.mkdir(parents=True, exist_ok=True)
    channels = []
    if sms is not None:
        channels.append("sms")
        (folder / "sms.txt.j2").write_text(textwrap.dedent(sms), encoding="utf-8")
    if email is not None:
        channels.append("email")
        (folder / "subject.txt.j2").write_text("Subject", encoding="utf-8")
        (folder / "email.html.j2").write_text(textwrap.dedent(email), encoding="utf-8")
    if voice is not None:
        channels.append("voice")
        (folder / "voice.ssml.j2").write_text(textwrap.dedent(voice), encoding="utf-8")
    quoted = ", ".join(f'"{c}"' for c in channels)
    (folder / "message.toml").write_text(
        f'purpose = "{purpose}"\nchannels = [{quoted}]\n', encoding="utf-8"
    )
    if offers is not None:
        (root / "offers.toml").write_text(textwrap.dedent(offers), encoding="utf-8")
    if claims is not None:
        (root / "claims.toml").write_text(textwrap.dedent(claims), encoding="utf-8")
    return personalize.Library(root, today=today, policy=BLOCKS_ONLY)


def customer(**data: Any) -> personalize.Customer:
    """A customer with an id and opted-in consent unless given."""
    data.setdefault("id", "c-1")
    data.setdefault("consent", {"email": "opted_in", "sms": "opted_in", "voice": "opted_in"})
    return personalize.Customer.from_dict(data, today=TODAY)
