"""Library loading: message.toml validation, template checks, the sandbox."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

import personalize
from personalize import MessageNotFound, SecurityError, TemplateError

TODAY = dt.date(2026, 11, 23)

TOML = 'purpose = "transactional"\nchannels = ["sms"]\n'


def make_library(root: Path, files: dict[str, str]) -> personalize.Library:
    """Write ``files`` (path -> text) under ``root`` and load them."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return personalize.Library(root, today=TODAY)


def sms(body: str, toml: str = TOML) -> dict[str, str]:
    return {"note/message.toml": toml, "note/sms.txt.j2": body}


class Case(NamedTuple):
    description: str
    files: dict[str, str]
    error: type[Exception]
    message: str
    name: str | None
    lineno: int | None
    hint: str | None = None


LOAD_ERRORS = [
    Case(
        "unknown key",
        sms("hi", TOML + "[sms]\nmax_segment = 1\n"),
        TemplateError,
        "unknown key sms.max_segment",
        "note/message.toml",
        4,
        "did you mean 'max_segments'?",
    ),
    Case(
        "bad purpose",
        sms("hi", 'purpose = "promo"\nchannels = ["sms"]\n'),
        TemplateError,
        "purpose must be marketing, transactional or service",
        "note/message.toml",
        1,
    ),
    Case(
        "channel without template",
        {
            "note/message.toml": 'purpose = "service"\nchannels = ["sms", "voice"]\n',
            "note/sms.txt.j2": "x",
        },
        TemplateError,
        "channel 'voice' is listed but note/voice.ssml.j2 does not exist",
        "note/message.toml",
        2,
    ),
    Case(
        "invalid toml",
        sms("hi", 'purpose = "service"\nchannels = [\n'),
        TemplateError,
        "invalid TOML",
        "note/message.toml",
        None,
    ),
    Case(
        "syntax error",
        sms("line one\n{% if customer.name.given %}\nno end\n"),
        TemplateError,
        "Unexpected end of template",
        "note/sms.txt.j2",
        3,
    ),
    Case(
        "unknown variable",
        sms("Hi {{ custommer.name.given }}"),
        TemplateError,
        "unknown variable 'custommer'",
        "note/sms.txt.j2",
        1,
        "did you mean 'customer'?",
    ),
    Case(
        "misspelt customer field",
        sms("one\nHi {{ customer.name.givn }}"),
        TemplateError,
        "customer.name has no field 'givn'",
        "note/sms.txt.j2",
        2,
        "did you mean 'given'?",
    ),
    Case(
        "misspelt derived fact",
        sms("{% if customer.order_cnt > 1 %}x{% endif %}"),
        TemplateError,
        "customer has no field 'order_cnt'",
        "note/sms.txt.j2",
        1,
        "did you mean 'order_count'?",
    ),
    Case(
        "class escape",
        sms("{{ customer.__class__.__mro__ }}"),
        SecurityError,
        "access to '__mro__' is not allowed",
        "note/sms.txt.j2",
        1,
    ),
    Case(
        "subclasses",
        sms("{{ ''.__class__.__subclasses__() }}"),
        SecurityError,
        "is not allowed",
        "note/sms.txt.j2",
        1,
    ),
    Case(
        "mro by name",
        sms("\n\n{{ channel.mro }}"),
        SecurityError,
        "access to 'mro' is not allowed",
        "note/sms.txt.j2",
        3,
    ),
    Case(
        "item access",
        sms("{{ customer['__class__'] }}"),
        SecurityError,
        "access to '__class__' is not allowed",
        "note/sms.txt.j2",
        1,
    ),
    Case(
        "broken layout",
        {**sms("hi"), "_partials/footer.txt.j2": "{% for %}"},
        TemplateError,
        "",
        "_partials/footer.txt.j2",
        1,
    ),
]


@pytest.mark.parametrize("case", LOAD_ERRORS, ids=[c.description for c in LOAD_ERRORS])
def test_load_errors_name_file_line_and_hint(tmp_path: Path, case: Case) -> None:
    with pytest.raises(case.error) as info:
        make_library(tmp_path, case.files)
    err = info.value
    assert isinstance(err, TemplateError)
    assert case.message in err.message
    assert err.name == case.name
    assert err.lineno == case.lineno
    if case.hint:
        assert err.hint == case.hint
        assert case.hint in str(err)
    assert case.name in str(err) if case.name else True


def test_detailed_message_shows_the_source_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        make_library(tmp_path, sms("first\nHi {{ customer.name.givn }}!\n"))
    detailed = info.value.detailed_message()
    assert 'File "note/sms.txt.j2", line 2' in detailed
    assert "   2 | Hi {{ customer.name.givn }}!" in detailed
    assert "hint: did you mean 'given'?" in detailed


def test_security_error_is_a_personalize_error(tmp_path: Path) -> None:
    with pytest.raises(personalize.PersonalizeError):
        make_library(tmp_path, sms("{{ customer._target }}"))


def test_sandbox_blocks_escapes_at_run_time_too(tmp_path: Path) -> None:
    # Built with a filter so the static check cannot see the attribute name.
    lib = make_library(tmp_path, sms("{{ (channel | attr('__cla' ~ 'ss__')) }}"))
    with pytest.raises(SecurityError) as info:
        lib.render("note", {"id": "c"}, "sms")
    assert info.value.name == "note/sms.txt.j2"
    assert info.value.lineno == 1


def test_sandbox_refuses_mutation(tmp_path: Path) -> None:
    lib = make_library(tmp_path, sms("{% set xs = [1] %}{{ xs.append(2) }}"))
    with pytest.raises(SecurityError):
        lib.render("note", {"id": "c"}, "sms")


def test_templates_are_compiled_once(tmp_path: Path) -> None:
    lib = make_library(tmp_path, sms("hi"))
    first = lib.env.get_template("note/sms.txt.j2")
    (tmp_path / "note/sms.txt.j2").write_text("changed", encoding="utf-8")
    assert lib.env.get_template("note/sms.txt.j2") is first
    assert lib.render("note", {"id": "c"}, "sms").text == "hi"  # type: ignore[attr-defined]


def test_folders_without_message_toml_and_underscored_are_not_messages(tmp_path: Path) -> None:
    lib = make_library(
        tmp_path, {**sms("hi"), "_layouts/base.html.j2": "<p></p>", "notes/readme.txt": "x"}
    )
    assert list(lib.messages) == ["note"]
    spec = lib.message("note")
    assert spec.purpose == "transactional" and spec.channels == ("sms",)


def test_unknown_message_and_channel(tmp_path: Path) -> None:
    lib = make_library(tmp_path, sms("hi"))
    with pytest.raises(MessageNotFound, match="did you mean 'note'"):
        lib.render("nte", {"id": "c"}, "sms")
    with pytest.raises(MessageNotFound, match="has no 'email' channel"):
        lib.render("note", {"id": "c"}, "email")
    with pytest.raises(LookupError):
        lib.message("nothing-like-it")


def test_missing_templates_folder() -> None:
    with pytest.raises(personalize.InvalidArgument, match="does not exist"):
        personalize.Library("/no/such/folder")


def test_message_policy_may_not_loosen(tmp_path: Path) -> None:
    toml = TOML + '[policy]\n"missing-data" = "warn"\n'
    with pytest.raises(TemplateError, match="loosen"):
        make_library(tmp_path, sms("hi", toml))


def test_shipped_library_loads(lib: personalize.Library) -> None:
    assert "birthday" in lib.messages
    assert lib.message("birthday").purpose == "marketing"
