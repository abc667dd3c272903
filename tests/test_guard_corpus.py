"""The labelled corpus: precision and recall of the content guards.

``tests/data/guard_corpus.jsonl`` holds one labelled line per row: the copy,
its language and channel, and the guards that should fire (none for clean
copy).  Clean lines are ordinary marketing and service copy, because half the
value of a guard is not flagging good copy.  The test prints a table per
guard and fails when recall drops below 0.97 or the false-positive rate
(clean-for-that-guard lines flagged) rises above 0.02.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from personalize.guards import check_text

CORPUS = Path(__file__).parent / "data" / "guard_corpus.jsonl"
GUARDS = (
    "generic-address",
    "unsupported-superlative",
    "robotic-care",
    "unresolved-placeholder",
    "voice-url",
)
MIN_RECALL = 0.97
MAX_FALSE_POSITIVE_RATE = 0.02


def load() -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            row["line"] = number
            rows.append(row)
    return rows


def test_corpus_shape() -> None:
    rows = load()
    assert len(rows) >= 300
    for row in rows:
        assert set(row) == {"text", "lang", "channel", "guards", "line"}, row
        assert row["lang"] in ("en", "de", "fr", "es")
        assert row["channel"] in ("email", "sms", "voice")
        assert set(row["guards"]) <= set(GUARDS), row
    for lang in ("en", "de", "fr", "es"):
        mine = [r for r in rows if r["lang"] == lang]
        assert sum(1 for r in mine if r["guards"]) >= 25, lang
        assert sum(1 for r in mine if not r["guards"]) >= 20, lang
    positives = Counter(g for r in rows for g in r["guards"])
    for guard in GUARDS:
        assert positives[guard] >= 10, guard


def test_precision_and_recall(capsys: pytest.CaptureFixture[str]) -> None:
    rows = load()
    counts = {g: Counter[str]() for g in GUARDS}
    misses: list[str] = []
    for row in rows:
        found = {v.guard for v in check_text(row["text"], channel=row["channel"], lang=row["lang"])}
        expected = set(row["guards"])
        for guard in GUARDS:
            if guard == "robotic-care" and row["channel"] != "voice":
                continue  # only checked on voice scripts
            if guard == "voice-url" and row["channel"] != "voice":
                continue
            hit, want = guard in found, guard in expected
            key = {(True, True): "tp", (True, False): "fp", (False, True): "fn"}.get(
                (hit, want), "tn"
            )
            counts[guard][key] += 1
            if key in ("fp", "fn"):
                misses.append(f"  line {row['line']} {key} {guard}: {row['text']!r}")

    lines = [
        f"{'guard':<26}{'tp':>5}{'fp':>5}{'fn':>5}{'tn':>5}{'precision':>11}{'recall':>8}{'fpr':>7}"
    ]
    failures = []
    for guard in GUARDS:
        c = counts[guard]
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        fpr = c["fp"] / (c["fp"] + c["tn"]) if c["fp"] + c["tn"] else 0.0
        lines.append(
            f"{guard:<26}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}{c['tn']:>5}"
            f"{precision:>11.3f}{recall:>8.3f}{fpr:>7.3f}"
        )
        if recall < MIN_RECALL or fpr > MAX_FALSE_POSITIVE_RATE:
            failures.append(f"{guard}: recall {recall:.3f}, false-positive rate {fpr:.3f}")
    with capsys.disabled():
        print("\nguard corpus:", len(rows), "lines\n" + "\n".join(lines))
        if misses:
            print("misclassified:\n" + "\n".join(misses))
    assert not failures, "\n".join(failures + misses)
