"""A disposition that names the expert (seed 004 step 1): one button per person who may do
the next step; pressing one finishes the step and gives the next step to that person."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import Ctx, esc
from bot.channels.telegram.handlers.workflow_render import ROLE_LABELS, label
from bot.domain.permissions import assignable_people
from bot.services.workflow import StepView

__all__ = ["naming_prompt", "naming_rows"]


async def naming_rows(
    context: Ctx, view: StepView, outcome: str
) -> list[list[InlineKeyboardButton]]:
    """For the head finishing a `names_next` step: a button per person for the next step."""
    if outcome != "done" or not view.step.names_next or "done" not in view.step.outcomes:
        return []
    target = view.step.next("done")
    sop = context.workflow.sops[view.row.sop_key]
    if target not in {s.key for s in sop.steps}:
        return []
    t, nxt = context.t, sop.step(target)
    rows = []
    for uid in assignable_people(view.office, nxt)[:12]:
        roles = ", ".join(label(t, ROLE_LABELS, r.value) for r in sorted(view.office.roles_of(uid))
                          if r in nxt.actors)  # fmt: skip
        text = t.gettext("👤 Dispose to {role} {id}", role=roles, id=uid)
        rows.append([InlineKeyboardButton(text, callback_data=f"wa:{view.row.id}:{uid}")])
    return rows


async def naming_prompt(
    context: Ctx, view: StepView, outcome: str
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """For "done" on a `names_next` step: the only way to finish it is to name the person
    (seed 004 step 1: the disposition goes to an expert); None for any other step."""
    if outcome != "done" or not view.step.names_next:
        return None
    t, rows = context.t, await naming_rows(context, view, outcome)
    title = esc(t.translate(view.row.title))
    if not rows:
        return t.gettext(
            "<b>{title}</b>\nNobody on the roster holds a role of the next step: the office "
            "file must name one before the case can be disposed.", title=title,
        ), None  # fmt: skip
    return t.gettext(
        "<b>{title}</b>\nChoose to whom the case is disposed: the next step is given to that "
        "person, and the Lembar Disposisi names their field. /batal cancels.", title=title,
    ), InlineKeyboardMarkup(rows)  # fmt: skip
