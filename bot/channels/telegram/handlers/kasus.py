"""/kasus NOMOR: a case's SOP progress, plan and letters, for the staff of its office (audited).

/akses NOMOR USER_ID: the head of the case's office grants a staff member access to the case's
identity (details, letters) beyond need-to-know (audited).
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.channels.telegram.addresses import telegram_person
from bot.channels.telegram.handlers.common import Ctx, esc, reply
from bot.channels.telegram.handlers.deadline_lines import deadline_lines
from bot.channels.telegram.handlers.letters_ui import letters_section
from bot.channels.telegram.handlers.mediation_move import move_buttons
from bot.channels.telegram.handlers.plan_render import plan_section
from bot.channels.telegram.handlers.workflow_render import (
    OUTCOME_LABELS,
    STATUS_LABELS,
    due_line,
    label,
)
from bot.channels.telegram.record_lines import case_record_lines
from bot.domain.identity import actor_for
from bot.domain.permissions import (
    may_decide_as_head,
    may_manage_plan,
    may_read_case,
    may_record_request,
    may_reopen_case,
)
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.staff import Outcome, grant_access, may_see_identity
from bot.services.workflow import StepView, Workflow
from bot.store.audit import append_audit

__all__ = ["MAX_CHARS", "akses", "kasus"]

MAX_CHARS = 4000
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
_ICONS = {"open": "⏳", "waiting": "⏸", "done": "✅", "cancelled": "✖"}


def _step_text(t: Translator, view: StepView, due: str, svc: Services) -> str:
    row = view.row
    head = f"{_ICONS.get(row.status, '•')} {esc(t.translate(row.title))}"
    if row.status == "open":
        who = (
            t.gettext("staff {id}", id=svc.staff_address(row.assignee_user_id))
            if row.assignee_user_id is not None
            else t.gettext("not assigned yet")
        )
        return f"{head}\n    {due} · {who}"
    if row.status == "done" and row.completed_at is not None:
        detail = t.gettext(
            "{outcome} · {when} · staff {id}",
            outcome=label(t, OUTCOME_LABELS, row.outcome or "done"),
            when=t.datetime(row.completed_at, view.office.timezone),
            id=svc.staff_address(row.completed_by) if row.completed_by else "–",
        )
        return f"{head}\n    {detail}"
    return f"{head}\n    {label(t, STATUS_LABELS, row.status)}"


async def _deny(context: Ctx, user_id: int, case_id: int | None) -> None:
    svc = context.services
    async with svc.db.transaction() as conn:
        await append_audit(conn, at=svc.clock.now(), actor=actor_for(user_id),
                           action="denied:read_progress", case_id=case_id)  # fmt: skip


async def kasus(update: Update, context: Ctx) -> None:
    """/kasus NOMOR: per SOP instance, its steps with status, due time, outcome and who."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    me = await context.person_id(user)
    dp, t = context.deps, context.t
    svc, wf = dp.services, dp.workflow
    if chat.type != ChatType.PRIVATE:
        await _deny(context, me, None)
        await reply(update, context, t.gettext("Please use /kasus in a private chat with the bot."))
        return
    if not svc.staff_offices(me):
        await _deny(context, me, None)
        await reply(update, context, t.gettext("This command is only for the unit's staff."))
        return
    number = " ".join(context.args or []).strip().upper()[:40]
    if not _NUMBER.match(number):
        await reply(update, context, t.gettext("Send /kasus followed by the case number."))
        return
    async with svc.db.reading() as conn:
        case = await svc.cases.by_number(conn, number)
    office = svc.offices.get(case.office_id) if case else None
    if case is None or office is None or not may_read_case(office, me):
        await _deny(context, me, case.id if case else None)
        await reply(update, context, t.gettext("There is no case with that number in your unit."))
        return
    async with svc.db.transaction() as conn:
        await append_audit(conn, at=svc.clock.now(), actor=actor_for(me),
                           action="read_progress", case_id=case.id)  # fmt: skip
    head = may_decide_as_head(office, me)
    resend = await may_see_identity(svc, case.id, me)
    plan = await wf.case_plan(case.id)
    on_request = wf.request_sop(office, "mediation")
    plan_lines, plan_buttons = plan_section(
        t, plan, case.id, office.timezone, closed=case.status == "closed",
        manage=may_manage_plan(office, me), head=may_reopen_case(office, me),
        request=on_request is not None
        and may_record_request(office, on_request.step(on_request.first_step), me),
        staff=svc.staff_address,
    )  # fmt: skip
    plan_buttons += move_buttons(t, await wf.movable_sessions(case.id, me), office.timezone)
    plan_lines += await case_record_lines(svc, case.id, t, office.timezone)
    text, markup = await _progress(t, wf, case.id, case.number, head, office.timezone, resend,
                                   (plan_lines, plan_buttons))  # fmt: skip
    await reply(update, context, text, markup)


