"""APScheduler wiring: one in-memory interval job that runs the sweep (the rows are the truth)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduler.sweep import SweepReport, sweep
from bot.store.inbox import InboxStore

if TYPE_CHECKING:
    from bot.app import Runtime

__all__ = ["BASE_INTERVAL_SECONDS", "INBOX_KEEP", "INBOX_PRUNE_BATCH", "MIN_INTERVAL_SECONDS",
           "prune_inbox", "run_sweep", "start_scheduler", "sweep_interval"]  # fmt: skip

log = logging.getLogger(__name__)

BASE_INTERVAL_SECONDS = 5.0
MIN_INTERVAL_SECONDS = 0.5
JOB_ID = "ppa-reminder-sweep"
INBOX_KEEP = timedelta(days=7)
INBOX_PRUNE_EVERY = timedelta(hours=1)
INBOX_PRUNE_BATCH = 5000


def sweep_interval(scale: float, base: float = BASE_INTERVAL_SECONDS) -> float:
    """Real seconds between sweeps: shorter when the clock runs ``scale`` times faster."""
    if scale <= 1:
        return base
    return max(MIN_INTERVAL_SECONDS, base / scale)


async def prune_inbox(runtime: Runtime, now: datetime) -> int:
    """Forget handled Telegram updates kept longer than ``INBOX_KEEP`` (each update leaves a
    row; without this the inbox grows forever), at most once every ``INBOX_PRUNE_EVERY``, a
    batch per transaction; how many went. Telegram re-sends an update for a day at most, so a
    week of handled ids still turns every repeat away."""
    last = runtime.inbox_pruned_at
    if last is not None and now - last < INBOX_PRUNE_EVERY:
        return 0
    runtime.inbox_pruned_at = now
    store, gone = InboxStore(), 0
    while True:
        async with runtime.db.transaction() as conn:
            n = await store.forget_done(conn, now - INBOX_KEEP, INBOX_PRUNE_BATCH)
        gone += n
        if n < INBOX_PRUNE_BATCH:
            break
        await asyncio.sleep(0)  # let polling and replies in between batches
    if gone:
        log.info("inbox: %d handled updates older than %d days forgotten", gone,
                 INBOX_KEEP.days)  # fmt: skip
    return gone


async def run_sweep(runtime: Runtime) -> SweepReport | None:
    """One sweep at the runtime clock's now (and, hourly, the inbox pruned), then wake the
    outbox sender."""
    now = runtime.services.clock.now()
    try:
        await prune_inbox(runtime, now)
    except Exception:
        log.exception("inbox pruning failed")
    try:
        report = await sweep(runtime.services, now)
    except Exception:
        log.exception("reminder sweep failed")
        return None
    if report.total or report.errors:
        log.info("sweep: %s reminders, %s messages queued, %s failed", report.total,
                 report.messages, report.errors)  # fmt: skip
    runtime.sender.kick()
    return report


def start_scheduler(runtime: Runtime, interval_seconds: float | None = None) -> AsyncIOScheduler:
    """Start (in the running event loop) the sweep job; the first run is at once (catch-up)."""
    scale = float(getattr(runtime.services.clock, "scale", 1.0))
    interval = interval_seconds if interval_seconds is not None else sweep_interval(scale)
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        run_sweep, "interval", seconds=interval, args=[runtime], id=JOB_ID, max_instances=1,
        coalesce=True, misfire_grace_time=None, next_run_time=datetime.now(UTC),
        replace_existing=True,
    )  # fmt: skip
    scheduler.start()
    return scheduler
