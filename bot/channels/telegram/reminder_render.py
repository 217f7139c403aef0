"""Text of reminders, overdue alerts, escalations and digests in the recipient's language."""

from __future__ import annotations

import html
from datetime import date, datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.deadline_lines import render_deadline_reminder
from bot.channels.telegram.record_lines import digest_date_lines
from bot.channels.telegram.rendering import Rendered
from bot.domain.office import Office
from bot.i18n import Translator
from bot.scheduler.sop_deadlines import SOP_DEADLINE_KINDS
from bot.scheduler.sweep import (
    DAILY_DIGEST,
    MEDIATION_REMINDER,
    REMINDER_KINDS,
    STEP_DUE_SOON,
    STEP_ESCALATED,
    STEP_ESCALATED_AGAIN,
    STEP_KINDS,
    STEP_OVERDUE,
    still_relevant,
)
from bot.services.context import Services
from bot.store.outbox import OutboxItem
from bot.store.workflow import StepRow, WorkflowStore

__all__ = ["GROUP_LINE_KINDS", "Rendered", "reminder_line", "render_reminder"]

# kinds that may be merged into one digest message when many fall due for one chat
GROUP_LINE_KINDS = frozenset(STEP_KINDS)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def _who(step: StepRow, t: Translator, svc: Services) -> str:
    if step.assignee_user_id is not None:
        return t.gettext("staff id {id}", id=svc.staff_address(step.assignee_user_id))
    return _esc(", ".join(step.roles))


def _details_button(case_id: int, t: Translator) -> InlineKeyboardMarkup:
    label = t.gettext("🔒 Details (private)")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"det:{case_id}")]])


