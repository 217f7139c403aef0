"""Renderers of the outreach kinds: pages to the person on call, and the group's short lines.

Where she is and how to reach her go only to the people paged (privately); the staff group
learns that an urgent report exists, who is on it and that a visit was recorded, never where.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.rendering import Rendered, Renderer, RendererCatalog
from bot.domain.outreach import VISIT_OUTCOMES
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.outreach import OutreachView, view
from bot.store import Tx
from bot.store.outbox import OutboxItem
from bot.store.outreach import OutreachStore

__all__ = ["OUTREACH_KINDS", "details_lines", "outreach_renderers", "visit_buttons"]

OUTREACH_KINDS = frozenset(
    {
        "outreach_page",
        "outreach_details",
        "outreach_acknowledged",
        "outreach_unanswered",
        "outreach_visited",
    }
)


def _where(value: Any, t: Translator) -> str:
    if isinstance(value, dict) and "lat" in value and "lon" in value:
        lat, lon = float(value["lat"]), float(value["lon"])
        url = f"https://maps.google.com/?q={lat:.6f},{lon:.6f}"
        return t.gettext('📍 <a href="{url}">shared location</a> ({lat}, {lon})', url=esc(url),
                         lat=f"{lat:.5f}", lon=f"{lon:.5f}")  # fmt: skip
    return esc(str(value)) if value else t.gettext("not given yet")


def details_lines(v: OutreachView, t: Translator) -> list[str]:
    """Where she is and how to reach her (escaped; for staff in a private chat only)."""
    contact = v.details.get("contact")
    return [
        t.gettext("Where: {where}", where=_where(v.details.get("where"), t)),
        t.gettext(
            "How to reach her safely: {contact}",
            contact=esc(str(contact)) if contact else t.gettext("not given yet"),
        ),
    ]


def visit_buttons(outreach_id: int, t: Translator) -> InlineKeyboardMarkup:
    """One button per visit outcome."""
    buttons = [
        InlineKeyboardButton(t.translate(label), callback_data=f"ov:{outreach_id}:{key}")
        for key, label in VISIT_OUTCOMES.items()
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _ack_button(outreach_id: int, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("✅ I am on it"), callback_data=f"oa:{outreach_id}")]]
    )


async def _page(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    v = await view(svc, int(item.payload["outreach_id"]), None)
    if v is None or v.row.status != "paging":
        return None  # acknowledged (or closed) before this page went out
    minutes = v.office.on_call.ack_minutes
    head = (
        t.gettext("🚨 <b>URGENT, not yet acknowledged</b>: you are paged next.")
        if item.payload.get("escalated")
        else t.gettext("🚨 <b>URGENT</b>: you are on call.")
    )
    lines = [
        head,
        t.gettext("Someone reports immediate danger now to {office}.", office=esc(v.office.name)),
        t.gettext("Opened: {when}", when=t.datetime(v.row.opened_at, v.office.timezone)),
        "",
        *details_lines(v, t),
        "",
        t.gettext(
            "Press the button within {minutes} minutes, or the next person is paged.",
            minutes=minutes,
        ),
    ]
    return "\n".join(lines), _ack_button(v.row.id, t)


async def _details(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    v = await view(svc, int(item.payload["outreach_id"]), None)
    if v is None or v.row.status == "visited":
        return None
    lines = [t.gettext("📍 <b>Urgent report: more from the reporter</b>"), *details_lines(v, t)]
    markup = _ack_button(v.row.id, t) if v.row.acked_by is None else visit_buttons(v.row.id, t)
    return "\n".join(lines), markup


async def _acknowledged(item: OutboxItem, t: Translator) -> Rendered | None:
    if item.recipient.kind.value == "group":
        return t.gettext(
            "✅ The urgent report is being handled by staff {id}.", id=int(item.payload["by"])
        ), None
    return t.gettext(
        "✅ Staff {id} is on the urgent report; you need not go.", id=int(item.payload["by"])
    ), None


async def _unanswered(item: OutboxItem, t: Translator) -> Rendered | None:
    return t.gettext(
        "⚠ <b>Nobody acknowledged the urgent report</b> (everyone on call and the head were "
        "paged). Whoever can act now: press the button.",
    ), _ack_button(int(item.payload["outreach_id"]), t)


async def _visited(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    if item.recipient.kind.value == "group":
        return t.gettext("✅ The outreach visit was recorded."), None
    v = await view(svc, int(item.payload["outreach_id"]), None)
    if v is None or v.row.outcome is None:
        return None
    return t.gettext(
        "Outreach visit recorded by staff {id}: {outcome} ({when}).",
        id=int(item.payload["by"]),
        outcome=esc(t.translate(VISIT_OUTCOMES.get(v.row.outcome, v.row.outcome))),
        when=t.datetime(v.row.visited_at or v.row.opened_at, v.office.timezone),
    ), None


def outreach_renderers(svc: Services, catalog: RendererCatalog) -> None:
    """Register the outreach kinds in the Telegram catalog."""

    async def page(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _page(svc, item, t)

    async def details(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _details(svc, item, t)

    async def visited(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _visited(svc, item, t)

    table: dict[str, Renderer] = {
        "outreach_page": Renderer(page),
        "outreach_details": Renderer(details),
        "outreach_acknowledged": Renderer(_acknowledged),
        "outreach_unanswered": Renderer(_unanswered),
        "outreach_visited": Renderer(visited),
    }
    for kind, renderer in table.items():
        catalog.register(kind, renderer.render, renderer.line)

    async def still_paging(conn: Tx, item: OutboxItem) -> bool:
        """A page or detail is no longer wanted once the visit is recorded (or paging ended)."""
        if item.kind not in ("outreach_page", "outreach_details"):
            return True
        row = await OutreachStore(svc.cipher).get(conn, int(item.payload["outreach_id"]))
        if row is None:
            return False
        if item.kind == "outreach_page":
            return row.status == "paging"
        return row.status in ("paging", "acknowledged", "unanswered")

    catalog.add_check(still_paging)
