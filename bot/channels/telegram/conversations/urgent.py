"""The urgent path of the form: open the outreach, offer a location button, pass details on."""

from __future__ import annotations

import logging
from typing import Any

from telegram import KeyboardButton, Location, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.channels.telegram.handlers.common import Ctx
from bot.services.outreach import add_detail, open_outreach

__all__ = [
    "DETAIL_QUESTIONS",
    "OUTREACH_KEY",
    "location_value",
    "offer_location",
    "open_for_draft",
    "pass_on",
    "reuse_recent",
]

log = logging.getLogger(__name__)

# form question -> outreach detail
DETAIL_QUESTIONS = {"urgent_where": "where", "urgent_contact": "contact"}
# user_data key: the draft whose outreach was opened last (a new draft soon after adds to it)
OUTREACH_KEY = "urgent_outreach"


def location_value(location: Location) -> dict[str, float]:
    """A shared Telegram location as stored (latitude, longitude)."""
    return {"lat": float(location.latitude), "lon": float(location.longitude)}


async def open_for_draft(context: Ctx, d: dict[str, Any], office_id: str) -> None:
    """Open the outreach of this draft: the group is alerted, the person on call paged."""
    await open_outreach(context.services, office_id=office_id, draft_key=d["id"])
    d["outreach_key"] = d["id"]
    data = context.user_data
    if isinstance(data, dict):
        data[OUTREACH_KEY] = d["id"]


def reuse_recent(context: Ctx, d: dict[str, Any]) -> None:
    """A new draft soon after an alert: its details go to the outreach already opened."""
    data = context.user_data
    key = data.get(OUTREACH_KEY) if isinstance(data, dict) else None
    if isinstance(key, str):
        d["outreach_key"] = key


async def offer_location(update: Update, context: Ctx) -> None:
    """A one-tap "send my location" keyboard under the question (typing words works too)."""
    chat = update.effective_chat
    if chat is None:
        return
    button = KeyboardButton(context.t.gettext("📍 Send my location"), request_location=True)
    try:
        await context.bot.send_message(
            chat.id,
            context.t.gettext("Or press the button below to share where you are."),
            reply_markup=ReplyKeyboardMarkup([[button]], resize_keyboard=True,
                                             one_time_keyboard=True),
        )  # fmt: skip
    except TelegramError as exc:  # the question above still works without it
        log.warning("location keyboard not sent: %s", type(exc).__name__)


async def pass_on(update: Update, context: Ctx, d: dict[str, Any], key: str, value: Any) -> None:
    """Send an urgent detail to the staff paged; say so (and take the location keyboard away)."""
    outreach = d.get("outreach_key")
    if not isinstance(outreach, str) or d["answers"].get("danger") != "yes":
        return
    given = await add_detail(
        context.services, draft_key=outreach, key=DETAIL_QUESTIONS[key], value=value
    )
    if given:
        context.deps.kick()
    if key != "urgent_where" and not given:
        return
    chat = update.effective_chat
    if chat is None:
        return
    text = (
        context.t.gettext("✅ Passed on to the staff on call.")
        if given
        else context.t.gettext("All right.")
    )
    try:
        await context.bot.send_message(
            chat.id, text, parse_mode=ParseMode.HTML, reply_markup=ReplyKeyboardRemove()
        )
    except TelegramError as exc:
        log.warning("urgent acknowledgement not sent: %s", type(exc).__name__)
