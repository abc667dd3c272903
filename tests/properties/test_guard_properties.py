"""Properties of the guards that hold for every input.

* normalization keeps a sound map back to the original text;
* a bad phrase is found wherever it is put, however it is disguised
  (markup, entities, zero-width characters, line breaks, case), and its span
  points at the inserted text;
* clean surroundings do not change what is found;
* the phrase regexes match exactly their phrases;
* matching time grows linearly with the input, even for adversarial inputs
  built from phrase prefixes, markup and placeholder syntax;
* a message's [policy] never loosens the library's policy.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from personalize import InvalidArgument, Policy
from personalize.guards import check_text, normalize
from personalize.guards.phrases import trie_pattern
from personalize.policy import ACTIONS, GUARD_IDS, LIMITS

MARKUP_ALPHABET = st.sampled_from(
    [
        *"abcdefgh ,.!?'\"<>/&;#%{}[]|*\n\t",
        "\u200b",
        "\u00a0",
        "\u2019",
        "\u201c",
        "é",
        "ß",
        "Ｄ",
        "<b>",
        "</b>",
        "&amp;",
        "&nbsp;",
    ]
)
texts = st.lists(MARKUP_ALPHABET, max_size=60).map("".join)
any_text = st.one_of(texts, st.text(max_size=80))


@given(any_text, st.booleans())
def test_normalize_maps_back_into_the_original(text: str, markup: bool) -> None:
    norm = normalize(text, markup=markup)
    assert len(norm.plain) == len(norm.plain_map)
    assert len(norm.folded) == len(norm.folded_map) == len(norm.folded_plain)
    assert all(0 <= i < len(text) for i in norm.plain_map)
    assert list(norm.plain_map) == sorted(norm.plain_map)
    assert list(norm.folded_map) == sorted(norm.folded_map)
    assert all(0 <= i < len(norm.plain) for i in norm.folded_plain)
    assert len(norm.plain_folded) == len(norm.plain) + 1
    assert list(norm.plain_folded) == sorted(norm.plain_folded)
    for folded_index, plain_index in enumerate(norm.folded_plain):
        assert norm.plain_folded[plain_index] <= folded_index
    assert "  " not in norm.plain and norm.plain == norm.plain.strip()
    assert not any(c in norm.folded for c in "\u200b\u00a0\u2019\u201c")


@given(any_text, st.sampled_from(["email", "sms", "voice"]), st.sampled_from(["en", "de", "xx"]))
def test_check_text_never_fails_and_spans_are_in_bounds(text: str, channel: str, lang: str) -> None:
    for v in check_text(text, channel=channel, lang=lang):
        assert v.span is not None
        start, end = v.span
        assert 0 <= start < end <= len(text)
        assert v.message and v.guard


BAD = [
    ("generic-address", ["Dear", "Valued", "Customer"]),
    ("generic-address", ["Sehr", "geehrte", "Damen", "und", "Herren"]),
    ("generic-address", ["Estimado", "cliente"]),
    ("unsupported-superlative", ["our", "most", "valuable", "customer"]),
    ("unsupported-superlative", ["notre", "meilleur", "client"]),
    ("unsupported-superlative", ["unser", "wertvollster", "Kunde"]),
]

#: Ways to join the words of a phrase that a reader still reads as spaces,
#: and ways to disguise a word that a reader does not see.
SEPARATORS = st.sampled_from([" ", "  ", "\n", " \n ", "&nbsp;", "\u00a0", " <b>", "</b> ", "<br>"])
DISGUISES: list[Callable[[str], str]] = [
    lambda w: w,
    str.upper,
    str.lower,
    lambda w: w[:1] + "\u200b" + w[1:],
    lambda w: "<b>" + w + "</b>",
    lambda w: "<span>" + w[:2] + "</span>" + w[2:],
]

CLEAN = st.sampled_from(
    [
        "",
        "Hello,",
        "Best regards,",
        "Your most recent order shipped.",
        "Most orders ship in 2 days.",
        "Save at least 10%.",
        "<p>Tap the top of the page.</p>",
        "Check the best-before date.",
    ]
)


@given(
    st.sampled_from(BAD),
    st.lists(SEPARATORS, min_size=5, max_size=5),
    st.lists(st.sampled_from(range(len(DISGUISES))), min_size=5, max_size=5),
    CLEAN,
    CLEAN,
)
def test_a_disguised_phrase_is_found_where_it_was_put(
    bad: tuple[str, list[str]],
    separators: list[str],
    disguises: list[int],
    before: str,
    after: str,
) -> None:
    guard, words = bad
    phrase = "".join(
        DISGUISES[disguises[i]](word) + (separators[i] if i < len(words) - 1 else "")
        for i, word in enumerate(words)
    )
    prefix = before + " "
    text = prefix + phrase + " " + after
    found = [v for v in check_text(text) if v.guard == guard]
    assert found, text
    assert any(
        v.span is not None and len(prefix) <= v.span[0] and v.span[1] <= len(prefix) + len(phrase)
        for v in found
    ), (text, found)


@given(CLEAN, CLEAN, CLEAN)
def test_ordinary_copy_stays_quiet(a: str, b: str, c: str) -> None:
    assert check_text(" ".join((a, b, c))) == []


words = st.text(alphabet="abcd ", min_size=1, max_size=6)


@given(st.sets(words, min_size=1, max_size=12), st.lists(words, max_size=12))
def test_trie_pattern_matches_exactly_its_words(vocab: set[str], probes: list[str]) -> None:
    pattern = re.compile(trie_pattern(vocab))
    for word in [*vocab, *probes]:
        assert (pattern.fullmatch(word) is not None) == (word in vocab)


# ---------------------------------------------------------------------------
# Linear time
# ---------------------------------------------------------------------------

ADVERSARIAL_UNITS = [
    "dear valued ",
    "one of our most ",
    "sehr geehrte ",
    "a",
    "<b",
    "&#",
    "%a",
    "{{",
    "{%",
    "*|a",
    "[first ",
    "<<a",
    "hi none ",
    "www.",
    "a@",
    "x.",
    "\u200b",
    "e\u0301",
    "the best ",
    "reply ",
    "dear " + "a" * 30 + " ",
    "nobody does ",
    "we really do ",
]
BENIGN = "Hi Ada, your order of lovely bulbs and seeds is on its way. "


def _best_time(text: str, channel: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        check_text(text, channel=channel)
        best = min(best, time.perf_counter() - start)
    return best


def _sized(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


@settings(max_examples=6, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(ADVERSARIAL_UNITS), min_size=1, max_size=3),
    st.sampled_from(["email", "voice"]),
)
def test_matching_time_is_linear(units: list[str], channel: str) -> None:
    """Growing an adversarial input 4x costs about what it costs for plain copy.

    A quadratic (backtracking) matcher would take about 16x as long for 4x the
    input; a linear one about 4x, like the benign reference measured in the
    same conditions.  The bound leaves room for timing noise.
    """
    unit = "".join(units)
    assume(unit.strip())
    small, large = 3_000, 12_000
    check_text(_sized(unit, 100), channel=channel)  # compile the lists first
    reference = _best_time(_sized(BENIGN, large), channel) / _best_time(
        _sized(BENIGN, small), channel
    )
    ratio = _best_time(_sized(unit, large), channel) / _best_time(_sized(unit, small), channel)
    assert ratio < max(2.5 * reference, 8.0), (unit, ratio, reference)


# ---------------------------------------------------------------------------
# Policy: a message may tighten, never loosen
# ---------------------------------------------------------------------------


_LIMIT_VALUES = {
    "contact-pressure.max_contacts": st.integers(0, 10),
    "contact-pressure.days": st.integers(1, 30),
    "sms-length.max_segments": st.integers(1, 10),
    "email-size.max_kb": st.integers(1, 200),
    "unsupported-superlative.product_claims": st.booleans(),
    "no-consent.transactional_on_opt_out": st.lists(
        st.sampled_from(["email", "sms", "voice"]), unique=True
    ),
    "sms.normalize": st.booleans(),
}
_STRICT = {"off": 0, "warn": 1, "refuse": 2}
_guard_actions = st.dictionaries(
    st.sampled_from([g for g in GUARD_IDS if g != "missing-data"]), st.sampled_from(ACTIONS)
)
_limits = st.fixed_dictionaries({}, optional=_LIMIT_VALUES)


def _at_least_as_strict(new: Policy, old: Policy) -> bool:
    for guard in GUARD_IDS:
        if _STRICT[new.action(guard)] < _STRICT[old.action(guard)]:
            return False
    return not any(LIMITS[key].loosens(old.limit(key), new.limit(key)) for key in LIMITS)


@given(_guard_actions, _limits, _guard_actions, _limits)
def test_tightened_never_loosens(
    actions: dict[str, str],
    limits: dict[str, object],
    more: dict[str, str],
    more_limits: dict[str, object],
) -> None:
    base = Policy(actions=actions, limits=limits)  # type: ignore[arg-type]
    try:
        tightened = base.tightened({**more, **more_limits})
    except InvalidArgument as exc:
        assert "loosen" in str(exc)
        return
    assert _at_least_as_strict(tightened, base)
