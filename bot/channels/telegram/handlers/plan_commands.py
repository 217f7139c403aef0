"""Typed commands of the case plan (the same use cases as its buttons in /kasus):

/layanan NOMOR jenis[=USER_ID] ...   add one or several services at once
/tutup NOMOR alasan                  close the case with a reason
/bukakembali NOMOR alasan            the head reopens a closed case with a reason
/permohonan NOMOR [mediasi|mediasi_perdata] [catatan]   the applicant's request (Pekalongan)
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.constants import ChatType

from bot.channels.telegram.addresses import telegram_person
from bot.channels.telegram.handlers.common import Ctx, esc, reply
from bot.channels.telegram.handlers.plan_render import request_recorded_text, service_label
from bot.channels.telegram.handlers.workflow_render import result_text
from bot.services.workflow import WorkflowResult

__all__ = [
    "CLOSE_WORDS",
    "REOPEN_WORDS",
    "REQUEST_WORDS",
    "SERVICE_WORDS",
    "bukakembali",
    "layanan",
    "permohonan",
    "tutup",
]

_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
# the words staff type (Indonesian) -> the service kinds, reasons of bot/domain/case_plan.py
SERVICE_WORDS = {
    "bantuan_hukum": "legal_aid", "kesehatan": "health", "visum": "health",
    "psikologis": "psychosocial", "psikososial": "psychosocial", "rumah_aman": "shelter",
    "pendampingan": "accompaniment", "mediasi": "mediation", "mediasi_perdata": "mediation_civil",
    "reintegrasi": "reintegration", "pemulangan": "reintegration", "diversi": "diversion_referral",
    "penjangkauan": "outreach", "perlindungan": "protection",
    "rujuk_polisi": "referral.police", "rujuk_rs": "referral.hospital",
    "rujuk_pengadilan": "referral.court", "rujuk_psikolog": "referral.psychologist",
    "rujuk_lbh": "referral.legal_aid", "rujuk_dinsos": "referral.social_service",
    "rujuk_uptd": "referral.uptd_ppa",
}  # fmt: skip
CLOSE_WORDS = {
    "selesai": "completed", "dirujuk": "referred", "mundur": "withdrawn",
    "tidak_terhubung": "unreachable", "bukan_kasus": "not_a_case", "duplikat": "duplicate",
}  # fmt: skip
# what an applicant may ask for at a request (seed 002: mediation)
REQUEST_WORDS = {"mediasi": "mediation", "mediasi_perdata": "mediation_civil"}
REOPEN_WORDS = {
    "info_baru": "new_information", "kejadian_baru": "new_incident",
    "keliru": "closed_in_error", "permintaan_klien": "client_request",
}  # fmt: skip


async def _case_id(update: Update, context: Ctx, number: str) -> int | None:
    """The case of that number in one of the user's offices (else: told, None)."""
    user = update.effective_user
    assert user is not None
    svc = context.services
    async with svc.db.reading() as conn:
        case = await svc.cases.by_number(conn, number)
    office = svc.offices.get(case.office_id) if case else None
    if case is None or office is None or not office.is_staff(await context.person_id(user)):
        await reply(update, context, context.t.gettext(
            "There is no case with that number in your unit."))  # fmt: skip
        return None
    return case.id


async def _private(update: Update, context: Ctx) -> bool:
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return True
    await reply(update, context, context.t.gettext("Please use this command in a private chat "
                                                   "with the bot."))  # fmt: skip
    return False


async def _result(update: Update, context: Ctx, result: WorkflowResult, ok: str) -> None:
    if result.ok:
        context.deps.kick()
    await reply(update, context, ok if result.ok else result_text(context.t, result))


def _parse(args: list[str]) -> tuple[str, list[str]] | None:
    if len(args) < 2 or not _NUMBER.match(args[0].strip().upper()[:40]):
        return None
    return args[0].strip().upper(), [a.strip().lower() for a in args[1:]]


