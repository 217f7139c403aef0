"""Handles: a person's address on one channel, stored encrypted, read back from old rows too."""

from __future__ import annotations

import pytest

from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.store.cases import reporter_index


def test_round_trip_and_key() -> None:
    h = Handle("whatsapp", "628123456789")
    assert Handle.from_json(h.to_json()) == h
    assert h.key() == "whatsapp:628123456789"


def test_a_number_stored_before_channels_is_a_telegram_chat() -> None:
    assert Handle.from_json(555001) == Handle("telegram", "555001")


@pytest.mark.parametrize(("channel", "address"), [("", "1"), ("tele:gram", "1"), ("telegram", "")])
def test_bad_handles_are_refused(channel: str, address: str) -> None:
    with pytest.raises(ValueError):
        Handle(channel, address)


def test_reporter_index_keeps_the_telegram_form_and_separates_channels() -> None:
    cipher = Cipher(generate_key())
    assert reporter_index(cipher, Handle("telegram", "42")) == cipher.blind_index("chat", "42")
    assert reporter_index(cipher, Handle("whatsapp", "42")) != reporter_index(
        cipher, Handle("telegram", "42")
    )
