"""Safety: first message ids, rate limiting, /hapus safe mode (delete this chat's messages and
the unfinished report). Retention of drafts is in retention.py, log redaction in
bot/channels/telegram/log_redaction.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, filters

from bot.channels.telegram.addresses import TELEGRAM
from bot.channels.telegram.cleanup import schedule_deletion
from bot.channels.telegram.context import BotApp, Deps
from bot.channels.telegram.conversations.complaint import forget_draft
from bot.channels.telegram.conversations.draft import (
    EXPIRED_KEY,
)
from bot.channels.telegram.handlers.common import Ctx, answer, reply
from bot.domain.identity import Handle
from bot.presentation.preview import for_reporter
from bot.security.ratelimit import Decision, RateLimiter

__all__ = [
    "CLEAR_DATA",
    "MAX_DELETE_IDS",
    "RateLimitHandler",
    "RememberHandler",
    "SafetyState",
    "after_submit",
    "app_of",
    "clear_chat",
    "is_private",
    "on_clear_button",
    "on_hapus",
    "state_of",
]

log = logging.getLogger(__name__)

CLEAR_DATA = "hapus:go"
MAX_DELETE_IDS = 2000  # a conversation longer than this is older than 48 hours anyway
_STATE_KEY = "safety"
_CHAT_KEY = "safety_first_message_id"
_MAX_FIRST_IDS = 10_000  # private chats whose first message id is kept in memory only
_QUIET_MODES = frozenset({"none", "neutral"})
# callback data of the complaint form's buttons: answers, resume, summary, edit
_FORM_BUTTONS = ("a|", "r|", "s|", "e|")


@dataclass
class SafetyState:
    """In-memory state of the safety handlers (kept in bot_data, never persisted)."""

    limiter: RateLimiter | None = None
    # update id -> the limiter's verdict, from check_update to the callback
    verdicts: dict[int, Decision] = field(default_factory=dict)
    # update id -> (person id, draft id) of a "Send report" press, to find the case afterwards
    pending_submit: dict[int, tuple[int, str]] = field(default_factory=dict)
    # private chat id -> first message id, for chats with nothing stored (see _keep_first_id)
    first_ids: dict[int, int] = field(default_factory=dict)
    # when every user's and chat's data was last checked for expiry
    swept_at: datetime | None = None
    # (user id, chat id, time) of earlier updates not yet stamped: data they created is
    # stamped as seen then (at the next update whose handling may touch it)
    unstamped: list[tuple[int | None, int | None, datetime]] = field(default_factory=list)


def state_of(bot_data: dict[str, Any]) -> SafetyState:
    value = bot_data.get(_STATE_KEY)
    if not isinstance(value, SafetyState):
        value = SafetyState()
        bot_data[_STATE_KEY] = value
    if value.limiter is None:
        found = bot_data.get("deps")
        assert isinstance(found, Deps), "the safety handlers need bot_data['deps']"
        value.limiter = RateLimiter(found.services.clock)
    return value


def _is_staff(app: BotApp, user_id: int) -> bool:
    """On the roster of any office (staff work in bursts and are known accounts)."""
    found = app.bot_data.get("deps")
    if not isinstance(found, Deps):
        return False
    person = found.services.person_cache.get(Handle(TELEGRAM, str(user_id)).key())
    return person is not None and bool(found.services.staff_offices(person))


def app_of(context: Ctx) -> BotApp:
    """The handler's Application, typed (PTB types ``context.application`` loosely)."""
    return cast(BotApp, context.application)


def _state(context: Ctx) -> SafetyState:
    return state_of(context.bot_data)


def _has_draft(app: BotApp, user_id: int) -> bool:
    """Read-only look at a user's data (no entry is created for strangers)."""
    data = app.user_data.get(user_id)
    return isinstance(data, dict) and isinstance(data.get("draft"), dict)


def _draft(context: Ctx) -> dict[str, Any] | None:
    data = context.user_data
    d = data.get("draft") if isinstance(data, dict) else None
    return d if isinstance(d, dict) else None


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


# --------------------------------------- first message ids (group -11, see registry.py)


def _message_ids(update: Update) -> list[int]:
    ids = [m.message_id for m in (update.message, update.edited_message) if m is not None]
    cq = update.callback_query
    if cq is not None and cq.message is not None:
        ids.append(cq.message.message_id)
    return ids