async def layanan(update: Update, context: Ctx) -> None:
    """/layanan NOMOR jenis[=USER_ID] ...: several services at once on the case's plan."""
    user, t = update.effective_user, context.t
    if user is None or not await _private(update, context):
        return
    parsed = _parse(list(context.args or []))
    items: list[tuple[str, int | None]] = []
    for word in parsed[1] if parsed else []:
        name, _, who = word.partition("=")
        kind = SERVICE_WORDS.get(name)
        if kind is None or (who and not who.isdigit()) or len(who) > 15:
            parsed = None
            break
        # staff type the Telegram user id (as in the office file); services take the person
        items.append((kind, await telegram_person(context.services, int(who)) if who else None))
    if parsed is None:
        await reply(update, context, t.gettext(
            "Send /layanan with the case number and the services, for example: /layanan "
            "PPA-TNG-2026-00001 pendampingan bantuan_hukum=100000006 (services: {words}; a "
            "service without an SOP of its own needs =USER_ID of who gives it).",
            words=", ".join(SERVICE_WORDS)))  # fmt: skip
        return
    case_id = await _case_id(update, context, parsed[0])
    if case_id is None:
        return
    result = await context.deps.workflow.add_services(case_id, await context.person_id(user), items)
    names = ", ".join(service_label(t, k) for k, _ in items)
    await _result(update, context, result, t.gettext(
        "➕ Added to the plan of case {number}: {services}.",
        number=esc(parsed[0]), services=names))  # fmt: skip


async def tutup(update: Update, context: Ctx) -> None:
    """/tutup NOMOR alasan: the case manager's decision that closes the case."""
    user, t = update.effective_user, context.t
    if user is None or not await _private(update, context):
        return
    parsed = _parse(list(context.args or []))
    if parsed is None or len(parsed[1]) != 1 or parsed[1][0] not in CLOSE_WORDS:
        await reply(update, context, t.gettext(
            "Send /tutup with the case number and the reason, one of: {words}.",
            words=", ".join(CLOSE_WORDS)))  # fmt: skip
        return
    case_id = await _case_id(update, context, parsed[0])
    if case_id is None:
        return
    reason = CLOSE_WORDS[parsed[1][0]]
    result = await context.deps.workflow.close_case(case_id, await context.person_id(user), reason)
    await _result(update, context, result, t.gettext("🏁 The case is closed."))


async def bukakembali(update: Update, context: Ctx) -> None:
    """/bukakembali NOMOR alasan: the head opens a closed case again."""
    user, t = update.effective_user, context.t
    if user is None or not await _private(update, context):
        return
    parsed = _parse(list(context.args or []))
    if parsed is None or len(parsed[1]) != 1 or parsed[1][0] not in REOPEN_WORDS:
        await reply(update, context, t.gettext(
            "Send /bukakembali with the case number and the reason, one of: {words}.",
            words=", ".join(REOPEN_WORDS)))  # fmt: skip
        return
    case_id = await _case_id(update, context, parsed[0])
    if case_id is None:
        return
    reason = REOPEN_WORDS[parsed[1][0]]
    result = await context.deps.workflow.reopen_case(case_id, await context.person_id(user), reason)
    await _result(update, context, result, t.gettext("↩ The case is open again."))


async def permohonan(update: Update, context: Ctx) -> None:
    """/permohonan NOMOR [mediasi|mediasi_perdata] [catatan]: the applicant's request."""
    user, t = update.effective_user, context.t
    if user is None or not await _private(update, context):
        return
    args = [a.strip() for a in context.args or [] if a.strip()]
    number = args[0].upper()[:40] if args else ""
    kind = "mediation"
    if len(args) > 1 and args[1].lower() in REQUEST_WORDS:
        kind = REQUEST_WORDS[args[1].lower()]
        args = args[:1] + args[2:]
    if not _NUMBER.match(number):
        await reply(update, context, t.gettext(
            "Send /permohonan with the case number, then optionally {words} and a short note "
            "on the request, for example: /permohonan PPA-PKL-2026-00001 mediasi datang "
            "langsung ke kantor.", words=" / ".join(REQUEST_WORDS)))  # fmt: skip
        return
    case_id = await _case_id(update, context, number)
    if case_id is None:
        return
    note = " ".join(args[1:]) or None
    person = await context.person_id(user)
    result = await context.deps.workflow.record_request(case_id, person, kind, note)
    await _result(update, context, result, request_recorded_text(t, result))
