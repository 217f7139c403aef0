"""/asesmen NOMOR ...: staff record assessed facts and complete the case's SIMFONI record.

``pelaku_anak=ya|tidak|?`` and ``kdrt_berat=ya|tidak|?`` are facts the law's rules read; the
other words (``tempat=``, ``korban1.pendidikan=``, ...; bot/domain/record_entry.py) complete
the record. ``/asesmen NOMOR`` alone shows the record and what is still missing.
"""

from __future__ import annotations

import re
import shlex

from telegram import Update
from telegram.constants import ChatType

from bot.channels.telegram.handlers.common import Ctx, esc, reply
from bot.channels.telegram.handlers.record_ui import record_text
from bot.channels.telegram.handlers.staff import MAX_MESSAGE, split_html
from bot.domain.record_entry import RecordEntryError, parse_record_words
from bot.services.assessment import AssessOutcome, record_assessment
from bot.services.record import RecordOutcome, RecordResult, complete_record, show_record

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
    person = await context.person_id(user)
    words = _words(update, context)
    if len(words) == 1 and _NUMBER.match(words[0].strip().upper()[:40]):
        shown = await show_record(context.services, words[0].strip().upper(), person)
        await _reply_record(update, context, shown)
        return
    facts_words = [w for w in words[1:] if w.partition("=")[0].strip().lower() in _KEYS]
    record_words = [w for w in words[1:] if w not in facts_words]
    if words and record_words:
        try:
            entry = parse_record_words(record_words)
        except RecordEntryError as exc:
            text = t.gettext("I do not understand {word}.", word=esc(str(exc)))
            await reply(update, context, text)
            return
        done = await complete_record(context.services, words[0].strip().upper(), person, entry)
        if done.outcome is not RecordOutcome.OK or not facts_words:
            await _reply_record(update, context, done)
            return
        words = [words[0], *facts_words]
    parsed = parse_assessment(words)
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


def _words(update: Update, context: Ctx) -> list[str]:
    """The command's words; quotes keep a region with spaces together."""
    msg = update.effective_message
    text = msg.text if msg is not None and msg.text else ""
    try:
        return shlex.split(text)[1:]
    except ValueError:  # an unbalanced quote: plain words
        return list(context.args or [])


async def _reply_record(update: Update, context: Ctx, result: RecordResult) -> None:
    t = context.t
    if result.outcome is RecordOutcome.NOT_FOUND:
        await reply(update, context, t.gettext("There is no case with that number in your unit."))
    elif result.outcome is RecordOutcome.NOT_ALLOWED:
        text = t.gettext("Only the unit's staff handling cases complete the SIMFONI record.")
        await reply(update, context, text)
    elif result.outcome is RecordOutcome.BAD_NUMBER:
        text = t.gettext(
            "A new victim or reported party takes the next number (for example korban2 when "
            "there is one victim). Nothing was changed."
        )
        await reply(update, context, text)
    elif result.record is not None and result.number is not None:
        for part in split_html(record_text(t, result.number, result.record), MAX_MESSAGE - 16):
            await reply(update, context, part)  # a case with many victims: several messages
