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
from bot.channels.telegram.handlers.common import Ctx, esc, reply
from bot.domain.intake import first_question, question
from bot.domain.office import Role
from bot.domain.validation import Invalid

__all__ = [
    "ASK",
    "EDIT",
    "END",
    "GLOBAL_COMMANDS",
    "RECORD_ROLES",
    "RESUME",
    "RESUME_AFTER",
    "SUMMARY",
    "ask",
    "draft_of",
    "explain_invalid",
    "new_draft",
    "now_of",
    "offer_resume",
    "paused",
    "skips_office",
    "today_of",
    "user_data_of",
]

log = logging.getLogger(__name__)


ASK, RESUME, SUMMARY, EDIT = "ask", "resume", "summary", "edit"
RESUME_AFTER = timedelta(hours=2)
RECORD_ROLES = (Role.PETUGAS, Role.KETUA, Role.MANAJER_KASUS, Role.ADMIN)
END = ConversationHandler.END
# commands answered the same way inside and outside a report (handled globally)
GLOBAL_COMMANDS = filters.Regex(r"^/(bahasa|status|bantuan|help|hapus|whoami)(@\w+)?\b")


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


def skips_office(d: dict[str, Any]) -> bool:
    return len(d["office_choices"]) == 1


async def ask(update: Update, context: Ctx, d: dict[str, Any]) -> str:
    q = question(d["current"])
    t = context.t
    d["updated"] = now_of(context).isoformat()
    markup = ui.keyboard(q, d, t, context.services.offices, first=not d["history"])
    await reply(update, context, ui.prompt(q, d, t), markup)
    return ASK


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
