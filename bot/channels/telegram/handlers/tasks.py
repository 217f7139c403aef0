"""/tugas: a staff member's open SOP steps, and Done / outcome / more-time buttons."""

from __future__ import annotations

import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from bot.channels.telegram.handlers.common import Ctx, answer, esc, reply
from bot.channels.telegram.handlers.letters_ui import letter_buttons, pop_step_letter
from bot.channels.telegram.handlers.naming_rows import naming_prompt, naming_rows
from bot.channels.telegram.handlers.outreach import outreach_agenda
from bot.channels.telegram.handlers.referrals import referral_agenda
from bot.channels.telegram.handlers.step_checks import (
    PENDING_TTL,
    bad_button,
    check_step,
    clear_pending,
    get_pending,
    private_only,
    set_pending,
)
from bot.channels.telegram.handlers.workflow_render import (
    OUTCOME_LABELS,
    ROLE_LABELS,
    label,
    result_text,
    task_card,
)
from bot.domain.identity import actor_for
from bot.domain.permissions import may_complete_step, may_decide_as_head
from bot.reports.letters import list_letters
from bot.services.workflow import REASON_REQUIRED, StepView
from bot.store.audit import append_audit

__all__ = [
    "AWAIT",
    "MAX_TASKS_SHOWN",
    "PENDING_TTL",
    "bad_button",
    "cancel",
    "check_step",
    "clear_pending",
    "get_pending",
    "on_done",
    "on_extension",
    "on_no_report",
    "on_outcome",
    "on_report",
    "on_waive",
    "private_only",
    "set_pending",
    "tugas",
]

AWAIT = "await"
END = ConversationHandler.END
MAX_TASKS_SHOWN = 15
_DONE = re.compile(r"^wd:(\d{1,12})$")
_OUTCOME = re.compile(r"^wo:(\d{1,12}):([a-z][a-z0-9_]{0,39})$")
_NO_REPORT = re.compile(r"^wn:(\d{1,12})$")
_WAIVE = re.compile(r"^wv:(\d{1,12})$")
_EXTEND = re.compile(r"^wx:(\d{1,12})$")


async def tugas(update: Update, context: Ctx) -> None:
    """/tugas: the presser's open steps, most urgent first, each with its buttons."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    me = await context.person_id(user)
    dp, t = context.deps, context.t
    svc = dp.services
    if not svc.staff_offices(me):
        async with svc.db.transaction() as conn:
            await append_audit(conn, at=svc.clock.now(), actor=actor_for(me),
                               action="denied:tasks")  # fmt: skip
        await reply(update, context, t.gettext("This command is only for the unit's staff."))
        return
    async with svc.db.transaction() as conn:
        await append_audit(
            conn,
            at=svc.clock.now(),
            actor=actor_for(me),
            action="read_tasks",
        )
    await outreach_agenda(update, context)  # urgent reports the presser is on, visit not recorded
    await referral_agenda(update, context)  # the hearings and dates the presser accompanies
    rows = await dp.workflow.tasks_for(me)
    if not rows:
        await reply(update, context, t.gettext("You have no open tasks."))
        return
    n = len(rows)
    await reply(
        update,
        context,
        t.ngettext("You have {n} open task, most urgent first.",
                   "You have {n} open tasks, most urgent first.", n),
    )  # fmt: skip
    now = svc.clock.now()
    for row in rows[:MAX_TASKS_SHOWN]:
        view = await dp.workflow.describe(row.id)
        if view is not None:
            text, markup = task_card(t, svc, dp.workflow, view, me, now)
            extra = letter_buttons(t, dp.workflow, view, me)
            if extra:
                keyboard = [*(markup.inline_keyboard if markup else ()), *extra]
                markup = InlineKeyboardMarkup(keyboard)
            await reply(update, context, text, markup)
    if n > MAX_TASKS_SHOWN:
        await reply(update, context, t.gettext("…and {n} more.", n=n - MAX_TASKS_SHOWN))


async def _ask_report(update: Update, context: Ctx, view: StepView, outcome: str) -> str:
    t = context.t
    set_pending(context, "report", view.row.id, outcome=outcome)
    await answer(update)
    title = esc(t.translate(view.row.title))
    if outcome in REASON_REQUIRED:
        text = t.gettext(
            "<b>{title}</b>: {outcome}.\nWrite the reason for this decision. /batal cancels.",
            title=title, outcome=label(t, OUTCOME_LABELS, outcome),
        )  # fmt: skip
        await reply(update, context, text)
        return AWAIT
    if (named := await naming_prompt(context, view, outcome)) is not None:
        await reply(update, context, *named)
        return AWAIT
    if outcome == "done":
        text = t.gettext(
            "<b>{title}</b>\nSend a short report of what was done, or the document as a file "
            "({output}). /batal cancels.",
            title=title, output=esc(view.step.output),
        )  # fmt: skip
    else:
        text = t.gettext(
            "<b>{title}</b>: {outcome}.\nWrite a short note for the case record. /batal cancels.",
            title=title, outcome=label(t, OUTCOME_LABELS, outcome),
        )  # fmt: skip
    if outcome == "done" and view.step.output_required and not await _letter_made(context, view):
        # the seed names this step's output: a report, a file or its letter; only the head
        # may close it without, giving the reason
        text += "\n" + t.gettext("This step needs its result: without it only the head can "
                                 "close it, giving the reason.")  # fmt: skip
        user = update.effective_user
        head = user is not None and may_decide_as_head(view.office, await context.person_id(user))
        if not head:
            await reply(update, context, text)
            return AWAIT
        waive = t.gettext("Close without its result (head)")
        button = InlineKeyboardButton(waive, callback_data=f"wv:{view.row.id}")
    else:
        label_ = t.gettext("Without a report")
        button = InlineKeyboardButton(label_, callback_data=f"wn:{view.row.id}")
    rows = [[button], *await naming_rows(context, view, outcome)]
    await reply(update, context, text, InlineKeyboardMarkup(rows))
    return AWAIT


async def _letter_made(context: Ctx, view: StepView) -> bool:
    """Whether one of the step's letters was made since the step opened (its result)."""
    letters = await list_letters(context.services, view.case.id)
    return any(x.kind in view.step.documents and x.created_at >= view.row.opened_at
               for x in letters)  # fmt: skip


