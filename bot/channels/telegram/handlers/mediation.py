"""Scheduling a mediation: parties by buttons, a day and half-hour slot in office hours, a place."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.channels.telegram.handlers.common import Ctx, answer, esc, reply
from bot.channels.telegram.handlers.tasks import (
    AWAIT,
    bad_button,
    check_step,
    clear_pending,
    private_only,
    set_pending,
)
from bot.channels.telegram.handlers.workflow_render import (
    PARTY_ROLE_LABELS,
    label,
    result_text,
)
from bot.domain.calendar import OfficeCalendar
from bot.domain.permissions import is_scheduling_step
from bot.i18n import Translator
from bot.services.workflow import Outcome, StepView, WorkflowResult
from bot.store.workflow import Party

__all__ = [
    "DAYS_OFFERED",
    "MAX_LOCATION_CHARS",
    "SLOT",
    "on_day",
    "on_location",
    "on_panel",
    "on_party",
    "on_pick_day",
    "on_slot",
    "open_days",
    "slots_on",
]

DAYS_OFFERED = 10
SLOT = timedelta(minutes=30)
MAX_LOCATION_CHARS = 300
END = ConversationHandler.END
_ROLES = {"p": "pelapor", "m": "pemohon", "k": "korban", "t": "terlapor"}
_PANEL = re.compile(r"^ms:(\d{1,12})$")
# answers: child y/n, special needs y/n, guardian y/n/r (r: the one who comes is the reported
# party), special companion y/n
_PARTY = re.compile(r"^mq:(\d{1,12}):(\d{1,12}):([pmkt]?)([yn]{0,2}[ynr]?[yn]?)$")
_DAYS = re.compile(r"^mt:(\d{1,12})$")
_DAY = re.compile(r"^md:(\d{1,12}):(\d{8})$")
_SLOT = re.compile(r"^mh:(\d{1,12}):(\d{12})$")


def slots_on(calendar: OfficeCalendar, day: date, now: datetime) -> Iterator[datetime]:
    """Half-hour starts inside the day's open periods, after `now`."""
    for start, end in calendar.periods_on(day):
        at = start
        while at < end:
            if at > now:
                yield at
            at += SLOT
    return


def open_days(calendar: OfficeCalendar, now: datetime) -> list[date]:
    """The next DAYS_OFFERED working days that still have a free slot (today included)."""
    day, days = calendar.local(now).date(), []
    for _ in range(90):
        if next(slots_on(calendar, day, now), None) is not None:
            days.append(day)
            if len(days) == DAYS_OFFERED:
                break
        day += timedelta(days=1)
    return days


def _yes(t: Translator, value: bool) -> str:
    return t.gettext("yes") if value else t.gettext("no")


def _party_line(t: Translator, n: int, p: Party) -> str:
    parts = [t.gettext("child: {answer}", answer=_yes(t, p.is_child))]
    if p.is_child:
        parts.append(t.gettext("guardian present: {answer}", answer=_yes(t, p.guardian_present)))
        if p.guardian_is_terlapor:
            parts.append(t.gettext("the guardian is the reported party"))
    parts.append(t.gettext("special needs: {answer}", answer=_yes(t, p.has_special_needs)))
    if p.has_special_needs:
        parts.append(
            t.gettext(
                "special companion present: {answer}", answer=_yes(t, p.special_companion_present)
            )
        )
    return f"{n}. {label(t, PARTY_ROLE_LABELS, p.role)}: " + ", ".join(parts)


