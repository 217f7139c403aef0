"""Safety: retention of drafts and visitors' data, rate limiting, /hapus safe mode (delete this
chat's messages and the unfinished report), log redaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, filters

from bot.channels.telegram.context import BotApp, Deps
from bot.channels.telegram.conversations.complaint import complaint_conversations, forget_draft
from bot.channels.telegram.conversations.draft import (
    EXPIRED_KEY,
    SEEN_KEY,
    draft_expired,
    last_activity,
)
from bot.channels.telegram.handlers.common import Ctx, answer, reply
from bot.channels.telegram.persistence import is_empty
from bot.domain.office import DEFAULT_DRAFT_RETENTION_DAYS
from bot.security.ratelimit import Decision, RateLimiter

__all__ = [
    "CLEAR_DATA",
    "MAX_DELETE_IDS",
    "SWEEP_EVERY",
    "ExpiryHandler",
    "RateLimitHandler",
    "RememberHandler",
    "SafetyState",
    "after_submit",
    "clear_chat",
    "expired_notice",
    "install_log_redaction",
    "on_clear_button",
    "on_hapus",
    "sweep",
]

log = logging.getLogger(__name__)

CLEAR_DATA = "hapus:go"
MAX_DELETE_IDS = 2000  # a conversation longer than this is older than 48 hours anyway
_STATE_KEY = "safety"
_CHAT_KEY = "safety_first_message_id"
_MAX_FIRST_IDS = 10_000  # private chats whose first message id is kept in memory only
_QUIET_MODES = frozenset({"none", "neutral"})
# how often every user's and chat's data is checked for expiry (the sender's own is checked on
# each of her updates)
SWEEP_EVERY = timedelta(minutes=10)
# callback data of the complaint form's buttons: answers, resume, summary, edit
_FORM_BUTTONS = ("a|", "r|", "s|", "e|")
# how long data without a draft (a language, a remembered message id) and the mark of an
# expired draft are kept after the last update
_DEFAULT_RETENTION = timedelta(days=DEFAULT_DRAFT_RETENTION_DAYS)


@dataclass
class SafetyState:
    """In-memory state of the safety handlers (kept in bot_data, never persisted)."""

    limiter: RateLimiter | None = None
    # update id -> the limiter's verdict, from check_update to the callback
    verdicts: dict[int, Decision] = field(default_factory=dict)
    # update id -> (user id, draft id) of a "Send report" press, to find the case afterwards
    pending_submit: dict[int, tuple[int, str]] = field(default_factory=dict)
    # private chat id -> first message id, for chats with nothing stored (see _keep_first_id)
    first_ids: dict[int, int] = field(default_factory=dict)
    # when every user's and chat's data was last checked for expiry
    swept_at: datetime | None = None
    # (user id, chat id, time) of the previous update: data it created is stamped as seen then
    previous: tuple[int | None, int | None, datetime] | None = None


def _state_of(bot_data: dict[str, Any]) -> SafetyState:
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
    return isinstance(found, Deps) and bool(found.services.staff_offices(user_id))


def _app_of(context: Ctx) -> BotApp:
    """The handler's Application, typed (PTB types ``context.application`` loosely)."""
    return cast(BotApp, context.application)


def _state(context: Ctx) -> SafetyState:
    return _state_of(context.bot_data)


def _has_draft(app: BotApp, user_id: int) -> bool:
    """Read-only look at a user's data (no entry is created for strangers)."""
    data = app.user_data.get(user_id)
    return isinstance(data, dict) and isinstance(data.get("draft"), dict)


def _draft(context: Ctx) -> dict[str, Any] | None:
    data = context.user_data
    d = data.get("draft") if isinstance(data, dict) else None
    return d if isinstance(d, dict) else None


def _is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


# ------------------------------------------ retention of drafts and data (group -12)