async def on_done(update: Update, context: Ctx) -> str | int | None:
    """wd:<step>: finish a step (one outcome), or choose among its outcomes first."""
    cq = update.callback_query
    assert cq is not None
    m = _DONE.match(cq.data or "")
    if m is None:
        await bad_button(update, context, "complete_step")
        return None
    view = await check_step(update, context, int(m[1]), "act", "complete_step")
    if view is None or not await private_only(update, context):
        return None
    outcomes = view.step.outcomes
    user = update.effective_user
    assert user is not None
    me = await context.person_id(user)
    t = context.t
    assignee = view.row.assignee_user_id
    mine = [o for o in outcomes if may_complete_step(view.office, view.step, assignee, me, o)]
    if not mine:
        await answer(update, t.gettext("You are not allowed to do this for this case."), alert=True)
        return None
    if outcomes == ("done",):
        return await _ask_report(update, context, view, "done")
    buttons = [
        [InlineKeyboardButton(label(t, OUTCOME_LABELS, o), callback_data=f"wo:{view.row.id}:{o}")]
        for o in mine
    ]
    await answer(update)
    text = t.gettext("<b>{title}</b>\nWhat is the result?", title=esc(t.translate(view.row.title)))
    await reply(update, context, text, InlineKeyboardMarkup(buttons))
    clear_pending(context)  # an earlier unanswered request gives way to this one
    return END


async def on_outcome(update: Update, context: Ctx) -> str | int | None:
    """wo:<step>:<outcome>: the chosen result; then the report or reason is asked for."""
    cq = update.callback_query
    assert cq is not None
    m = _OUTCOME.match(cq.data or "")
    if m is None:
        await bad_button(update, context, "decide")
        return None
    outcome = m[2]
    need, action = ("act", "complete_step") if outcome == "done" else ("decide", "decide")
    view = await check_step(update, context, int(m[1]), need, action)
    if view is None or not await private_only(update, context):
        return None
    if outcome not in view.step.outcomes:
        await bad_button(update, context, action)
        return None
    return await _ask_report(update, context, view, outcome)


async def _finish(
    update: Update, context: Ctx, step_id: int, outcome: str, text: str | None,
    file: tuple[str, str, bytes] | None, *, waive: bool = False,
) -> int:  # fmt: skip
    user = update.effective_user
    assert user is not None
    me = await context.person_id(user)
    dp, t = context.deps, context.t
    made = pop_step_letter(context, step_id)
    if outcome == "done" and not text and file is None and made is not None:
        text = made  # the number of the letter made at this step is the report
    if waive:
        result = await dp.workflow.complete_without_output(step_id, me, text or "")
    elif outcome == "done":
        result = await dp.workflow.complete_step(step_id, me, "done", text, file)
    else:
        result = await dp.workflow.decide(step_id, me, outcome, text)
    clear_pending(context)
    if not result.ok:
        await reply(update, context, "⚠ " + result_text(t, result))
        return END
    dp.kick()
    lines = [t.gettext("✅ Recorded.")]
    for sid in result.opened:
        view = await dp.workflow.describe(sid)
        if view is not None:
            roles = ", ".join(label(t, ROLE_LABELS, r) for r in view.row.roles)
            title = esc(t.translate(view.row.title))
            lines.append(t.gettext("Next: {title} ({roles})", title=title, roles=roles))
    await reply(update, context, "\n".join(lines))
    return END


