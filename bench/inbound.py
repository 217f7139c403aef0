"""Inbound throughput: complete intake conversations through the real Application, the durable
inbox and the store, against a bare python-telegram-bot echo Application on the same fake; and
many reporters at once, with per-chat concurrency against strictly one update at a time."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from common import OFFICE_TIME, machine, table
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.channels.telegram.throttle import Throttle, VirtualTime
from bot.clock import FakeClock
from bot.testing import fake_request
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


async def reporters_at_once(
    reporters: int, concurrency: int, directory: Path, latency_ms: float
) -> tuple[int, float]:
    """``reporters`` complete complaints at the same time (one pump at a time, each taking what
    is queued); returns (updates handled, seconds)."""
    clock = FakeClock(OFFICE_TIME)
    h = await Harness.create(directory, clock=clock)
    time_ = VirtualTime(clock)
    h.rt.sender.throttle = Throttle(monotonic=time_.monotonic, sleep=time_.sleep)
    assert h.runner is not None
    h.runner.concurrency = concurrency
    real_pump = h.pump
    # one pumping loop, as the polling loop is: each pass takes every update queued so far;
    # a reporter waits for the first pass that starts after her update was queued
    queued = asyncio.Event()
    passes = asyncio.Condition()
    started = finished = 0

    async def pump() -> None:
        target = started + 1
        queued.set()
        async with passes:
            await passes.wait_for(lambda: finished >= target)

    async def loop() -> None:
        nonlocal started, finished
        while True:
            await queued.wait()
            queued.clear()
            started += 1
            await real_pump()
            async with passes:
                finished = started
                passes.notify_all()

    pumping = asyncio.create_task(loop())
    h.pump = pump  # type: ignore[method-assign]
    try:
        await full_report(h, user=900000)  # warm-up
        before = _inbox_rows(h)
        with bot_api_latency(latency_ms):
            start = time.perf_counter()
            await asyncio.gather(*(full_report(h, user=910000 + i) for i in range(reporters)))
            seconds = time.perf_counter() - start
        return _inbox_rows(h) - before, seconds
    finally:
        pumping.cancel()
        await asyncio.gather(pumping, return_exceptions=True)
        h.pump = real_pump  # type: ignore[method-assign]
        await h.stop()


class bot_api_latency:
    """Every Bot API call but getUpdates takes ``ms`` longer (a network between bot and
    Telegram; 0 leaves the in-process fake as it is)."""

    def __init__(self, ms: float) -> None:
        self.ms = ms
        self.real: Callable[..., Awaitable[Any]] = FakeRequest.do_request

    def __enter__(self) -> None:
        if self.ms <= 0:
            return
        real, seconds = self.real, self.ms / 1000

        async def slow(req: FakeRequest, url: str, *a: Any, **kw: Any) -> Any:
            if not url.endswith("/getUpdates"):
                await asyncio.sleep(seconds)
            return await real(req, url, *a, **kw)

        fake_request.FakeRequest.do_request = slow  # type: ignore[method-assign]

    def __exit__(self, *_: object) -> None:
        fake_request.FakeRequest.do_request = self.real  # type: ignore[method-assign]


async def run_concurrent(reporters: int, concurrency: int, latency_ms: float) -> None:
    """Throughput of ``reporters`` at once: per-chat concurrency against strictly serial."""
    rows = []
    results: dict[int, float] = {}
    for conc in (1, concurrency):
        with tempfile.TemporaryDirectory() as tmp:
            updates, seconds = await reporters_at_once(reporters, conc, Path(tmp), latency_ms)
        results[conc] = updates / seconds
        label = "strictly serial" if conc == 1 else f"per-chat, up to {conc} at once"
        rows.append((label, updates, f"{seconds:.2f}", f"{updates / seconds:.0f}"))
    print(
        f"\n{reporters} reporters at once, Bot API latency {latency_ms:g} ms per call; {machine()}"
    )
    print(table(("inbox", "updates", "seconds", "updates/s"), rows))
    print(f"\nthroughput, per-chat / serial: {results[concurrency] / results[1]:.2f}x")


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
    """Command line: --reports N; --reporters N (0: skip) --concurrency N --latency-ms X."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    if args.reports:
        asyncio.run(run(args.reports))
    if args.reporters:
        asyncio.run(run_concurrent(args.reporters, args.concurrency, args.latency_ms))


if __name__ == "__main__":
    main()
