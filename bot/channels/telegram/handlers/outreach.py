"""Outreach buttons: "I am on it" on a page, and the visit's outcome."""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.channels.telegram.handlers.common import Ctx, answer
from bot.channels.telegram.outreach_render import details_lines, visit_buttons
from bot.domain.outreach import VISIT_OUTCOMES
from bot.services import outreach

__all__ = ["on_ack", "on_visit", "outreach_agenda"]

log = logging.getLogger(__name__)

_ACK = re.compile(r"^oa:(\d{1,12})$")
_VISIT = re.compile(r"^ov:(\d{1,12}):([a-z_]{1,20})$")


async def _private(update: Update, context: Ctx, text: str, markup: object = None) -> None:
    """Send to the presser's private chat (details never go to a group)."""
    user = update.effective_user
    if user is None:
        return
    try:
        await context.bot.send_message(
            user.id, text, parse_mode=ParseMode.HTML, reply_markup=markup,  # type: ignore[arg-type]
            protect_content=True,
        )  # fmt: skip
    except TelegramError as exc:
        log.warning("outreach reply not sent: %s", type(exc).__name__)


async def on_ack(update: Update, context: Ctx) -> None:
    """A staff member takes the urgent report: paging stops; the details come privately."""
    cq = update.callback_query
    user = update.effective_user
    m = _ACK.match(cq.data or "") if cq else None
    t = context.t
    if m is None or user is None:
        await answer(update, t.gettext("That button is not valid any more."))
        return
    oid = int(m[1])
    person = await context.person_id(user)
    result = await outreach.acknowledge(context.services, oid, person)
    if not result.ok:
        await answer(update, t.translate(result.message or "", **result.params), alert=True)
        return
    await answer(update, t.gettext("Thank you. The others are told you are on it."))
    context.deps.kick()
    v = await outreach.view(context.services, oid, person)
    if v is None:
        return
    lines = [t.gettext("🚨 <b>You are on the urgent report.</b>"), *details_lines(v, t), "",
             t.gettext("After the visit, record how it ended:")]  # fmt: skip
    await _private(update, context, "\n".join(lines), visit_buttons(oid, t))


async def on_visit(update: Update, context: Ctx) -> None:
    """The visit's outcome: safe, shelter, hospital, police, not found."""
    cq = update.callback_query
    user = update.effective_user
    m = _VISIT.match(cq.data or "") if cq else None
    t = context.t
    if m is None or user is None or m[2] not in VISIT_OUTCOMES:
        await answer(update, t.gettext("That button is not valid any more."))
        return
    person = await context.person_id(user)
    result = await outreach.record_visit(context.services, int(m[1]), person, m[2])
    if not result.ok:
        await answer(update, t.translate(result.message or "", **result.params), alert=True)
        return
    context.deps.kick()
    await answer(update, t.gettext("The visit is recorded: {outcome}.",
                                   outcome=t.translate(VISIT_OUTCOMES[m[2]])))  # fmt: skip


async def outreach_agenda(update: Update, context: Ctx) -> None:
    """In /tugas: the urgent reports the presser is on, each with the visit's outcome buttons."""
    user = update.effective_user
    if user is None:
        return
    t = context.t
    for v in await outreach.on_for(context.services, await context.person_id(user)):
        lines = [
            t.gettext("🚨 <b>You are on the urgent report.</b>"),
            t.gettext("Opened: {when}", when=t.datetime(v.row.opened_at, v.office.timezone)),
            *details_lines(v, t),
            "",
            t.gettext("After the visit, record how it ended:"),
        ]
        await _private(update, context, "\n".join(lines), visit_buttons(v.row.id, t))
