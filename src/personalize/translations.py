"""Per-render translations from ``templates/locale/<lang>/LC_MESSAGES/messages.mo``.

The i18n extension is installed on the environment with null translations;
each render gets ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext``
for its own locale as *context variables* (through
:meth:`Library.add_context_hook`), which ``{% trans %}`` and ``_()`` look up
before the environment's globals.  Mutating ``env.globals`` per render would
let two renders running in threads see each other's language.

Catalogs are loaded with :meth:`babel.support.Translations.load`, which
negotiates ``de_AT`` -> ``de`` the way gettext does, and cached per locale.
The newstyle gettext wrappers (autoescaping, ``%(name)s`` variables) come
from a private scratch Jinja environment's public
``install_gettext_translations``, so this module writes none of that itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, cast

import jinja2
from babel.support import NullTranslations, Translations

from .context import RenderState

__all__ = ["TranslationCatalogs", "available_languages"]

DOMAIN: Final = "messages"
_NAMES: Final = ("gettext", "ngettext", "pgettext", "npgettext")


def available_languages(locale_dir: Path) -> tuple[str, ...]:
    """The locales that have a compiled catalog under ``locale_dir``."""
    if not locale_dir.is_dir():
        return ()
    return tuple(
        sorted(
            p.name for p in locale_dir.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
        )
    )


@dataclass(frozen=True, slots=True)
class _Loaded:
    translations: NullTranslations
    callables: Mapping[str, Callable[..., Any]]
    found: bool


class TranslationCatalogs:
    """The translation catalogs of one templates folder, cached per locale.

    Args:
        locale_dir: ``templates/locale``; it need not exist (every render
            then uses the template's own text).
    """

    def __init__(self, locale_dir: Path) -> None:
        self.locale_dir = locale_dir
        self._cache: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def translations(self, locale: str) -> NullTranslations:
        """The Babel translations for ``locale`` (null translations if none)."""
        return self._load(locale).translations

    def has(self, locale: str) -> bool:
        """Whether a catalog exists for ``locale`` or its language."""
        return self._load(locale).found

    def _load(self, locale: str) -> _Loaded:
        loaded = self._cache.get(locale)
        if loaded is not None:
            return loaded
        with self._lock:
            loaded = self._cache.get(locale)
            if loaded is None:
                translations = Translations.load(
                    str(self.locale_dir), locales=[locale], domain=DOMAIN
                )
                scratch = jinja2.Environment(extensions=["jinja2.ext.i18n"])
                scratch.install_gettext_translations(  # type: ignore[attr-defined]
                    translations, newstyle=True
                )
                callables: Mapping[str, Callable[..., Any]] = MappingProxyType(
                    {n: cast(Callable[..., Any], scratch.globals[n]) for n in _NAMES}
                )
                loaded = _Loaded(
                    translations=translations,
                    callables=callables,
                    found=isinstance(translations, Translations),
                )
                self._cache[locale] = loaded
        return loaded

    def context_hook(self, state: RenderState) -> Mapping[str, Any]:
        """The per-render ``gettext`` family for ``state.locale``.

        Records on the result's audit which catalog was used, so a preview
        shows when a German customer got the English text because no German
        catalog exists.
        """
        loaded = self._load(state.locale)
        audit = state.extras.setdefault("audit", {})
        audit["translations"] = state.locale if loaded.found else None
        return loaded.callables
