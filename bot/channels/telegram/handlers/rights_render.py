"""How the rights notices read on Telegram: the staff task, its reminders, the answer."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.handlers.rights import hold_text, kind_text
from bot.channels.telegram.rendering import Rendered, RendererCatalog
from bot.domain.rights import RequestKind
from bot.i18n import Translator
from bot.presentation.preview import for_reporter
from bot.scheduler.rights_sweep import (
    BREACH_DUE_SOON,
    BREACH_KINDS,
    RIGHTS_ESCALATED,
    RIGHTS_OVERDUE,
)
from bot.services.context import Services
from bot.services.rights import find_request
from bot.store import Tx
from bot.store.breach import BreachStore
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


async def _breach(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    async with svc.db.reading() as conn:
        b = await BreachStore().get(conn, int(item.payload["breach_id"]))
    if b is None or b.status != "open":
        return None
    office = svc.offices.get(str(item.payload.get("office_id")))
    zone = office.timezone if office is not None else "UTC"
    head = (
        t.gettext("⏰ <b>Data breach {id}</b>: the notices are due in less than 24 hours.", id=b.id)
        if item.kind == BREACH_DUE_SOON
        else t.gettext("🚨 <b>Data breach {id}</b>: the notices are overdue.", id=b.id)
    )
    return "\n".join([
        head,
        t.gettext("Due: {due} (3 x 24 hours, UU 27/2022 Pasal 46).",
                  due=t.datetime(b.due_at, zone)),
        t.gettext("Send the notices to the people affected and to the authority, then ask the "
                  "administrator to run: ppa-bot breach --notified {id}", id=b.id),
    ]), None  # fmt: skip


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

    async def breach(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _breach(svc, item, t)

    async def breach_open(conn: Tx, item: OutboxItem) -> bool:
        if item.kind not in BREACH_KINDS:
            return True
        b = await BreachStore().get(conn, int(item.payload["breach_id"]))
        return b is not None and b.status == "open"

    for kind in sorted(RIGHTS_STAFF_KINDS):
        catalog.register(kind, staff)
    for kind in sorted(BREACH_KINDS):
        catalog.register(kind, breach)
    catalog.register("rights_answered", _answered)
    catalog.add_check(still_open)
    catalog.add_check(breach_open)
