"""Channel adapters: turn rendered template parts into a channel's result.

A channel is a plain object with a ``name`` and a ``build`` method; the
registry maps names to adapters so a service can add its own with
:func:`register_channel` instead of subclassing anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..context import RenderState
from ..customer import Customer
from ..message import MessageSpec
from ..policy import Policy
from ..result import RenderResult

__all__ = ["Channel", "Draft", "get_channel", "register_channel"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """The rendered template parts of one channel, before adaptation.

    Attributes:
        parts: part name (``subject``, ``html``, ``text``, ``ssml``) -> output.
        spec: the message definition.
        customer: the customer rendered for.
        state: the render's state (facts, violations, block records).
        common: keyword arguments every result takes (facts, offer, claims...).
        policy: the policy the message is checked under (adapters read
            channel options such as ``sms.normalize`` from its limits).
    """

    parts: Mapping[str, str]
    spec: MessageSpec
    customer: Customer
    state: RenderState
    common: Mapping[str, Any]
    policy: Policy | None = None


class Channel(Protocol):
    """What a channel adapter provides."""

    name: str

    def build(self, draft: Draft) -> RenderResult:
        """Make the channel's result from the rendered parts."""
        ...


_REGISTRY: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    """Register (or replace) the adapter for ``channel.name``."""
    _REGISTRY[channel.name] = channel


def get_channel(name: str) -> Channel:
    """The adapter for ``name``.

    Raises:
        KeyError: for an unknown channel.
    """
    if not _REGISTRY:
        _register_builtins()
    return _REGISTRY[name]


def _register_builtins() -> None:
    from .email import EmailChannel
    from .sms import SmsChannel
    from .voice import VoiceChannel

    for channel in (EmailChannel(), SmsChannel(), VoiceChannel()):
        _REGISTRY.setdefault(channel.name, channel)