def _expire_user(app: BotApp, user_id: int, data: dict[str, Any], now: datetime) -> None:
    """Delete a user's data once it outlived its retention; an expired draft leaves a mark
    (its time only, and the language) so that the reporter is told once when she comes back."""
    svc = _deps(app).services
    expired_at = data.get(EXPIRED_KEY)
    if isinstance(expired_at, str):
        # the mark itself goes after the default retention (she never came back)
        if now - datetime.fromisoformat(expired_at) > _DEFAULT_RETENTION:
            data.clear()
            app.mark_data_for_update_persistence(user_ids=user_id)
        return
    if last_activity(data) is None:
        data[SEEN_KEY] = now.isoformat()  # first noticed now (written during an update)
        return
    if not draft_expired(data, now, svc.offices):
        return
    had_draft = forget_draft(app, user_id)
    lang = data.get("lang")
    data.clear()
    if had_draft:
        data[EXPIRED_KEY] = now.isoformat()
        if isinstance(lang, str):
            data["lang"] = lang
    app.mark_data_for_update_persistence(user_ids=user_id)


def _expire_chat(app: BotApp, chat_id: int, data: dict[str, Any], now: datetime) -> None:
    seen = data.get(SEEN_KEY)
    if not isinstance(seen, str):
        data[SEEN_KEY] = now.isoformat()
    elif now - datetime.fromisoformat(seen) > _DEFAULT_RETENTION:
        data.clear()
        app.mark_data_for_update_persistence(chat_ids=chat_id)


def _deps(app: BotApp) -> Deps:
    found = app.bot_data.get("deps")
    assert isinstance(found, Deps), "the safety handlers need bot_data['deps']"
    return found


def sweep(
    app: BotApp, now: datetime, *, skip_user: int | None = None, skip_chat: int | None = None
) -> None:
    """Expire every user's and chat's data by the draft rule; forget empty entries and
    conversation states left without a draft (nothing stays behind with a visitor's id)."""
    for user_id, data in list(app.user_data.items()):
        if is_empty(data):
            if user_id != skip_user:
                app.drop_user_data(user_id)
            continue
        _expire_user(app, user_id, data, now)
    for chat_id, data in list(app.chat_data.items()):
        if is_empty(data):
            if chat_id != skip_chat:
                app.drop_chat_data(chat_id)
            continue
        _expire_chat(app, chat_id, data, now)
    for handler in complaint_conversations(app):
        for chat_id, user_id in handler.open_keys():
            owner = app.user_data.get(user_id)
            if not (isinstance(owner, dict) and isinstance(owner.get("draft"), dict)):
                handler.forget(chat_id, user_id)


def _stamp(app: BotApp, user_id: int | None, chat_id: int | None, at: datetime) -> None:
    """Note an update's time on the data its sender has (strangers have none: no entry made)."""
    stamp = at.isoformat()
    if user_id is not None and (data := app.user_data.get(user_id)):
        if EXPIRED_KEY not in data and data.get(SEEN_KEY) != stamp:
            data[SEEN_KEY] = stamp
            app.mark_data_for_update_persistence(user_ids=user_id)
    if chat_id is not None and (cdata := app.chat_data.get(chat_id)):
        if cdata.get(SEEN_KEY) != stamp:
            cdata[SEEN_KEY] = stamp
            app.mark_data_for_update_persistence(chat_ids=chat_id)


class ExpiryHandler(BaseHandler[Update, Ctx, None]):
    """Expires old drafts and data before anything else; matches only when the sender's own
    unfinished report expired, to tell her once (never stops the update)."""

    def __init__(self, app: BotApp) -> None:
        super().__init__(expired_notice)
        self.app = app

    def check_update(self, update: object) -> bool:
        """Sweep when due (else only the sender's data), stamp her activity, and say whether
        she is owed the "your unfinished report was deleted" message."""
        if not isinstance(update, Update):
            return False
        app = self.app
        now = _deps(app).services.clock.now()
        state = _state_of(app.bot_data)
        user, chat = update.effective_user, update.effective_chat
        if state.previous is not None:
            _stamp(app, *state.previous)
        state.previous = (
            user.id if user is not None else None,
            chat.id if chat is not None else None,
            now,
        )
        if state.swept_at is None or now - state.swept_at >= SWEEP_EVERY:
            state.swept_at = now
            sweep(
                app,
                now,
                skip_user=user.id if user is not None else None,
                skip_chat=chat.id if chat is not None else None,
            )
        else:
            if user is not None and (data := app.user_data.get(user.id)):
                _expire_user(app, user.id, data, now)
            if chat is not None and (cdata := app.chat_data.get(chat.id)):
                _expire_chat(app, chat.id, cdata, now)
        data = app.user_data.get(user.id) if user is not None else None
        return _is_private(update) and isinstance(data, dict) and EXPIRED_KEY in data


