"""Retention of drafts and visitors' data (handler group -12): an unfinished report expires
after the office's ``draft_retention_days``; empty state is never kept."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler

from bot.channels.telegram.context import BotApp, Deps
from bot.channels.telegram.conversations.complaint import complaint_conversations, forget_draft
from bot.channels.telegram.conversations.draft import (
    EXPIRED_KEY,
    SEEN_KEY,
    draft_expired,
    last_activity,
)
from bot.channels.telegram.handlers.common import Ctx, reply
from bot.channels.telegram.handlers.safety import is_private, state_of
from bot.channels.telegram.lanes import InFlight, in_flight
from bot.channels.telegram.persistence import is_empty
from bot.domain.office import DEFAULT_DRAFT_RETENTION_DAYS

__all__ = ["SWEEP_EVERY", "ExpiryHandler", "expired_notice", "sweep"]

log = logging.getLogger(__name__)

# how long data without a draft (a language, a remembered message id) and the mark of an
# expired draft are kept after the last update
_DEFAULT_RETENTION = timedelta(days=DEFAULT_DRAFT_RETENTION_DAYS)

# how often every user's and chat's data is checked for expiry (the sender's own is checked on
# each of her updates)
SWEEP_EVERY = timedelta(minutes=10)

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
    app: BotApp,
    now: datetime,
    *,
    skip_user: int | None = None,
    skip_chat: int | None = None,
    update_id: int | None = None,
) -> None:
    """Expire every user's and chat's data by the draft rule; forget empty entries and
    conversation states left without a draft (nothing stays behind with a visitor's id).
    Users and chats with another update in flight are left alone (their own update owns
    their data until its state is committed)."""
    busy = in_flight(app.bot_data)
    for user_id, data in list(app.user_data.items()):
        if busy.held_by_other(user_id, update_id):
            continue
        if is_empty(data):
            if user_id != skip_user:
                app.drop_user_data(user_id)
            continue
        _expire_user(app, user_id, data, now)
    for chat_id, data in list(app.chat_data.items()):
        if busy.held_by_other(chat_id, update_id):
            continue
        if is_empty(data):
            if chat_id != skip_chat:
                app.drop_chat_data(chat_id)
            continue
        _expire_chat(app, chat_id, data, now)
    for handler in complaint_conversations(app):
        for chat_id, user_id in handler.open_keys():
            if busy.held_by_other(user_id, update_id) or busy.held_by_other(chat_id, update_id):
                continue
            owner = app.user_data.get(user_id)
            if not (isinstance(owner, dict) and isinstance(owner.get("draft"), dict)):
                handler.forget(chat_id, user_id)


def _stamp_earlier(app: BotApp, busy: InFlight, update_id: int) -> None:
    """Stamp the senders of earlier updates, except those with another update in flight
    (stamped at a later update, once theirs is committed)."""
    state = state_of(app.bot_data)
    left = []
    for user_id, chat_id, at in state.unstamped:
        if busy.held_by_other(user_id, update_id) or busy.held_by_other(chat_id, update_id):
            left.append((user_id, chat_id, at))
        else:
            _stamp(app, user_id, chat_id, at)
    state.unstamped = left


def _stamp(app: BotApp, user_id: int | None, chat_id: int | None, at: datetime) -> None:
    """Note an update's time on the data its sender has (strangers have none: no entry made)."""
    # to the minute: retention counts days, and a chat's data that only says "seen" then
    # stays as stored for the minute (no write per update)
    stamp = at.replace(second=0, microsecond=0).isoformat()
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
        state = state_of(app.bot_data)
        busy = in_flight(app.bot_data)
        user, chat = update.effective_user, update.effective_chat
        _stamp_earlier(app, busy, update.update_id)
        state.unstamped.append(
            (user.id if user is not None else None, chat.id if chat is not None else None, now)
        )
        if state.swept_at is None or now - state.swept_at >= SWEEP_EVERY:
            state.swept_at = now
            sweep(
                app,
                now,
                skip_user=user.id if user is not None else None,
                skip_chat=chat.id if chat is not None else None,
                update_id=update.update_id,
            )
        else:
            if user is not None and (data := app.user_data.get(user.id)):
                _expire_user(app, user.id, data, now)
            if chat is not None and (cdata := app.chat_data.get(chat.id)):
                _expire_chat(app, chat.id, cdata, now)
        data = app.user_data.get(user.id) if user is not None else None
        return is_private(update) and isinstance(data, dict) and EXPIRED_KEY in data


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
