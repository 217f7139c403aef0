"""How the rights notices read on Telegram: the staff task, its reminders, the answer."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.handlers.rights import hold_text, kind_text
from bot.channels.telegram.preview import for_reporter
from bot.channels.telegram.rendering import Rendered, RendererCatalog
from bot.domain.rights import RequestKind
from bot.i18n import Translator
from bot.scheduler.rights_sweep import RIGHTS_ESCALATED, RIGHTS_OVERDUE
from bot.services.context import Services
from bot.services.rights import find_request
from bot.store import Tx
from bot.store.outbox import OutboxItem
from bot.store.rights import RightsRequest, RightsStore

__all__ = ["RIGHTS_STAFF_KINDS", "register_rights"]

RIGHTS_STAFF_KINDS = frozenset({"rights_request", RIGHTS_OVERDUE, RIGHTS_ESCALATED})


def _markup(t: Translator, r: RightsRequest) -> InlineKeyboardMarkup:
    rows = []
    if r.kind == RequestKind.CORRECT:
        rows.append([InlineKeyboardButton(t.gettext("🔒 Read the correction (private)"),
                                          callback_data=f"rq:{r.id}:r")])  # fmt: skip
    rows.append([
        InlineKeyboardButton(t.gettext("✅ Done"), callback_data=f"rq:{r.id}:d"),
        InlineKeyboardButton(t.gettext("⛔ Refuse"), callback_data=f"rq:{r.id}:n"),
    ])  # fmt: skip
    if r.kind == RequestKind.ERASE:
        rows.append([InlineKeyboardButton(t.gettext("⛔ Refuse: legal hold"),
                                          callback_data=f"rq:{r.id}:h")])  # fmt: skip
    return InlineKeyboardMarkup(rows)


async def _staff(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    r = await find_request(svc, int(item.payload["request_id"]))
    if r is None or r.status != "open":
        return None
    office = svc.office(r.office_id)
    head = t.gettext("📨 <b>Request from a data subject</b> (UU 27/2022)")
    if item.kind == RIGHTS_OVERDUE:
        head = t.gettext("⏰ <b>Overdue</b>: a data subject's request is not answered")
    elif item.kind == RIGHTS_ESCALATED:
        head = t.gettext("🔺 <b>Still not answered</b>: a data subject's request")
    lines = [
        head,
        t.gettext("Case: <b>{number}</b>", number=esc(r.case_number)),
        t.gettext("Asked for: {kind}", kind=kind_text(t, r.kind)),
        t.gettext("Answer by: {due}", due=t.datetime(r.due_at, office.timezone)),
    ]
    if r.hold:
        lines.append(t.gettext("Legal hold: {why}", why=hold_text(t, r.hold)))
    lines.append(t.gettext("The head or a case manager answers; the answer is audited."))
    return "\n".join(lines), _markup(t, r)


async def _answered(item: OutboxItem, t: Translator) -> Rendered | None:
    return for_reporter(t, t.gettext(
        "There is an answer to your request. Send /status with your code and press "
        "See what we hold."
    )), None  # fmt: skip


def register_rights(catalog: RendererCatalog, svc: Services) -> None:
    """Add the rights kinds and their staleness check to the channel's catalog."""

    async def staff(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _staff(svc, item, t)

    async def still_open(conn: Tx, item: OutboxItem) -> bool:
        if item.kind not in RIGHTS_STAFF_KINDS:
            return True
        r = await RightsStore(svc.cipher).get(conn, int(item.payload["request_id"]))
        return r is not None and r.status == "open"

    for kind in sorted(RIGHTS_STAFF_KINDS):
        catalog.register(kind, staff)
    catalog.register("rights_answered", _answered)
    catalog.add_check(still_open)
