"""Moving a scheduled mediation session by buttons (the head, the admin who scheduled it,
whoever may do the step held at the session): the same place, a new day and time.

mv:<session> the next working days; mw:<session>:<YYYYMMDD> that day's free half-hour slots;
mx:<session>:<YYYYMMDDHHMM> (office time) the session moves there. The step held at the
session and its reminders follow the new time (Workflow.reschedule_mediation).
"""

from __future__ import annotations

import re
from datetime import datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.channels.telegram.handlers.common import Ctx, answer, reply
from bot.channels.telegram.handlers.mediation import open_days, slots_on
from bot.channels.telegram.handlers.tasks import bad_button, private_only
from bot.channels.telegram.handlers.workflow_render import result_text
from bot.i18n import Translator
from bot.store.workflow import MediationRow

__all__ = ["PATTERN", "move_buttons", "on_move"]

PATTERN = r"^m[vwx]:"
_DAYS = re.compile(r"^mv:(\d{1,12})$")
_DAY = re.compile(r"^mw:(\d{1,12}):(\d{8})$")
_SLOT = re.compile(r"^mx:(\d{1,12}):(\d{12})$")


def move_buttons(
    t: Translator, sessions: list[MediationRow], tz: str
) -> list[list[InlineKeyboardButton]]:
    """One "move" button per session the reader may move (for /kasus)."""
    return [[InlineKeyboardButton(
        t.gettext("🔁 Move the mediation of {when}", when=t.datetime(m.scheduled_at, tz)),
        callback_data=f"mv:{m.id}",
    )] for m in sessions]  # fmt: skip


async def on_move(update: Update, context: Ctx) -> None:
    """mv:, mw:, mx: (see the module's docstring)."""
    cq, user = update.callback_query, update.effective_user
    assert cq is not None and user is not None
    data, t, dp = cq.data or "", context.t, context.deps
    m = _DAYS.match(data) or _DAY.match(data) or _SLOT.match(data)
    if m is None:
        await bad_button(update, context, "reschedule_mediation")
        return
    if not await private_only(update, context):
        return
    me = await context.person_id(user)
    found = await dp.workflow.session_to_move(int(m[1]), me)
    if found is None:
        await bad_button(update, context, "reschedule_mediation")
        return
    session, office = found
    calendar, now, tz = dp.services.calendars[office.id], dp.services.clock.now(), office.timezone
    if data.startswith("mv:"):
        rows = [[InlineKeyboardButton(
            t.date(datetime.combine(d, time(12), tzinfo=office.tz), tz),
            callback_data=f"mw:{session.id}:{d:%Y%m%d}",
        )] for d in open_days(calendar, now)]  # fmt: skip
        await answer(update)
        text = t.gettext(
            "The mediation is on {when}. Move it to which day? (office working "
            "days; the place stays)",
            when=t.datetime(session.scheduled_at, tz),
        )
        await reply(update, context, text, InlineKeyboardMarkup(rows))  # fmt: skip
        return
    try:
        fmt = "%Y%m%d" if data.startswith("mw:") else "%Y%m%d%H%M"
        picked = datetime.strptime(m[2], fmt).replace(tzinfo=office.tz)
    except ValueError:
        await bad_button(update, context, "reschedule_mediation")
        return
    if data.startswith("mw:"):
        if picked.date() not in open_days(calendar, now):
            await answer(update, t.gettext("That day cannot be chosen any more."), alert=True)
            return
        buttons = [
            InlineKeyboardButton(f"{s:%H:%M}", callback_data=f"mx:{session.id}:{s:%Y%m%d%H%M}")
            for s in slots_on(calendar, picked.date(), now)
            if s != session.scheduled_at
        ]
        rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
        await answer(update)
        text = t.gettext("What time on {day}?", day=t.date(picked.replace(hour=12), tz))
        await reply(update, context, text, InlineKeyboardMarkup(rows))
        return
    if picked not in set(slots_on(calendar, picked.date(), now)):
        await answer(update, t.gettext("That time cannot be chosen any more."), alert=True)
        return
    result = await dp.workflow.reschedule_mediation(session.id, me, picked)
    if not result.ok:
        text = result_text(t, result)
        await answer(update, text[:200], alert=True)
        await reply(update, context, "⚠ " + text)
        return
    dp.kick()
    await answer(update, t.gettext("Recorded."))
    await reply(update, context, t.gettext(
        "📅 The mediation was moved to {when} (it was {before}). The step held at the session "
        "and the reminders follow the new time.",
        when=t.datetime(picked, tz), before=t.datetime(session.scheduled_at, tz)))  # fmt: skip
