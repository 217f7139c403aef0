"""What both webhook wings share: binding an aiohttp application, and the processor's wait."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

__all__ = ["listen", "wait_for_work"]


async def listen(
    app: web.Application, host: str, port: int, **options: Any
) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on host:port (0 picks a free port); the runner to clean up and the port.
    ``options`` go to aiohttp's ``AppRunner`` (by default: no access log, 5 s to shut down)."""
    runner = web.AppRunner(app, **{"access_log": None, "shutdown_timeout": 5.0, **options})
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, int(runner.addresses[0][1])


async def wait_for_work(wake: asyncio.Event, stop: asyncio.Event, at_most: float | None) -> None:
    """Return when something arrived (``wake``, then cleared), ``stop`` is set, or the time
    is up, whichever comes first."""
    waiter = asyncio.ensure_future(wake.wait())
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiter, stopper}, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        stopper.cancel()
    wake.clear()
