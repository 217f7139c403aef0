"""Turns outbox rows into Telegram messages in the reader's language, and sends them."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.domain.intake import question
from bot.handlers.common import esc
from bot.i18n import I18n, Translator
from bot.services.context import Services
from bot.store.outbox import OutboxItem

__all__ = ["OutboxSender", "render_staff_notice"]

log = logging.getLogger(__name__)

Rendered = tuple[str, InlineKeyboardMarkup | None]


def _labels(key: str, values: tuple[str, ...], t: Translator) -> str:
    opts = {o.value: t.gettext(o.label) for o in question(key).options}
    return ", ".join(opts.get(v, v) for v in values) or "–"


async def render_staff_notice(svc: Services, case_id: int, t: Translator) -> Rendered | None:
    """The staff group notice: no name, phone, address or story."""
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, case_id)
    if case is None:
        return None
    office = svc.office(case.office_id)
    head = (
        t.gettext("🚨 <b>URGENT new case</b>") if case.urgent else t.gettext("🆕 <b>New case</b>")
    )
    yes, no = t.gettext("yes"), t.gettext("no")
    lines = [
        f"{head} <b>{esc(case.number)}</b>",
        t.gettext("Unit: {office}", office=esc(office.name)),
        t.gettext("Type: {types}", types=esc(_labels("violence", case.categories, t))),
        t.gettext("Child victim: {answer}", answer=yes if case.child_victim else no),
        t.gettext("Urgent: {answer}", answer=yes if case.urgent else no),
        t.gettext("Channel: {channel}", channel=esc(case.channel)),
        t.gettext("Received: {when}", when=t.datetime(case.received_at, office.timezone)),
        t.gettext(
            "First response due: {when}", when=t.datetime(case.first_response_due, office.timezone)
        ),
    ]
    if case.taken_by is not None:
        lines.append(t.gettext("Taken by staff id {id}.", id=case.taken_by))
    buttons = []
    if case.taken_by is None:
        buttons.append(
            InlineKeyboardButton(t.gettext("🙋 Take the case"), callback_data=f"take:{case.id}")
        )
    buttons.append(
        InlineKeyboardButton(t.gettext("🔒 Details (private)"), callback_data=f"det:{case.id}")
    )
    return "\n".join(lines), InlineKeyboardMarkup([buttons])


class OutboxSender:
    """Drains the outbox: marks a row sent only after Telegram accepted it."""

    def __init__(self, bot: Bot, services: Services, i18n: I18n) -> None:
        self.bot = bot
        self.svc = services
        self.i18n = i18n
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Ask for a drain soon (after a state change)."""
        self._wake.set()

    async def render(self, item: OutboxItem) -> Rendered | None:
        """Text and buttons for an outbox row."""
        t = self.i18n.get(item.language)
        if item.kind == "staff_notice":
            return await render_staff_notice(self.svc, int(item.payload["case_id"]), t)
        if item.kind == "urgent_alert":
            office = self.svc.office(str(item.payload["office_id"]))
            return t.gettext(
                "🚨 <b>URGENT</b>: someone is reporting immediate danger now to {office}. "
                "The report is being completed in the bot; the case notice follows.",
                office=esc(office.name),
            ), None
        if item.kind == "reporter_taken":
            async with self.svc.db.reading() as conn:
                case = await self.svc.cases.get(conn, int(item.payload["case_id"]))
            if case is None or case.notify_mode == "none":
                return None
            if case.notify_mode == "neutral":
                return t.gettext(
                    "There is an update on your request. Send /status with your code to see it."
                ), None
            return t.gettext(
                "Your report {number} is now being handled by a complaint officer.",
                number=esc(case.number),
            ), None
        if item.kind == "dead_letter":
            return t.gettext(
                "⚠ An incoming message could not be processed after several tries. It is kept "
                "safely; please ask the administrator to check the bot's log (update {id}).",
                id=int(item.payload["update_id"]),
            ), None
        log.error("unknown outbox kind %s", item.kind)
        return None

    async def drain(self, limit: int = 100) -> int:
        """Send what is due now; returns how many were sent."""
        now = self.svc.clock.now()
        async with self.svc.db.reading() as conn:
            items = await self.svc.outbox.due(conn, now, limit)
        sent = 0
        for item in items:
            sent += await self._send_one(item)
        return sent

    async def _send_one(self, item: OutboxItem) -> int:
        store = self.svc.outbox
        now = self.svc.clock.now()
        rendered = await self.render(item)
        if rendered is None:
            async with self.svc.db.transaction() as conn:
                await store.mark_failed(conn, item.id, "nothing to send")
            return 0
        text, markup = rendered
        try:
            msg = await self.bot.send_message(
                item.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except RetryAfter as exc:
            delay = (
                exc.retry_after
                if isinstance(exc.retry_after, timedelta)
                else timedelta(seconds=float(exc.retry_after))
            )
            async with self.svc.db.transaction() as conn:
                await store.mark_retry(conn, item.id, now, delay, "RetryAfter")
            return 0
        except (Forbidden, BadRequest) as exc:
            log.error("outbox %s to a chat failed for good: %s", item.kind, type(exc).__name__)
            async with self.svc.db.transaction() as conn:
                await store.mark_failed(conn, item.id, type(exc).__name__)
            return 0
        except (NetworkError, TelegramError) as exc:
            backoff = timedelta(seconds=min(300, 2 ** min(item.attempts, 8)))
            async with self.svc.db.transaction() as conn:
                await store.mark_retry(conn, item.id, now, backoff, type(exc).__name__)
            return 0
        async with self.svc.db.transaction() as conn:
            await store.mark_sent(conn, item.id, self.svc.clock.now(), msg.message_id)
        return 1

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Drain whenever kicked, and at least every ``interval`` seconds, until stopped."""
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed")
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiter, stopper}, timeout=interval, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            stopper.cancel()