async def _panel(update: Update, context: Ctx, view: StepView) -> None:
    t = context.t
    parties = await context.workflow.parties(view.case.id)
    lines = [
        t.gettext("📅 <b>Mediation</b>, case {number}", number=esc(view.case.number)),
        esc(t.translate(view.row.title)),
        "",
        t.gettext("Parties recorded:") if parties else t.gettext("No parties recorded yet."),
    ]
    lines += [_party_line(t, i, p) for i, p in enumerate(parties, start=1)]
    if view.step.note:
        lines += ["", esc(view.step.note)]
    sid = view.row.id
    rows = [[InlineKeyboardButton(t.gettext("➕ Add a party"), callback_data=f"mq:{sid}:0:")]]
    for i, p in enumerate(parties, start=1):
        text = t.gettext("✏ Change party {n}", n=i)
        rows.append([InlineKeyboardButton(text, callback_data=f"mq:{sid}:{p.id}:")])
    text = t.gettext("🗓 Choose day and time")
    rows.append([InlineKeyboardButton(text, callback_data=f"mt:{sid}")])
    await reply(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def _view(
    update: Update, context: Ctx, rx: re.Pattern[str], action: str
) -> tuple[StepView, re.Match[str]] | None:
    assert update.callback_query is not None
    m = rx.match(update.callback_query.data or "")
    if m is None:
        await bad_button(update, context, action)
        return None
    view = await check_step(update, context, int(m[1]), "schedule", action)
    if view is None or not await private_only(update, context):
        return None
    if not is_scheduling_step(view.step):
        await bad_button(update, context, action)
        return None
    return view, m


async def on_panel(update: Update, context: Ctx) -> None:
    """ms:<step>: the parties recorded and the buttons to add parties and pick the time."""
    got = await _view(update, context, _PANEL, "schedule_mediation")
    if got is not None:
        await answer(update)
        await _panel(update, context, got[0])


def _choices(
    t: Translator, prefix: str, question: str
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    yes = InlineKeyboardButton(t.gettext("Yes"), callback_data=prefix + "y")
    no = InlineKeyboardButton(t.gettext("No"), callback_data=prefix + "n")
    return question, [[yes, no]]


async def on_party(update: Update, context: Ctx) -> None:
    """mq:<step>:<party or 0>:<role><answers>: one question at a time, then the party is saved."""
    got = await _view(update, context, _PARTY, "record_party")
    if got is None:
        return
    view, m = got
    t, user = context.t, update.effective_user
    assert user is not None
    me = await context.person_id(user)
    sid, pid, role, a = view.row.id, int(m[2]), m[3], m[4]
    prefix = f"mq:{sid}:{pid}:{role}{a}"
    need = 2 + (a[:1] == "y") + (a[1:2] == "y")
    if not role:
        question = t.gettext("Who is this party?")
        rows = [
            [InlineKeyboardButton(label(t, PARTY_ROLE_LABELS, r), callback_data=prefix + c)]
            for c, r in _ROLES.items()
        ]
    elif len(a) == 0:
        question, rows = _choices(t, prefix, t.gettext("Is this party a child (under 18)?"))
    elif len(a) == 1:
        question, rows = _choices(t, prefix, t.gettext("Does this party have special needs?"))
    elif len(a) < need and a[0] == "y" and len(a) == 2:
        text = t.gettext("Will a parent, family member, guardian or companion come with the child?")
        question, rows = _choices(t, prefix, text)
        reported = t.gettext("Yes, but it is the reported party")
        rows.append([InlineKeyboardButton(reported, callback_data=prefix + "r")])
    elif len(a) < need:
        question, rows = _choices(t, prefix, t.gettext("Will a special companion come with them?"))
    elif len(a) == need and "r" not in (a[:2] + a[3:] if a[:1] == "y" else a):
        child, special = a[0] == "y", a[1] == "y"
        guardian = child and a[2] in "yr"
        companion = special and a[-1] == "y"
        result = await context.workflow.add_party(
            sid, me, _ROLES[role], child, special, guardian, companion, pid or None,
            guardian_is_terlapor=child and a[2] == "r",
        )  # fmt: skip
        if not result.ok:
            await answer(update, result_text(t, result)[:200], alert=True)
            return
        await answer(update, t.gettext("Party recorded."))
        await _panel(update, context, view)
        return
    else:
        await bad_button(update, context, "record_party")
        return
    await answer(update)
    await reply(update, context, question, InlineKeyboardMarkup(rows))


async def on_pick_day(update: Update, context: Ctx) -> None:
    """mt:<step>: the parties must meet the step's rules; then the next working days."""
    got = await _view(update, context, _DAYS, "schedule_mediation")
    if got is None:
        return
    view, t, dp = got[0], context.t, context.deps
    failed = await dp.workflow.unmet_rules(view.case.id, view.step.requires)
    if failed:
        refused = result_text(t, WorkflowResult(Outcome.RULE_FAILED, params={"rules": failed}))
        await answer(update, t.gettext("The mediation cannot be scheduled yet."), alert=True)
        await reply(update, context, "⚠ " + refused)
        return
    calendar, now = dp.services.calendars[view.office.id], dp.services.clock.now()
    rows = []
    for d in open_days(calendar, now):
        text = t.date(datetime.combine(d, time(12), tzinfo=view.office.tz), view.office.timezone)
        rows.append([InlineKeyboardButton(text, callback_data=f"md:{view.row.id}:{d:%Y%m%d}")])
    await answer(update)
    text = t.gettext("Which day? (office working days)")
    await reply(update, context, text, InlineKeyboardMarkup(rows))


async def on_day(update: Update, context: Ctx) -> None:
    """md:<step>:<YYYYMMDD>: the open half-hour slots of that day."""
    got = await _view(update, context, _DAY, "schedule_mediation")
    if got is None:
        return
    (view, m), t, dp = got, context.t, context.deps
    calendar, now = dp.services.calendars[view.office.id], dp.services.clock.now()
    try:
        day = datetime.strptime(m[2], "%Y%m%d").date()
    except ValueError:
        await bad_button(update, context, "schedule_mediation")
        return
    if day not in open_days(calendar, now):
        await answer(update, t.gettext("That day cannot be chosen any more."), alert=True)
        return
    buttons = [
        InlineKeyboardButton(f"{s:%H:%M}", callback_data=f"mh:{view.row.id}:{s:%Y%m%d%H%M}")
        for s in slots_on(calendar, day, now)
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    noon = datetime.combine(day, time(12), tzinfo=view.office.tz)
    text = t.gettext("What time on {day}?", day=t.date(noon, view.office.timezone))
    await answer(update)
    await reply(update, context, text, InlineKeyboardMarkup(rows))


async def on_slot(update: Update, context: Ctx) -> str | int | None:
    """mh:<step>:<YYYYMMDDHHMM> (office time): then the place is asked for."""
    got = await _view(update, context, _SLOT, "schedule_mediation")
    if got is None:
        return None
    (view, m), t, dp = got, context.t, context.deps
    calendar, now = dp.services.calendars[view.office.id], dp.services.clock.now()
    try:
        when = datetime.strptime(m[2], "%Y%m%d%H%M").replace(tzinfo=view.office.tz)
    except ValueError:
        await bad_button(update, context, "schedule_mediation")
        return None
    if when not in set(slots_on(calendar, when.date(), now)):
        await answer(update, t.gettext("That time cannot be chosen any more."), alert=True)
        return None
    set_pending(context, "location", view.row.id, when=when.isoformat())
    await answer(update)
    text = t.gettext(
        "Mediation on {when}.\nWhere will it take place? Write the place. /batal cancels.",
        when=t.datetime(when, view.office.timezone),
    )
    await reply(update, context, text)
    return AWAIT


async def on_location(update: Update, context: Ctx, pending: dict[str, Any]) -> str | int:
    """The typed place: the mediation is scheduled (the step's rules are checked again)."""
    msg, user = update.effective_message, update.effective_user
    assert msg is not None and user is not None
    me = await context.person_id(user)
    t, dp = context.t, context.deps
    place = (msg.text or "").strip()
    if not place:
        await reply(update, context, t.gettext("Please write the place as a text message."))
        return AWAIT
    if len(place) > MAX_LOCATION_CHARS:
        await reply(update, context, t.gettext("Please write the place more briefly."))
        return AWAIT
    when = datetime.fromisoformat(str(pending["when"]))
    result = await dp.workflow.schedule_mediation(int(pending["step"]), me, when, place)
    clear_pending(context)
    if result.outcome is Outcome.RULE_FAILED:
        text = t.gettext(
            "⚠ The mediation was not scheduled: {rules}\nCorrect the parties "
            "(📅 Schedule the mediation), then choose the time again.",
            rules=result_text(t, result),
        )
        await reply(update, context, text)
        return END
    if not result.ok:
        await reply(update, context, "⚠ " + result_text(t, result))
        return END
    dp.kick()
    view = await dp.workflow.describe(int(pending["step"]))
    tz = view.office.timezone if view else "Asia/Jakarta"
    text = t.gettext(
        "📅 Mediation scheduled for {when} at {place}.",
        when=t.datetime(when, tz), place=esc(place),
    )  # fmt: skip
    await reply(update, context, text)
    return END
