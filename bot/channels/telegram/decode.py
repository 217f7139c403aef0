"""Updates as python-telegram-bot's objects, made quickly for the two shapes that are nearly
all of the traffic (a text message, a button press) and by PTB's own ``Update.de_json`` for
everything else.

PTB's objects refuse to be changed once made: every attribute set in their ``__init__`` passes
through a Python ``__setattr__`` that checks a flag. A ``Message`` sets about a hundred
attributes, most of them None, and ``Message.de_json`` looks up every kind of content a message
may carry; decoding one text message took about 80 µs, an eighth of the bot's own time per
update (docs/BENCHMARKS.md). Here those objects are made as subclasses of PTB's classes that
set their attributes directly, from exactly the fields given; anything else in the update (a
photo, a reply, an unknown field, an inaccessible message) goes to PTB's decoding. The objects
are PTB's classes to every handler, filter and ``isinstance``; they only lack the refusal to
be changed, and no handler changes an update. ``tests/telegram/test_decode.py`` checks that
both ways give the same objects.
"""

from __future__ import annotations

from typing import Any, TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    Message,
    MessageEntity,
    TelegramObject,
    Update,
    User,
)
from telegram._utils.datetime import extract_tzinfo_from_defaults, from_timestamp

__all__ = ["decode_update"]

_T = TypeVar("_T", bound=TelegramObject)


def _unchecked(cls: type[_T]) -> type[_T]:
    """A subclass of a PTB class that sets its attributes without the per-attribute check."""
    doc = f"PTB's {cls.__name__}, set up without the per-attribute check."
    body = {"__slots__": (), "__setattr__": object.__setattr__, "__doc__": doc}
    return type(f"_{cls.__name__}", (cls,), {**body, "__module__": __name__})


_User = _unchecked(User)
_Chat = _unchecked(Chat)
_Message = _unchecked(Message)
_CallbackQuery = _unchecked(CallbackQuery)
_Update = _unchecked(Update)

# what handlers use of the bot's own message under a button press: where it is (to answer in
# its chat and topic, to edit it); the rest (its text, formatting, keyboard, sender) is the bot's
# own and read by no handler, and decoding it was most of decoding a press
_PRESSED_MESSAGE_KEEPS = frozenset(
    {"message_id", "date", "chat", "message_thread_id", "is_topic_message"}
)
# the fields of a message decoded here (Telegram's name: the Message argument)
_MESSAGE_FIELDS = {
    "message_id": "message_id",
    "date": "date",
    "chat": "chat",
    "from": "from_user",
    "text": "text",
    "entities": "entities",
    "message_thread_id": "message_thread_id",
    "is_topic_message": "is_topic_message",
}
_QUERY_FIELDS = frozenset({"id", "from", "chat_instance", "data", "message"})


def decode_update(raw: dict[str, Any], bot: Bot) -> Update:
    """An update as PTB's object; of the bot's own message under a button press only where it
    is (``_PRESSED_MESSAGE_KEEPS``). The inbox keeps the update as Telegram sent it."""
    query = raw.get("callback_query")
    message = query.get("message") if isinstance(query, dict) else None
    if isinstance(message, dict) and message.keys() - _PRESSED_MESSAGE_KEEPS:
        light = {k: v for k, v in message.items() if k in _PRESSED_MESSAGE_KEEPS}
        raw = {**raw, "callback_query": {**query, "message": light}}  # type: ignore[dict-item]
    fast = _fast_update(raw, bot)
    return fast if fast is not None else Update.de_json(raw, bot)


def _fast_update(raw: dict[str, Any], bot: Bot) -> Update | None:
    """The update made here, or None when it is not one of the two common shapes."""
    if len(raw) != 2 or not isinstance(raw.get("update_id"), int):
        return None
    if isinstance(message := raw.get("message"), dict):
        decoded = _message(message, bot)
        if decoded is None:
            return None
        update = _Update(raw["update_id"], message=decoded)
    elif isinstance(query := raw.get("callback_query"), dict):
        pressed = _query(query, bot)
        if pressed is None:
            return None
        update = _Update(raw["update_id"], callback_query=pressed)
    else:
        return None
    update.set_bot(bot)
    return update


def _message(data: dict[str, Any], bot: Bot) -> Message | None:
    """A message of only the fields in ``_MESSAGE_FIELDS``, else None."""
    if not data.keys() <= _MESSAGE_FIELDS.keys() or not data.get("date"):
        return None  # date 0: a message the bot can no longer reach (PTB's own class)
    kwargs = {_MESSAGE_FIELDS[key]: value for key, value in data.items()}
    kwargs["date"] = from_timestamp(data["date"], tzinfo=extract_tzinfo_from_defaults(bot))
    kwargs["chat"] = _Chat.de_json(data["chat"], bot)
    if (sender := data.get("from")) is not None:
        kwargs["from_user"] = _User.de_json(sender, bot)
    if (entities := data.get("entities")) is not None:
        kwargs["entities"] = MessageEntity.de_list(entities, bot)
    message = _Message(**kwargs)
    message.set_bot(bot)
    return message


def _query(data: dict[str, Any], bot: Bot) -> CallbackQuery | None:
    """A button press on a message of the chat, else None."""
    if not data.keys() <= _QUERY_FIELDS or "message" not in data:
        return None
    message = _message(data["message"], bot)
    if message is None:
        return None
    query = _CallbackQuery(
        id=data["id"],
        from_user=_User.de_json(data["from"], bot),
        chat_instance=data["chat_instance"],
        message=message,
        data=data.get("data"),
    )
    query.set_bot(bot)
    return query
