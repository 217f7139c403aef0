"""/asesmen NOMOR pelaku_anak=ya|tidak|? kdrt_berat=ya|tidak|?: staff record assessed facts."""

from __future__ import annotations

import re

from telegram import Update
from telegram.constants import ChatType

from bot.channels.telegram.handlers.common import Ctx, esc, reply
from bot.services.assessment import AssessOutcome, record_assessment

__all__ = ["asesmen", "parse_assessment"]

_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
_VALUES = {"ya": True, "yes": True, "tidak": False, "no": False, "?": None}
_KEYS = {"pelaku_anak": "perpetrator_child", "kdrt_berat": "kdrt_severe"}


def parse_assessment(args: list[str]) -> tuple[str, dict[str, bool | None]] | None:
    """The case number and the facts named (None when the command is malformed)."""
    if len(args) < 2 or not _NUMBER.match(args[0].strip().upper()[:40]):
        return None
    facts: dict[str, bool | None] = {}
    for arg in args[1:]:
        name, _, value = arg.strip().lower().partition("=")
        if name not in _KEYS or value not in _VALUES:
            return None
        facts[_KEYS[name]] = _VALUES[value]
    return args[0].strip().upper(), facts


async def asesmen(update: Update, context: Ctx) -> None:
    """Record the assessment; the eligibility rules read it at the next choice of service."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    me = await context.person_id(user)
    t = context.t
    if chat.type != ChatType.PRIVATE:
        await reply(
            update, context, t.gettext("Please use /asesmen in a private chat with the bot.")
        )
        return
    parsed = parse_assessment(list(context.args or []))
    if parsed is None:
        text = t.gettext(
            "Send /asesmen with the case number and what was assessed, for example: "
            "/asesmen PPA-TNG-2026-00001 pelaku_anak=tidak kdrt_berat=ya "
            "(ya, tidak, or ? for not known)."
        )
        await reply(update, context, text)
        return
    number, facts = parsed
    result = await record_assessment(
        context.services,
        number,
        me,
        perpetrator_child=facts.get("perpetrator_child"),
        kdrt_severe=facts.get("kdrt_severe"),
    )
    if result.outcome is AssessOutcome.NOT_FOUND:
        await reply(update, context, t.gettext("There is no case with that number in your unit."))
    elif result.outcome is AssessOutcome.NOT_ALLOWED:
        text = t.gettext("Only the head, a case manager or a companion records an assessment.")
        await reply(update, context, text)
    else:
        text = t.gettext("Assessment of case {number} recorded.", number=esc(result.number))
        await reply(update, context, text)
