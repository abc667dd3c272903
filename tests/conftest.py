"""Shared fixtures: the shipped templates and example customers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import personalize

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
CUSTOMERS = TEMPLATES / "customers"
TODAY = dt.date(2026, 11, 23)


def load_customer_data(name: str) -> dict[str, Any]:
    """The JSON of a shipped example customer."""
    data: dict[str, Any] = json.loads((CUSTOMERS / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def lib() -> personalize.Library:
    """The shipped example library, with today pinned."""
    return personalize.Library(TEMPLATES, today=TODAY)


@pytest.fixture
def ada() -> personalize.Customer:
    """A complete example customer."""
    return personalize.Customer.from_dict(load_customer_data("ada"), today=TODAY)


# Hypothesis: no per-example deadline (the machines are shared and noisy);
# CI runs the same number of examples as a developer.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.load_profile("default")
