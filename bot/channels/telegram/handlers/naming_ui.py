"""wa:<step>:<person>: the head finishes a disposition naming the expert (seed 004 step 1)."""

from __future__ import annotations

import re

from telegram import Update

from bot.channels.telegram.handlers.common import Ctx, answer, reply
from bot.channels.telegram.handlers.tasks import (
    END,
    bad_button,
    check_step,
    clear_pending,
    get_pending,
)
from bot.channels.telegram.handlers.workflow_render import result_text
from bot.domain.permissions import may_decide_as_head

__all__ = ["on_name"]

_NAME = re.compile(r"^wa:(\d{1,12}):(\d{1,15})$")


async def on_name(update: Update, context: Ctx) -> str | int | None:
    """wa:<step>:<person>: the head disposes the pending step to that person."""
    cq, user = update.callback_query, update.effective_user
    assert cq is not None and user is not None
    m = _NAME.match(cq.data or "")
    pending = get_pending(context)
    if m is None or pending is None or int(m[1]) != int(pending.get("step", -1)):
        await bad_button(update, context, "dispose_to")
        return None
    view = await check_step(update, context, int(m[1]), "head", "dispose_to")
    if view is None:
        return None
    head = await context.person_id(user)
    if not may_decide_as_head(view.office, head):
        await bad_button(update, context, "dispose_to")
        return None
    result = await context.deps.workflow.dispose_to(view.row.id, head, int(m[2]))
    clear_pending(context)
    if not result.ok:
        await answer(update, result_text(context.t, result)[:200], alert=True)
        return END
    context.deps.kick()
    await answer(update)
    await reply(update, context, context.t.gettext("✅ Recorded."))
    return END
