"""Inbound throughput: complete intake conversations through the real Application, the durable
inbox and the store, against a bare python-telegram-bot echo Application on the same fake."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

from common import OFFICE_TIME, machine, table
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.channels.telegram.throttle import Throttle, VirtualTime
from bot.clock import FakeClock
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import TOKEN, Harness
from tests.telegram.flows import full_report

__all__ = ["main"]


async def full_bot(reports: int, directory: Path) -> tuple[int, float]:
    """Run ``reports`` complete complaints; returns (updates handled, seconds)."""
    clock = FakeClock(OFFICE_TIME)
    h = await Harness.create(directory, clock=clock)
    # Telegram's rate limits are kept, on simulated time: waiting for a staff group's
    # 20-a-minute budget is not the bot's cost per update
    time_ = VirtualTime(clock)
    h.rt.sender.throttle = Throttle(monotonic=time_.monotonic, sleep=time_.sleep)
    try:
        await full_report(h, user=900000)  # warm-up: imports, caches, first case
        before = _inbox_rows(h)
        start = time.perf_counter()
        for i in range(reports):
            await full_report(h, user=900001 + i)
        seconds = time.perf_counter() - start
        return _inbox_rows(h) - before, seconds
    finally:
        await h.stop()


def _inbox_rows(h: Harness) -> int:
    with sqlite3.connect(h.settings.ppa_database) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "")


async def echo_bot(updates: int) -> float:
    """A bare PTB Application fed ``updates`` texts, one getUpdates each; returns seconds."""
    fake = FakeTelegram(token=TOKEN)
    request = FakeRequest(fake)
    app: Application = (  # type: ignore[type-arg]
        ApplicationBuilder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(request)
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    await app.start()
    offset = 0

    async def one(user: int) -> None:
        nonlocal offset
        fake.user_sends_text(user, "Melati")
        for update in await app.bot.get_updates(offset=offset, timeout=0):
            offset = update.update_id + 1
            await app.process_update(update)

    try:
        for i in range(50):
            await one(800000 + i)  # warm-up
        start = time.perf_counter()
        for i in range(updates):
            await one(800100 + i % 50)
        return time.perf_counter() - start
    finally:
        await app.stop()
        await app.shutdown()


async def run(reports: int) -> None:
    """Measure both and print a table."""
    with tempfile.TemporaryDirectory() as tmp:
        updates, full_s = await full_bot(reports, Path(tmp))
    echo_s = await echo_bot(updates)
    full_ms, echo_ms = full_s / updates * 1000, echo_s / updates * 1000
    rows = [
        (
            "ppa-bot (complete reports)",
            updates,
            f"{full_s:.2f}",
            f"{updates / full_s:.0f}",
            f"{full_ms:.2f}",
        ),
        ("PTB echo", updates, f"{echo_s:.2f}", f"{updates / echo_s:.0f}", f"{echo_ms:.2f}"),
    ]
    print(f"inbound: {reports} complete reports, {updates} updates; {machine()}")
    print(table(("bot", "updates", "seconds", "updates/s", "ms/update"), rows))
    ratio = full_ms / echo_ms
    verdict = "met" if ratio <= 3 else f"NOT met: {ratio - 3:.1f}x over"
    print(f"\nper-update cost, ppa-bot / echo: {ratio:.1f}x (target <= 3x: {verdict})")


def main() -> None:
    """Command line: --reports N."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=40)
    asyncio.run(run(parser.parse_args().reports))


if __name__ == "__main__":
    main()
