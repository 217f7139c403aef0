"""Words and buttons for the SOP workflow: task cards, due times, outbox messages, progress."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.addresses import person_of
from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.rendering import Rendered
from bot.domain.calendar import OfficeCalendar
from bot.domain.i18n_marker import N_
from bot.domain.permissions import may_complete_step
from bot.domain.sop import Step
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.workflow import RULE_MESSAGES, Outcome, StepView, Workflow, WorkflowResult
from bot.services.workflow.eligibility import default_rules
from bot.store.outbox import OutboxItem

__all__ = [
    "OUTCOME_LABELS",
    "PARTY_ROLE_LABELS",
    "ROLE_LABELS",
    "STATUS_LABELS",
    "WORKFLOW_KINDS",
    "Rendered",
    "due_line",
    "due_words",
    "extension_request_message",
    "is_scheduling_step",
    "label",
    "render_workflow_item",
    "result_text",
    "task_card",
]


# outbox kinds the workflow enqueues; the notifier hands these to render_workflow_item
WORKFLOW_KINDS = frozenset(
    {
        "task_assigned", "step_opened", "disposition", "task_handed_over", "step_decided",
        "extension_requested", "extension_decided", "mediation_scheduled", "reporter_milestone",
        "order_received",
    }
)  # fmt: skip

OUTCOME_LABELS = {
    "done": N_("Done"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "not_cooperative": N_("The parties do not cooperate"),
    "terminate": N_("End the service (termination)"),
    "continue": N_("Continue"),
    "continue_monitoring": N_("Continue monitoring"),
    "mediation": N_("Mediation"),
    "accompaniment": N_("Accompaniment"),
    "not_mediable": N_("Cannot be mediated"),
    "not_a_case": N_("Not a case for the unit"),
    "repeat": N_("Serve the client again"),
}
ROLE_LABELS = {
    "ketua": N_("Head"),
    "kepala_dinas": N_("Head of the Dinas"),
    "koordinator": N_("Coordinator"),
    "petugas": N_("Complaint officer"),
    "manajer_kasus": N_("Case manager"),
    "pendamping": N_("Companion"),
    "mediator": N_("Mediator"),
    "konselor_hukum": N_("Legal counsellor"),
    "psikolog": N_("Psychologist"),
    "admin": N_("Administration"),
}
STATUS_LABELS = {
    "open": N_("open"),
    "waiting": N_("waiting for a sub-procedure"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
PARTY_ROLE_LABELS = {
    "pelapor": N_("Reporter"),
    "pemohon": N_("Applicant"),
    "korban": N_("Victim"),
    "terlapor": N_("Reported party"),
}
_MILESTONES = {
    "case_management_started": N_(
        "Your report {number}: the unit's team is now studying the case and planning the help."
    ),
    "mediation_started": N_("Your report {number}: the unit is preparing a mediation."),
    "accompaniment_started": N_(
        "Your report {number}: a companion will accompany the victim. The unit will contact you."
    ),
    "mediation_scheduled": N_(
        "Your report {number}: a mediation session has been scheduled. "
        "Send /status with your code to see when."
    ),
    "case_closed": N_(
        "Your report {number}: the unit has finished handling the case. Thank you for trusting us."
    ),
}
_NEUTRAL = N_("There is an update on your request. Send /status with your code to see it.")


def label(t: Translator, labels: Mapping[str, str], key: str) -> str:
    """A known key's translated label, else the key itself (escaped)."""
    return t.translate(labels[key]) if key in labels else esc(key)


def is_scheduling_step(step: Step) -> bool:
    """Whether a mediation is scheduled at this step (sets_session, its rules or its letter)."""
    return step.schedules_session


