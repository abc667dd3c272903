"""The README's example renders on every channel."""

from __future__ import annotations

import personalize


def test_birthday_renders_every_channel(
    lib: personalize.Library, ada: personalize.Customer
) -> None:
    email = lib.render("birthday", ada, "email")
    assert isinstance(email, personalize.EmailResult)
    assert "Ada" in email.subject
    sms = lib.render("birthday", ada, "sms")
    assert isinstance(sms, personalize.SmsResult)
    assert sms.text.startswith("Hi Ada,")
    voice = lib.render("birthday", ada, "voice")
    assert isinstance(voice, personalize.VoiceResult)
    assert voice.ssml.startswith("<speak")
