"""Renderers of the case plan's record services: the person named is told, the head is asked
to admit to the shelter (privately: who stays is never shown in the staff group)."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.handlers.plan_render import service_label
from bot.channels.telegram.handlers.record_letters_ui import referral_letter_button
from bot.channels.telegram.outreach_render import visit_buttons
from bot.channels.telegram.rendering import Rendered, RendererCatalog
from bot.i18n import Translator
from bot.scheduler.returns_sweep import RETURN_FOLLOW_UP
from bot.services.context import Services
from bot.services.plan_records import RECORD_STARTED, SHELTER_REQUEST
from bot.store import Tx
from bot.store.case_plan import CasePlanStore
from bot.store.outbox import OutboxItem

__all__ = ["plan_record_renderers"]


async def _number(svc: Services, case_id: int) -> str | None:
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, case_id)
    return case.number if case else None


async def _started(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    number = await _number(svc, int(p["case_id"]))
    if number is None:
        return None
    service, record = str(p["service"]), str(p.get("record") or "")
    what, _, rid = record.partition(":")
    num, name = esc(number), service_label(t, service)
    if what == "outreach":
        text = t.gettext(
            "🚶 Case <b>{number}</b>: you are named for {service}. After the visit, record how "
            "it ended:", number=num, service=name,
        )  # fmt: skip
        return text, visit_buttons(int(rid), t)
    if what == "referral":
        text = t.gettext(
            "📨 Case <b>{number}</b>: you accompany {service} (referral {id}). Record what comes "
            "back with /fakta {id} KUNCI NILAI and its dates with /jadwal {id}; /rujukan {number} "
            "lists it; the Surat Rujukan and other letters are in /kasus {number}.",
            number=num, service=name, id=int(rid),
        )  # fmt: skip
        button = t.gettext("📄 Letter for referral {id}", id=int(rid))
        return text, InlineKeyboardMarkup([[referral_letter_button(button, int(rid))]])
    text = t.gettext(
        "🏠 Case <b>{number}</b>: you follow the shelter stay asked of the head. Once she is "
        "admitted, the daily check-in comes to you.", number=num,
    )  # fmt: skip
    return text, None


async def _request(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    case_id = int(p["case_id"])
    number = await _number(svc, case_id)
    if number is None:
        return None
    text = t.gettext(
        "🏠 Case <b>{number}</b>: the case manager asks to admit the victim to the shelter "
        "(places taken: {taken} of {capacity}). Admit her, or refuse (the case manager is told).",
        number=esc(number), taken=int(p["taken"]), capacity=int(p["capacity"]),
    )  # fmt: skip
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(t.gettext("🏠 Admit"), callback_data=f"sa:{case_id}"),
        InlineKeyboardButton(t.gettext("✖ Refuse"), callback_data=f"sr:{case_id}"),
    ]])  # fmt: skip
    return text, markup


async def _return(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, int(p["case_id"]))
    if case is None or case.status == "closed":
        return None
    tz = svc.office(case.office_id).timezone
    return t.gettext(
        "🧳 Case <b>{number}</b>: she travelled home on {when}. Follow up with the receiving "
        "UPTD PPA on how she has arrived and settles in, then record it: /fakta {id} "
        "arrival_follow_up TEXT (this ends the return service).",
        number=esc(case.number), id=int(p["referral_id"]),
        when=t.date(datetime.fromisoformat(str(p["travelled_at"])), tz),
    ), None  # fmt: skip


def plan_record_renderers(svc: Services, catalog: RendererCatalog) -> None:
    """Register the record services' notices; a request already decided is not sent."""

    async def started(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _started(svc, item, t)

    async def request(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _request(svc, item, t)

    async def returned(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _return(svc, item, t)

    catalog.register(RECORD_STARTED, started)
    catalog.register(RETURN_FOLLOW_UP, returned)
    catalog.register(SHELTER_REQUEST, request)

    async def still_waiting(conn: Tx, item: OutboxItem) -> bool:
        if item.kind != SHELTER_REQUEST:
            return True
        row = await CasePlanStore().get_service(conn, int(item.payload["service_id"]))
        return row is not None and row.status == "running" and row.record is None

    catalog.add_check(still_waiting)
