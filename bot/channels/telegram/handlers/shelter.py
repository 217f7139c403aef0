"""Shelter commands (private chat): the head admits, the head or case manager discharges.

/rumahaman NOMOR [RENCANA KESELAMATAN]   admit (within capacity; full: partner referral)
/keluar STAY_ID RENCANA PEMULANGAN       end the stay with the discharge plan
/perpanjang STAY_ID HARI ALASAN          the head extends a stay, with a reason
sa:<case> / sr:<case>                    the head admits / refuses a request from the plan
sc:<stay>                                the daily check-in is done
"""

from __future__ import annotations

import re
from datetime import datetime

from telegram import Update
from telegram.constants import ChatType

from bot.channels.telegram.handlers.common import Ctx, answer, esc, reply
from bot.channels.telegram.handlers.record_letters_ui import stay_letter_markup
from bot.services import shelter, shelter_stay
from bot.services.referrals import case_id_for_number
from bot.store.shelter import ShelterStore

__all__ = ["dispatch", "keluar", "on_decision", "perpanjang", "rumahaman"]

_DECISION = re.compile(r"^s([arc]):(\d{1,12})$")


async def _person(update: Update, context: Ctx) -> int | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return None
    return await context.person_id(user)


async def _answer(update: Update, context: Ctx, result: shelter.ShelterResult, ok: str) -> None:
    t = context.t
    if result.message is not None:
        text = t.translate(result.message, **result.params)
        await reply(update, context, ("" if result.ok else "⚠ ") + esc(text))
    elif result.stay_id is not None and result.params.get("ends_at"):  # admitted: its record
        button = t.gettext("📄 Shelter admission record")
        await reply(update, context, ok, stay_letter_markup(button, result.stay_id))
    else:
        await reply(update, context, ok)


async def rumahaman(update: Update, context: Ctx) -> None:
    """/rumahaman NOMOR [RENCANA]: the head admits the case's victim to the shelter."""
    person = await _person(update, context)
    if person is None:
        return
    t, a = context.t, list(context.args or [])
    case_id = await case_id_for_number(context.services, a[0].upper()) if a else None
    if case_id is None:
        await reply(update, context, t.gettext("There is no such case."))
        return
    result = await shelter.admit(context.services, case_id, person, " ".join(a[1:]))
    await _answer(update, context, result,
                  t.gettext("Admitted to the shelter (stay {id}). The end of the stay will be "
                            "reminded.", id=result.stay_id))  # fmt: skip


async def keluar(update: Update, context: Ctx) -> None:
    """/keluar STAY_ID [RENCANA]: end a stay with the discharge plan."""
    person = await _person(update, context)
    if person is None:
        return
    t, a = context.t, list(context.args or [])
    if not a or not a[0].isdigit():
        usage = "<code>/keluar STAY_ID [RENCANA]</code>"
        await reply(update, context, t.gettext("Usage: {usage}", usage=usage))
        return
    result = await shelter.discharge(context.services, int(a[0]), person, " ".join(a[1:]))
    await _answer(update, context, result, t.gettext("The stay has ended."))


async def _office_of_stay(context: Ctx, stay_id: int) -> str:
    svc = context.services
    async with svc.db.reading() as conn:
        stay = await ShelterStore(svc.cipher).get(conn, stay_id)
    assert stay is not None
    return stay.office_id


async def perpanjang(update: Update, context: Ctx) -> None:
    """/perpanjang STAY_ID HARI ALASAN: the head extends a stay, with a reason."""
    person = await _person(update, context)
    if person is None:
        return
    t, a = context.t, list(context.args or [])
    if len(a) < 3 or not a[0].isdigit() or not a[1].isdigit():
        usage = "<code>/perpanjang STAY_ID HARI ALASAN</code>"
        await reply(update, context, t.gettext("Usage: {usage}", usage=usage))
        return
    result = await shelter_stay.extend(context.services, int(a[0]), person, int(a[1][:3]),
                                       " ".join(a[2:]))  # fmt: skip
    if not result.ok:
        await _answer(update, context, result, "")
        return
    tz = context.services.office(await _office_of_stay(context, int(a[0]))).timezone
    ends = t.date(datetime.fromisoformat(str(result.params["ends_at"])), tz)
    await reply(update, context, t.gettext("The stay is extended until {date}.", date=ends))


async def dispatch(update: Update, context: Ctx) -> None:
    """One handler for the shelter commands (one row in the registry)."""
    msg = update.effective_message
    text = (msg.text or "") if msg else ""
    name = text.split()[0][1:].split("@")[0].lower() if text.startswith("/") else ""
    if name == "rumahaman":
        await rumahaman(update, context)
    elif name == "keluar":
        await keluar(update, context)
    elif name == "perpanjang":
        await perpanjang(update, context)


async def on_decision(update: Update, context: Ctx) -> None:
    """The head's buttons on a shelter request from the plan: admit or refuse."""
    user, cq = update.effective_user, update.callback_query
    m = _DECISION.match(cq.data or "") if cq else None
    t = context.t
    if user is None or m is None:
        await answer(update, t.gettext("That button is not valid any more."))
        return
    person, case_id = await context.person_id(user), int(m[2])
    if m[1] == "c":
        done = await shelter_stay.check_in(context.services, case_id, person)  # the stay's id
        text = t.gettext("Check-in recorded.") if done.ok else t.translate(done.message or "")
        await answer(update, text, alert=not done.ok)
        return
    if m[1] == "a":
        result = await shelter.admit(context.services, case_id, person)
        ok = t.gettext("Admitted to the shelter (stay {id}). The end of the stay will be "
                       "reminded.", id=result.stay_id)  # fmt: skip
    else:
        result = await shelter.refuse(context.services, case_id, person)
        ok = t.gettext("The shelter admission was refused; the case manager is told.")
    await answer(update)
    if result.ok or result.referral_id is not None:
        context.deps.kick()
    await _answer(update, context, result, ok)
