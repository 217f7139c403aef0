"""When each reminder of an open step or a mediation session is due (office time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.domain.calendar import OfficeCalendar
from bot.domain.duration import Duration, Unit
from bot.domain.office import Office
from bot.store.reminders import MediationDue
from bot.store.workflow import StepRow

__all__ = [
    "DAY_BEFORE",
    "DUE_SOON_FRACTION",
    "STEP_DUE_SOON",
    "STEP_ESCALATED",
    "STEP_ESCALATED_AGAIN",
    "STEP_OVERDUE",
    "TWO_HOURS",
    "due_mediation_kinds",
    "due_step_kinds",
    "mediation_schedule",
    "next_step_reminder",
    "previous_opening",
    "step_schedule",
]

STEP_DUE_SOON = "step_due_soon"
STEP_OVERDUE = "step_overdue"
STEP_ESCALATED = "step_escalated"
STEP_ESCALATED_AGAIN = "step_escalated_again"
DUE_SOON_FRACTION = 0.75
DAY_BEFORE, TWO_HOURS = "day_before", "two_hours"


def step_schedule(
    step: StepRow, office: Office, calendar: OfficeCalendar, session_at: datetime | None = None
) -> dict[str, datetime]:
    """When each reminder of an open step is due (office time; wall clock for urgent steps).

    A step held at a mediation session (`session_at`) is "due soon" only after the session
    has started: its time before the session is not time to do the work.
    """
    assert step.due_at is not None
    due, opened = step.due_at, max(step.opened_at, session_at or step.opened_at)
    if step.urgent:
        soon = opened + (due - opened) * DUE_SOON_FRACTION
    else:
        minutes = int(calendar.open_minutes_between(opened, due) * DUE_SOON_FRACTION)
        soon = min(due, calendar.add(opened, Duration(minutes, Unit.MINUTES)))
    grace = Duration(office.escalation_grace_hours, Unit.HOURS)
    escalated = calendar.add(due, grace, urgent=step.urgent)
    again = calendar.add(escalated, Duration(1, Unit.WORKING_DAYS), urgent=step.urgent)
    return {STEP_DUE_SOON: soon, STEP_OVERDUE: due, STEP_ESCALATED: escalated,
            STEP_ESCALATED_AGAIN: again}  # fmt: skip


def previous_opening(calendar: OfficeCalendar, day: date) -> datetime:
    """Opening time of the last working day before ``day`` (office zone)."""
    d = day
    for _ in range(60):
        d -= timedelta(days=1)
        periods = calendar.periods_on(d)
        if periods:
            return periods[0][0]
    return datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=calendar.tz)


def mediation_schedule(scheduled_at: datetime, calendar: OfficeCalendar) -> dict[str, datetime]:
    """The previous working day's opening time, and two hours before the session."""
    local = calendar.local(scheduled_at)
    return {DAY_BEFORE: previous_opening(calendar, local.date()),
            TWO_HOURS: scheduled_at - timedelta(hours=2)}  # fmt: skip


def due_step_kinds(
    step: StepRow, office: Office, calendar: OfficeCalendar, now: datetime, done: set[str],
    session_at: datetime | None = None,
) -> list[tuple[str, datetime]]:  # fmt: skip
    """The reminders of a step due at ``now`` and not yet recorded (``done``)."""
    plan = step_schedule(step, office, calendar, session_at)
    out = []
    for kind, at in plan.items():
        if at > now or kind in done:
            continue
        if kind == STEP_DUE_SOON and now >= plan[STEP_OVERDUE]:
            continue  # superseded by the overdue alert (e.g. after downtime)
        out.append((kind, at))
    return out


def next_step_reminder(plan: dict[str, datetime], now: datetime, done: set[str]) -> datetime | None:
    """When a step's next reminder not yet sent falls due after ``now`` (None: none will).

    Kinds at or before ``now`` not in ``done`` are past for good (a "due soon" superseded by
    the overdue alert), so only later times count.
    """
    return min((at for kind, at in plan.items() if kind not in done and at > now), default=None)


def due_mediation_kinds(
    m: MediationDue, calendar: OfficeCalendar, now: datetime, done: set[str]
) -> list[tuple[str, datetime]]:
    """The reminders of a mediation session due at ``now`` and not yet recorded."""
    plan = mediation_schedule(m.scheduled_at, calendar)
    out = []
    for when, at in plan.items():
        if at > now or when in done or now >= m.scheduled_at:
            continue
        late = (
            now >= plan[TWO_HOURS]
            or calendar.local(now).date() >= calendar.local(m.scheduled_at).date()
        )
        if when == DAY_BEFORE and late:
            continue  # no longer the day before: the two-hour reminder says it
        out.append((when, at))
    return out
