"""Works off the WhatsApp inbox in order: each message through the form, replies queued.

One transaction per message writes her session, the replies (outbox rows of channel
"whatsapp") and marks the message done: a crash before it replays the message, a crash
after it has nothing left to do. The submission's own idempotency key makes a replay give
the same case.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.channels.whatsapp import WHATSAPP
from bot.channels.whatsapp.conversation import Conversation, Turn
from bot.channels.whatsapp.payload import Inbound, inbound_from_json
from bot.channels.whatsapp.sender import REPLY_KIND
from bot.domain.identity import Handle
from bot.domain.notice import Notice, Recipient
from bot.domain.office import DEFAULT_DRAFT_RETENTION_DAYS
from bot.faultpoints import crash_point
from bot.services.context import Services
from bot.services.persons import person_for
from bot.store import Tx
from bot.store.whatsapp import WaInboxRow, WaSession, WhatsAppStore

__all__ = ["MAX_ATTEMPTS", "RESUME_AFTER", "WhatsAppRunner"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RESUME_AFTER = timedelta(hours=2)  # a report left this long is offered to continue or restart


class WhatsAppRunner:
    """Stores incoming messages and handles them one at a time."""

    def __init__(self, services: Services, conversation: Conversation, kick: object = None,
                 *, number: str = "") -> None:  # fmt: skip
        self.svc = services
        self.conversation = conversation
        # the numbers the bot answers from: the configured one and the offices' own
        self.numbers = {number, *(o.whatsapp_number_id for o in services.offices.values())}
        self.numbers.discard("")
        self.store = WhatsAppStore(services.cipher)
        self._kick = kick

    async def store_messages(self, messages: list[Inbound]) -> int:
        """Commit incoming messages (a repeated delivery is ignored); returns how many are new."""
        now = self.svc.clock.now()
        new = 0
        async with self.svc.db.transaction() as conn:
            for m in messages:
                new += await self.store.add_inbound(conn, m.message_id, now, m.to_json())
        return new

    async def process_pending(self) -> int:
        """Handle every stored message in order; returns how many were handled."""
        done = 0
        while True:
            async with self.svc.db.reading() as conn:
                row = await self.store.next_inbound(conn)
            if row is None:
                return done
            try:
                await self._handle(row)
            except Exception as exc:
                log.error("whatsapp message %s failed: %s", row.id, type(exc).__name__,
                          exc_info=exc)  # fmt: skip
                attempts = row.attempts + 1
                dead = attempts >= MAX_ATTEMPTS
                async with self.svc.db.transaction() as conn:
                    await self.store.inbound_failed(conn, row.id, attempts, dead=dead)
                    if dead:  # the staff groups are told (no content), as for Telegram
                        await self._tell_dead(conn, row.id)
                if dead:
                    log.error("whatsapp message %s moved to dead letters", row.id)
                if attempts < MAX_ATTEMPTS:
                    return done  # tried again on the next pass, still in order
                continue
            done += 1

    async def _tell_dead(self, conn: Tx, row_id: int) -> None:
        now = self.svc.clock.now()
        for office in self.svc.offices.values():
            notice = Notice(kind="dead_letter", recipient=Recipient.staff_group(office.id),
                            params={"update_id": row_id}, language=office.language,
                            dedupe_key=f"wa_dead:{row_id}:{office.id}")  # fmt: skip
            await self.svc.outbox.add(conn, notice, at=now)

    def _expired(self, session: WaSession, now: datetime) -> bool:
        """Whether her unfinished report outlived its office's draft retention."""
        d = session.state.get("draft")
        if not isinstance(d, dict) or session.last_inbound_at is None:
            return False
        office = self.svc.offices.get(str(d.get("answers", {}).get("office")))
        days = office.draft_retention_days if office else DEFAULT_DRAFT_RETENTION_DAYS
        return now - session.last_inbound_at > timedelta(days=days)

    async def expire_drafts(self) -> int:
        """Delete unfinished reports past their retention (only her language is kept)."""
        now = self.svc.clock.now()
        shortest = min((o.draft_retention_days for o in self.svc.offices.values()),
                       default=DEFAULT_DRAFT_RETENTION_DAYS)  # fmt: skip
        done = 0
        async with self.svc.db.transaction() as conn:
            for session in await self.store.idle_sessions(conn, now - timedelta(days=shortest)):
                if self._expired(session, now):
                    session.state = {"lang": session.state.get("lang") or "id", "expired": True}
                    await self.store.save_session(conn, session)
                    done += 1
        return done

    async def _handle(self, row: WaInboxRow) -> None:
        m = inbound_from_json(row.payload)
        person = await person_for(self.svc, Handle(WHATSAPP, m.wa_id))
        now = self.svc.clock.now()
        async with self.svc.db.reading() as conn:
            session = await self.store.session(conn, person)
        if self._expired(session, now):
            session.state = {"lang": session.state.get("lang") or "id", "expired": True}
        via = m.to_number if m.to_number in self.numbers else None
        last = session.last_inbound_at
        paused = last is not None and now - last > RESUME_AFTER and "draft" in session.state
        turn = Turn(person, m.kind, m.text, m.choice, m.media, m.location, via, paused)
        await crash_point("wa_in_handler")
        replies = await self.conversation.handle(session.state, turn)
        await crash_point("wa_before_inbox_done")  # one transaction below: all or nothing
        wrote = min(m.sent_at or now, now)
        if session.last_inbound_at is None or wrote > session.last_inbound_at:
            session.last_inbound_at = wrote
        language = str(session.state.get("lang") or "id")
        async with self.svc.db.transaction() as conn:
            await self.store.save_session(conn, session)
            for i, message in enumerate(replies):
                notice = Notice(
                    kind=REPLY_KIND,
                    recipient=Recipient.person(person),
                    params={"message": message},
                    dedupe_key=f"wa_reply:{row.id}:{i}",
                    language=language,
                )
                await self.svc.outbox.add(conn, notice, at=now, channel=WHATSAPP)
            await self.store.release_held(conn, now)  # she wrote: what waited may go now
            await self.store.inbound_done(conn, row.id, now)
        if callable(self._kick):
            self._kick()
