"""The outbox sender's test bed: a real store, the in-process fake Telegram, virtual time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.channels.telegram.addresses import staff_group_chat
from bot.channels.telegram.reminder_render import reminder_line
from bot.channels.telegram.sender import OutboxSender, Rendered
from bot.channels.telegram.throttle import Throttle, VirtualTime
from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.notice import Recipient
from bot.i18n import I18n, Translator
from bot.services.context import Services
from bot.store.db import Database
from bot.store.outbox import OutboxItem
from bot.store.route_macs import NOTIFY_KIND, notify_fields
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import EXAMPLE_OFFICES

TOKEN = "123456:OUTBOX-TEST"
GROUP = -1001000000001  # TNG staff group
REPORTER = 555001


@dataclass
class World:
    """A real store, the in-process fake Telegram, a real Bot and a virtual clock."""

    clock: FakeClock
    vt: VirtualTime
    svc: Services
    fake: FakeTelegram
    sender: OutboxSender

    async def enqueue(self, chat_id: int, kind: str, payload: dict[str, Any], **kw: Any) -> None:
        at = kw.pop("at", self.clock.now())
        async with self.svc.db.transaction() as conn:
            await self.svc.outbox.enqueue(
                conn,
                recipient=Recipient.address("telegram", chat_id),
                kind=kind,
                payload=payload,
                at=at,
                **kw,
            )

    async def overdue(self, chat_id: int, n: int, **kw: Any) -> None:
        now = self.clock.now()
        async with self.svc.db.transaction() as conn:
            for i in range(1, n + 1):
                await self.svc.outbox.enqueue(
                    conn,
                    recipient=Recipient.address("telegram", chat_id),
                    kind="step_overdue",
                    at=now,
                    payload={"case_number": f"PPA-TNG-2026-{i:05d}", "step_title": "Asesmen"},
                    **kw,
                )

    async def rows(self) -> list[dict[str, Any]]:
        found = await self.svc.db.fetchall(
            "SELECT id, recipient, channel, kind, status, attempts, sent_at,"
            " provider_message_id, last_error FROM outbox ORDER BY id"
        )
        return [dict(r) for r in found]

    async def counts(self) -> dict[str, int]:
        async with self.svc.db.reading() as conn:
            return await self.svc.outbox.status_counts(conn)

    async def case(
        self, number: str, *, status: str = "new", closed_at: datetime | None = None
    ) -> int:
        now = self.clock.now().isoformat()
        async with self.svc.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO cases (number, office_id, idempotency_key, tracking_index, channel,"
                " victim_sex, victim_age_group, categories, relation, help_wanted, reporter_type,"
                " received_at, first_response_due, details_enc, status, closed_at)"
                " VALUES (?, 'TNG', ?, ?, 'telegram', 'female', 'adult', '[]', 'unknown', '[]',"
                " 'victim', ?, ?, x'00', ?, ?)",
                (
                    number,
                    number,
                    number,
                    now,
                    now,
                    status,
                    closed_at.isoformat() if closed_at else None,
                ),
            )
            assert cur.lastrowid is not None
            # signed as the bot signs a case it stores (bot/store/route_macs.py)
            mac = self.svc.cipher.mac(NOTIFY_KIND, notify_fields(cur.lastrowid, number, "normal"))
            await conn.execute("UPDATE cases SET notify_mac = ? WHERE id = ?", (mac, cur.lastrowid))
            return cur.lastrowid


async def _render_overdue(item: OutboxItem, t: Translator) -> Rendered | None:
    return t.gettext(
        "⏰ <b>{number}</b>: {step} is overdue",
        number=str(item.payload.get("case_number", "")),
        step=str(item.payload.get("step_title", "")),
    ), None


@asynccontextmanager
async def open_world(db: Database, clock: FakeClock, cipher: Cipher) -> AsyncIterator[World]:
    """Sender wired to a fake Telegram enforcing Telegram's limits on virtual time."""
    vt = VirtualTime(clock)
    offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    svc = Services(db, clock, cipher, offices)
    fake = FakeTelegram(token=TOKEN, clock=lambda: clock.now().timestamp())
    for office in offices.values():
        fake.member_joins(staff_group_chat(office) or 0, fake.bot_id)
    fake.started_users.add(REPORTER)
    fake.enforce_limits(clock=vt.monotonic)
    bot = Bot(TOKEN, request=FakeRequest(fake))
    await bot.initialize()
    sender = OutboxSender(
        bot, svc, I18n(), throttle=Throttle(monotonic=vt.monotonic, sleep=vt.sleep)
    )
    # the sweep's alerts without their steps: a stand-in for the real reminder renderer
    sender.register("step_overdue", _render_overdue, reminder_line)
    try:
        yield World(clock, vt, svc, fake, sender)
    finally:
        await bot.shutdown()


@pytest.fixture
async def world(db_target: str | Path, clock: FakeClock) -> AsyncIterator[World]:
    """A new migrated database (each store) and the sender (see open_world)."""
    db = await Database.open(db_target)
    try:
        async with open_world(db, clock, Cipher(generate_key())) as w:
            yield w
    finally:
        await db.close()
