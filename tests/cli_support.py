"""Helpers for the CLI tests: paths, and running the real command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
CUSTOMERS = TEMPLATES / "customers"
FIXTURES = ROOT / "tests" / "fixtures" / "cli"
FLAWED = FIXTURES / "flawed"
CLEAN = FIXTURES / "clean"
BROKEN = FIXTURES / "broken"
TODAY = "2026-11-23"


def cli_env() -> dict[str, str]:
    """The environment for subprocesses: no colours, UTF-8 output."""
    env = dict(os.environ)
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8", COLUMNS="100")
    return env


def run_cli(
    *args: str, input: str | None = None, timeout: float = 120, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m personalize ARGS`` for real and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "personalize", *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        cwd=cwd,
        env=cli_env(),
        check=False,
    )


def console_script() -> Path:
    """The installed ``personalize`` console script next to this Python."""
    return Path(sys.executable).parent / "personalize"
