"""Tests for bot/channels/telegram/decode.py: the quick decoding gives PTB's objects as PTB's
own decoding does, and leaves every other shape to PTB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, CallbackQuery, Chat, Message, Update, User
from telegram.error import Forbidden

from bot.channels.telegram.botapi import button, post, send_html
from bot.channels.telegram.decode import decode_update
from bot.testing import FakeRequest, FakeTelegram

__all__: list[str] = []

TOKEN = "123456:FAKE-TOKEN"
USER = 4242
GROUP = -1001234567890


@pytest.fixture
def fake() -> FakeTelegram:
    """A fresh fake Bot API."""
    return FakeTelegram()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A Bot wired to the fake."""
    async with Bot(TOKEN, request=FakeRequest(fake, read_timeout=1.0)) as tg_bot:
        yield tg_bot


def ptb(raw: dict[str, Any], bot: Bot) -> Update:
    """PTB's own decoding."""
    return Update.de_json(raw, bot)


def quick(update: Update) -> bool:
    """Whether the update was made by the quick path (PTB's classes, subclassed)."""
    return type(update) is not Update


async def test_a_text_and_a_command_decode_as_ptb_decodes_them(
    bot: Bot, fake: FakeTelegram
) -> None:
    """The same fields, the same classes to every isinstance, the bot attached."""
    raws = [
        fake.user_sends_text(USER, "Jalan Melati 5, RT 02"),
        fake.user_sends_command(USER, "/lapor"),
        fake.user_sends_command(USER + 1, "/lapor@ppa_uji_bot", chat_id=GROUP),
        fake.user_sends_text(USER, "tanpa bahasa", language_code=None),
    ]
    for raw in raws:
        update = decode_update(raw, bot)
        assert quick(update)
        assert update.to_dict() == ptb(raw, bot).to_dict()
        message = update.message
        assert isinstance(update, Update) and isinstance(message, Message)
        assert isinstance(message.from_user, User) and isinstance(message.chat, Chat)
        assert message.get_bot() is bot and message.chat.get_bot() is bot
        assert message.date.tzinfo is not None
        assert update.effective_user is not None and update.effective_chat is not None
    command = decode_update(raws[1], bot).message
    assert command is not None and command.entities[0].type == "bot_command"
    assert command.text == "/lapor"


async def test_a_button_press_decodes_as_ptb_decodes_it(bot: Bot, fake: FakeTelegram) -> None:
    """A press on the bot's message: the query as PTB makes it, of the message only where it
    is (its text and keyboard are the bot's own, read by no handler)."""
    fake.user_sends_command(USER, "/start")
    keyboard = {"inline_keyboard": [[button("Lapor kekerasan", "report")]]}
    sent = await send_html(bot, USER, "<b>Halo</b>", keyboard)
    message_id, data = fake.button(USER, "lapor")
    raw = fake.user_clicks(USER, USER, message_id, data)
    update = decode_update(raw, bot)
    assert quick(update)
    query = update.callback_query
    assert isinstance(query, CallbackQuery) and query.data == "report"
    assert isinstance(query.message, Message) and query.message.message_id == sent["message_id"]
    assert query.message.text is None and query.message.reply_markup is None
    light = dict(raw["callback_query"]["message"])
    for unread in ("text", "entities", "reply_markup", "from"):
        light.pop(unread, None)
    expected = ptb({**raw, "callback_query": {**raw["callback_query"], "message": light}}, bot)
    assert update.to_dict() == expected.to_dict()
    assert query.get_bot() is bot and update.effective_chat is not None
    assert update.effective_chat.id == USER


async def test_other_shapes_are_left_to_ptb(bot: Bot, fake: FakeTelegram) -> None:
    """A photo, a contact, an edit, a join, an unknown field: PTB's own decoding."""
    text = fake.user_sends_text(USER, "lama")
    raws = [
        fake.user_sends_photo(USER, b"\xff\xd8jpeg", caption="bukti"),
        fake.user_sends_contact(USER, "+628123456789"),
        fake.user_edits_message(USER, text["message"]["message_id"], "baru"),
        fake.member_joins(GROUP, fake.bot_id),
        {**text, "message": {**text["message"], "via_bot": {"id": 1, "is_bot": True,
                                                              "first_name": "x"}}},
        {**text, "update_id": text["update_id"] + 100, "a_future_field": {"id": "b"}},
    ]  # fmt: skip
    for raw in raws:
        update = decode_update(raw, bot)
        assert not quick(update)
        assert update.to_dict() == ptb(raw, bot).to_dict()


async def test_an_unknown_field_of_the_sender_is_kept_as_ptb_keeps_it(
    bot: Bot, fake: FakeTelegram
) -> None:
    """Telegram adds fields over time: PTB keeps the ones it does not know in api_kwargs."""
    raw = fake.user_sends_text(USER, "halo")
    raw["message"]["from"]["has_new_thing"] = True
    update = decode_update(raw, bot)
    assert quick(update)
    assert update.message is not None and update.message.from_user is not None
    assert update.message.from_user.api_kwargs == {"has_new_thing": True}
    assert update.to_dict() == ptb(raw, bot).to_dict()


async def test_post_sends_json_text_and_raises_ptbs_errors(bot: Bot, fake: FakeTelegram) -> None:
    """Values become the JSON text Telegram reads (None left out); Telegram's refusal is PTB's
    error."""
    fake.user_sends_command(USER, "/start")
    keyboard = {"inline_keyboard": [[button("Ya", "y")]]}
    sent = await post(
        bot,
        "sendMessage",
        {"chat_id": USER, "text": "a &lt; b", "parse_mode": "HTML", "reply_markup": keyboard,
         "disable_notification": True, "message_thread_id": None},
    )  # fmt: skip
    assert sent["text"] == "a < b"
    stored = fake.last_message(USER)
    assert stored.buttons == [[("Ya", "y")]]
    with pytest.raises(Forbidden):
        await post(bot, "sendMessage", {"chat_id": USER + 7, "text": "halo"})
