"""``personalize preview``: terminal output, refusals, bad input and exit codes."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import personalize
from personalize.cli import main

from .cli_support import BROKEN, CUSTOMERS, FLAWED, TEMPLATES, TODAY, run_cli

ADA = str(CUSTOMERS / "ada.json")


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def shipped() -> personalize.Library:
    return personalize.Library(TEMPLATES)


def test_preview_shows_every_channel_as_the_library_renders_it(
    shipped: personalize.Library,
) -> None:
    code, out, _err = invoke(
        "preview", "birthday", "--customer", ADA, "--templates", str(TEMPLATES), "--today", TODAY
    )
    customer = personalize.Customer.from_dict(json.loads(Path(ADA).read_text()))

    day = dt.date.fromisoformat(TODAY)
    outcomes = {}
    for channel in shipped.message("birthday").channels:
        try:
            outcomes[channel] = shipped.render("birthday", customer, channel, today=day)
        except personalize.Refused as exc:
            outcomes[channel] = exc
    assert code == (1 if any(isinstance(o, personalize.Refused) for o in outcomes.values()) else 0)
    for channel, outcome in outcomes.items():
        assert f"== {channel}" in out
        if isinstance(outcome, personalize.Refused):
            for v in outcome.violations:
                assert v.guard in out
            continue
        for fact in outcome.facts.values():
            assert fact.path in out
        salutation = outcome.audit.get("salutation")
        if salutation is not None:
            assert repr(str(salutation["text"]).strip()) in out
        if outcome.offer is not None:
            assert f"Offer chosen: {outcome.offer.id}" in out
        for entry in outcome.offer_trace:
            if not entry.chosen:
                assert f"offer: {entry.offer_id}: {entry.reason}" in out
        for claim in outcome.claims:
            assert f"Claim: {claim.name}: {'held' if claim.held else 'not held'}" in out
        if isinstance(outcome, personalize.EmailResult):
            assert f"Subject:   {outcome.subject}" in out
            assert outcome.text.splitlines()[0] in out
        elif isinstance(outcome, personalize.SmsResult):
            assert outcome.text in out
            assert f"Encoding: {outcome.encoding}, {outcome.units} units" in out
        elif isinstance(outcome, personalize.VoiceResult):
            assert f"Estimated duration: {outcome.estimated_seconds:.1f} s" in out


def test_sms_shows_encoding_segments_and_the_characters_that_forced_ucs2() -> None:
    customer = {"id": "c-9", "name": {"given": "Zoë"}, "interests": ["knitting"] * 6}
    code, out, _ = invoke(
        "preview",
        "chatty",
        "--customer",
        "-",
        "--templates",
        str(FLAWED),
        input=json.dumps(customer),
    )
    assert code == 0, out
    assert "Encoding: UCS-2" in out
    assert "UCS-2 forced by: 'ë' (U+00EB)" in out
    assert "Segment boundaries:" in out
    lines = [line for line in out.splitlines() if line.strip().startswith("[")]
    parts = [line.split("] ", 1)[1] for line in lines]
    assert len(parts) >= 2 and lines[0].strip().startswith(f"[1/{len(parts)}]")
    # The segments, put back together, are the whole message.
    whole = "".join(ast.literal_eval(p) for p in parts)  # printed as Python reprs
    assert whole.startswith("Hello Zoë, here is your weekly list: knitting;")
    assert whole.endswith("Reply STOP to opt out.")


def test_refusal_shows_violation_excerpt_and_fix_and_exits_1() -> None:
    code, out, err = invoke(
        "preview",
        "reminder",
        "--customer",
        "-",
        "--channel",
        "email",
        "--templates",
        str(FLAWED),
        input='{"id": "c-1"}',
    )
    assert code == 1
    assert "== email: REFUSED ==" in out
    assert "missing-data (reminder/email.html.j2, line 1)" in out
    assert "excerpt: '{{ customer.name.given }}'" in out
    assert "fix: customer.name.given is missing" in out
    assert "Refused: email" in err


def test_refused_copy_is_shown_when_the_renderer_kept_it() -> None:
    code, out, _ = invoke(
        "preview",
        "reminder",
        "--customer",
        "-",
        "--channel",
        "email",
        "--templates",
        str(FLAWED),
        input='{"id": "c-1"}',
    )
    assert code == 1
    assert "The refused copy:" in out
    assert "Your reminder is below." in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{\n  "id": "c-1",\n  "name": {"given": "Ada",}\n}', "line 3, column 27: invalid JSON"),
        ("", "line 1, column 1: invalid JSON"),
        ("[1, 2]", "a customer must be a JSON object (got list)"),
        (
            '{"id": "c-1", "locale": "xx_NOPE", "orders": [{"id": "o", "date": "yesterday"}]}',
            "orders[0].date: not an ISO date",
        ),
        ('{"id": "c-1", "shoe_size": 9}', "shoe_size"),
    ],
    ids=["trailing-comma", "empty", "not-object", "bad-fields", "unknown-key"],
)
def test_bad_customer_files_exit_2_naming_file_and_place(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = invoke(
        "preview", "birthday", "--customer", str(path), "--templates", str(TEMPLATES)
    )
    assert code == 2
    assert expected in err
    assert "bad.json" in err
    assert out == ""


def test_every_bad_field_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"id": "c-1", "locale": "xx_NOPE", "birthday": "soon"}', encoding="utf-8")
    code, _, err = invoke(
        "preview", "birthday", "--customer", str(path), "--templates", str(TEMPLATES)
    )
    assert code == 2
    assert "locale: unknown locale 'xx_NOPE'" in err
    assert "birthday: not an ISO date" in err


def test_missing_customer_file_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke(
        "preview",
        "birthday",
        "--customer",
        str(tmp_path / "nope.json"),
        "--templates",
        str(TEMPLATES),
    )
    assert code == 2
    assert "nope.json" in err and "No such file" in err


def test_unknown_message_and_channel_are_usage_errors() -> None:
    code, _, err = invoke("preview", "birthdya", "--customer", ADA, "--templates", str(TEMPLATES))
    assert code == 2
    assert "did you mean 'birthday'?" in err
    code, _, err = invoke(
        "preview", "chatty", "--customer", ADA, "--channel", "email", "--templates", str(FLAWED)
    )
    assert code == 2
    assert "has no email channel" in err


def test_library_load_error_shows_file_line_and_source_and_exits_1() -> None:
    code, _, err = invoke("preview", "oops", "--customer", ADA, "--templates", str(BROKEN))
    assert code == 1
    assert 'File "oops/sms.txt.j2", line 3' in err
    assert "   3 | is late." in err


def test_stdin_customer() -> None:
    code, out, _ = invoke(
        "preview",
        "chatty",
        "--customer",
        "-",
        "--templates",
        str(FLAWED),
        input='{"id": "c-1", "name": {"given": "Ada"}}',
    )
    assert code == 0
    assert "Hello Ada, here is your weekly list:" in out


# -- real subprocesses ----------------------------------------------------------


def test_subprocess_bad_json_exits_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"id": "c-1",\n "name": }', encoding="utf-8")
    proc = run_cli("preview", "birthday", "--customer", str(path), "--templates", str(TEMPLATES))
    assert proc.returncode == 2
    assert f"{path}: line 2, column 10: invalid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_subprocess_invalid_customer_on_stdin_exits_2_without_traceback() -> None:
    proc = run_cli(
        "preview",
        "birthday",
        "--customer",
        "-",
        "--templates",
        str(TEMPLATES),
        input='{"id": "c-1", "consent": {"email": "yes please"}}',
    )
    assert proc.returncode == 2
    assert "<stdin>" in proc.stderr and "consent.email" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_subprocess_broken_library_exits_1_with_detailed_message() -> None:
    proc = run_cli(
        "preview", "oops", "--customer", "-", "--templates", str(BROKEN), input='{"id": "c-1"}'
    )
    assert proc.returncode == 1
    assert 'File "oops/sms.txt.j2", line 3' in proc.stderr
    assert "Traceback" not in proc.stderr


def test_subprocess_refusal_exits_1() -> None:
    proc = run_cli(
        "preview",
        "reminder",
        "--customer",
        "-",
        "--templates",
        str(FLAWED),
        "--channel",
        "email",
        input='{"id": "c-1"}',
    )
    assert proc.returncode == 1
    assert "missing-data" in proc.stdout


def test_audit_records_never_show_object_addresses() -> None:
    from personalize.cli.describe import plain

    class Opaque:
        pass

    assert plain({"rule": Opaque(), "n": 1}) == {"rule": "<Opaque>", "n": 1}


def test_unwritable_html_path_is_an_input_error(tmp_path: Path) -> None:
    code, _, err = invoke(
        "preview",
        "chatty",
        "--customer",
        "-",
        "--templates",
        str(FLAWED),
        "--html",
        str(tmp_path / "missing-folder" / "p.html"),
        input='{"id": "c-1"}',
    )
    assert code == 2
    assert "cannot write" in err and "p.html" in err
