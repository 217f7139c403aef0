"""Referral commands for staff (private chat): refer a case, record what comes back, dates.

/rujuk NOMOR JENIS INSTANSI         refer (jenis: police, hospital, court, psychologist,
                                    legal_aid, social_service, uptd_ppa)
/rujukan NOMOR                      a case's referrals, their facts and dates
/fakta ID KUNCI NILAI               a fact that came back (report_number starts the PKDRT clock)
/jadwal ID [JENIS] DD-MM-YYYY HH:MM TEMPAT  a hearing (or bap, visum, travel, other), reminded
                                    the previous working day and 2 h before
/pindah TANGGAL_ID DD-MM-YYYY HH:MM [TEMPAT]   move it (the reminders follow)
/perlindungan ID                    temporary protection was asked of the police
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.channels.telegram.handlers.common import Ctx, esc, reply
from bot.channels.telegram.handlers.record_letters_ui import referral_letter_button
from bot.domain.i18n_marker import N_
from bot.domain.referrals import DATE_KINDS, FACT_KEYS, REFERRAL_KINDS
from bot.i18n import Translator
from bot.services import referrals as uc

__all__ = [
    "dispatch",
    "fakta",
    "jadwal",
    "perlindungan",
    "pindah",
    "referral_agenda",
    "rujuk",
    "rujukan",
    "when_from",
]

_WHEN = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def when_from(day: str, clock: str, timezone: str) -> datetime | None:
    """DD-MM-YYYY and HH:MM in the office's zone (None when not a valid time)."""
    d, c = _WHEN.match(day), _TIME.match(clock)
    if d is None or c is None:
        return None
    try:
        return datetime(int(d[3]), int(d[2]), int(d[1]), int(c[1]), int(c[2]),
                        tzinfo=ZoneInfo(timezone))  # fmt: skip
    except ValueError:
        return None


def _args(context: Ctx) -> list[str]:
    return list(context.args or [])


async def _staff(update: Update, context: Ctx) -> int | None:
    """The acting person, in a private chat, on some office's roster (else None, told why)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return None
    person = await context.person_id(user)
    if not context.services.staff_offices(person):
        t = context.t
        await reply(update, context, t.gettext("This command is only for the unit's staff."))
        return None
    return person


async def _done(update: Update, context: Ctx, result: uc.ReferralResult, ok: str) -> None:
    t = context.t
    if result.ok:
        context.deps.kick()
        await reply(update, context, ok)
    else:
        await reply(update, context, "⚠ " + esc(t.translate(result.message or "", **result.params)))


def _usage(t: Translator, text: str) -> str:
    return t.gettext("Usage: {usage}", usage=f"<code>{esc(text)}</code>")


async def rujuk(update: Update, context: Ctx) -> None:
    """/rujuk NOMOR JENIS INSTANSI."""
    person = await _staff(update, context)
    if person is None:
        return
    t, a = context.t, _args(context)
    if len(a) < 3 or a[1] not in REFERRAL_KINDS:
        kinds = ", ".join(REFERRAL_KINDS)
        await reply(update, context, _usage(t, f"/rujuk NOMOR [{kinds}] INSTANSI"))
        return
    case_id = await uc.case_id_for_number(context.services, a[0].upper())
    if case_id is None:
        await reply(update, context, t.gettext("There is no such case."))
        return
    result = await uc.refer(context.services, case_id, person, a[1], " ".join(a[2:]))
    await _done(update, context, result,
                t.gettext("Referral {id} recorded. You are the companion.",
                          id=result.referral_id))  # fmt: skip


async def rujukan(update: Update, context: Ctx) -> None:
    """/rujukan NOMOR: the case's referrals."""
    person = await _staff(update, context)
    if person is None:
        return
    t, a = context.t, _args(context)
    case_id = await uc.case_id_for_number(context.services, a[0].upper()) if a else None
    views = await uc.referrals_of(context.services, case_id, person) if case_id else None
    if views is None:
        await reply(update, context, t.gettext("There is no such case."))
        return
    if not views:
        await reply(update, context, t.gettext("This case has no referrals yet."))
        return
    parts, buttons = [], []
    for v in views:
        kind = esc(t.translate(REFERRAL_KINDS.get(v.row.kind, v.row.kind)))
        lines = [t.gettext("<b>Referral {id}</b>: {kind}", id=v.row.id, kind=kind)]
        buttons.append([referral_letter_button(
            t.gettext("📄 Letter for referral {id}", id=v.row.id), v.row.id)])  # fmt: skip
        for key, value in v.facts.items():
            if key == "request":  # what a protection or return referral is for: its kind says
                continue
            label = t.translate({**FACT_KEYS, "letter_number": N_("Letter")}.get(key, key))
            lines.append(f"  {esc(label)}: {esc(value)}")
        for d in v.dates:
            what = t.translate(DATE_KINDS.get(d.kind, d.kind))
            lines.append(f"  📅 [{d.id}] {esc(what)}: {t.datetime(d.scheduled_at, v.timezone)}")
        parts.append("\n".join(lines))
    await reply(update, context, "\n\n".join(parts), InlineKeyboardMarkup(buttons[:20]))


