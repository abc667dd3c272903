"""One message on disk: ``templates/<name>/message.toml`` and its templates.

``message.toml`` is validated strictly (unknown keys are errors naming the
file, line and key, with a "did you mean") because a misspelt setting such as
``max_segment = 1`` would otherwise be ignored silently, and the message
would go out under the defaults.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from .errors import TemplateError, did_you_mean

__all__ = ["CHANNEL_PARTS", "MESSAGE_SCHEMA", "MessageSpec", "load_message"]

PURPOSES: Final = ("marketing", "transactional", "service")

#: Template files per channel: (part, file name, required).
CHANNEL_PARTS: Final[Mapping[str, tuple[tuple[str, str, bool], ...]]] = {
    "email": (
        ("subject", "subject.txt.j2", True),
        ("preheader", "preheader.txt.j2", False),
        ("html", "email.html.j2", True),
        ("text", "email.txt.j2", False),
    ),
    "sms": (("text", "sms.txt.j2", True),),
    "voice": (("ssml", "voice.ssml.j2", True),),
}


def _is_bool(v: object) -> bool:
    return isinstance(v, bool)


def _is_positive_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _is_str(v: object) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _is_str_list(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


#: Settings per section: key -> (check, description of a valid value).
#: Other modules extend this (e.g. the policy section) by adding entries.
MESSAGE_SCHEMA: dict[str, dict[str, tuple[Any, str]]] = {
    "": {
        "purpose": (lambda v: v in PURPOSES, "marketing, transactional or service"),
        "channels": (
            lambda v: _is_str_list(v) and bool(v) and all(c in CHANNEL_PARTS for c in v),
            "a non-empty list of email, sms and voice",
        ),
        "description": (_is_str, "a string"),
        "locale": (_is_str, "a default locale like 'en_GB'"),
    },
    "email": {
        "unsubscribe_url": (_is_str, "a URL, may use {customer_id}"),
        "sender": (_is_str, "an address like 'Shop <hello@shop.example>'"),
        "max_kb": (_is_positive_int, "a positive whole number of kilobytes"),
    },
    "sms": {
        "max_segments": (_is_positive_int, "a positive whole number"),
        "normalize": (_is_bool, "true or false"),
        "sender": (_is_str, "a sender id"),
    },
    "voice": {
        "delivery": (lambda v: v in ("automated", "human"), "automated or human"),
        "rate": (lambda v: isinstance(v, (int, float)) and 50 <= v <= 400, "words per minute"),
    },
    "policy": {},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSpec:
    """A validated message definition.

    Attributes:
        name: the folder name, e.g. ``birthday``.
        purpose: marketing, transactional or service.
        channels: the channels the message has, in declared order.
        templates: ``(channel, part) -> template name`` for every file present.
        settings: flattened settings, ``"sms.max_segments" -> 2``.
        path: the message folder.
    """

    name: str
    purpose: str
    channels: tuple[str, ...]
    templates: Mapping[tuple[str, str], str]
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""
    path: Path | None = None

    def setting(self, key: str, default: Any = None) -> Any:
        """A namespaced setting such as ``"voice.delivery"``."""
        return self.settings.get(key, default)

    def template_for(self, channel: str, part: str) -> str | None:
        """The template name of ``part`` of ``channel``, if the message has it."""
        return self.templates.get((channel, part))


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[\s*{re.escape(key)}\s*\]|{re.escape(key)}\s*=)", re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def load_message(folder: Path, root: Path) -> MessageSpec:
    """Read and validate ``folder/message.toml`` and find its templates.

    Raises:
        TemplateError: naming ``<message>/message.toml``, the line and the key.
    """
    toml_path = folder / "message.toml"
    rel = toml_path.relative_to(root).as_posix()
    text = toml_path.read_text(encoding="utf-8")

    def fail(msg: str, key: str | None = None, hint: str | None = None) -> TemplateError:
        line = _line_of(text, key) if key else None
        return TemplateError(msg, name=rel, lineno=line, source=text, hint=hint)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        lineno = None
        match = re.search(r"line (\d+)", str(exc))
        if match:
            lineno = int(match.group(1))
        raise TemplateError(f"invalid TOML: {exc}", name=rel, lineno=lineno, source=text) from exc

    settings: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in MESSAGE_SCHEMA or key == "":
                hint = did_you_mean(key, [k for k in MESSAGE_SCHEMA if k])
                raise fail(f"unknown section [{key}]", key, hint)
            schema = MESSAGE_SCHEMA[key]
            for sub, subvalue in value.items():
                if key == "policy":
                    settings[f"policy.{sub}"] = subvalue
                    continue
                if sub not in schema:
                    hint = did_you_mean(sub, schema) or f"known keys: {', '.join(sorted(schema))}"
                    raise fail(f"unknown key {key}.{sub}", sub, hint)
                check, expected = schema[sub]
                if not check(subvalue):
                    raise fail(f"{key}.{sub} must be {expected} (got {subvalue!r})", sub)
                settings[f"{key}.{sub}"] = subvalue
        else:
            top = MESSAGE_SCHEMA[""]
            if key not in top:
                hint = did_you_mean(key, top) or f"known keys: {', '.join(sorted(top))}"
                raise fail(f"unknown key {key!r}", key, hint)
            check, expected = top[key]
            if not check(value):
                raise fail(f"{key} must be {expected} (got {value!r})", key)
    if "purpose" not in data:
        raise fail("missing required key 'purpose'", hint='purpose = "marketing"')
    if "channels" not in data:
        raise fail("missing required key 'channels'", hint='channels = ["email", "sms"]')

    channels = tuple(dict.fromkeys(data["channels"]))
    templates: dict[tuple[str, str], str] = {}
    for channel in CHANNEL_PARTS:
        for part, filename, required in CHANNEL_PARTS[channel]:
            present = (folder / filename).is_file()
            if channel in channels and required and not present:
                raise fail(
                    f"channel {channel!r} is listed but {folder.name}/{filename} does not exist",
                    "channels",
                    f"add {filename} or remove {channel!r} from channels",
                )
            if present and channel in channels:
                templates[(channel, part)] = (folder / filename).relative_to(root).as_posix()

    return MessageSpec(
        name=folder.name,
        purpose=data["purpose"],
        channels=channels,
        templates=MappingProxyType(templates),
        settings=MappingProxyType(settings),
        description=str(data.get("description", "")),
        path=folder,
    )
