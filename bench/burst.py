"""Outbox burst: 1,000 alerts due at once for one office, against the fake with Telegram's limits.

Run: ``.venv/bin/python bench/burst.py [--rows 1000]``. Virtual time (a FakeClock) drives both
the fake's rate limits and the sender's throttle, so minutes of Telegram time take seconds.
The baseline sends the same rows to as many private chats; compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.i18n import I18n
from bot.notifier import OutboxSender
from bot.scheduler.throttle import Throttle, VirtualTime
from bot.services.context import Services
from bot.store.db import Database
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import EXAMPLE_OFFICES

__all__ = ["BurstResult", "main", "run_burst"]

TOKEN = "123456:BENCH-TOKEN"
FIRST_PRIVATE_CHAT = 500_000_000


@dataclass(frozen=True)
class BurstResult:
    """What one burst run measured."""

    name: str
    rows: int
    pending: int
    sent_rows: int
    telegram_messages: int
    too_many_requests: int
    digests: int
    virtual_seconds: float
    real_seconds: float


async def run_burst(name: str, rows: int, *, one_group: bool) -> BurstResult:
    """Enqueue ``rows`` step_overdue alerts at once, drain them all, and measure."""
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        vt = VirtualTime(clock)
        offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
        office = next(iter(offices.values()))
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        svc = Services(db, clock, Cipher(generate_key()), offices)
        fake = FakeTelegram(token=TOKEN, clock=lambda: clock.now().timestamp())
        fake.member_joins(office.staff_chat_id, fake.bot_id)
        fake.enforce_limits(clock=vt.monotonic)
        chats = [office.staff_chat_id if one_group else FIRST_PRIVATE_CHAT + i for i in range(rows)]
        fake.started_users.update(c for c in chats if c > 0)
        bot = Bot(TOKEN, request=FakeRequest(fake))
        await bot.initialize()
        throttle = Throttle(monotonic=vt.monotonic, sleep=vt.sleep)
        sender = OutboxSender(bot, svc, I18n(), throttle=throttle)
        try:
            now = clock.now()
            async with db.transaction() as conn:
                for i, chat in enumerate(chats, start=1):
                    await svc.outbox.enqueue(
                        conn,
                        chat_id=chat,
                        kind="step_overdue",
                        at=now,
                        language=office.language,
                        payload={
                            "case_number": f"PPA-{office.id}-2026-{i:05d}",
                            "step_title": "Asesmen awal",
                        },
                        dedupe_key=f"bench:{i}",
                    )
            calls_before = fake.call_counts["sendMessage"]
            started_virtual = vt.monotonic()
            started = time.perf_counter()
            sent = await sender.flush()
            real = time.perf_counter() - started
            virtual = vt.monotonic() - started_virtual
            async with db.reading() as conn:
                counts = await svc.outbox.status_counts(conn)
            group_texts = [m.plain_text or "" for m in fake.messages(office.staff_chat_id)]
            return BurstResult(
                name=name,
                rows=rows,
                pending=counts["pending"],
                sent_rows=sent,
                telegram_messages=fake.call_counts["sendMessage"] - calls_before,
                too_many_requests=fake.too_many_requests,
                digests=sum(1 for t in group_texts if t.startswith("📋")),
                virtual_seconds=virtual,
                real_seconds=real,
            )
        finally:
            await bot.shutdown()
            await db.close()


def _table(results: list[BurstResult]) -> str:
    head = (
        "| run | rows | pending | rows sent | Telegram messages | 429 answers | digests "
        "| virtual s | real s |\n|---|---|---|---|---|---|---|---|---|"
    )
    lines = [
        f"| {r.name} | {r.rows} | {r.pending} | {r.sent_rows} | {r.telegram_messages} "
        f"| {r.too_many_requests} | {r.digests} | {r.virtual_seconds:.1f} | {r.real_seconds:.2f} |"
        for r in results
    ]
    return "\n".join([head, *lines])


async def _main(rows: int) -> int:
    burst = await run_burst("one staff group (burst)", rows, one_group=True)
    base = await run_burst("baseline: one private chat each", rows, one_group=False)
    print(_table([burst, base]))
    print()
    print(
        "ratio burst/baseline: Telegram messages"
        f" {burst.telegram_messages / base.telegram_messages:.3f}"
        f", virtual time {burst.virtual_seconds / base.virtual_seconds:.3f}"
        f", real time {burst.real_seconds / base.real_seconds:.3f}"
    )
    ok = (
        burst.pending == base.pending == 0
        and burst.too_many_requests == base.too_many_requests == 0
        and burst.sent_rows == base.sent_rows == rows
        and burst.digests > 0
    )
    print("OK" if ok else "FAILED: rows left pending, 429 answers or no digest")
    return 0 if ok else 1


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1000, help="outbox rows due at once")
    args = parser.parse_args()
    return asyncio.run(_main(args.rows))


if __name__ == "__main__":
    raise SystemExit(main())
