"""The record services' letters by button, sent by DM to staff who need to know (audited):
rl:<referral> its Surat Rujukan (or the court protection-order request); sl:<stay> the shelter
admission record."""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.channels.telegram.handlers.common import Ctx, answer
from bot.channels.telegram.handlers.reports import send_letter
from bot.reports.record_letters import referral_letter, stay_letter
from bot.services.context import Services
from bot.services.staff import Outcome, check_identity_access
from bot.store.letters import Letter
from bot.store.referrals import ReferralStore
from bot.store.shelter import ShelterStore

__all__ = ["PATTERN", "on_record_letter", "referral_letter_button", "stay_letter_markup"]

log = logging.getLogger(__name__)

PATTERN = r"^[rs]l:"
_DATA = re.compile(r"^([rs])l:(\d{1,12})$")


def referral_letter_button(t_label: str, referral_id: int) -> InlineKeyboardButton:
    """The button that makes a referral's letter."""
    return InlineKeyboardButton(t_label, callback_data=f"rl:{referral_id}")


def stay_letter_markup(t_label: str, stay_id: int) -> InlineKeyboardMarkup:
    """The button that makes a stay's admission record."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t_label, callback_data=f"sl:{stay_id}")]])


async def _case_of(svc: Services, what: str, record_id: int) -> int | None:
    async with svc.db.reading() as conn:
        if what == "r":
            row = await ReferralStore(svc.cipher).get(conn, record_id)
            return row.case_id if row else None
        stay = await ShelterStore(svc.cipher).get(conn, record_id)
        return stay.case_id if stay else None


async def on_record_letter(update: Update, context: Ctx) -> None:
    """Make the letter, keep it with the case, and send it to the presser's private chat."""
    user, cq = update.effective_user, update.callback_query
    m = _DATA.match(cq.data or "") if cq else None
    t, svc = context.t, context.services
    if user is None or m is None:
        await answer(update, t.gettext("That button is not valid any more."))
        return
    me = await context.person_id(user)
    case_id = await _case_of(svc, m[1], int(m[2]))
    access = await check_identity_access(svc, case_id, me, denied="denied:make_letter") if (
        case_id is not None) else None  # fmt: skip
    if access is None or access.outcome is not Outcome.OK:
        text = t.gettext("Sorry, a case's letters are only for the staff handling it. If you "
                         "need them, ask the head of the unit to give you access.")  # fmt: skip
        await answer(update, text, alert=True)
        return
    try:
        maker = referral_letter if m[1] == "r" else stay_letter
        letter: Letter = await maker(svc, int(m[2]), me)
    except (LookupError, PermissionError, ValueError) as exc:
        log.warning("letter not made: %s", type(exc).__name__)
        await answer(update, t.gettext("The letter could not be made."), alert=True)
        return
    try:
        await send_letter(context.bot, user.id, letter, letter.number)
    except TelegramError as exc:
        log.warning("letter not sent: %s", type(exc).__name__)
        await answer(update, t.gettext("The letter could not be sent. Start a private chat with "
                                       "the bot."), alert=True)  # fmt: skip
        return
    await answer(update, t.gettext("📄 Letter {number} was sent to you.", number=letter.number))
