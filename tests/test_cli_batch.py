"""``personalize batch``: one output line per input line, in order, streaming, Ctrl-C safe."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from personalize.cli import main
from personalize.cli.batch import CHUNK_LINES, WINDOW_PER_WORKER, Job, _Interrupt, _results

from .cli_support import FLAWED, ROOT, TODAY, cli_env, run_cli

GOOD = {"id": "c-1", "name": {"given": "Ada"}}
NO_NAME = {"id": "c-2"}  # the flawed reminder email prints the given name without fallback


def batch(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["batch", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def read_out(path: Path) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_every_input_line_yields_one_output_line(tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD),
        "",
        "{not json",
        json.dumps({"id": "c-3", "locale": "xx_NOPE"}),
        json.dumps(NO_NAME),
        "[1]",
        json.dumps({"id": "c-7", "name": {"given": "Zoë"}}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    out = tmp_path / "out.jsonl"
    code, stdout, stderr = batch(
        "reminder",
        "--customers",
        str(src),
        "--channel",
        "email",
        "--out",
        str(out),
        "--templates",
        str(FLAWED),
        "--today",
        TODAY,
    )
    assert code == 1
    records = read_out(out)
    assert [r["line"] for r in records] == list(range(1, 9))
    assert [r["status"] for r in records] == [
        "rendered",
        "invalid",
        "invalid",
        "invalid",
        "refused",
        "invalid",
        "rendered",
        "invalid",
    ]
    assert records[0]["customer_id"] == "c-1" and records[0]["subject"] == "Your reminder"
    assert "Hello Ada," in str(records[0]["text"])
    assert "blank line" in str(records[1]["error"])
    assert "line 3, column 2: invalid JSON" in str(records[2]["error"])
    assert records[3]["customer_id"] == "c-3" and "locale" in str(records[3]["error"])
    violations = records[4]["violations"]
    assert isinstance(violations, list) and violations[0]["guard"] == "missing-data"
    assert "JSON object" in str(records[5]["error"])
    assert "not UTF-8" in str(records[7]["error"])
    assert "8 line(s): 2 rendered, 1 refused, 5 invalid" in stderr
    assert stdout == ""


def test_all_rendered_exits_0(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n" + json.dumps({"id": "c-9"}), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, stderr = batch(
        "chatty",
        "--customers",
        str(src),
        "--channel",
        "sms",
        "--out",
        str(out),
        "--templates",
        str(FLAWED),
    )
    assert code == 0, stderr
    assert [r["status"] for r in read_out(out)] == ["rendered", "rendered"]
    assert "Done: 2 line(s): 2 rendered, 0 refused, 0 invalid" in stderr


def test_template_error_for_one_customer_is_an_error_line(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    one_order = {"id": "c-1", "name": {"given": "A"}, "orders": [{"id": "o", "date": "2026-01-01"}]}
    src.write_text(json.dumps(one_order) + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, _ = batch(
        "reminder",
        "--customers",
        str(src),
        "--channel",
        "email",
        "--out",
        str(out),
        "--templates",
        str(FLAWED),
    )
    assert code == 1
    records = read_out(out)
    assert [r["status"] for r in records] == ["error", "rendered"]
    assert "ZeroDivisionError" in str(records[0]["error"])
    assert "reminder/email.html.j2" in str(records[0]["error"])


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("{}\n", encoding="utf-8")
    out = str(tmp_path / "out.jsonl")
    code, _, err = batch(
        "chatty",
        "--customers",
        str(src),
        "--channel",
        "email",
        "--out",
        out,
        "--templates",
        str(FLAWED),
    )
    assert code == 2 and "has no email channel" in err
    code, _, err = batch(
        "chatty",
        "--customers",
        str(tmp_path / "nope"),
        "--channel",
        "sms",
        "--out",
        out,
        "--templates",
        str(FLAWED),
    )
    assert code == 2 and "does not exist" in err
    code, _, err = batch(
        "chatty",
        "--customers",
        str(src),
        "--channel",
        "sms",
        "--out",
        out,
        "--workers",
        "0",
        "--templates",
        str(FLAWED),
    )
    assert code == 2


def many_customers(n: int) -> str:
    names = ["Ada", "Zoë", "", "Grace", "李"]
    rows = []
    for i in range(n):
        given = names[i % len(names)]
        row: dict[str, object] = {"id": f"c-{i}", "interests": ["tea"] * (i % 7)}
        if given:
            row["name"] = {"given": given}
        rows.append(json.dumps(row, ensure_ascii=False) if i % 13 else "{oops")
    return "\n".join(rows) + "\n"


def test_workers_preserve_input_order_and_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(many_customers(300), encoding="utf-8")
    outs = []
    for workers in ("1", "3"):
        out = tmp_path / f"out{workers}.jsonl"
        code, _, _ = batch(
            "chatty",
            "--customers",
            str(src),
            "--channel",
            "sms",
            "--out",
            str(out),
            "--workers",
            workers,
            "--templates",
            str(FLAWED),
            "--today",
            TODAY,
        )
        assert code == 1  # the "{oops" lines are invalid
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    records = [json.loads(line) for line in outs[0].splitlines()]
    assert [r["line"] for r in records] == list(range(1, 301))
    assert [r["customer_id"] for r in records if r["status"] == "rendered"] == [
        f"c-{i}" for i in range(300) if i % 13
    ]


class CountingStream(io.BytesIO):
    """A byte stream that records how many lines were read from it."""

    lines_read = 0

    def __iter__(self) -> CountingStream:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        self.lines_read += 1
        return line


@pytest.mark.parametrize("workers", [1, 2])
def test_input_is_read_lazily_with_a_bounded_window(workers: int) -> None:
    stream = CountingStream(many_customers(2000).encode())
    job = Job(templates=str(FLAWED), message="chatty", channel="sms", today=None)
    results = _results(job, stream, workers, _Interrupt())
    first, _ = next(results)
    assert len(first) == CHUNK_LINES
    window = 1 if workers == 1 else workers * WINDOW_PER_WORKER
    assert stream.lines_read <= window * CHUNK_LINES
    results.close()


@pytest.mark.parametrize(
    ("workers", "group"),
    [("1", False), ("2", False), ("2", True)],
    ids=["one-process", "workers", "workers-ctrl-c-to-group"],
)
def test_sigint_stops_cleanly_with_only_complete_lines(
    tmp_path: Path, workers: str, group: bool
) -> None:
    """SIGINT to the command (or, as Ctrl-C does, to its whole process group)."""
    src = tmp_path / "in.jsonl"
    src.write_text(many_customers(60_000), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "personalize",
            "batch",
            "chatty",
            "--customers",
            str(src),
            "--channel",
            "sms",
            "--out",
            str(out),
            "--workers",
            workers,
            "--templates",
            str(FLAWED),
        ],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.05)
    assert proc.poll() is None, "finished before it could be interrupted"
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "Interrupted" in stderr
    data = out.read_bytes()
    assert data.endswith(b"\n")
    records = [json.loads(line) for line in data.splitlines()]
    assert 0 < len(records) < 60_000
    assert [r["line"] for r in records] == list(range(1, len(records) + 1))
    assert f"first {len(records)} input line(s)" in stderr


def test_subprocess_batch_and_progress_summary_on_stderr(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(many_customers(40), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = run_cli(
        "batch",
        "chatty",
        "--customers",
        str(src),
        "--channel",
        "sms",
        "--out",
        str(out),
        "--templates",
        str(FLAWED),
        "--workers",
        "2",
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "40 line(s): 36 rendered, 0 refused, 4 invalid" in proc.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 40