async def on_report(update: Update, context: Ctx, pending: dict[str, Any]) -> str | int:
    """The report text or file for a pending step (a reason where the outcome needs one)."""
    msg = update.effective_message
    assert msg is not None
    t = context.t
    step_id, outcome = int(pending["step"]), str(pending["outcome"])
    waive = pending.get("waive") == "1"
    if msg.text is not None:
        return await _finish(update, context, step_id, outcome, msg.text, None, waive=waive)
    if outcome != "done" or waive:
        await reply(update, context, t.gettext("Please write it as a text message."))
        return AWAIT
    doc = msg.document
    photo = msg.photo[-1] if msg.photo else None
    item = doc or photo
    if item is None:
        await reply(update, context, t.gettext("Please send text or a file."))
        return AWAIT
    if (item.file_size or 0) > context.deps.max_file_bytes:
        await reply(update, context, t.gettext("The file is too large."))
        return AWAIT
    try:
        data = bytes(await (await context.bot.get_file(item.file_id)).download_as_bytearray())
    except TelegramError:
        await reply(update, context, t.gettext("The file could not be received. Please try again."))
        return AWAIT
    name = (doc.file_name if doc else None) or "photo.jpg"
    mime = (doc.mime_type if doc else None) or "image/jpeg"
    return await _finish(update, context, step_id, outcome, msg.caption, (name, mime, data))


async def on_no_report(update: Update, context: Ctx) -> str | int | None:
    """wn:<step>: finish the pending step without a report."""
    cq = update.callback_query
    assert cq is not None
    m = _NO_REPORT.match(cq.data or "")
    pending = get_pending(context)
    if m is None or pending is None or pending.get("kind") != "report":
        await bad_button(update, context, "complete_step")
        return None
    if int(m[1]) != int(pending["step"]) or pending["outcome"] in REASON_REQUIRED:
        await bad_button(update, context, "complete_step")
        return None
    await answer(update)
    return await _finish(update, context, int(m[1]), str(pending["outcome"]), None, None)


async def on_waive(update: Update, context: Ctx) -> str | int | None:
    """wv:<step>: the head closes the pending step without its result; the reason is asked."""
    cq = update.callback_query
    assert cq is not None
    m = _WAIVE.match(cq.data or "")
    pending = get_pending(context)
    if m is None or pending is None or pending.get("kind") != "report":
        await bad_button(update, context, "done_without_output")
        return None
    if int(m[1]) != int(pending["step"]) or pending["outcome"] != "done":
        await bad_button(update, context, "done_without_output")
        return None
    view = await check_step(update, context, int(m[1]), "head", "done_without_output")
    if view is None:
        return None
    set_pending(context, "report", view.row.id, outcome="done", waive="1")
    await answer(update)
    text = context.t.gettext(
        "<b>{title}</b>\nWrite why the step is closed without its result ({output}). "
        "/batal cancels.",
        title=esc(context.t.translate(view.row.title)), output=esc(view.step.output),
    )  # fmt: skip
    await reply(update, context, text)
    return AWAIT


async def cancel(update: Update, context: Ctx) -> int:
    """/batal while a report, reason or place is awaited."""
    clear_pending(context)
    await reply(update, context, context.t.gettext("Cancelled. Nothing was recorded."))
    return END


async def on_extension(update: Update, context: Ctx) -> None:
    """wx:<step>: ask the head for more time (extendable steps only)."""
    cq = update.callback_query
    user = update.effective_user
    assert cq is not None and user is not None
    me = await context.person_id(user)
    m = _EXTEND.match(cq.data or "")
    if m is None:
        await bad_button(update, context, "request_extension")
        return
    dp, t = context.deps, context.t
    result = await dp.workflow.request_extension(int(m[1]), me)
    if not result.ok:
        await answer(update, result_text(t, result)[:200], alert=True)
        return
    dp.kick()
    await answer(update, t.gettext("Your request for more time was sent to the head."))
    await reply(update, context, t.gettext("⏳ Your request for more time was sent to the head."))
