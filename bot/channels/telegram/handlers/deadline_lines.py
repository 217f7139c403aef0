"""The SOP-level deadlines of a case in /kasus and their reminders (escaped, translated)."""

from __future__ import annotations

from datetime import datetime

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.handlers.workflow_render import due_words, label
from bot.channels.telegram.rendering import Rendered
from bot.domain.calendar import OfficeCalendar
from bot.domain.i18n_marker import N_
from bot.i18n import Translator
from bot.scheduler.sop_deadlines import SOP_DEADLINE_OVERDUE
from bot.services.context import Services
from bot.services.workflow import SopDeadline
from bot.store.outbox import OutboxItem

__all__ = ["DEADLINE_LABELS", "deadline_lines", "render_deadline_reminder"]

DEADLINE_LABELS = {
    "decision": N_("Decision on the request"),
    "completion": N_("Completion of the service"),
}


def deadline_lines(
    t: Translator, calendar: OfficeCalendar, deadlines: list[SopDeadline], instance_id: int,
    now: datetime, tz: str,
) -> list[str]:  # fmt: skip
    """One line per SOP-level deadline of an instance: due, met in time, missed."""
    lines = []
    for d in deadlines:
        if d.instance_id != instance_id:
            continue
        s, name = d.state, label(t, DEADLINE_LABELS, d.state.deadline.key)
        due = t.datetime(s.due_at, tz)
        if s.met_at is not None and not s.overdue(now):
            text = t.gettext("⏱ {name}: met {when} (standard: {due})", name=name,
                             when=t.datetime(s.met_at, tz), due=due)  # fmt: skip
        elif s.met_at is not None:
            text = t.gettext("⏱ {name}: met late, {when} (standard: {due})", name=name,
                             when=t.datetime(s.met_at, tz), due=due)  # fmt: skip
        else:
            words = due_words(t, calendar, s.due_at, now)
            text = t.gettext("⏱ {name}: by {due} ({words})", name=name, due=due, words=words)
        lines.append(text)
    return lines


async def render_deadline_reminder(
    svc: Services, item: OutboxItem, t: Translator
) -> Rendered | None:
    """A missed or nearly due SOP-level deadline (case number and SOP only)."""
    p = item.payload
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, int(p["case_id"]))
    if case is None:
        return None
    tz = svc.office(case.office_id).timezone
    params = {"number": esc(p.get("case_number", "?")),
              "name": label(t, DEADLINE_LABELS, str(p.get("deadline", ""))),
              "when": t.datetime(datetime.fromisoformat(str(p["due_at"])), tz)}  # fmt: skip
    if item.kind == SOP_DEADLINE_OVERDUE:
        text = t.gettext(
            "🚨 <b>Time standard missed</b>: case {number}, {name} was due {when}.", **params
        )
    else:
        text = t.gettext("⏰ <b>Time standard</b>: case {number}, {name} is due {when}.", **params)
    return text, None