def due_words(t: Translator, calendar: OfficeCalendar, due: datetime, now: datetime) -> str:
    """'in 2 hours', 'overdue by 1 working day': office working days beyond one day."""
    late = due < now
    lo, hi = (due, now) if late else (now, due)
    minutes = int((hi - lo).total_seconds() // 60)
    if minutes < 1:
        return t.gettext("due now")
    if minutes < 60:
        if late:
            return t.ngettext("overdue by {n} minute", "overdue by {n} minutes", minutes)
        return t.ngettext("in {n} minute", "in {n} minutes", minutes)
    days = calendar.working_days_between(lo, hi) if minutes >= 24 * 60 else 0
    if days >= 1:
        if late:
            return t.ngettext("overdue by {n} working day", "overdue by {n} working days", days)
        return t.ngettext("in {n} working day", "in {n} working days", days)
    hours = minutes // 60
    if late:
        return t.ngettext("overdue by {n} hour", "overdue by {n} hours", hours)
    return t.ngettext("in {n} hour", "in {n} hours", hours)


def due_line(t: Translator, svc: Services, view: StepView, now: datetime) -> str:
    """'Due: <when> (<in words>)' for an open step, or its status."""
    row = view.row
    if row.status != "open" or row.due_at is None:
        return t.gettext("Status: {status}", status=label(t, STATUS_LABELS, row.status))
    words = due_words(t, svc.calendars[view.office.id], row.due_at, now)
    when = t.datetime(row.due_at, view.office.timezone)
    return t.gettext("Due: {when} ({words})", when=when, words=words)


def eligibility_text(t: Translator, result: WorkflowResult) -> str:
    """Why the law refuses a service, with the articles and where the case goes instead."""
    by_key = {r.key: r for r in default_rules().rules}
    lines = [esc(t.translate(result.message, articles=str(result.params.get("articles", ""))))]
    for key in result.params.get("rules", []):
        if (rule := by_key.get(str(key))) is not None:
            lines.append("• " + esc(t.translate(rule.reason)))
    if result.params.get("referrals"):
        lines.append(
            esc(t.gettext("The case manager can add the referral to the case's services instead."))
        )
    return "\n".join(lines)


def result_text(t: Translator, result: WorkflowResult) -> str:
    """The reader's words for a workflow result (rules spelled out), escaped."""
    if result.outcome is Outcome.RULE_FAILED:
        rules = [str(r) for r in result.params.get("rules", [])]
        return " ".join(esc(t.translate(RULE_MESSAGES[r])) for r in rules if r in RULE_MESSAGES)
    if result.outcome is Outcome.NOT_ELIGIBLE:
        return eligibility_text(t, result)
    if not result.message:
        return esc(t.gettext("Done.") if result.ok else t.gettext("That did not work."))
    params = {k: v for k, v in result.params.items() if isinstance(v, str | int)}
    return esc(t.translate(result.message, **params))


def _who(t: Translator, view: StepView, svc: Services) -> str:
    if view.row.assignee_user_id is not None:
        held = view.office.roles_of(view.row.assignee_user_id)
        names = ", ".join(label(t, ROLE_LABELS, r.value) for r in sorted(held))
        who = svc.staff_address(view.row.assignee_user_id)
        return t.gettext("Assigned to: {role} {id}", role=names, id=who)
    roles = ", ".join(label(t, ROLE_LABELS, r) for r in view.row.roles)
    return t.gettext("For: {roles} (not assigned yet)", roles=roles)


def _step_lines(t: Translator, workflow: Workflow, view: StepView) -> list[str]:
    sop = workflow.sops[view.row.sop_key]
    return [
        f"<b>{esc(t.translate(view.row.title))}</b>",
        t.gettext(
            "Case {number} · {sop}", number=esc(view.case.number), sop=esc(t.translate(sop.title))
        ),
    ]


def task_card(
    t: Translator, svc: Services, workflow: Workflow, view: StepView, viewer: int, now: datetime
) -> Rendered:
    """A step as a task for one reader, with the buttons that reader may use."""
    lines = ["📋 " + _step_lines(t, workflow, view)[0], *_step_lines(t, workflow, view)[1:]]
    if view.row.urgent:
        lines.append(t.gettext("🚨 Urgent case"))
    lines += [due_line(t, svc, view, now), _who(t, view, svc)]
    lines.append(t.gettext("Result: {output}", output=esc(view.step.output)))
    if view.step.extendable:
        lines.append(t.gettext("More time may be requested for this step."))
    rows: list[list[InlineKeyboardButton]] = []
    if view.row.status == "open":
        first = []
        assignee = view.row.assignee_user_id
        if any(may_complete_step(view.office, view.step, assignee, viewer, o)
               for o in view.step.outcomes):  # fmt: skip
            done = t.gettext("✅ Done")
            first.append(InlineKeyboardButton(done, callback_data=f"wd:{view.row.id}"))
            if view.step.extendable:
                first.append(
                    InlineKeyboardButton(
                        t.gettext("⏳ Ask for more time"), callback_data=f"wx:{view.row.id}"
                    )
                )
        rows += [first] if first else []
        if is_scheduling_step(view.step) and workflow.may(view, viewer, "schedule"):
            text = t.gettext("📅 Schedule the mediation")
            rows.append([InlineKeyboardButton(text, callback_data=f"ms:{view.row.id}")])
    if view.row.status in ("open", "waiting") and workflow.may(view, viewer, "head"):
        text = (
            t.gettext("👤 Assign")
            if view.row.assignee_user_id is None
            else t.gettext("🔁 Hand over")
        )
        rows.append([InlineKeyboardButton(text, callback_data=f"wc:{view.row.id}")])
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


def extension_request_message(
    t: Translator, svc: Services, workflow: Workflow, view: StepView, requester: int, now: datetime
) -> Rendered:
    """The head's message about a request for more time, with approve / refuse buttons."""
    lines = [
        t.gettext("⏳ Staff {id} asks for more time for this step:", id=requester),
        *_step_lines(t, workflow, view),
        due_line(t, svc, view, now),
    ]
    if view.row.status != "open":
        return "\n".join(lines), None
    sid = view.row.id
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("✅ Approve"), callback_data=f"we:{sid}:y"),
                InlineKeyboardButton(t.gettext("✖ Refuse"), callback_data=f"we:{sid}:n"),
            ]
        ]
    )
    return "\n".join(lines), markup


