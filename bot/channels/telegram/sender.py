"""Turns outbox rows into Telegram messages in the reader's language, and sends them.

Each row names a recipient (bot/domain/notice.py); the sender resolves it to a chat when it
sends (bot/channels/telegram/addresses.py) and renders it with the renderer catalog
(bot/channels/telegram/renderers.py).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.channels.telegram.addresses import TelegramAddresses
from bot.channels.telegram.botapi import send_html
from bot.channels.telegram.cleanup import DELETE_KIND, delete_due
from bot.channels.telegram.delivery_failures import DeliveryFailures
from bot.channels.telegram.digest import DIGEST_MAX_CHARS, digest_texts
from bot.channels.telegram.renderers import core_renderers, render_staff_notice
from bot.channels.telegram.rendering import (
    CheckFn,
    LineFn,
    Rendered,
    RendererCatalog,
    RenderFn,
)
from bot.channels.telegram.throttle import Throttle
from bot.domain.notice import RecipientKind
from bot.faultpoints import delivering
from bot.i18n import I18n
from bot.presentation.preview import for_reporter
from bot.services.context import Services
from bot.store import Tx
from bot.store.outbox import OutboxItem

__all__ = [
    "DIGEST_MAX_CHARS",
    "DIGEST_THRESHOLD",
    "CheckFn",
    "LineFn",
    "OutboxSender",
    "RenderFn",
    "Rendered",
    "render_staff_notice",
]

log = logging.getLogger(__name__)

DIGEST_THRESHOLD = 3
NETWORK_STRIKES = 3


class _Outcome(Enum):
    """How one Telegram message went."""

    SENT = "sent"
    RETRY = "retry"
    NETWORK = "network"
    FAILED = "failed"


@dataclass
class _Message:
    """One Telegram message to send: a single row, or a digest standing for several."""

    chat_id: int
    items: list[OutboxItem]
    digest_text: str | None = None

    @property
    def first_id(self) -> int:
        """The oldest row in the message (keeps the outbox's order)."""
        return min(i.id for i in self.items)


def _seconds(value: float | timedelta) -> float:
    """RetryAfter's retry_after as seconds (a timedelta under PTB_TIMEDELTA=1)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class OutboxSender:
    """Drains the outbox within Telegram's limits; a row is sent only once Telegram accepted it."""

    def __init__(
        self,
        bot: Bot,
        services: Services,
        i18n: I18n,
        *,
        throttle: Throttle | None = None,
        catalog: RendererCatalog | None = None,
        digest_threshold: int = DIGEST_THRESHOLD,
        max_wait: float = 2.0,
        batch: int = 500,
    ) -> None:
        self.bot = bot
        self.svc = services
        self.i18n = i18n
        self.throttle = throttle or Throttle()
        self.catalog = catalog if catalog is not None else core_renderers(services)
        self.addresses = TelegramAddresses(services)
        self.failures = DeliveryFailures(services, self.addresses, self.kick)
        self.digest_threshold = digest_threshold
        self.max_wait = max_wait
        self.batch = batch
        self.next_ready: float | None = None
        # after a drain that found nothing due: the outbox's count of queued rows then, and
        # when its first pending row falls due; until either moves a lazy drain reads nothing
        self._idle: tuple[int, datetime | None] | None = None
        self._full_at = float("-inf")  # time.monotonic() of the last drain that read the outbox
        self._wake = asyncio.Event()
        # one drain at a time: the background task and an explicit drain must never both
        # read the same pending row and send it twice
        self._drain_lock = asyncio.Lock()

    def register(self, kind: str, render: RenderFn, line: LineFn | None = None) -> None:
        """Teach the sender a new outbox kind; with ``line`` it may join group digests."""
        self.catalog.register(kind, render, line)

    def add_check(self, check: CheckFn) -> None:
        """Before sending, rows for which ``check`` answers False are cancelled (e.g. stale)."""
        self.catalog.add_check(check)

    def kick(self) -> None:
        """Ask for a drain soon (after a state change)."""
        self._wake.set()

    # -- rendering ---------------------------------------------------------------------------

    async def render(self, item: OutboxItem) -> Rendered | None:
        """Text and buttons for an outbox row, in the row's language."""
        renderer = self.catalog.get(item.kind)
        if renderer is None:
            log.error("unknown outbox kind %s", item.kind)
            return None
        t = self.i18n.get(item.language)
        rendered = await renderer.render(item, t)
        if rendered is not None and item.recipient.kind is RecipientKind.REPORTER:
            # a shared phone's lock screen previews the first line: it must say nothing
            rendered = for_reporter(t, rendered[0]), rendered[1]
        return rendered

    # -- planning ------------------------------------------------------------------------------

    def _line(self, item: OutboxItem) -> LineFn:
        line = self.catalog.line(item.kind)
        assert line is not None
        return line

    async def _plan(self, items: list[tuple[OutboxItem, int]]) -> dict[int, list[_Message]]:
        """Messages per chat, oldest first; bursts into one chat become digests."""
        by_chat: dict[int, list[OutboxItem]] = {}
        for item, chat in items:
            by_chat.setdefault(chat, []).append(item)
        plan: dict[int, list[_Message]] = {}
        digests: list[tuple[int, str, list[OutboxItem]]] = []
        for chat_id, rows in by_chat.items():
            messages: list[_Message] = []
            if self.throttle.is_group(chat_id):
                by_lang: dict[str, list[OutboxItem]] = {}
                for row in rows:
                    if self.catalog.line(row.kind) is not None:
                        by_lang.setdefault(row.language, []).append(row)
                    else:
                        messages.append(_Message(chat_id, [row]))
                budget = self.throttle.remaining(chat_id)
                for language, group_rows in by_lang.items():
                    n = len(group_rows)
                    if n > self.digest_threshold or (n >= 2 and n > budget):
                        digests.append((chat_id, language, group_rows))
                    else:
                        messages.extend(_Message(chat_id, [r]) for r in group_rows)
            else:
                # a person with many step alerts at once gets one digest, not a flood
                mergeable = [
                    r
                    for r in rows
                    if self.catalog.line(r.kind) is not None and r.kind.startswith("step_")
                ]
                if len(mergeable) > self.digest_threshold:
                    digests.append((chat_id, mergeable[0].language, mergeable))
                    rows = [r for r in rows if r not in mergeable]
                messages.extend(_Message(chat_id, [r]) for r in rows)
            plan[chat_id] = messages
        if digests:
            wanted = (r.case_id for _, _, rows in digests for r in rows if r.case_id)
            async with self.svc.db.reading() as conn:
                numbers = await self.svc.outbox.case_numbers(conn, wanted)
            for chat_id, language, rows in digests:
                for text, part in digest_texts(rows, self.i18n.get(language), numbers, self._line):
                    plan[chat_id].append(_Message(chat_id, part, digest_text=text))
        for messages in plan.values():
            messages.sort(key=lambda m: m.first_id)
        return plan

    # -- sending -------------------------------------------------------------------------------

    async def drain(self, limit: int | None = None, *, lazy: bool = False) -> int:
        """Send what is due now within the limits; returns how many rows were sent.

        ``lazy``: when the last drain found nothing due, nothing was queued through this
        process's outbox store since and no pending row has fallen due, return at once
        without reading the outbox (no transaction). Rows written by another process are
        found by the next drain that is not lazy (``run`` makes one at least every interval).
        """
        async with self._drain_lock:
            if lazy and self._nothing_due():
                return 0
            return await self._drain(limit)

    def _nothing_due(self) -> bool:
        if self._idle is None:
            return False
        added, next_due = self._idle
        if added != self.svc.outbox.added:
            return False
        return next_due is None or self.svc.clock.now() < next_due

    async def _drain(self, limit: int | None) -> int:
        now = self.svc.clock.now()
        added = self.svc.outbox.added  # rows queued after this are seen by the next drain
        self._idle = None
        self._full_at = time.monotonic()
        async with self.svc.db.transaction() as conn:
            cancelled = await self.svc.outbox.cancel_closed(conn)
            await self.addresses.load(conn)  # staff groups that moved, before resolving
            due = await self.svc.outbox.due(conn, now, limit or self.batch)
            if not due:
                self._idle = (added, await self.svc.outbox.next_due(conn))
            if self.catalog.checks:
                due = [i for i in due if await self._relevant(conn, i)]
            items = await self._resolve(conn, due)
        if cancelled:
            log.info("outbox: %s messages of closed cases cancelled", cancelled)
        self.next_ready = None
        if not items:
            return 0
        plan = await self._plan(items)
        heap = [
            (self.throttle.ready_at(chat), messages[0].first_id, chat)
            for chat, messages in plan.items()
            if messages
        ]
        heapq.heapify(heap)
        start = self.throttle.monotonic()
        sent = strikes = 0
        while heap:
            _, _, chat = heapq.heappop(heap)
            left = self.max_wait - (self.throttle.monotonic() - start)
            if not await self.throttle.acquire(chat, max_wait=max(0.0, left)):
                self.next_ready = self.throttle.ready_at(chat)
                break  # the rest waits even longer: leave it for the next drain
            message = plan[chat].pop(0)
            outcome = await self._deliver(message)
            if outcome is _Outcome.SENT:
                sent += len(message.items)
                strikes = 0
            elif outcome is _Outcome.NETWORK:
                strikes += 1
                if strikes >= NETWORK_STRIKES:
                    log.warning("outbox: Telegram unreachable; the rest waits for the next drain")
                    break
            if outcome is not _Outcome.RETRY and plan[chat]:
                heapq.heappush(heap, (self.throttle.ready_at(chat), plan[chat][0].first_id, chat))
        return sent

    async def _resolve(self, conn: Tx, items: list[OutboxItem]) -> list[tuple[OutboxItem, int]]:
        """Each row with its chat; a row whose recipient has no chat on Telegram fails."""
        found: list[tuple[OutboxItem, int]] = []
        for item in items:
            chat = await self.addresses.resolve(conn, item.recipient)
            if chat is None:
                log.error("outbox: no Telegram chat for %s (row %s)", item.recipient.kind, item.id)
                await self.svc.outbox.mark_failed(conn, item.id, "no address")
            else:
                found.append((item, chat))
        return found

    async def _relevant(self, conn: Tx, item: OutboxItem) -> bool:
        """Run the checks on a row; cancel it when one says it is no longer wanted."""
        for check in self.catalog.checks:
            if not await check(conn, item):
                await self.svc.outbox.mark_cancelled(conn, item.id, "no longer relevant")
                return False
        return True

    async def _deliver(self, message: _Message) -> _Outcome:
        """Send one message and record the result on its rows."""
        store = self.svc.outbox
        ids = [i.id for i in message.items]
        if message.items[0].kind == DELETE_KIND:  # a message that deletes itself (/hapus)
            done = await delete_due(self.bot, self.svc, message.chat_id, message.items[0])
            return _Outcome.SENT if done else _Outcome.RETRY
        if message.digest_text is not None:
            text, markup = message.digest_text, None
        else:
            item = message.items[0]
            try:
                rendered = await self.render(item)
            except Exception:
                log.exception("outbox: rendering %s (row %s) failed", item.kind, item.id)
                rendered = None
            if rendered is None:
                async with self.svc.db.transaction() as conn:
                    await store.mark_failed(conn, item.id, "nothing to send")
                return _Outcome.FAILED
            text, markup = rendered
        async with delivering():  # the crash test's named points never land inside
            msg = None
            while msg is None:
                try:
                    # Telegram's answer as JSON: only its message id is kept
                    msg = await send_html(self.bot, message.chat_id, text, markup)
                except RetryAfter as exc:
                    delay = _seconds(exc.retry_after)
                    self.throttle.pause(message.chat_id, delay)
                    await self._retry(message.items, timedelta(seconds=delay), "RetryAfter")
                    return _Outcome.RETRY
                except ChatMigrated as exc:  # a staff group became a supergroup: follow it
                    new = int(exc.new_chat_id)
                    if new == message.chat_id or not await self.failures.migrated(
                        message.chat_id, new
                    ):
                        await self.failures.fail(message.chat_id, message.items, "ChatMigrated")
                        return _Outcome.FAILED
                    message.chat_id = new
                except (Forbidden, BadRequest) as exc:
                    if isinstance(exc, Forbidden):  # e.g. the bot was removed from the group
                        await self.failures.unreachable(message.chat_id, type(exc).__name__)
                    await self.failures.fail(message.chat_id, message.items, type(exc).__name__)
                    return _Outcome.FAILED
                except (NetworkError, TelegramError) as exc:
                    attempts = max(i.attempts for i in message.items)
                    backoff = timedelta(seconds=min(300, 2 ** min(attempts, 9)))
                    await self._retry(message.items, backoff, type(exc).__name__)
                    return _Outcome.NETWORK
            async with self.svc.db.transaction() as conn:
                await store.mark_sent_many(conn, ids, self.svc.clock.now(), msg["message_id"])
            return _Outcome.SENT

    async def _retry(self, items: Iterable[OutboxItem], delay: timedelta, error: str) -> None:
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as conn:
            for item in items:
                await self.svc.outbox.mark_retry(conn, item.id, now, delay, error)

    async def flush(self, max_rounds: int = 100_000) -> int:
        """Drain until nothing is due, waiting on the throttle's time source in between."""
        total = 0
        for _ in range(max_rounds):
            sent = await self.drain()
            total += sent
            async with self.svc.db.reading() as conn:
                due = await self.svc.outbox.count_due(conn, self.svc.clock.now())
            if due == 0:
                return total
            ready = self.next_ready
            if ready is None and sent:
                continue  # the batch was full: fetch the next one at once
            wait = 1.0 if ready is None else ready - self.throttle.monotonic()
            await self.throttle.sleep(max(wait, 0.001))
        return total

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Drain whenever kicked, and at least every ``interval`` seconds, until stopped (a
        kick with nothing queued since costs nothing; the outbox is read at least every
        ``interval`` seconds all the same, for rows another process wrote)."""
        while not stop.is_set():
            try:
                await self.drain(lazy=time.monotonic() - self._full_at < interval)
            except Exception:
                log.exception("outbox drain failed")
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiter, stopper}, timeout=interval, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            stopper.cancel()