async def expired_notice(update: Update, context: Ctx) -> None:
    """Tell the reporter kindly that her old unfinished report was deleted; go on as usual."""
    data = context.user_data
    if isinstance(data, dict):
        data.pop(EXPIRED_KEY, None)
    t = context.t
    try:
        await reply(
            update,
            context,
            t.gettext(
                "Welcome back. For your safety, a report that is not finished is deleted after "
                "some days without messages, so the one you started earlier is no longer kept. "
                "You can start again at any time with /lapor; we are here to help."
            ),
        )
    except TelegramError:
        pass


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
        if not isinstance(update, Update) or not _is_private(update):
            return False
        ids = _message_ids(update)
        chat, user = update.effective_chat, update.effective_user
        if ids and chat is not None:
            first = _first_id(self.app, chat.id)
            if first is None or min(ids) < first:
                return True
            if user is not None and _has_draft(self.app, user.id):
                if chat.id in _state_of(self.app.bot_data).first_ids:
                    return True
        cq = update.callback_query
        return cq is not None and cq.data == "s|send" and user is not None


def _first_id(app: BotApp, chat_id: int) -> int | None:
    """The first message id remembered for a private chat (stored or in memory)."""
    data = app.chat_data.get(chat_id)
    stored = data.get(_CHAT_KEY) if isinstance(data, dict) else None
    if isinstance(stored, int):
        return stored
    return _state_of(app.bot_data).first_ids.get(chat_id)


def _keep_first_id(app: BotApp, chat_id: int, user_id: int | None, value: int) -> None:
    """Remember a private chat's first message id: in the stored chat data when the chat has
    a form open (or the id is stored already), else only in memory, so that a visitor who only
    said /start leaves no stored row."""
    state = _state_of(app.bot_data)
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
        first = _first_id(_app_of(context), chat.id)
        lowest = min([*ids, first] if first is not None else ids)
        _keep_first_id(_app_of(context), chat.id, user.id if user else None, lowest)
    d = _draft(context)
    if cq is not None and cq.data == "s|send" and d is not None and user is not None:
        if d.get("mode") == "reporter" and isinstance(d.get("id"), str):
            pending = _state(context).pending_submit
            if len(pending) > 1000:
                pending.clear()
            pending[update.update_id] = (user.id, d["id"])


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
        if _is_private(update) and _has_draft(self.app, user.id) and _form_answer(update):
            return False
        if _is_staff(self.app, user.id):
            return False
        state = _state_of(self.app.bot_data)
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
            elif _is_private(update):
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
        dropped = forget_draft(_app_of(context), user.id, chat.id)
        udata = _app_of(context).user_data.get(user.id)
        if isinstance(udata, dict) and udata.pop(EXPIRED_KEY, None) is not None:
            _app_of(context).mark_data_for_update_persistence(user_ids=user.id)
    app = _app_of(context)
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
    await context.bot.send_message(chat.id, "\n\n".join(lines))


async def on_hapus(update: Update, context: Ctx) -> None:
    """/hapus: delete the bot's and the user's messages in this private chat."""
    if not _is_private(update):
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
    if _is_private(update):
        await _safe_mode(update, context)
    raise ApplicationHandlerStop


# ------------------------------------------------------- after a submission (group 10)


async def after_submit(update: Update, context: Ctx) -> None:
    """After a report is sent with quiet later messages, offer to clear the conversation."""
    state = _state(context)
    pending = state.pending_submit.pop(update.update_id, None)
    if pending is None or not _is_private(update):
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


# ---------------------------------------------------------------------------- logging


_REDACTED = "<redacted>"


class _RedactTelegramPayloads(logging.Filter):
    """python-telegram-bot logs request parameters and updates at DEBUG: keep only the method."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = str(record.msg)
        if isinstance(record.args, tuple) and record.args:
            if msg.startswith(("Calling Bot API endpoint", "Call to Bot API endpoint")):
                record.args = (record.args[0], _REDACTED)
            elif msg.startswith(("Processing update", "Dropping pending update")):
                record.args = (_REDACTED,)
        return True


_PAYLOAD_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Application")


def install_log_redaction() -> None:
    """Make python-telegram-bot's DEBUG logs carry no message content (idempotent)."""
    for name in _PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactTelegramPayloads) for f in logger.filters):
            logger.addFilter(_RedactTelegramPayloads())