async def _progress(
    t: Translator, wf: Workflow, case_id: int, number: str, head: bool, tz: str, resend: bool,
    plan: tuple[list[str], list[list[InlineKeyboardButton]]],
) -> tuple[str, InlineKeyboardMarkup | None]:  # fmt: skip
    svc = wf.svc
    now = svc.clock.now()
    lines = [t.gettext("📁 <b>Case {number}</b>: SOP progress", number=esc(number)), *plan[0]]
    buttons: list[list[InlineKeyboardButton]] = []
    progress = await wf.case_progress(case_id)
    deadlines = await wf.sop_deadlines(case_id)
    office_id = next((r.office_id for p in progress for r in p.steps), None)
    if office_id is None:
        deadlines = []
    if not progress:
        lines.append(t.gettext("No procedure has started for this case yet."))
    for inst in progress:
        sop = wf.sops.get(inst.instance.sop_key)
        title = sop.title if sop else inst.instance.sop_key
        status = label(t, STATUS_LABELS, inst.instance.status)
        lines += ["", f"<b>{esc(t.translate(title))}</b> ({status})"]
        for row in inst.steps:
            view = await wf.describe(row.id)
            if view is None:
                continue
            lines.append(_step_text(t, view, due_line(t, svc, view, now), svc))
            if head and row.status in ("open", "waiting") and row.assignee_user_id is None:
                text = t.gettext("👤 Assign: {title}", title=t.translate(row.title)[:40])
                buttons.append([InlineKeyboardButton(text, callback_data=f"wc:{row.id}")])
        if deadlines and office_id is not None:
            calendar = svc.calendars[office_id]
            lines += deadline_lines(t, calendar, deadlines, inst.instance.id, now, tz)
    for m in await wf.mediations(case_id):
        lines.append(t.gettext("📅 Mediation: {when}", when=t.datetime(m.scheduled_at, tz)))
    letter_lines, letter_buttons = await letters_section(t, svc, case_id, tz, resend=resend)
    lines += letter_lines
    buttons = plan[1] + buttons[:20] + letter_buttons
    text = "\n".join(lines)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit("\n", 1)[0] + "\n…"
    return text, InlineKeyboardMarkup(buttons) if buttons else None


_USER_ID = re.compile(r"^\d{1,15}$")


async def akses(update: Update, context: Ctx) -> None:
    """/akses NOMOR USER_ID: the head grants a staff member access to a case's identity."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    me = await context.person_id(user)
    svc, t = context.services, context.t
    if chat.type != ChatType.PRIVATE:
        async with svc.db.transaction() as conn:
            await append_audit(conn, at=svc.clock.now(), actor=actor_for(me),
                               action="denied:grant_access", detail="not private")  # fmt: skip
        await reply(update, context, t.gettext("Please use /akses in a private chat with the bot."))
        return
    args = context.args or []
    number = args[0].strip().upper()[:40] if args else ""
    grantee = args[1].strip() if len(args) == 2 else ""
    if not _NUMBER.match(number) or not _USER_ID.match(grantee):
        text = t.gettext(
            "Send /akses followed by the case number and the staff member's user id, for "
            "example: /akses PPA-TNG-2026-00001 100000007"
        )
        await reply(update, context, text)
        return
    result = await grant_access(svc, number, me, await telegram_person(svc, int(grantee)))
    if result.outcome is Outcome.NOT_FOUND or result.case is None:
        await reply(update, context, t.gettext("There is no case with that number in your unit."))
        return
    if result.outcome is Outcome.NOT_ALLOWED:
        text = t.gettext("Only the head of the unit can give access to a case.")
        await reply(update, context, text)
        return
    if result.outcome is Outcome.NOT_STAFF:
        text = t.gettext("User {id} is not on the staff of this unit.", id=int(grantee))
        await reply(update, context, text)
        return
    text = t.gettext(
        "Staff {id} may now see the details and letters of case {number}.",
        id=int(grantee),
        number=esc(result.case.number),
    )
    await reply(update, context, text)
