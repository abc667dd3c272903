"""Wiring the blocks into a library: salutation, offers, claims, locale.

:func:`install_blocks` runs once while a :class:`~personalize.Library`
loads, before any template is compiled: it loads ``offers.toml`` and
``claims.toml``, adds the ``{% offer %}`` and ``{% claim %}`` tags, the
``salutation()`` global and the Babel filters to the environment, and
registers the per-render translations hook.  Keeping it here leaves the
library and environment modules ignorant of any particular block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .claims import ClaimCatalog, ClaimExtension, load_claims
from .filters import FILTERS
from .offers import OfferCatalog, OfferExtension, load_offers
from .salutations import make_template_salutation
from .translations import TranslationCatalogs

if TYPE_CHECKING:
    from .library import Library

__all__ = ["Blocks", "install_blocks"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Blocks:
    """What :func:`install_blocks` loaded for one library.

    Attributes:
        offers: the offer catalog (empty without offers.toml).
        claims: the claim catalog (empty without claims.toml).
        translations: the translation catalogs under ``templates/locale``.
    """

    offers: OfferCatalog
    claims: ClaimCatalog
    translations: TranslationCatalogs


def install_blocks(lib: Library) -> Blocks:
    """Load the catalogs and install the blocks on ``lib.env``.

    Raises:
        TemplateError: when offers.toml or claims.toml is invalid.
    """
    env = lib.env
    env.add_extension(OfferExtension)
    env.add_extension(ClaimExtension)
    env.globals["salutation"] = make_template_salutation(lib.default_locale)
    env.filters.update(FILTERS)
    # Rules are compiled after the filters exist, so a rule may use them.
    offers = load_offers(lib.root, env)
    claims = load_claims(lib.root, env)
    # The tags read their catalogs from the environment, Jinja's place for
    # extension configuration (``Environment.extend`` would not overwrite).
    env.personalize_offers = offers  # type: ignore[attr-defined]
    env.personalize_claims = claims  # type: ignore[attr-defined]
    translations = TranslationCatalogs(lib.root / "locale")
    lib.add_context_hook(translations.context_hook)
    return Blocks(offers=offers, claims=claims, translations=translations)
