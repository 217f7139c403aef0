"""Shared checks of the step buttons: the pending answer, a bad button, the step a presser
may act on, private chats only (used by /tugas and the other step handlers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from bot.channels.telegram.handlers.common import Ctx, answer
from bot.channels.telegram.handlers.workflow_render import result_text
from bot.domain.identity import actor_for
from bot.services.workflow import StepView, WorkflowResult
from bot.store.audit import append_audit

__all__ = [
    "PENDING_TTL",
    "bad_button",
    "check_step",
    "clear_pending",
    "get_pending",
    "private_only",
    "set_pending",
]

PENDING_TTL = timedelta(hours=2)
_PENDING = "wf_pending"


def _ud(context: Ctx) -> dict[str, Any]:
    data = context.user_data
    assert isinstance(data, dict)
    return data


def set_pending(context: Ctx, kind: str, step_id: int, **extra: str) -> None:
    """Remember what the user's next private message answers (JSON-safe values only)."""
    now = context.services.clock.now()
    _ud(context)[_PENDING] = {"kind": kind, "step": step_id, "at": now.isoformat(), **extra}


def get_pending(context: Ctx) -> dict[str, Any] | None:
    """The pending answer, unless it is missing or older than PENDING_TTL."""
    p = _ud(context).get(_PENDING)
    if not isinstance(p, dict):
        return None
    try:
        at = datetime.fromisoformat(str(p.get("at")))
    except ValueError:
        return None
    return p if context.services.clock.now() - at <= PENDING_TTL else None


def clear_pending(context: Ctx) -> None:
    """Forget the pending answer."""
    _ud(context).pop(_PENDING, None)


async def bad_button(update: Update, context: Ctx, action: str = "button") -> None:
    """A malformed or unknown workflow button: audited, and the presser is told."""
    user = update.effective_user
    svc = context.services
    actor = actor_for(await context.person_id(user)) if user else "unknown"
    async with svc.db.transaction() as conn:
        await append_audit(conn, at=svc.clock.now(), actor=actor,
                           action=f"denied:{action}", detail="bad button")  # fmt: skip
    await answer(update, context.t.gettext("That button is not valid any more."), alert=True)


async def check_step(
    update: Update, context: Ctx, step_id: int, need: str, action: str, *, open_only: bool = True
) -> StepView | None:
    """The step if the presser may do `need` on it; otherwise an alert (the denial is audited)."""
    user = update.effective_user
    assert user is not None
    me = await context.person_id(user)
    t = context.t
    got = await context.workflow.step_view(step_id, me, need, action)
    if isinstance(got, WorkflowResult):
        await answer(update, result_text(t, got)[:200], alert=True)
        return None
    if open_only and got.row.status != "open":
        await answer(update, t.gettext("This step is not open any more."), alert=True)
        return None
    return got


async def private_only(update: Update, context: Ctx) -> bool:
    """True in a private chat; in a group the presser is asked to use the private chat."""
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return True
    text = context.t.gettext("Please do this in your private chat with the bot (/tugas).")
    await answer(update, text, alert=True)
    return False
