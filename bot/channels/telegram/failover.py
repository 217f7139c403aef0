"""Two or more instances on one PostgreSQL database: one leads (polls Telegram, processes the
inbox, drains the outbox, sweeps), the others wait as standbys and take over when it dies.

The leader's work runs fenced at its epoch (bot/store/leadership.py): once another instance
has taken over, every transaction of the old one is refused, and it returns to standby.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import psycopg

from bot.store.leadership import Leadership, StaleLeader, fenced

if TYPE_CHECKING:
    from bot.app import Runtime
    from bot.channels.telegram.webhook import WebhookServer

__all__ = ["CHECK_SECONDS", "INBOX_POLL_SECONDS", "STANDBY_SECONDS", "Work", "lead",
           "run_with_leadership", "wait_for_leadership", "webhook_term"]  # fmt: skip

log = logging.getLogger(__name__)

STANDBY_SECONDS = 0.5  # a standby asks for the lock this often
CHECK_SECONDS = 1.0  # a leader checks it still leads this often
INBOX_POLL_SECONDS = 0.5  # webhook mode: the leader looks for updates other instances stored

# the leader's work: runs until the event is set (stop, or leadership lost)
Work = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait, but return at once when ``stop`` is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def wait_for_leadership(
    leadership: Leadership, stop: asyncio.Event, interval: float = STANDBY_SECONDS
) -> int | None:
    """Wait as a standby until this instance leads: its epoch, or None when stopped."""
    told = False
    while not stop.is_set():
        try:
            epoch = await leadership.try_acquire()
        except (psycopg.Error, OSError) as exc:
            log.warning("standby: database unreachable (%s); retrying", type(exc).__name__)
            await leadership.release()
            epoch = None
        if epoch is not None:
            log.info("became leader (epoch %s)", epoch)
            return epoch
        if not told:
            log.info("standby: another instance leads this database; waiting to take over")
            told = True
        await _pause(stop, interval)
    return None


async def lead(
    leadership: Leadership,
    epoch: int,
    stop: asyncio.Event,
    work: Work,
    interval: float = CHECK_SECONDS,
) -> bool:
    """Run ``work`` fenced at ``epoch`` until ``stop`` or until leadership is lost; True if
    it was lost (the work has stopped and leadership is released)."""
    term = asyncio.Event()
    lost = False

    async def watch() -> None:
        nonlocal lost
        while not term.is_set():
            await _pause(term, interval)
            if stop.is_set():
                term.set()
            elif not term.is_set() and not await leadership.held():
                lost = True
                term.set()

    with fenced(epoch):  # the work's tasks inherit the fence
        task = asyncio.create_task(work(term))
    watcher = asyncio.create_task(watch())
    try:
        await task
    except StaleLeader:
        lost = True
    except psycopg.OperationalError as exc:  # the data connection is gone
        log.warning("leader's database connection failed (%s)", type(exc).__name__)
        lost = True
    finally:
        term.set()
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    lost = lost and not stop.is_set()
    if lost:
        log.warning("lost leadership (epoch %s); back to standby", epoch)
    await leadership.release()
    return lost


async def run_with_leadership(
    url: str, stop: asyncio.Event, work: Work, *, standby_seconds: float = STANDBY_SECONDS
) -> None:
    """Standby, leader, standby again ...: until ``stop``; ``work`` runs in each term."""
    leadership = Leadership(url)
    try:
        while not stop.is_set():
            epoch = await wait_for_leadership(leadership, stop, standby_seconds)
            if epoch is None:
                return
            await lead(leadership, epoch, stop, work)
    finally:
        await leadership.release()


def webhook_term(
    server: WebhookServer,
    build: Callable[[], Coroutine[Any, Any, Runtime]],
    beside: Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]] | None = None,
) -> Work:
    """The leader's work in webhook mode. Every instance's ``server`` (process=False) accepts
    and commits updates; the leader builds a bot of its own for the term (``build``: fresh
    conversation state, read from the store now, not from an earlier term), processes the
    inbox (also what other instances stored), drains the outbox and sweeps until the term
    ends; ``beside`` (WhatsApp) runs with it."""
    from bot.app import settle_heap_now_and_later
    from bot.channels.telegram.runner import InboxRunner
    from bot.scheduler.jobs import start_scheduler

    async def work(until: asyncio.Event) -> None:
        runtime = await build()
        settle_heap_now_and_later()
        runner = InboxRunner(runtime)
        app = runtime.application
        tasks: list[asyncio.Task[None]] = []
        scheduler = None
        try:
            await app.initialize()
            await app.start()
            scheduler = start_scheduler(runtime)
            tasks.append(asyncio.create_task(runtime.sender.run(until)))
            if beside is not None:
                tasks.append(asyncio.create_task(beside(runtime, until)))
            while not until.is_set():
                server.wake.clear()
                await runner.process_pending()  # StaleLeader, a lost connection: end the term
                await _either(server.wake, until, INBOX_POLL_SECONDS)
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            until.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await runtime.close()

    return work


async def _either(one: asyncio.Event, two: asyncio.Event, seconds: float) -> None:
    """Wait until either event is set, or ``seconds``."""
    waiters = {asyncio.ensure_future(one.wait()), asyncio.ensure_future(two.wait())}
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