async def fakta(update: Update, context: Ctx) -> None:
    """/fakta ID KUNCI NILAI."""
    person = await _staff(update, context)
    if person is None:
        return
    t, a = context.t, _args(context)
    if len(a) < 3 or not a[0].isdigit() or a[1] not in FACT_KEYS:
        await reply(update, context, _usage(t, f"/fakta ID [{', '.join(FACT_KEYS)}] NILAI"))
        return
    value = " ".join(a[2:])
    if a[1] == "report_number":
        result = await uc.record_police_report(context.services, int(a[0]), person, value)
    else:
        result = await uc.record_fact(context.services, int(a[0]), person, a[1], value)
    await _done(update, context, result, t.gettext("Recorded."))


async def _when(update: Update, context: Ctx, a: list[str], person: int) -> datetime | None:
    offices = context.services.staff_offices(person)
    when = when_from(a[0], a[1], offices[0].timezone) if len(a) >= 2 and offices else None
    if when is None:
        await reply(update, context, context.t.gettext("Write the date as DD-MM-YYYY HH:MM."))
    return when


async def jadwal(update: Update, context: Ctx) -> None:
    """/jadwal ID DD-MM-YYYY HH:MM TEMPAT: a hearing of the referral."""
    person = await _staff(update, context)
    if person is None:
        return
    t, a = context.t, _args(context)
    kind = "hearing"
    if len(a) > 1 and a[1] in DATE_KINDS:  # /jadwal ID travel DD-MM-YYYY HH:MM TEMPAT
        kind, a = a[1], [a[0], *a[2:]]
    if len(a) < 4 or not a[0].isdigit():
        kinds = "|".join(DATE_KINDS)
        await reply(update, context, _usage(t, f"/jadwal ID [{kinds}] DD-MM-YYYY HH:MM TEMPAT"))
        return
    when = await _when(update, context, a[1:], person)
    if when is None:
        return
    result = await uc.schedule_date(
        context.services, int(a[0]), person, when, " ".join(a[3:]), kind=kind
    )
    await _done(update, context, result,
                t.gettext("Date {id} set; you are reminded the working day before and two "
                          "hours before.", id=result.date_id))  # fmt: skip


async def pindah(update: Update, context: Ctx) -> None:
    """/pindah TANGGAL_ID DD-MM-YYYY HH:MM [TEMPAT]: move a hearing."""
    person = await _staff(update, context)
    if person is None:
        return
    t, a = context.t, _args(context)
    if len(a) < 3 or not a[0].isdigit():
        await reply(update, context, _usage(t, "/pindah TANGGAL_ID DD-MM-YYYY HH:MM [TEMPAT]"))
        return
    when = await _when(update, context, a[1:], person)
    if when is None:
        return
    place = " ".join(a[3:]) or None
    result = await uc.move_date(context.services, int(a[0]), person, when, place)
    await _done(update, context, result, t.gettext("Moved; the reminders follow the new time."))


async def perlindungan(update: Update, context: Ctx) -> None:
    """/perlindungan ID: temporary protection was asked of the police (PKDRT Pasal 16)."""
    person = await _staff(update, context)
    if person is None:
        return
    t, a = context.t, _args(context)
    if len(a) != 1 or not a[0].isdigit():
        await reply(update, context, _usage(t, "/perlindungan ID"))
        return
    result = await uc.record_protection_requested(context.services, int(a[0]), person)
    await _done(update, context, result, t.gettext("Recorded: temporary protection requested."))


_COMMANDS = {
    "rujuk": rujuk,
    "rujukan": rujukan,
    "fakta": fakta,
    "jadwal": jadwal,
    "pindah": pindah,
    "perlindungan": perlindungan,
}


async def dispatch(update: Update, context: Ctx) -> None:
    """One handler for the referral commands (one row in the registry)."""
    msg = update.effective_message
    text = (msg.text or "") if msg else ""
    name = text.split()[0][1:].split("@")[0].lower() if text.startswith("/") else ""
    handler = _COMMANDS.get(name)
    if handler is not None:
        await handler(update, context)


async def referral_agenda(update: Update, context: Ctx) -> None:
    """In /tugas: the coming referral dates (hearings) the presser accompanies."""
    user = update.effective_user
    if user is None:
        return
    t = context.t
    items = await uc.agenda(context.services, await context.person_id(user))
    if not items:
        return
    lines = [t.gettext("📅 <b>Dates you accompany</b>")]
    for d, number, place, tz in items:
        what = t.translate(DATE_KINDS.get(d.kind, d.kind))
        lines.append(f"• {t.datetime(d.scheduled_at, tz)}: {esc(what)}, <b>{esc(number)}</b>, "
                     f"{esc(place)}")  # fmt: skip
    await reply(update, context, "\n".join(lines))
