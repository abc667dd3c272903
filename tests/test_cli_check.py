"""``personalize check``: fuzzing with shrunk failures, and the static field pass."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import personalize
from personalize.cli import main
from personalize.cli.check import POLICY_OUTCOMES, _paths, _without, classify, reduce_customer
from personalize.cli.coverage import printed_fields
from personalize.environment import Environment

from .cli_support import BROKEN, CLEAN, FLAWED, TODAY, run_cli

DAY = dt.date.fromisoformat(TODAY)


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def flawed_run() -> tuple[int, str]:
    return check(
        str(FLAWED), "--message", "reminder", "--examples", "20", "--seed", "3", "--today", TODAY
    )


def failures(output: str) -> dict[tuple[str, str], tuple[dict[str, object], str]]:
    """(message/channel, class) -> (smallest customer, preview command) from a report."""
    found = {}
    where = ""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("FAIL ", "ok   ")):
            where = line.split()[1].rstrip(":")
        m = re.match(r"  (\S+) \((\d+) of \d+ customers\)$", line)
        if m:
            j = lines.index("    smallest customer:", i)
            customer = json.loads(lines[j + 1].strip())
            command = lines[j + 3].strip()
            found[(where, m.group(1))] = (customer, command)
    return found


def test_flawed_templates_fail_with_every_class_found(flawed_run: tuple[int, str]) -> None:
    code, out = flawed_run
    assert code == 1
    found = failures(out)
    assert ("reminder/email", "missing-data") in found
    assert ("reminder/email", "template-error") in found
    assert ("reminder/sms", "sms-length") in found
    assert "failure class(es) found" in out


def test_each_smallest_customer_reproduces_its_failure(flawed_run: tuple[int, str]) -> None:
    lib = personalize.Library(FLAWED)
    for (where, name), (data, _) in failures(flawed_run[1]).items():
        message, channel = where.split("/")
        customer = personalize.Customer.from_dict(data, today=DAY)
        assert name in classify(lib, message, channel, customer, DAY).failures, (where, name)


def test_failures_are_shrunk(flawed_run: tuple[int, str]) -> None:
    found = failures(flawed_run[1])
    missing, _ = found[("reminder/email", "missing-data")]
    # Printing a missing given name needs nothing but a customer.
    assert set(missing) == {"id"}
    crash, _ = found[("reminder/email", "template-error")]
    assert set(crash) == {"id", "orders"}
    assert len(crash["orders"]) == 1  # type: ignore[arg-type]
    # The SMS is too long for anyone without interests: the bare customer.
    longest, _ = found[("reminder/sms", "sms-length")]
    assert set(longest) == {"id"}


def test_smallest_customers_are_one_minimal(flawed_run: tuple[int, str]) -> None:
    """Removing any one field of a reported customer makes its failure go away."""
    lib = personalize.Library(FLAWED)
    for (where, name), (data, _) in failures(flawed_run[1]).items():
        message, channel = where.split("/")
        for path in _paths(data):
            if path == ("id",):
                continue
            smaller = _without(data, path)
            try:
                customer = personalize.Customer.from_dict(smaller, today=DAY)
            except personalize.CustomerDataError:
                continue
            obs = classify(lib, message, channel, customer, DAY)
            assert name not in obs.failures, (where, name, path)


def test_reduce_customer_deletes_what_the_failure_does_not_need() -> None:
    data = {"id": "c", "name": {"given": "A", "family": "B"}, "interests": ["x", "y", "z"]}
    kept = reduce_customer(data, lambda d: "y" in d.get("interests", []))
    assert kept == {"id": "c", "interests": ["y"]}
    assert reduce_customer(data, lambda d: False) == data


def test_the_printed_preview_command_shows_the_failure(flawed_run: tuple[int, str]) -> None:
    _, command = failures(flawed_run[1])[("reminder/email", "missing-data")]
    echo, preview = command.split(" | ")
    argv = shlex.split(preview)
    assert argv[:3] == ["personalize", "preview", "reminder"]
    proc = run_cli(*argv[1:], input=shlex.split(echo)[1])
    assert proc.returncode == 1
    assert "missing-data" in proc.stdout
    assert "== email: REFUSED ==" in proc.stdout


def test_worst_case_sms_is_reported(flawed_run: tuple[int, str]) -> None:
    m = re.search(
        r"ok   reminder/sms.*?|FAIL reminder/sms.*?\n\s+worst-case SMS: (\d+) segment",
        flawed_run[1],
    )
    assert m and m.group(1) and int(m.group(1)) >= 2


def test_same_seed_same_report() -> None:
    args = (
        str(FLAWED),
        "--message",
        "chatty",
        "--examples",
        "15",
        "--seed",
        "11",
        "--today",
        TODAY,
    )
    assert check(*args) == check(*args)


def test_clean_library_exits_0() -> None:
    code, out = check(str(CLEAN), "--examples", "40", "--today", TODAY)
    assert code == 0, out
    assert "No failures found." in out
    assert "notice/sms.txt.j2:1  customer.name.given  fallback: if" in out


def test_message_option_and_unknown_message() -> None:
    code, out = check(str(FLAWED), "--message", "chatty", "--examples", "10", "--today", TODAY)
    assert "reminder/" not in out  # neither fuzzed nor in the static pass
    assert "chatty/sms" in out
    code, out = check(str(FLAWED), "--message", "remindr")
    assert code == 2
    assert "did you mean 'reminder'?" in out


def test_broken_library_is_reported_with_file_and_line() -> None:
    proc = run_cli("check", str(BROKEN))
    assert proc.returncode == 1
    assert 'File "oops/sms.txt.j2", line 3' in proc.stderr
    assert "Traceback" not in proc.stderr


def test_policy_outcomes_are_not_failures() -> None:
    assert {"no-consent", "contact-pressure", "external-data"} == POLICY_OUTCOMES
    assert "missing-data" not in POLICY_OUTCOMES


DATA_CASES = [
    # (description, sms template, preferred name, expected failures, expected policy)
    (
        "placeholder-name",
        "Hi {{ customer.name.first }}!",
        "{{ x }}",
        set(),
        ("data:unresolved-placeholder",),
    ),
    (
        "raw-in-name",
        "Hi {{ customer.name.first }}!",
        "{% raw %}Ada",
        set(),
        ("data:unresolved-placeholder",),
    ),
    ("none-name", "Hi {{ customer.name.first }}!", "None", set(), ("data:unresolved-placeholder",)),
    (
        "generic-name",
        "Hi {{ customer.name.first }}!",
        "Valued Customer",
        set(),
        ("data:generic-address",),
    ),
    (
        "generic-template",
        "Dear Valued Customer, hi {{ customer.name.first }}",
        "Ada",
        {"generic-address"},
        (),
    ),
    (
        "placeholder-template",
        "Hi %FIRSTNAME% {{ customer.name.first }}",
        "Ada",
        {"unresolved-placeholder"},
        (),
    ),
]


@pytest.mark.parametrize("case", DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_refusals_caused_by_the_customers_own_text_are_data_outcomes(
    tmp_path: Path, case: tuple[str, str, str, set[str], tuple[str, ...]]
) -> None:
    _, body, name, failures, policy = case
    (tmp_path / "m").mkdir()
    (tmp_path / "m/message.toml").write_text(
        'purpose = "transactional"\nchannels = ["sms"]\n', encoding="utf-8"
    )
    (tmp_path / "m/sms.txt.j2").write_text(body, encoding="utf-8")
    lib = personalize.Library(tmp_path, today=TODAY)
    customer = personalize.Customer.from_dict(
        {"id": "c", "name": {"preferred": name}, "contact": {"phone": "+447700900123"}}
    )
    obs = classify(lib, "m", "sms", customer, TODAY)
    assert set(obs.failures) == failures
    assert obs.policy == policy


# -- the static pass ---------------------------------------------------------------

CASES = [
    ("bare", "{{ customer.name.given }}", None),
    ("always-id", "{{ customer.id }}", "always present"),
    ("always-count", "{{ customer.order_count }}", "always present"),
    ("or", '{{ customer.name.given or "there" }}', "or"),
    ("fallback", '{{ customer.name.given | fallback("there") }}', "fallback"),
    (
        "fallback-chain",
        '{{ customer.name.preferred | fallback(customer.name.given, "x") }}',
        "fallback",
    ),
    ("default", '{{ customer.name.given | default("there") }}', "default"),
    ("filtered", "{{ customer.name.given | upper }}", None),
    ("if", "{% if customer.name.given %}{{ customer.name.given }}{% endif %}", "if"),
    ("if-other", "{% if customer.name.family %}{{ customer.name.given }}{% endif %}", None),
    (
        "else-of-not",
        "{% if not customer.name.given %}Hi{% else %}{{ customer.name.given }}{% endif %}",
        "if",
    ),
    ("inline-if", '{{ customer.name.given if customer.name.given else "you" }}', "if"),
    ("item", "{% if customer.interests %}{{ customer.interests[0] }}{% endif %}", "if"),
    (
        "nested",
        "{% if customer.name.family %}{% if 1 %}{{ customer.name.given }}{% endif %}{% endif %}",
        None,
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_static_pass_finds_printed_paths_and_fallbacks(source: str, expected: str | None) -> None:
    env = Environment(Path("."))
    fields = printed_fields(env.parse(source), "t.txt.j2")
    first = fields[0]
    assert first.path in {
        "customer.name.given",
        "customer.interests[0]",
        "customer.name.preferred",
        "customer.id",
        "customer.order_count",
    }
    assert first.fallback == expected


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_static_verdict_matches_a_real_render(
    tmp_path: Path, source: str, expected: str | None
) -> None:
    """A path the static pass calls unprotected is refused when absent, and only then."""
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "message.toml").write_text('purpose = "service"\nchannels = ["sms"]\n')
    (folder / "sms.txt.j2").write_text(source + " Reply STOP to opt out.")
    lib = personalize.Library(tmp_path)
    bare = personalize.Customer.from_dict({"id": "c-1", "name": {"family": "F"}})
    obs = classify(lib, "m", "sms", bare, DAY)
    assert ("missing-data" in obs.failures) == (expected is None)


def test_loop_variables_are_not_listed() -> None:
    env = Environment(Path("."))
    source = "{% for o in customer.orders %}{{ o.id }}{% endfor %}"
    assert printed_fields(env.parse(source), "t") == []
