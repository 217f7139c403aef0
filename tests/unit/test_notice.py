"""The outbound contract: recipients in the system's own terms, and their text keys."""

from __future__ import annotations

import pytest

from bot.channels.telegram.addresses import person_of, staff_group_chat
from bot.config import load_offices
from bot.domain.notice import Notice, Recipient, RecipientKind
from bot.testing.harness import EXAMPLE_OFFICES


@pytest.mark.parametrize(
    ("recipient", "key"),
    [
        (Recipient.person(123), "person:123"),
        (Recipient.person("abc-7"), "person:abc-7"),  # an opaque reference
        (Recipient.staff_group("TNG"), "group:TNG"),
        (Recipient.reporter(5), "reporter:5"),
        (Recipient.address("telegram", -100123), "address:telegram:-100123"),
        (Recipient.address("whatsapp", "+62 811:9"), "address:whatsapp:+62 811:9"),
    ],
)
def test_key_and_parse_round_trip(recipient: Recipient, key: str) -> None:
    assert recipient.key() == key == str(recipient)
    assert Recipient.parse(key) == recipient


def test_address_parts() -> None:
    to = Recipient.parse("address:telegram:-100123")
    assert to.kind is RecipientKind.ADDRESS
    assert (to.channel, to.channel_address) == ("telegram", "-100123")
    group = Recipient.staff_group("TNG")
    assert (group.channel, group.channel_address) == (None, None)


@pytest.mark.parametrize(
    "key",
    ["", "person", "person:", "chat:1", "reporter:x", "address:telegram", "group:", ":1", "123"],
)
def test_parse_refuses_anything_else(key: str) -> None:
    with pytest.raises(ValueError):
        Recipient.parse(key)


def test_bad_channel_names_are_refused() -> None:
    for channel in ("", "tele:gram"):
        with pytest.raises(ValueError):
            Recipient.address(channel, "1")


def test_notice_defaults() -> None:
    notice = Notice("staff_notice", Recipient.staff_group("TNG"), {"case_id": 1})
    assert (notice.language, notice.case_id, notice.dedupe_key, notice.not_before) == (
        "id",
        None,
        None,
        None,
    )


def test_the_staff_group_is_a_telegram_setting_of_the_office() -> None:
    tng = next(o for o in load_offices(EXAMPLE_OFFICES) if o.id == "TNG")
    # the TOML key staff_chat_id is read into the office's Telegram entry, read by the channel
    assert tng.channels == {"telegram": "-1001000000001"}
    assert tng.channel_address("telegram") == "-1001000000001"
    assert tng.channel_address("whatsapp") is None
    assert staff_group_chat(tng) == -1001000000001
    assert person_of(Recipient.person(17)) == 17
    assert person_of(Recipient.address("telegram", 555)) is None
    assert person_of(Recipient.staff_group("TNG")) is None
