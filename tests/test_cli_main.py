"""The ``personalize`` group: --version, --help everywhere, python -m, exit codes."""

from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner

import personalize
from personalize.cli import main

from .cli_support import CUSTOMERS, TEMPLATES, cli_env, console_script, run_cli


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"personalize, version {personalize.__version__}"


@pytest.mark.parametrize("command", [[], ["preview"], ["check"], ["batch"]])
def test_help_on_every_command_has_examples(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "personalize " + (command[0] if command else "preview") in result.output


def test_usage_errors_exit_2() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["preview", "birthday"]).exit_code == 2  # no --customer
    assert runner.invoke(main, ["nonsense"]).exit_code == 2
    assert runner.invoke(main, ["check", "--examples", "0"]).exit_code == 2
    bad = runner.invoke(main, ["preview", "x", "--customer", "-", "--templates", "/nonexistent"])
    assert bad.exit_code == 2


def test_python_m_and_console_script_agree() -> None:
    args = [
        "preview",
        "birthday",
        "--customer",
        str(CUSTOMERS / "ada.json"),
        "--templates",
        str(TEMPLATES),
        "--today",
        "2026-11-23",
    ]
    by_module = run_cli(*args)
    script = console_script()
    if not script.exists():
        pytest.skip("the console script is not installed next to this Python")
    by_script = subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )
    assert by_module.returncode == by_script.returncode
    assert by_module.stdout == by_script.stdout
    assert "== email" in by_module.stdout
    version = run_cli("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"personalize, version {personalize.__version__}"
