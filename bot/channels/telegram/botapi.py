"""The Bot API calls of the busiest path (a reporter's form step), made without the objects
python-telegram-bot builds around them but nobody reads.

PTB's ``send_message`` turns a keyboard of ``InlineKeyboardButton`` objects back into JSON and
decodes Telegram's answer into a ``Message`` (with its keyboard again); no handler reads that
answer. With the decoding of the bot's own message under a button press (``decode.py``) these
were a fifth of the bot's own time per update (docs/BENCHMARKS.md). The calls go to the bot's
own request object (``post``): the same HTTP layer, errors and timeouts as PTB's methods,
without turning each parameter into PTB's parameter objects on the way (the bot sets no
``Defaults`` and no rate limiter, the two things that layer adds).
"""

from __future__ import annotations

import json
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Update
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

__all__ = [
    "ALL_UPDATE_TYPES",
    "Keyboard",
    "Markup",
    "answer_query",
    "button",
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
    """One Bot API call through the bot's request object; Telegram's ``result`` as JSON. Each
    value is given as the JSON text Telegram reads (PTB would make it so on the way), a None
    value is left out (as PTB does); errors are PTB's (``Forbidden``, ``RetryAfter``...)."""
    data = RequestData(
        [RequestParameter(k, _json_text(v), None) for k, v in params.items() if v is not None]
    )
    request = bot._request[0] if endpoint == "getUpdates" else bot._request[1]
    if read_timeout is None:
        return await request.post(f"{bot.base_url}/{endpoint}", data)
    return await request.post(f"{bot.base_url}/{endpoint}", data, read_timeout)


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
