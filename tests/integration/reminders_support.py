"""The reminder sweep's test bed: a real SQLite file, the example offices, the shipped SOPs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.channels.telegram.addresses import TelegramAddresses
from bot.channels.telegram.reminder_render import render_reminder
from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.i18n import I18n
from bot.scheduler.sweep import SweepReport, still_relevant, sweep
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.services.workflow import Workflow, load_sops
from bot.store.db import Database
from bot.store.outbox import OutboxItem
from bot.store.workflow import StepRow
from bot.testing.people import same_ids_for_staff

ROOT = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")
KETUA, PETUGAS, MK, PENDAMPING, MEDIATOR = 100000001, 100000002, 100000003, 100000004, 100000005
GROUP = -1001000000001
REPORTER_CHAT = 555
SECRETS = ("Siti", "Rahma", "Budi", "rahasia", "081234567890", "rumah")


def wib(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A time in March 2026 (or another month) in Jakarta."""
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


@dataclass
class Env:
    svc: Services
    clock: FakeClock
    wf: Workflow

    def at(self, when: datetime) -> None:
        self.clock.set(when.astimezone(UTC))

    async def sweep(self) -> SweepReport:
        return await sweep(self.svc, self.clock.now())


@pytest.fixture
async def env(db_target: str | Path) -> AsyncIterator[Env]:
    """A migrated database (each store), the example offices, the shipped SOPs, a fake clock."""
    db = await Database.open(db_target)
    offices = {o.id: o for o in load_offices(ROOT / "config" / "offices.example.toml")}
    clock = FakeClock(wib(2, 9).astimezone(UTC))  # Monday 2 March 2026, 09:00 WIB
    svc = Services(db, clock, Cipher(generate_key()), offices)
    await same_ids_for_staff(svc)
    try:
        yield Env(svc, clock, Workflow(svc, load_sops(ROOT / "bot" / "sops")))
    finally:
        await db.close()


async def new_case(e: Env, key: str = "k1", notify: str = "normal") -> int:
    answers: dict[str, Any] = {
        "danger": "no", "office": "TNG", "reporter": "victim", "victim_name": "Siti Rahma",
        "victim_age": 30, "victim_sex": "female", "disability": "no",
        "violence": ["psychological"], "relation": "spouse", "perpetrator": "Budi",
        "when": "today", "where": "rumah", "story": "Cerita rahasia", "phone": "081234567890",
        "call_time": "any", "help": ["mediation"], "notify": notify, "consent": "yes",
    }  # fmt: skip
    res = await submit_complaint(
        e.svc, answers=answers, evidence=[], idempotency_key=key, mode="reporter",
        reporter=Handle("telegram", str(REPORTER_CHAT)), recorded_by=None, language="id",
    )  # fmt: skip
    assert (await e.wf.start_intake(res.case_id, "system")).ok
    return res.case_id


async def first_step(e: Env, case_id: int) -> StepRow:
    async with e.svc.db.reading() as conn:
        rows = await e.wf.store.open_steps_for_case(conn, case_id)
    assert [r.step_key for r in rows] == ["first_response"]
    return rows[0]


async def addressed(e: Env) -> list[tuple[OutboxItem, int | None]]:
    """Pending outbox rows (decrypted), each with the Telegram chat its recipient resolves to."""
    addresses = TelegramAddresses(e.svc)
    async with e.svc.db.reading() as conn:
        found = await e.svc.outbox.due(conn, datetime(2100, 1, 1, tzinfo=UTC), limit=10_000)
        return [(i, await addresses.resolve(conn, i.recipient)) for i in found]


async def items(e: Env, kind: str | None = None, chat: int | None = None) -> list[OutboxItem]:
    """Pending outbox rows (decrypted), optionally of one kind and chat."""
    found = await addressed(e)
    return [i for i, to in found if (kind is None or i.kind == kind) and (chat in (None, to))]


async def chats(e: Env, kind: str, **payload: Any) -> list[int | None]:
    """Telegram chats a kind goes to (whose payload has the given values), in queue order."""
    found = await addressed(e)
    return [
        to
        for i, to in found
        if i.kind == kind and all(i.payload.get(k) == v for k, v in payload.items())
    ]


async def render(e: Env, item: OutboxItem, lang: str = "en") -> tuple[str, Any] | None:
    return await render_reminder(e.svc, item, I18n().get(lang))


async def relevant(e: Env, item: OutboxItem) -> bool:
    async with e.svc.db.reading() as conn:
        return await still_relevant(conn, item)


async def dedupe_counts(e: Env) -> dict[str, int]:
    rows = await e.svc.db.fetchall("SELECT dedupe_key, COUNT(*) FROM outbox GROUP BY dedupe_key")
    return {str(r[0]): int(r[1]) for r in rows}


async def mediation(e: Env, case_id: int, when: datetime) -> int:
    step = await first_step(e, case_id)
    async with e.svc.db.transaction() as conn:
        return await e.wf.store.insert_mediation(
            conn, case_id=case_id, step_id=step.id, scheduled_at=when,
            location="Ruang Mediasi UPTD PPA", created_by=KETUA, at=e.clock.now(),
        )  # fmt: skip
