"""The head's buttons: assign (dispose) or hand over a step, approve or refuse more time."""

from __future__ import annotations

import re
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.channels.telegram.handlers.common import Ctx, answer, esc, reply
from bot.channels.telegram.handlers.tasks import bad_button, check_step
from bot.channels.telegram.handlers.workflow_render import ROLE_LABELS, label, result_text
from bot.domain.permissions import assignable_people
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.workflow import StepView

__all__ = ["on_assign", "on_choose", "on_extension_decision", "people_buttons"]

_CHOOSE = re.compile(r"^wc:(\d{1,12})$")
_DISPOSE = re.compile(r"^wp:(\d{1,12}):(\d{1,12}):(\d{1,15})$")
_HAND_OVER = re.compile(r"^wg:(\d{1,12}):(\d{1,15})$")
_EXTENSION = re.compile(r"^we:(\d{1,12}):([yn])$")


def _person(t: Translator, view: StepView, uid: int, svc: Services) -> str:
    roles = ", ".join(label(t, ROLE_LABELS, r.value) for r in sorted(view.office.roles_of(uid)))
    return f"{roles} {svc.staff_address(uid)}"


def people_buttons(t: Translator, view: StepView, svc: Services) -> InlineKeyboardMarkup | None:
    """One button per rostered person holding the step's role (but its assignee)."""
    row = view.row
    people = assignable_people(view.office, view.step)
    rows = []
    for uid in people:
        if uid == row.assignee_user_id:
            continue
        data = (
            f"wp:{row.case_id}:{row.id}:{uid}"
            if row.assignee_user_id is None
            else f"wg:{row.id}:{uid}"
        )
        rows.append([InlineKeyboardButton(_person(t, view, uid, svc), callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


async def on_choose(update: Update, context: Ctx) -> None:
    """wc:<step>: the head sees who may do the step, as buttons."""
    cq = update.callback_query
    assert cq is not None
    m = _CHOOSE.match(cq.data or "")
    if m is None:
        await bad_button(update, context, "dispose")
        return
    t = context.t
    view = await check_step(update, context, int(m[1]), "head", "dispose", open_only=False)
    if view is None:
        return
    if view.row.status not in ("open", "waiting"):
        await answer(update, t.gettext("This step is not open any more."), alert=True)
        return
    markup = people_buttons(t, view, context.services)
    if markup is None:
        await answer(update, t.gettext("Nobody else on the roster holds this role."), alert=True)
        return
    await answer(update)
    text = t.gettext(
        "Who should do this step?\n<b>{title}</b> (case {number})",
        title=esc(t.translate(view.row.title)), number=esc(view.case.number),
    )  # fmt: skip
    await reply(update, context, text, markup)


async def on_assign(update: Update, context: Ctx) -> None:
    """wp:<case>:<step>:<user> (dispose) or wg:<step>:<user> (hand over)."""
    cq = update.callback_query
    user = update.effective_user
    assert cq is not None and user is not None
    me = await context.person_id(user)
    dp, t = context.deps, context.t
    data = cq.data or ""
    if (m := _DISPOSE.match(data)) is not None:
        step_id, assignee = int(m[2]), int(m[3])
        result = await dp.workflow.dispose(int(m[1]), me, step_id, assignee)
    elif (m := _HAND_OVER.match(data)) is not None:
        step_id, assignee = int(m[1]), int(m[2])
        result = await dp.workflow.hand_over(step_id, me, assignee)
    else:
        await bad_button(update, context, "dispose")
        return
    if not result.ok:
        await answer(update, result_text(t, result)[:200], alert=True)
        return
    dp.kick()
    await answer(update, t.gettext("Assigned."))
    view = await dp.workflow.describe(step_id)
    if view is not None:
        text = t.gettext(
            "👤 <b>{title}</b> (case {number}) is now with {person}.",
            title=esc(t.translate(view.row.title)), number=esc(view.case.number),
            person=_person(t, view, assignee, context.services),
        )  # fmt: skip
        await reply(update, context, text)


async def on_extension_decision(update: Update, context: Ctx) -> None:
    """we:<step>:y|n: the head approves or refuses a request for more time."""
    cq = update.callback_query
    user = update.effective_user
    assert cq is not None and user is not None
    me = await context.person_id(user)
    m = _EXTENSION.match(cq.data or "")
    if m is None:
        await bad_button(update, context, "approve_extension")
        return
    dp, t = context.deps, context.t
    approved = m[2] == "y"
    result = await dp.workflow.approve_extension(int(m[1]), me, approved)
    if not result.ok:
        await answer(update, result_text(t, result)[:200], alert=True)
        return
    dp.kick()
    view = await dp.workflow.describe(int(m[1]))
    tz = view.office.timezone if view else "Asia/Jakarta"
    if approved and isinstance(result.params.get("due_at"), str):
        due = datetime.fromisoformat(str(result.params["due_at"]))
        text = t.gettext("✅ More time approved. Now due: {when}.", when=t.datetime(due, tz))
    else:
        text = t.gettext("✖ More time refused.")
    await answer(update, t.gettext("Recorded."))
    await reply(update, context, text)
