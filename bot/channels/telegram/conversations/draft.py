"""The complaint draft in user_data: creating it, asking, resuming, explaining refusals."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ConversationHandler,
    filters,
)

from bot.channels.telegram.conversations import questions_ui as ui
from bot.channels.telegram.conversations import urgent
from bot.channels.telegram.handlers.common import Ctx, esc, reply
from bot.channels.telegram.persistence import SEEN_KEY
from bot.domain.consent import RETENTION_NOTE
from bot.domain.intake import Kind, first_question, question
from bot.domain.office import DEFAULT_DRAFT_RETENTION_DAYS, Office, Role
from bot.domain.validation import Invalid
from bot.i18n import Translator
from bot.security.retention import retention_days

__all__ = [
    "ASK",
    "EDIT",
    "END",
    "EXPIRED_KEY",
    "GLOBAL_COMMANDS",
    "MAX_NOTES",
    "MAX_NOTES_CHARS",
    "RECORD_ROLES",
    "RESUME",
    "RESUME_AFTER",
    "SEEN_KEY",
    "SUMMARY",
    "URGENT_ALERT_EVERY",
    "URGENT_KEY",
    "ask",
    "draft_expired",
    "draft_of",
    "draft_retention",
    "explain_invalid",
    "last_activity",
    "new_draft",
    "now_of",
    "offer_resume",
    "paused",
    "retention_note",
    "skips_office",
    "today_of",
    "user_data_of",
]

log = logging.getLogger(__name__)


ASK, RESUME, SUMMARY, EDIT = "ask", "resume", "summary", "edit"
RESUME_AFTER = timedelta(hours=2)
RECORD_ROLES = (Role.PETUGAS, Role.KETUA, Role.MANAJER_KASUS, Role.ADMIN)
END = ConversationHandler.END
# extra notes a reporter can add at the evidence question, and their total length
MAX_NOTES = 100
MAX_NOTES_CHARS = 30_000
# a new draft within this time of an urgent alert does not alert the staff group again
URGENT_ALERT_EVERY = timedelta(hours=12)
# keys of user_data beside "draft": the last update seen (ISO), when an urgent alert was last
# raised (ISO), and that an unfinished report expired (ISO; the reporter is told once)
URGENT_KEY = "urgent_alert_at"
EXPIRED_KEY = "draft_expired_at"
# commands answered the same way inside and outside a report (handled globally)
GLOBAL_COMMANDS = filters.Regex(r"^/(bahasa|status|koreksi|bantuan|help|hapus|whoami)(@\w+)?\b")


def user_data_of(context: Ctx) -> dict[str, Any]:
    data = context.user_data
    assert isinstance(data, dict)
    return data


def draft_of(context: Ctx) -> dict[str, Any] | None:
    d = user_data_of(context).get("draft")
    return d if isinstance(d, dict) else None


def now_of(context: Ctx) -> datetime:
    return context.services.clock.now()


def new_draft(context: Ctx, mode: str, office_ids: list[str]) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": secrets.token_hex(8),
        "mode": mode,
        "answers": {},
        "history": [],
        "editing": False,
        "evidence": [],
        "office_choices": office_ids,
        "urgent_alerted": False,
        "updated": now_of(context).isoformat(),
    }
    if len(office_ids) == 1:
        d["answers"]["office"] = office_ids[0]
    d["current"] = first_question(mode, d["answers"], skip_office=len(office_ids) == 1)
    user_data_of(context)["draft"] = d
    return d


def draft_retention(d: dict[str, Any] | None, offices: dict[str, Office]) -> timedelta:
    """How long this draft is kept after the last activity: its office's setting or the default."""
    answers = d.get("answers") if isinstance(d, dict) else None
    office_id = answers.get("office") if isinstance(answers, dict) else None
    office = offices.get(office_id) if isinstance(office_id, str) else None
    days = office.draft_retention_days if office is not None else DEFAULT_DRAFT_RETENTION_DAYS
    return timedelta(days=days)


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def last_activity(data: dict[str, Any]) -> datetime | None:
    """The latest of the user's last seen update and the draft's last question (None: unknown)."""
    d = data.get("draft")
    found = [_when(data.get(SEEN_KEY)), _when(d.get("updated") if isinstance(d, dict) else None)]
    known = [w for w in found if w is not None]
    return max(known) if known else None


def draft_expired(data: dict[str, Any], now: datetime, offices: dict[str, Office]) -> bool:
    """Whether a user's data (with or without a draft) has outlived its retention."""
    last = last_activity(data)
    return last is not None and now - last > draft_retention(data.get("draft"), offices)


def skips_office(d: dict[str, Any]) -> bool:
    return len(d["office_choices"]) == 1


async def ask(update: Update, context: Ctx, d: dict[str, Any]) -> str:
    q = question(d["current"])
    t = context.t
    d["updated"] = now_of(context).isoformat()
    markup = ui.keyboard(q, d, t, context.services.offices, first=not d["history"])
    text = ui.prompt(q, d, t)
    if q.key == "consent":
        text += "\n" + retention_note(context.services.offices, d, t)
    await reply(update, context, text, markup)
    if q.kind is Kind.LOCATION:
        await urgent.offer_location(update, context)
    return ASK


def retention_note(offices: dict[str, Office], d: dict[str, Any], t: Translator) -> str:
    """How long this report is kept: the chosen office's retention settings, in the consent."""
    office_id = d["answers"].get("office") or (d.get("office_choices") or [None])[0]
    office = offices.get(office_id) if isinstance(office_id, str) else None
    days = retention_days(office)
    draft_days = draft_retention(d, offices).days
    return t.translate(RETENTION_NOTE, days=days, draft_days=draft_days)


def _resume_markup(context: Ctx) -> InlineKeyboardMarkup:
    t = context.t
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("Continue my report"), callback_data="r|go"),
                InlineKeyboardButton(t.gettext("Start again"), callback_data="r|new"),
            ]
        ]
    )


async def offer_resume(update: Update, context: Ctx) -> str:
    await reply(
        update,
        context,
        context.t.gettext(
            "You have a report that is not finished yet. Do you want to continue it or start again?"
        ),
        _resume_markup(context),
    )
    return RESUME


def paused(context: Ctx, d: dict[str, Any]) -> bool:
    return now_of(context) - datetime.fromisoformat(d["updated"]) > RESUME_AFTER


async def explain_invalid(update: Update, context: Ctx, d: dict[str, Any], err: Invalid) -> str:
    t = context.t
    await reply(update, context, "⚠ " + esc(t.translate(err.message, **err.params)))
    return await ask(update, context, d)


def today_of(context: Ctx, d: dict[str, Any]) -> Any:
    svc = context.services
    office_id = d["answers"].get("office") or d["office_choices"][0]
    return now_of(context).astimezone(svc.office(office_id).tz).date()
