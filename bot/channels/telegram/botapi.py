"""The Bot API calls of the busiest path (a reporter's form step), made without the objects
python-telegram-bot builds around them but nobody reads.

PTB's ``send_message`` turns a keyboard of ``InlineKeyboardButton`` objects back into JSON and
decodes Telegram's answer into a ``Message`` (with its keyboard again); no handler reads that
answer. ``Update.de_json`` decodes, under a button press, the bot's own message with its text
and whole keyboard; no handler reads them. Together these were a fifth of the bot's own time
per update (docs/BENCHMARKS.md). The calls go to the bot's own request object (``post``): the same HTTP layer, errors and
timeouts as PTB's methods, without turning each parameter into PTB's parameter objects on the
way (the bot sets no ``Defaults`` and no rate limiter, the two things that layer adds).
"""

from __future__ import annotations

import json
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Update
from telegram.request import RequestData

__all__ = [
    "ALL_UPDATE_TYPES",
    "Keyboard",
    "Markup",
    "answer_query",
    "button",
    "decode_update",
    "edit_keyboard",
    "markup_json",
    "post",
    "send_html",
]

# an inline keyboard as Telegram's JSON: {"inline_keyboard": [[{"text", "callback_data"}]]}
Keyboard = dict[str, Any]
Markup = InlineKeyboardMarkup | Keyboard

# parameters as the JSON text PTB would make of them (it sends a string as it is)
_NO_PREVIEW = json.dumps({"is_disabled": True})
ALL_UPDATE_TYPES = json.dumps(Update.ALL_TYPES)


class _Params(RequestData):
    """A request's parameters, each already the JSON text Telegram reads (what PTB's
    ``RequestParameter`` makes of a value, made here once)."""

    __slots__ = ("_text",)

    def __init__(self, text: dict[str, str]) -> None:
        super().__init__()
        self._text = text

    @property
    def json_parameters(self) -> dict[str, str]:
        """The parameters as the HTTP layer sends them (form fields of JSON text)."""
        return self._text


def _json_text(value: Any) -> str:
    """A parameter's value as Telegram reads it: text as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


async def post(
    bot: Bot, endpoint: str, params: dict[str, Any], *, read_timeout: float | None = None
) -> Any:
    """One Bot API call through the bot's request object; Telegram's ``result`` as JSON. A
    None value is left out (as PTB does); errors are PTB's (``Forbidden``, ``RetryAfter``...)."""
    text = {k: _json_text(v) for k, v in params.items() if v is not None}
    request = bot._request[0] if endpoint == "getUpdates" else bot._request[1]
    if read_timeout is None:
        return await request.post(f"{bot.base_url}/{endpoint}", _Params(text))
    return await request.post(f"{bot.base_url}/{endpoint}", _Params(text), read_timeout)


def button(text: str, data: str) -> dict[str, str]:
    """One inline button as JSON."""
    return {"text": text, "callback_data": data}


def markup_json(markup: Markup | None) -> Keyboard | None:
    """A keyboard as JSON, whichever way it was built."""
    if markup is None or isinstance(markup, dict):
        return markup
    return markup.to_dict()


async def send_html(bot: Bot, chat_id: int, text: str, markup: Markup | None = None) -> Any:
    """sendMessage, HTML, no link preview; Telegram's answer as JSON (not made a Message)."""
    data: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": _NO_PREVIEW,
    }
    if markup is not None:
        data["reply_markup"] = markup_json(markup)
    return await post(bot, "sendMessage", data)


async def answer_query(bot: Bot, query_id: str, text: str | None, *, alert: bool) -> Any:
    """answerCallbackQuery (what ``CallbackQuery.answer`` sends, without its layers: the
    busiest call after sendMessage, once per button press)."""
    data: dict[str, Any] = {"callback_query_id": query_id, "text": text}
    if alert:
        data["show_alert"] = True
    return await post(bot, "answerCallbackQuery", data)


async def edit_keyboard(bot: Bot, query: CallbackQuery, markup: Markup | None) -> Any:
    """editMessageReplyMarkup of the message a button was pressed on."""
    message = query.message
    if message is None:  # an inline message: PTB knows its id
        keyboard = markup_json(markup)
        return await query.edit_message_reply_markup(
            InlineKeyboardMarkup.de_json(keyboard, bot) if keyboard else None
        )
    data: dict[str, Any] = {"chat_id": message.chat.id, "message_id": message.message_id}
    if markup is not None:
        data["reply_markup"] = markup_json(markup)
    return await post(bot, "editMessageReplyMarkup", data)


# what handlers use of the bot's own message under a button press: where it is (to answer in
# its chat and topic, to edit it); the rest (its text, formatting, keyboard, sender) is the bot's
# own and read by no handler, and decoding it was most of decoding a press
_PRESSED_MESSAGE_KEEPS = frozenset(
    {"message_id", "date", "chat", "message_thread_id", "is_topic_message"}
)


def decode_update(raw: dict[str, Any], bot: Bot) -> Update:
    """An update as PTB's object; of the bot's own message under a button press only where it
    is (``_PRESSED_MESSAGE_KEEPS``). The inbox keeps the update as Telegram sent it."""
    query = raw.get("callback_query")
    message = query.get("message") if isinstance(query, dict) else None
    if isinstance(message, dict) and message.keys() - _PRESSED_MESSAGE_KEEPS:
        light = {k: v for k, v in message.items() if k in _PRESSED_MESSAGE_KEEPS}
        raw = {**raw, "callback_query": {**query, "message": light}}  # type: ignore[dict-item]
    return Update.de_json(raw, bot)
