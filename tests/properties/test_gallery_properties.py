"""Every gallery message renders soundly for every generated customer.

Uses personalize.testing, the same strategies users get: a render either
succeeds cleanly or is refused with violations, never crashes, never leaves
a placeholder or "None", and escaping holds on every channel.
"""

from __future__ import annotations

from hypothesis import given, settings

import personalize
from personalize.testing import assert_renders_soundly, customers

from ..conftest import TEMPLATES, TODAY

GALLERY = personalize.Library(TEMPLATES, today=TODAY)


@settings(max_examples=30)
@given(customers(locales=["en_GB", "en_US", "de_DE", "de_AT", "fr_FR", "es_ES", None], today=TODAY))
def test_every_gallery_message_renders_soundly(customer: personalize.Customer) -> None:
    for message in GALLERY.messages:
        assert_renders_soundly(GALLERY, message, customer)
