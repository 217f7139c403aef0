"""Words and buttons of the case plan: its section in /kasus and its notices."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.handlers.workflow_render import OUTCOME_LABELS, label
from bot.channels.telegram.rendering import Rendered
from bot.domain.case_plan import (
    CLOSE_REASONS,
    END_OUTCOMES,
    REOPEN_REASONS,
    SERVICE_KINDS,
    split_key,
)
from bot.domain.i18n_marker import N_
from bot.domain.outreach import VISIT_OUTCOMES
from bot.domain.referrals import REFERRAL_KINDS
from bot.i18n import Translator
from bot.scheduler.sweep import CASE_REVIEW_DUE
from bot.services.context import Services
from bot.services.workflow import CasePlan, WorkflowResult
from bot.store.outbox import OutboxItem

__all__ = [
    "PLAN_KINDS",
    "SERVICE_LABELS",
    "outcome_label",
    "plan_section",
    "render_plan_item",
    "request_recorded_text",
    "service_label",
]

PLAN_KINDS = frozenset(
    {"plan_service_ended", "plan_case_closed", "plan_case_reopened", CASE_REVIEW_DUE}
)
SERVICE_LABELS = {
    **{k.key: k.label for k in SERVICE_KINDS},
    "intake": N_("Intake and case management"),
}
_OUTCOMES = {
    **OUTCOME_LABELS,
    **END_OUTCOMES,
    **VISIT_OUTCOMES,
    "not_achieved": N_("Not achieved"),
    "referred_partner": N_("Referred to a partner shelter"),
}


def service_label(t: Translator, kind: str) -> str:
    """A service kind's name in the reader's language (escaped); "referral.police" says where."""
    base, option = split_key(kind)
    text = label(t, SERVICE_LABELS, base)
    return f"{text}: {label(t, REFERRAL_KINDS, option)}" if option else text


def outcome_label(t: Translator, outcome: str) -> str:
    """A service outcome's name in the reader's language (escaped)."""
    return label(t, _OUTCOMES, outcome)


def request_recorded_text(t: Translator, result: WorkflowResult) -> str:
    """What the staff member who recorded an applicant's request is told."""
    if result.params.get("recorded"):
        return t.gettext(
            "📝 The applicant's request is recorded and the mediation procedure has "
            "started on the case plan; its time standards count from now."
        )
    return t.gettext("📝 The applicant's request is on the case plan and the mediation "
                     "procedure has started; the complaint officer records the request "
                     "(its first step).")  # fmt: skip


def plan_section(
    t: Translator, plan: CasePlan, case_id: int, tz: str, *, closed: bool, manage: bool,
    head: bool, request: bool = False, staff: Callable[[int], str] = str,
) -> tuple[list[str], list[list[InlineKeyboardButton]]]:  # fmt: skip
    """The plan's lines for /kasus and the buttons the reader may press (``request``: the
    reader may record the applicant's request for mediation in this office; ``staff``: how
    staff know the person a service is assigned to, e.g. ``Services.staff_address``)."""
    lines = ["", t.gettext("🗂 <b>Case plan</b>")]
    buttons: list[list[InlineKeyboardButton]] = []
    if not plan.services:
        lines.append(t.gettext("No service on the plan yet."))
    for s in plan.services:
        name = service_label(t, s.kind)
        if s.status == "running":
            text = t.gettext("▶ {service}: running since {when}", service=name,
                             when=t.date(s.started_at, tz))  # fmt: skip
            if s.assignee_user_id is not None:
                text += " · " + t.gettext("staff {id}", id=esc(staff(s.assignee_user_id)))
            if manage and not closed:
                end = t.gettext("⏹ End: {service}", service=t.translate(SERVICE_LABELS.get(
                    s.kind, s.kind))[:40])  # fmt: skip
                buttons.append([InlineKeyboardButton(end, callback_data=f"pe:{s.id}")])
        else:
            text = t.gettext("✅ {service}: ended {when}, {outcome}", service=name,
                             when=t.date(s.ended_at or s.started_at, tz),
                             outcome=outcome_label(t, s.outcome or "completed"))  # fmt: skip
        lines.append(text)
    if closed:
        reason = plan.close_reason or ""
        lines.append(t.gettext("🏁 Case closed: {reason}", reason=label(t, CLOSE_REASONS, reason)))
        if head:
            buttons.append([InlineKeyboardButton(t.gettext("↩ Reopen the case"),
                                                 callback_data=f"po:{case_id}")])  # fmt: skip
        return lines, buttons
    if plan.review is not None:
        lines.append(t.gettext("🔁 Next review: {when}", when=t.date(plan.review.due_at, tz)))
    running = {s.kind for s in plan.services if s.status == "running"}
    if request and "mediation" not in running:
        buttons.append([InlineKeyboardButton(t.gettext("📝 The applicant asks for mediation"),
                                             callback_data=f"pr:{case_id}")])  # fmt: skip
    if manage:
        buttons.append([
            InlineKeyboardButton(t.gettext("➕ Add a service"), callback_data=f"pa:{case_id}"),
            InlineKeyboardButton(t.gettext("🔁 Plan reviewed"), callback_data=f"pv:{case_id}"),
        ])  # fmt: skip
        buttons.append([InlineKeyboardButton(t.gettext("🏁 Close the case"),
                                             callback_data=f"pc:{case_id}")])  # fmt: skip
    return lines, buttons


def _plan_buttons(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(t.gettext("➕ Add a service"), callback_data=f"pa:{case_id}"),
        InlineKeyboardButton(t.gettext("🏁 Close the case"), callback_data=f"pc:{case_id}"),
    ]])  # fmt: skip


async def render_plan_item(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    """The plan's notices: a service ended, the case closed or reopened, a review due."""
    p = item.payload
    case_id = int(p["case_id"])
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, case_id)
    if case is None:
        return None
    number = esc(case.number)
    if item.kind == "plan_service_ended":
        text = t.gettext(
            "📋 Case <b>{number}</b>: {service} has ended ({outcome}). The case stays open: "
            "add the next service or close the case with a reason (/kasus {number}).",
            number=number, service=service_label(t, str(p["service"])),
            outcome=outcome_label(t, str(p["outcome"])),
        )  # fmt: skip
        return text, None if case.status == "closed" else _plan_buttons(t, case_id)
    if item.kind == "plan_case_closed":
        return t.gettext(
            "🏁 Case <b>{number}</b> was closed: {reason}.",
            number=number, reason=label(t, CLOSE_REASONS, str(p["reason"])),
        ), None  # fmt: skip
    if item.kind == "plan_case_reopened":
        return t.gettext(
            "↩ Case <b>{number}</b> was reopened by the head: {reason}. See /kasus {number}.",
            number=number, reason=label(t, REOPEN_REASONS, str(p["reason"])),
        ), None  # fmt: skip
    if case.status == "closed":
        return None
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(t.gettext("🔁 Plan reviewed"), callback_data=f"pv:{case_id}"),
    ]])  # fmt: skip
    return t.gettext(
        "🔁 Time to review the plan of case <b>{number}</b>: are its services still the right "
        "ones? See /kasus {number}.",
        number=number,
    ), markup
