"""Staff read a case's evidence files: a button under the details, files by private message.

Only those who may read the case's identity get them (need-to-know, bot/services/staff.py);
each file is read back from the encrypted store segment by segment and sent as a protected
document (not forwarded, not saved), one file at a time. Telegram's upload takes the whole
file, so one file is in memory while it is sent, never all of a case's files.
"""

from __future__ import annotations

import logging
import mimetypes
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import Forbidden, TelegramError

from bot.channels.telegram.handlers.common import Ctx, answer, ask_private_chat_first
from bot.i18n import Translator
from bot.services.evidence import case_evidence, read_evidence
from bot.services.staff import Outcome
from bot.store.evidence_stream import EvidenceFileError

__all__ = ["PATTERN", "evidence_button", "on_evidence_button"]

log = logging.getLogger(__name__)

PATTERN = r"^evf:\d{1,12}$"
_DATA = re.compile(r"^evf:(\d{1,12})$")


def evidence_button(t: Translator, case_id: int, n: int) -> InlineKeyboardMarkup:
    """The button under the details that sends the case's evidence files."""
    label = t.ngettext("📎 Send the evidence file", "📎 Send the {n} evidence files", n)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"evf:{case_id}")]])


def _filename(n: int, mime: str) -> str:
    ext = mimetypes.guess_extension(mime) or ".bin"
    return f"bukti-{n}{ext}"


async def on_evidence_button(update: Update, context: Ctx) -> None:
    """evf:<case id>: the files by private message, for those who need to know."""
    user = update.effective_user
    assert update.callback_query is not None and user is not None
    t, svc = context.t, context.services
    m = _DATA.match(update.callback_query.data or "")
    if m is None:
        await answer(update, t.gettext("That button is not valid any more."))
        return
    me = await context.person_id(user)
    outcome, rows = await case_evidence(svc, int(m[1]), me)
    if outcome is not Outcome.OK:
        await answer(
            update,
            t.gettext(
                "Sorry, a case's details are only for the staff handling it. If you need them, "
                "ask the head of the unit to give you access."
            ),
            alert=True,
        )
        return
    failed = 0
    for n, row in enumerate(rows, start=1):
        outcome, _, chunks = await read_evidence(svc, row.id, me)
        if outcome is not Outcome.OK or chunks is None:
            failed += 1
            continue
        content = bytearray()
        try:
            async for piece in chunks:
                content += piece
            await context.bot.send_document(
                user.id,
                InputFile(bytes(content), filename=_filename(n, row.mime)),
                protect_content=True,
            )
        except Forbidden:
            await ask_private_chat_first(update, context)
            return
        except (EvidenceFileError, TelegramError) as exc:
            log.warning("evidence %d not sent: %s", row.id, type(exc).__name__)
            failed += 1
        finally:
            content.clear()
    await answer(update, t.gettext("Sent to you by private message."))
    if failed:
        await context.bot.send_message(
            user.id,
            t.ngettext(
                "{n} evidence file could not be sent (missing or damaged in the store); "
                "tell the administrator.",
                "{n} evidence files could not be sent (missing or damaged in the store); "
                "tell the administrator.",
                failed,
            ),
        )