class RememberHandler(BaseHandler[Update, Ctx, None]):
    """Runs only when there is something to remember (so strangers leave no stored data)."""

    def __init__(self, app: BotApp) -> None:
        super().__init__(remember)
        self.app = app

    def check_update(self, update: object) -> bool:
        """A private chat with a lower first message id (or one to move into the stored chat
        data now that a form is open), or a "Send report" press."""
        if not isinstance(update, Update) or not is_private(update):
            return False
        ids = _message_ids(update)
        chat, user = update.effective_chat, update.effective_user
        if ids and chat is not None:
            first = _first_id(self.app, chat.id)
            if first is None or min(ids) < first:
                return True
            if user is not None and _has_draft(self.app, user.id):
                if chat.id in state_of(self.app.bot_data).first_ids:
                    return True
        cq = update.callback_query
        return cq is not None and cq.data == "s|send" and user is not None


def _first_id(app: BotApp, chat_id: int) -> int | None:
    """The first message id remembered for a private chat (stored or in memory)."""
    data = app.chat_data.get(chat_id)
    stored = data.get(_CHAT_KEY) if isinstance(data, dict) else None
    if isinstance(stored, int):
        return stored
    return state_of(app.bot_data).first_ids.get(chat_id)


def _keep_first_id(app: BotApp, chat_id: int, user_id: int | None, value: int) -> None:
    """Remember a private chat's first message id: in the stored chat data when the chat has
    a form open (or the id is stored already), else only in memory, so that a visitor who only
    said /start leaves no stored row."""
    state = state_of(app.bot_data)
    data = app.chat_data.get(chat_id)
    stored = isinstance(data, dict) and _CHAT_KEY in data
    if stored or (user_id is not None and _has_draft(app, user_id)):
        state.first_ids.pop(chat_id, None)
        app.chat_data[chat_id][_CHAT_KEY] = value  # creates the entry: it is worth keeping
        app.mark_data_for_update_persistence(chat_ids=chat_id)
        return
    if chat_id not in state.first_ids and len(state.first_ids) >= _MAX_FIRST_IDS:
        for old in list(state.first_ids)[: _MAX_FIRST_IDS // 2]:  # forget the oldest half
            del state.first_ids[old]
    state.first_ids[chat_id] = value


async def remember(update: Update, context: Ctx) -> None:
    """Remember the first message id of a private chat, and note "Send report" presses."""
    ids = _message_ids(update)
    cq = update.callback_query
    chat, user = update.effective_chat, update.effective_user
    if ids and chat is not None:
        first = _first_id(app_of(context), chat.id)
        lowest = min([*ids, first] if first is not None else ids)
        _keep_first_id(app_of(context), chat.id, user.id if user else None, lowest)
    d = _draft(context)
    if cq is not None and cq.data == "s|send" and d is not None and user is not None:
        if d.get("mode") == "reporter" and isinstance(d.get("id"), str):
            pending = _state(context).pending_submit
            if len(pending) > 1000:
                pending.clear()
            pending[update.update_id] = (await context.person_id(user), d["id"])


# --------------------------------------------------------------- rate limit (group -10)


def _form_answer(update: Update) -> bool:
    """An answer to the complaint form: a message that is not a command, or a form button."""
    cq = update.callback_query
    if cq is not None:
        return (cq.data or "").startswith(_FORM_BUTTONS)
    if update.message is None:
        return False
    return not filters.COMMAND.check_update(update)


class RateLimitHandler(BaseHandler[Update, Ctx, None]):
    """Matches only updates over the limit; never an answer to a form in progress nor rostered
    staff. Commands and other buttons count for everyone, in the middle of a form too (the form
    caps what answers can cost: one urgent alert, limited notes and files)."""

    def __init__(self, app: BotApp) -> None:
        super().__init__(rate_limit)
        self.app = app

    def check_update(self, update: object) -> bool:
        """Take a token; True (handle: warn or drop) when the user has none left."""
        if not isinstance(update, Update):
            return False
        user = update.effective_user
        if user is None:
            return False
        if is_private(update) and _has_draft(self.app, user.id) and _form_answer(update):
            return False
        if _is_staff(self.app, user.id):
            return False
        state = state_of(self.app.bot_data)
        assert state.limiter is not None
        verdict = state.limiter.check(user.id)
        if verdict is Decision.ALLOW:
            return False
        if len(state.verdicts) > 1000:
            state.verdicts.clear()
        state.verdicts[update.update_id] = verdict
        return True


async def rate_limit(update: Update, context: Ctx) -> None:
    """Drop an update over the limit (ApplicationHandlerStop), telling the user once."""
    verdict = _state(context).verdicts.pop(update.update_id, Decision.DROP)
    if verdict is Decision.WARN:
        log.info("rate limit reached for an update (%s)", update.update_id)
        text = context.t.gettext(
            "You are sending messages very fast. Please slow down and wait a minute; "
            "in an emergency call 129 or 112."
        )
        try:
            if update.callback_query is not None:
                await answer(update, text, alert=True)
            elif is_private(update):
                await reply(update, context, text)
        except TelegramError:
            pass
    raise ApplicationHandlerStop


# ----------------------------------------------------------------- safe mode (group -1)


async def clear_chat(bot: Bot, chat_id: int, first_id: int, last_id: int) -> tuple[int, int, bool]:
    """Delete ids first..last one by one: (deleted, not deletable, finished)."""
    first_id = max(first_id, last_id - MAX_DELETE_IDS + 1, 1)
    deleted = failed = 0
    for message_id in range(first_id, last_id + 1):
        try:
            if await bot.delete_message(chat_id, message_id):
                deleted += 1
            else:
                failed += 1
        except BadRequest:  # not found, too old (48 hours), or a service message
            failed += 1
        except (RetryAfter, Forbidden) as exc:
            log.warning("safe mode stopped early: %s", type(exc).__name__)
            return deleted, failed, False
        except TelegramError as exc:
            log.warning("safe mode could not delete one message: %s", type(exc).__name__)
            failed += 1
    return deleted, failed, True


async def _safe_mode(update: Update, context: Ctx) -> None:
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None
    t = context.t
    # the unfinished report goes first: whoever holds the phone next cannot read it back
    dropped = False
    if user is not None:
        dropped = forget_draft(app_of(context), user.id, chat.id)
        udata = app_of(context).user_data.get(user.id)
        if isinstance(udata, dict) and udata.pop(EXPIRED_KEY, None) is not None:
            app_of(context).mark_data_for_update_persistence(user_ids=user.id)
    app = app_of(context)
    probe = await context.bot.send_message(chat.id, t.gettext("One moment…"))
    first = _first_id(app, chat.id)
    if first is None:
        first = probe.message_id
    deleted, _failed, finished = await clear_chat(context.bot, chat.id, first, probe.message_id)
    _keep_first_id(app, chat.id, user.id if user else None, probe.message_id + 1)
    lines = [
        t.gettext("{n} message(s) in this chat were deleted.", n=deleted)
        if finished
        else t.gettext(
            "{n} message(s) were deleted, then Telegram asked us to stop. Send /hapus again in "
            "a minute.",
            n=deleted,
        ),
        t.gettext(
            "Telegram does not let the bot delete messages older than 48 hours. To remove "
            "everything, clear the history yourself: open this chat's menu (⋮ or the chat name) "
            "and choose “Clear history” or “Delete chat”."
        ),
    ]
    if dropped:
        lines.insert(
            1,
            t.gettext(
                "The report you had not finished was deleted too; nothing of it is kept. "
                "You can start a new one at any time with /lapor."
            ),
        )
    lines.append(t.gettext("This message deletes itself in a minute."))
    done = await context.bot.send_message(chat.id, for_reporter(t, "\n\n".join(lines)))
    # the confirmation itself would tell whoever picks up the phone: it goes too
    await schedule_deletion(context.services, chat.id, done.message_id)
    context.deps.kick()


async def on_hapus(update: Update, context: Ctx) -> None:
    """/hapus: delete the bot's and the user's messages in this private chat."""
    if not is_private(update):
        await reply(
            update,
            context,
            context.t.gettext("/hapus only works in a private chat with the bot."),
        )
        raise ApplicationHandlerStop
    await _safe_mode(update, context)
    raise ApplicationHandlerStop


async def on_clear_button(update: Update, context: Ctx) -> None:
    """The "Clear this conversation now" button: the same as /hapus."""
    await answer(update)
    if is_private(update):
        await _safe_mode(update, context)
    raise ApplicationHandlerStop


# ------------------------------------------------------- after a submission (group 10)


async def after_submit(update: Update, context: Ctx) -> None:
    """After a report is sent with quiet later messages, offer to clear the conversation."""
    state = _state(context)
    pending = state.pending_submit.pop(update.update_id, None)
    if pending is None or not is_private(update):
        return
    user_id, draft_id = pending
    d = _draft(context)
    if d is not None and d.get("id") == draft_id:
        return  # not submitted (still on the form)
    svc = context.services
    async with svc.db.reading() as conn:
        mode = await svc.cases.notify_mode_for_key(conn, f"reporter:{user_id}:{draft_id}")
    if mode is None or mode not in _QUIET_MODES:
        return
    t = context.t
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("Clear this conversation now"), callback_data=CLEAR_DATA)]]
    )
    await reply(
        update,
        context,
        t.gettext(
            "If someone else may see this phone, you can delete this conversation from it now. "
            "Keep your tracking code somewhere safe first. You can also send /hapus at any time."
        ),
        markup,
    )
