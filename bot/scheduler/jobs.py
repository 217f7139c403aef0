"""APScheduler wiring: one in-memory interval job that runs the sweep (the rows are the truth)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduler.sweep import SweepReport, sweep

if TYPE_CHECKING:
    from bot.app import Runtime

__all__ = ["BASE_INTERVAL_SECONDS", "MIN_INTERVAL_SECONDS", "run_sweep", "start_scheduler",
           "sweep_interval"]  # fmt: skip

log = logging.getLogger(__name__)

BASE_INTERVAL_SECONDS = 5.0
MIN_INTERVAL_SECONDS = 0.5
JOB_ID = "ppa-reminder-sweep"


def sweep_interval(scale: float, base: float = BASE_INTERVAL_SECONDS) -> float:
    """Real seconds between sweeps: shorter when the clock runs ``scale`` times faster."""
    if scale <= 1:
        return base
    return max(MIN_INTERVAL_SECONDS, base / scale)


async def run_sweep(runtime: Runtime) -> SweepReport | None:
    """One sweep at the runtime clock's now, then wake the outbox sender."""
    try:
        report = await sweep(runtime.services, runtime.services.clock.now())
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
