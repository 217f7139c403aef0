"""The outbox sender of channel "whatsapp": the 24-hour window, retries, 429s.

A row goes to her as it is while she wrote within the last 24 hours. Outside the window only
an approved template may go: the neutral "there is news" template, once per window, and only
for a notice about her case (she chose to get later messages: services write none otherwise);
the notice itself waits until she writes again. A form reply that missed its window is
dropped (she gets the current question when she writes).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from bot.channels.whatsapp import WHATSAPP, person_of_address
from bot.channels.whatsapp.client import GraphClient, GraphFailed, GraphRetry
from bot.channels.whatsapp.messages import template, text, wa_format
from bot.domain.notice import RecipientKind
from bot.faultpoints import crash_point, delivering
from bot.i18n import I18n
from bot.presentation.preview import for_reporter
from bot.services.context import Services
from bot.store import Tx
from bot.store.outbox import OutboxItem
from bot.store.whatsapp import WhatsAppStore

__all__ = ["REPLY_KIND", "WINDOW", "WhatsAppSender"]

log = logging.getLogger(__name__)

REPLY_KIND = "wa_message"  # a reply of the form: its Cloud API body is the payload
WINDOW = timedelta(hours=24)
_HOLD = timedelta(days=30)  # held rows are released when she writes; this only bounds them


class WhatsAppSender:
    """Drains the WhatsApp rows of the outbox; a row is sent only once Meta accepted it."""

    def __init__(self, services: Services, i18n: I18n, client: GraphClient,
                 *, template_name: str) -> None:  # fmt: skip
        self.svc = services
        self.i18n = i18n
        self.client = client
        self.template_name = template_name
        self.store = WhatsAppStore(services.cipher)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._idle = asyncio.Event()  # set while no message waits for its record
        self._idle.set()
        self.recorded = 0  # deliveries finished (sent and recorded, or given up)

    def kick(self) -> None:
        """Drain soon."""
        self._wake.set()

    @asynccontextmanager
    async def _delivery(self) -> AsyncIterator[None]:
        """Around one send and its record (Meta's status may come before the record)."""
        async with delivering():  # the crash test's named points wait for the record
            self._idle.clear()
            try:
                yield
            finally:
                self.recorded += 1
                self._idle.set()

    async def settled(self) -> None:
        """Wait until no sent message waits for its record."""
        await self._idle.wait()

    async def _address(self, conn: Tx, item: OutboxItem) -> tuple[int, str] | None:
        """Her person id and WhatsApp id (None: nowhere to send on WhatsApp)."""
        rec = item.recipient
        if rec.kind is RecipientKind.PERSON and rec.ref.isdigit():
            handle = await self.svc.persons.handle(conn, int(rec.ref), WHATSAPP)
            return None if handle is None else (int(rec.ref), handle.address)
        if (ref := person_of_address(rec.channel_address)) is not None:  # a rights requester
            handle = await self.svc.persons.handle(conn, ref, WHATSAPP)
            return None if handle is None else (ref, handle.address)
        if rec.kind is RecipientKind.REPORTER:
            handle = await self.svc.cases.reporter(conn, int(rec.ref))
            if handle is None or handle.channel != WHATSAPP:
                return None
            person = await self.svc.persons.find(conn, handle)
            return None if person is None else (person, handle.address)
        return None

    async def render(self, item: OutboxItem) -> dict[str, Any] | None:
        """The Cloud API body of a row (a notice about her case is neutral unless she chose)."""
        if item.kind == REPLY_KIND:
            message = item.payload.get("message")
            return message if isinstance(message, dict) else None
        t = self.i18n.get(item.language)
        async with self.svc.db.reading() as conn:
            case = None if item.case_id is None else await self.svc.cases.get(conn, item.case_id)
        if case is None or case.notify_mode == "none":
            return None
        if item.kind == "reporter_taken" and case.notify_mode != "neutral":
            body = t.gettext(
                "Your report {number} is now being handled by a complaint officer.",
                number=case.number,
            )
        else:  # every other notice to her: neutral, the details behind her code
            body = t.gettext(
                "There is an update on your request. Send /status with your code to see it."
            )
        return text(wa_format(for_reporter(t, body)))

    async def drain(self) -> int:
        """Send what is due; returns how many rows were sent."""
        async with self._lock:
            return await self._drain()

    async def _drain(self) -> int:
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as conn:
            due = await self.svc.outbox.due(conn, now, 200, channel=WHATSAPP)
            retrying = await self.svc.outbox.retrying(conn, now, WHATSAPP)
        sent = 0
        blocked: set[int] = set()  # a row to her waits: her later rows wait too (order)
        for item in due:
            if retrying.get(item.recipient.key(), item.id) < item.id:
                continue  # an earlier row to her waits for its retry (a 429, a 5xx)
            async with self.svc.db.reading() as conn:
                found = await self._address(conn, item)
                session = None if found is None else await self.store.session(conn, found[0])
            if found is None or session is None:
                async with self.svc.db.transaction() as conn:
                    await self.svc.outbox.mark_failed(conn, item.id, "no WhatsApp address")
                continue
            person, wa_id = found
            if isinstance(lang := session.state.get("lang"), str):  # her latest choice
                item = dataclasses.replace(item, language=lang)
            if person in blocked:
                continue
            last = session.last_inbound_at
            number = session.state.get("via")
            via = number if isinstance(number, str) else None  # the unit's number she wrote to
            if last is None or now - last >= WINDOW:
                if not await self._outside_window(item, person, (wa_id, via),
                                                  session.template_sent_at, last, now):  # fmt: skip
                    blocked.add(person)
                continue
            try:
                message = await self.render(item)
            except Exception:
                log.exception("whatsapp: rendering %s (row %s) failed", item.kind, item.id)
                message = None
            if message is None:
                async with self.svc.db.transaction() as conn:
                    await self.svc.outbox.mark_failed(conn, item.id, "nothing to send")
                continue
            outcome = await self._send(item, wa_id, message, via)
            if outcome == "sent":
                sent += 1
            elif outcome == "throttled":
                break  # Meta said slow down: the rest waits for the next drain
            else:
                blocked.add(person)
        return sent

    async def _outside_window(self, item: OutboxItem, person: int, to: tuple[str, str | None],
                              template_at: datetime | None, last: datetime | None,
                              now: datetime) -> bool:  # fmt: skip
        """Hold a row outside the window (and send the template once); False: keep order."""
        if item.kind == REPLY_KIND:
            async with self.svc.db.transaction() as conn:
                await self.svc.outbox.mark_cancelled(conn, item.id, "24-hour window closed")
            return True
        async with self.svc.db.reading() as conn:
            case = None if item.case_id is None else await self.svc.cases.get(conn, item.case_id)
        if case is None or case.notify_mode == "none":  # she did not agree to later messages
            async with self.svc.db.transaction() as conn:
                await self.svc.outbox.mark_cancelled(conn, item.id, "no later messages")
            return True
        fresh = template_at is None or (last is not None and template_at < last)
        if fresh:
            body = template(self.template_name, item.language)
            async with self._delivery():
                try:
                    wamid = await self.client.send({"to": to[0], **body}, via=to[1])
                except GraphRetry as exc:
                    await self._retry(item, exc.delay, str(exc))
                    return False
                except GraphFailed as exc:
                    log.warning("whatsapp: the news template was refused: %s", exc)
                else:
                    async with self.svc.db.transaction() as conn:
                        await self.store.template_sent(conn, person, now)
                    log.info("whatsapp: news template sent (%s)",
                             self.store.message_key(wamid)[:8])  # fmt: skip
        async with self.svc.db.transaction() as conn:
            await self.store.hold(conn, item.id, now + _HOLD)
        return True

    async def _send(self, item: OutboxItem, wa_id: str, message: dict[str, Any],
                    via: str | None) -> str:  # fmt: skip
        async with self._delivery():
            try:
                wamid = await self.client.send({"to": wa_id, **message}, via=via)
            except GraphRetry as exc:
                await self._retry(item, exc.delay, str(exc))
                return "throttled" if exc.delay > 0 else "retry"
            except GraphFailed as exc:
                async with self.svc.db.transaction() as conn:
                    await self.svc.outbox.mark_failed(conn, item.id, str(exc))
                return "failed"
            await crash_point("wa_after_send", sending=True)  # a death here sends it again
            async with self.svc.db.transaction() as conn:
                await self.svc.outbox.mark_sent(
                    conn, item.id, self.svc.clock.now(), self.store.message_key(wamid)
                )
        return "sent"

    async def _retry(self, item: OutboxItem, delay: float, error: str) -> None:
        backoff = max(delay, float(min(300, 2 ** min(item.attempts, 8))))
        async with self.svc.db.transaction() as conn:
            await self.svc.outbox.mark_retry(
                conn, item.id, self.svc.clock.now(), timedelta(seconds=backoff), error
            )

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Drain whenever kicked, and at least every ``interval`` seconds, until stopped."""
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("whatsapp outbox drain failed")
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=interval,
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            waiter.cancel()
            stopper.cancel()
