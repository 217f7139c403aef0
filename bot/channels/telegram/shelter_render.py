"""Renderers of the shelter's reminders: a stay ends soon or is over, the daily check-in
(private messages only)."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.rendering import Rendered, RendererCatalog
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.shelter import STAY_ENDING
from bot.services.shelter_stay import CHECK_IN
from bot.store import Tx
from bot.store.outbox import OutboxItem
from bot.store.shelter import ShelterStore

__all__ = ["shelter_renderers"]


async def _ending(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, int(p["case_id"]))
    if case is None:
        return None
    office = svc.office(case.office_id)
    ends = t.datetime(datetime.fromisoformat(str(p["ends_at"])), office.timezone)
    if p.get("when") == "over":
        text = t.gettext(
            "🏠 The shelter stay of case <b>{number}</b> reached its maximum on {ends}. Decide "
            "now: discharge with a plan (/keluar {id} RENCANA) or the head extends it with a "
            "reason (/perpanjang {id} HARI ALASAN).",
            number=esc(case.number), ends=ends, id=int(p["stay_id"]),
        )  # fmt: skip
    else:
        text = t.gettext(
            "🏠 The shelter stay of case <b>{number}</b> ends on {ends}. Prepare the discharge "
            "plan (where she goes, who follows up); then /keluar {id}.",
            number=esc(case.number), ends=ends, id=int(p["stay_id"]),
        )  # fmt: skip
    return text, None


def _check_in(item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    sid = int(p["stay_id"])
    text = t.gettext(
        "🏠 Daily check-in, shelter stay {id} of case <b>{number}</b>: see her, ask how she is "
        "and what she needs, then record it.", id=sid, number=esc(str(p["case_number"])),
    )  # fmt: skip
    button = InlineKeyboardButton(t.gettext("✅ Checked in"), callback_data=f"sc:{sid}")
    return text, InlineKeyboardMarkup([[button]])


def shelter_renderers(svc: Services, catalog: RendererCatalog) -> None:
    """Register the shelter reminders, dropped once the stay has ended."""

    async def ending(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _ending(svc, item, t)

    async def check_in(item: OutboxItem, t: Translator) -> Rendered | None:
        return _check_in(item, t)

    catalog.register(STAY_ENDING, ending)
    catalog.register(CHECK_IN, check_in)

    async def still_staying(conn: Tx, item: OutboxItem) -> bool:
        if item.kind not in (STAY_ENDING, CHECK_IN):
            return True
        stay = await ShelterStore(svc.cipher).get(conn, int(item.payload["stay_id"]))
        return stay is not None and stay.status == "in"

    catalog.add_check(still_staying)
