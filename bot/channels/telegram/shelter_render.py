"""Renderer of the shelter's reminder: a stay ends soon, or is over (private messages only)."""

from __future__ import annotations

from datetime import datetime

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.rendering import Rendered, RendererCatalog
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.shelter import STAY_ENDING
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
            "now: discharge with a plan (/keluar {id}) or a decision to extend.",
            number=esc(case.number), ends=ends, id=int(p["stay_id"]),
        )  # fmt: skip
    else:
        text = t.gettext(
            "🏠 The shelter stay of case <b>{number}</b> ends on {ends}. Prepare the discharge "
            "plan (where she goes, who follows up); then /keluar {id}.",
            number=esc(case.number), ends=ends, id=int(p["stay_id"]),
        )  # fmt: skip
    return text, None


def shelter_renderers(svc: Services, catalog: RendererCatalog) -> None:
    """Register the shelter reminder, dropped once the stay has ended."""

    async def ending(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _ending(svc, item, t)

    catalog.register(STAY_ENDING, ending)

    async def still_staying(conn: Tx, item: OutboxItem) -> bool:
        if item.kind != STAY_ENDING:
            return True
        stay = await ShelterStore(svc.cipher).get(conn, int(item.payload["stay_id"]))
        return stay is not None and stay.status == "in"

    catalog.add_check(still_staying)