async def render_reminder(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    """Text and buttons for a reminder kind; None when it no longer applies (or is not ours)."""
    if item.kind not in REMINDER_KINDS:
        return None
    async with svc.db.reading() as conn:
        if not await still_relevant(conn, item):
            return None
    if item.kind in STEP_KINDS:
        return await _step(svc, item, t)
    if item.kind == MEDIATION_REMINDER:
        return await _mediation(svc, item, t)
    if item.kind == DAILY_DIGEST:
        return await _digest(svc, item, t)
    if item.kind in SOP_DEADLINE_KINDS:
        return await render_deadline_reminder(svc, item, t)
    return None  # pragma: no cover


def reminder_line(item: OutboxItem, t: Translator, number: str | None) -> str:
    """One line of a digest for a step alert (case number and step title only)."""
    params = {"number": _esc(item.payload.get("case_number") or number or "?"),
              "title": _esc(t.translate(str(item.payload.get("step_title", ""))))}  # fmt: skip
    if item.kind == STEP_ESCALATED_AGAIN:
        return t.gettext("🚨 <b>{number}</b>: {title} is still overdue (second escalation)",
                         **params)  # fmt: skip
    if item.kind == STEP_OVERDUE:
        return t.gettext("⚠ <b>{number}</b>: {title} is overdue", **params)
    if item.kind == STEP_DUE_SOON:
        return t.gettext("⏰ <b>{number}</b>: {title} is due soon", **params)
    return t.gettext("🚨 <b>{number}</b>: {title} is overdue (escalation)", **params)


async def _step(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    async with svc.db.reading() as conn:
        step = await WorkflowStore(svc.cipher).get_step(conn, int(item.payload["step_id"]))
        case = await svc.cases.get(conn, step.case_id) if step else None
    if step is None or case is None or step.due_at is None:
        return None
    office = svc.office(case.office_id)
    who = _who(step, t, svc)
    params = {"number": _esc(case.number), "title": _esc(t.translate(step.title)),
              "when": t.datetime(step.due_at, office.timezone), "who": who}  # fmt: skip
    if item.kind == STEP_DUE_SOON:
        text = t.gettext("⏰ <b>Reminder</b>: case {number}, step “{title}” is due {when}.",
                         **params)  # fmt: skip
        return text, None
    if item.kind == STEP_ESCALATED:
        text = t.ngettext(
            "🚨 <b>Escalation</b>: case {number}, step “{title}” is still not done "
            "{n} office hour after its deadline ({when}). Responsible: {who}.",
            "🚨 <b>Escalation</b>: case {number}, step “{title}” is still not done "
            "{n} office hours after its deadline ({when}). Responsible: {who}.",
            office.escalation_grace_hours, **params,
        )  # fmt: skip
        return text, _details_button(case.id, t)
    if item.kind == STEP_ESCALATED_AGAIN:
        text = t.gettext(
            "🚨 <b>Second escalation</b>: case {number}, step “{title}” is still not done one "
            "working day after the first escalation (deadline {when}). Responsible: {who}.",
            **params,
        )
        return text, _details_button(case.id, t)
    text = t.gettext(
        "⚠ <b>Overdue</b>: case {number}, step “{title}” was due {when}. "
        "Please complete it, or ask the head for more time.",
        **params,
    )
    return text, None


async def _mediation(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    mid = int(p["mediation_id"])
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, int(p["case_id"]))
        place = await WorkflowStore(svc.cipher).mediation_location(conn, mid)
    if case is None:
        return None
    office = svc.office(case.office_id)
    when = t.datetime(datetime.fromisoformat(str(p["scheduled_at"])), office.timezone)
    number, place, soon = _esc(case.number), _esc(place), p["when"] == "two_hours"
    if p.get("audience") == "reporter":
        if case.notify_mode == "none":
            return None
        if case.notify_mode == "neutral":
            return t.gettext(
                "📅 Reminder: you have an appointment on {when}. "
                "Send /status with your code for details.",
                when=when,
            ), None
        if soon:
            return t.gettext(
                "⏰ Your mediation session for report {number} starts in two hours, {when}, "
                "at {place}.",
                number=number, when=when, place=place,
            ), None  # fmt: skip
        return t.gettext(
            "📅 Reminder: your mediation session for report {number} is on {when} at {place}.",
            number=number, when=when, place=place,
        ), None  # fmt: skip
    if soon:
        text = t.gettext("⏰ <b>Mediation in two hours</b>: case {number}, {when}. Place: {place}.",
                         number=number, when=when, place=place)  # fmt: skip
    else:
        text = t.gettext("📅 <b>Mediation reminder</b>: case {number}, {when}. Place: {place}.",
                         number=number, when=when, place=place)  # fmt: skip
    return text, None


def _day(office: Office, iso_day: str) -> datetime:
    return datetime.combine(date.fromisoformat(iso_day), time(12), tzinfo=office.tz)


MAX_LISTED = 25  # case numbers or tasks named in one digest; Telegram allows 4,096 characters


def _listed(numbers: list[str], total: int) -> str:
    if not numbers:
        return ""
    shown = ", ".join(_esc(n) for n in numbers[:MAX_LISTED])
    more = total - min(len(numbers), MAX_LISTED)
    return ": " + shown + (f" … (+{more})" if more > 0 else "")


async def _digest(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    office = svc.office(str(p["office_id"]))
    day = t.date(_day(office, str(p["day"])), office.timezone)
    if p.get("audience") == "group":
        new, today, late = list(p["new"]), list(p["due_today"]), list(p["overdue"])
        # the sweep lists the first few and counts all (rows queued before it did: lists only)
        n_new = int(p.get("new_count", len(new)))
        n_today = int(p.get("due_today_count", len(today)))
        n_late = int(p.get("overdue_count", len(late)))
        lines = [
            t.gettext("☀ <b>Daily summary</b>, {office}, {day}", office=_esc(office.name), day=day),
            t.ngettext(
                "{n} new case since the last summary",
                "{n} new cases since the last summary",
                n_new,
            )
            + _listed(new, n_new),
            t.ngettext("{n} case with a step due today", "{n} cases with a step due today", n_today)
            + _listed(today, n_today),
            t.ngettext("{n} case with an overdue step", "{n} cases with an overdue step", n_late)
            + _listed(late, n_late),
        ]
        dated = list(p.get("dates_today") or [])
        if dated:  # hearings and other referral dates today: case numbers only
            lines.append(t.ngettext("{n} case with a hearing or referral date today",
                                    "{n} cases with a hearing or referral date today",
                                    len(dated)) + _listed(dated, len(dated)))  # fmt: skip
        return "\n".join(lines), None
    now = svc.clock.now()
    store = WorkflowStore(svc.cipher)
    rows: list[tuple[StepRow, str]] = []
    async with svc.db.reading() as conn:
        for sid in p["step_ids"]:
            step = await store.get_step(conn, int(sid))
            case = await svc.cases.get(conn, step.case_id) if step else None
            if step and case and step.status == "open" and case.status != "closed":
                rows.append((step, case.number))
    dates = await digest_date_lines(svc, [int(i) for i in p.get("date_ids") or ()], t,
                                    office.timezone)  # fmt: skip
    if not rows:
        if not dates:
            return None
        head = t.gettext("☀ <b>Your coming dates</b>, {day}:", day=day)
        return "\n".join([head, *dates]), None
    # the sweep names the most urgent few and counts all; those closed since are not counted
    listed = list(p["step_ids"])
    total = int(p.get("open_count", len(listed))) - (len(listed) - len(rows))
    lines = [t.ngettext("☀ <b>Your open tasks</b> ({n}), {day}:",
                        "☀ <b>Your open tasks</b> ({n}), {day}:", total, day=day)]  # fmt: skip
    rows.sort(key=lambda r: r[0].due_at or now)  # most urgent first
    for step, number in rows[:MAX_LISTED]:
        assert step.due_at is not None
        line = t.gettext("• {number}: {title}, due {when}", number=_esc(number),
                         title=_esc(t.translate(step.title)),
                         when=t.datetime(step.due_at, office.timezone))  # fmt: skip
        if step.due_at <= now:
            line += " " + t.gettext("⚠ overdue")
        lines.append(line)
    shown = min(len(rows), MAX_LISTED)
    if total > shown:
        lines.append(t.gettext("… and {n} more: see /tugas", n=total - shown))
    return "\n".join(lines + dates), None