async def _milestone(svc: Services, workflow: Workflow, item: OutboxItem, t: Translator) -> str:
    p = item.payload
    if p.get("mode") == "neutral":
        return t.translate(_NEUTRAL)
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, int(p["case_id"]))
    if case is None:
        return ""
    msgid = _MILESTONES.get(str(p.get("milestone")))
    if msgid is None:
        return t.gettext(
            "Your report {number} has an update. Send /status with your code to see it.",
            number=esc(case.number),
        )
    return t.translate(msgid, number=esc(case.number))


async def render_workflow_item(
    svc: Services, workflow: Workflow, item: OutboxItem, t: Translator
) -> Rendered | None:
    """Text and buttons for a workflow outbox row (None: nothing to send any more)."""
    p = item.payload
    if item.kind == "reporter_milestone":
        text = await _milestone(svc, workflow, item, t) if p.get("mode") != "none" else ""
        return (text, None) if text else None
    if item.kind not in WORKFLOW_KINDS or "step_id" not in p:
        return None
    view = await workflow.describe(int(p["step_id"]))
    if view is None:
        return None
    now = svc.clock.now()
    head = _step_lines(t, workflow, view)
    number = esc(view.case.number)
    if item.kind == "task_assigned":
        if view.row.status != "open":
            return None
        viewer = person_of(item.recipient) or 0
        text, markup = task_card(t, svc, workflow, view, viewer, now)
        return t.gettext("🔔 A task for you") + "\n" + text, markup
    if item.kind == "step_opened":
        lines = [t.gettext("🔔 Step open"), *head, due_line(t, svc, view, now), _who(t, view, svc)]
        markup = None
        if view.row.status == "open" and view.row.assignee_user_id is None:
            button = InlineKeyboardButton(
                t.gettext("👤 Assign (head)"), callback_data=f"wc:{view.row.id}"
            )
            markup = InlineKeyboardMarkup([[button]])
        return "\n".join(lines), markup
    if item.kind == "disposition":
        return "\n".join([t.gettext("👤 Assigned"), *head, _who(t, view, svc)]), None
    if item.kind == "task_handed_over":
        text = t.gettext(
            "🔁 This task was handed over to staff {id}; you need not do it any more.",
            id=svc.staff_address(int(p["to_user_id"])),
        )
        return "\n".join([text, *head]), None
    if item.kind == "step_decided":
        outcome = label(t, OUTCOME_LABELS, str(p["outcome"]))
        return "\n".join([*head, t.gettext("⚖ Decision: {outcome}", outcome=outcome)]), None
    if item.kind == "extension_requested":
        return extension_request_message(t, svc, workflow, view, int(p["user_id"]), now)
    if item.kind == "extension_decided":
        text = (
            t.gettext("✅ More time was approved.")
            if p.get("approved")
            else t.gettext("✖ More time was not approved.")
        )
        return "\n".join([text, *head, due_line(t, svc, view, now)]), None
    if item.kind == "order_received":
        text = t.gettext("📣 Case {number}: an order for you.", number=number)
        lines = [text, *head, t.gettext("Result: {output}", output=esc(view.step.output))]
        sessions = [m for m in await workflow.mediations(view.case.id) if m.status == "scheduled"]
        if sessions:
            when = t.datetime(sessions[-1].scheduled_at, view.office.timezone)
            lines.append(t.gettext("📅 Mediation session: {when}", when=when))
        return "\n".join(lines), None
    if item.kind == "mediation_scheduled":
        when = t.datetime(datetime.fromisoformat(str(p["scheduled_at"])), view.office.timezone)
        text = t.gettext("📅 Case {number}: mediation scheduled for {when}.", number=number,
                         when=when)  # fmt: skip
        return "\n".join([text, *head[:1]]), None
    return None
