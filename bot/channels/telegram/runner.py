"""The durable inbox: each update is committed before it is confirmed, then processed in order
(per chat: different chats' updates run concurrently, see lanes.py)."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.app import Runtime
from bot.channels.telegram.botapi import ALL_UPDATE_TYPES, post
from bot.channels.telegram.decode import decode_update
from bot.channels.telegram.lanes import conflicts, lane_keys
from bot.channels.telegram.persistence import SqlitePersistence
from bot.domain.notice import Notice, Recipient
from bot.faultpoints import crash_point
from bot.scheduler.jobs import start_scheduler
from bot.store.conversations import StateStore, StateWrite
from bot.store.inbox import InboxStore, PendingUpdate

__all__ = ["MAX_ATTEMPTS", "InboxRunner", "InstanceLock"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
MAX_TRANSIENT = 8  # pauses of 2, 4, ... 60 s while Telegram is unreachable
BATCH = 200  # stored updates read at once; each round starts those it may
POLL_READ_MARGIN = 5.0  # s beyond a long poll's timeout before giving up on the answer


@dataclass(frozen=True)
class _Item:
    """A stored update, decoded, with the chat and user ids it touches."""

    pending: PendingUpdate
    update: Update
    keys: frozenset[int]
    # Telegram's JSON of an update handled before it was stored (``take``): stored with its
    # state when handled (only its id when done), else None (read from the inbox)
    raw: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Outcome:
    """How one update's handling ended: finished (done or dead), or to be tried again."""

    finished: bool
    pause: float | None


class InstanceLock:
    """One running bot per database (an exclusive lock file next to it)."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(f"{db_path}.lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock; False if another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        """Let go of the lock."""
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


class InboxRunner:
    """Own polling loop replacing PTB's Updater (see ARCHITECTURE.md, Durability)."""

    def __init__(
        self, runtime: Runtime, *, poll_timeout: int = 20, concurrency: int | None = None
    ) -> None:
        self.rt = runtime
        self.poll_timeout = poll_timeout
        self.concurrency = max(1, concurrency or runtime.concurrency)
        self._stop = asyncio.Event()
        self._transient_tries = 0
        self._newest: int | None = None  # the newest stored update id, once read
        # handing freshly stored updates straight to processing, without reading them back
        # (SQLite only, where this process is the inbox's only writer): store_updates counts
        # its transactions; process_pending notes the count at which it last left nothing
        # pending; the rows of the one store after that are all there is to do
        self._stores = 0
        self._empty_at: int | None = None
        self._fresh: tuple[int, list[tuple[PendingUpdate, dict[str, Any]]]] | None = None
        self.inbox = InboxStore()
        self.states = StateStore(runtime.services.cipher)

    @property
    def _cipher(self) -> Any:
        return self.rt.services.cipher

    async def take(self, raw: list[dict[str, Any]]) -> None:
        """Handle one getUpdates answer. A lone update, when nothing else is pending, is
        handled at once and committed with its state in one transaction: until then it is
        not stored, and the next getUpdates (offset: the newest stored id + 1) does not
        confirm it, so after a crash Telegram gives it again. Otherwise the updates are stored
        first, then processed (a batch may finish out of order; the offset may not pass an
        update left unfinished)."""
        if len(raw) == 1 and self._direct_ok(int(raw[0]["update_id"])):
            outcome = await self._handle_direct(raw[0])
            pause = self._after_round(1 if outcome.finished else 0, outcome.pause)
            if outcome.finished:
                return
            if pause is not None:  # Telegram unreachable: as a stored update would wait
                await self._pause(pause)
            await self.process_pending()  # it is stored now: tried again from the inbox
            return
        await self.store_updates(raw)
        if raw:
            await crash_point("after_inbox_commit")
        await self.process_pending()

    def _direct_ok(self, update_id: int) -> bool:
        """Whether nothing is pending (the last pass left nothing, no store since: SQLite,
        where this process is the inbox's only writer) and the update is newer than all."""
        return (
            self.rt.db.dialect == "sqlite"
            and self._empty_at is not None
            and self._empty_at == self._stores
            and self._fresh is None
            and self._newest is not None
            and update_id > self._newest
        )

    async def _handle_direct(self, raw: dict[str, Any]) -> _Outcome:
        """Handle an update not yet stored (``take``)."""
        update = decode_update(raw, self.rt.application.bot)
        item = _Item(PendingUpdate(update.update_id, b"", 0), update, lane_keys(update), raw)
        self._empty_at = None  # unknown until committed
        outcome = await self._one(item)
        self._stores += 1  # its row is stored now (done, or to be tried again)
        self._newest = max(self._newest or update.update_id, update.update_id)
        if outcome.finished:
            self._empty_at = self._stores
            self.rt.sender.kick()
        return outcome

    async def store_updates(self, raw: list[dict[str, Any]]) -> None:
        """Commit raw updates to the inbox (duplicates ignored)."""
        if not raw:
            return
        now = self.rt.services.clock.now()
        stored: list[tuple[PendingUpdate, dict[str, Any]]] = []
        async with self.rt.db.transaction() as conn:
            self._stores += 1  # inside: a reader holding the lock sees every store it counts
            seq = self._stores
            for item in raw:
                update_id = int(item["update_id"])
                blob = self._cipher.encrypt_json(item, context=b"inbox")
                if await self.inbox.add(conn, update_id, now, blob):  # not a duplicate
                    stored.append((PendingUpdate(update_id, blob, 0), item))
        self._fresh = (seq, stored)
        newest = max(int(item["update_id"]) for item in raw)
        if self._newest is not None:  # unknown until read once (older rows may be stored)
            self._newest = max(self._newest, newest)

    async def next_offset(self) -> int | None:
        """One past the newest stored update (None for an empty inbox); read from the inbox
        once, then kept in memory (this process is the only one storing in polling mode)."""
        if self._newest is None:
            async with self.rt.db.reading() as conn:
                self._newest = await self.inbox.newest_id(conn)
        return self._newest + 1 if self._newest is not None else None

    async def process_pending(self) -> int:
        """Process stored updates: one chat's in order, different chats' concurrently (bounded,
        ``concurrency``); returns how many were handled."""
        done = 0
        batch = self._take_fresh()  # None: read the inbox
        self._empty_at = None  # until this call leaves nothing pending
        while True:
            if batch is None:
                async with self.rt.db.reading() as conn:
                    seen = self._stores  # every store counted so far is committed
                    batch = [self._decode(p) for p in await self.inbox.pending(conn, BATCH)]
            else:
                seen = self._stores
            if not batch:
                self._caught_up(seen)
                return done
            handled, pause = await self._round(batch)
            done += handled
            if pause is not None:
                await self._pause(pause)
            elif handled == len(batch) < BATCH:
                # all finished and the inbox had no more: no need to ask it again (an update
                # stored meanwhile comes with its own call: after a poll, or the webhook's wake)
                self._caught_up(seen)
                return done
            batch = None

    def _caught_up(self, seen: int) -> None:
        """Nothing was left pending of the updates of the first ``seen`` stores."""
        if self.rt.db.dialect == "sqlite":  # PostgreSQL: other instances may store updates
            self._empty_at = seen

    def _take_fresh(self) -> list[_Item] | None:
        """The updates of the last store, when they are all that is pending: nothing was left
        after the store before it, and no other store began since (else None: read)."""
        fresh, self._fresh = self._fresh, None
        if fresh is None or self._empty_at is None:
            return None
        seq, rows = fresh
        if seq != self._stores or self._empty_at != seq - 1:
            return None
        bot = self.rt.application.bot
        items = []
        for pending, raw in rows:
            update = decode_update(raw, bot)
            items.append(_Item(pending, update, lane_keys(update)))
        return items

    def _decode(self, pending: PendingUpdate) -> _Item:
        data = self._cipher.decrypt_json(pending.payload_enc, context=b"inbox")
        update = decode_update(data, self.rt.application.bot)
        return _Item(pending, update, lane_keys(update))

    async def _round(self, items: list[_Item]) -> tuple[int, float | None]:
        """Run one batch: start every update whose chat and user have nothing earlier waiting
        or running; a lane whose update is to be retried stops for this round (order kept).
        Returns (updates finished, pause before the next round or None)."""
        if len(items) == 1:  # one update (the usual poll): no task needed to run it
            outcome = await self._one(items[0])
            handled = 1 if outcome.finished else 0
            if outcome.finished:
                self.rt.sender.kick()
            return handled, self._after_round(handled, outcome.pause)
        waiting = list(items)
        running: dict[asyncio.Task[_Outcome], _Item] = {}
        stopped: set[int] = set()  # keys of lanes that stop for this round
        handled, pause, error = 0, None, None
        while waiting or running:
            ahead = set(stopped)
            busy = {key for item in running.values() for key in item.keys}
            left: list[_Item] = []
            for item in waiting:
                free = error is None and len(running) < self.concurrency
                if free and not conflicts(item.keys, ahead) and not conflicts(item.keys, busy):
                    running[asyncio.create_task(self._one(item))] = item
                    busy |= item.keys
                else:
                    left.append(item)
                    ahead |= item.keys
            waiting = left
            if not running:
                break  # what is left waits behind a stopped lane: the next round
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                item = running.pop(task)
                if task.exception() is not None:
                    error = error or task.exception()
                    stopped |= item.keys
                    continue
                outcome = task.result()
                if outcome.finished:
                    handled += 1
                    self.rt.sender.kick()  # the sender task drains; handling never waits on it
                else:
                    stopped |= item.keys
                if outcome.pause is not None:
                    pause = max(pause or 0.0, outcome.pause)
        if error is not None:
            raise error  # the updates running beside it were finished and committed first
        return handled, self._after_round(handled, pause)

    def _after_round(self, handled: int, pause: float | None) -> float | None:
        """The pause before the next round: longer after each round of transient failures."""
        if pause is not None:
            self._transient_tries += 1
            return max(pause, min(60.0, 2.0**self._transient_tries))
        if handled:
            self._transient_tries = 0
        return None

    async def _one(self, item: _Item) -> _Outcome:
        """Handle one update; its state writes and its status in one transaction."""
        app = self.rt.application
        update_id = item.pending.update_id
        persistence = app.persistence
        assert isinstance(persistence, SqlitePersistence)
        self.rt.failed_updates.discard(update_id)
        self.rt.transient_updates.pop(update_id, None)
        persistence.in_flight.enter(update_id, item.keys)
        persistence.hold(update_id)
        try:
            try:
                try:
                    await app.process_update(item.update)
                    failed = update_id in self.rt.failed_updates
                except Exception:
                    log.exception("update processing crashed")
                    failed = True
                transient = self.rt.transient_updates.pop(update_id, None)
                with persistence.flushing(update_id):
                    await app.update_persistence()
            finally:
                writes = persistence.release(update_id)
            await crash_point("before_inbox_done")
            if failed and transient is not None and self._transient_tries < MAX_TRANSIENT:
                # Telegram was unreachable: keep the state, retry this same update after a
                # pause (order kept); it does not count towards the dead-letter attempts
                await self._finish(item, None, writes)
                persistence.settle(update_id)
                return _Outcome(finished=False, pause=transient)
            await self._finish(item, failed, writes)
            persistence.settle(update_id)
            retried = failed and item.pending.attempts + 1 < MAX_ATTEMPTS
            return _Outcome(finished=not retried, pause=None)
        finally:
            persistence.discard(update_id)  # not committed (settled writes are gone already)
            persistence.in_flight.leave(item.keys)

    async def _pause(self, seconds: float) -> None:
        """Wait, but return at once when the bot is stopping."""
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _finish(self, item: _Item, failed: bool | None, writes: list[StateWrite]) -> None:
        """Commit the update's persistence writes together with its inbox status (for an
        update handled before it was stored: its row, with its payload unless done)."""
        update_id, attempts = item.pending.update_id, item.pending.attempts
        now = self.rt.services.clock.now()
        async with self.rt.db.transaction() as conn:
            await self.states.apply(conn, writes)
            if item.raw is not None:
                if failed is False:
                    await self.inbox.add_done(conn, update_id, now)
                    return
                blob = self._cipher.encrypt_json(item.raw, context=b"inbox")
                await self.inbox.add(conn, update_id, now, blob)  # to be tried again
            if failed is None:
                return
            if not failed:
                await self.inbox.mark_done(conn, update_id, now)
                return
            attempts += 1
            if attempts < MAX_ATTEMPTS:
                await self.inbox.mark_failed(conn, update_id, attempts)
                return
            await self.inbox.mark_dead(conn, update_id, attempts)
            for office in self.rt.services.offices.values():
                await self.rt.services.outbox.add(
                    conn,
                    Notice(
                        kind="dead_letter",
                        recipient=Recipient.staff_group(office.id),
                        params={"update_id": update_id},
                        language=office.language,
                        dedupe_key=f"dead:{update_id}:{office.id}",
                    ),
                    at=now,
                )
        log.error("update %s moved to dead letters after %s attempts", update_id, attempts)

    async def fetch(self) -> list[dict[str, Any]]:
        """One getUpdates call (long poll), as raw dictionaries: Telegram's JSON as it came.

        PTB's ``get_updates`` makes Update objects, which would have to be turned back into
        dictionaries to be stored (``to_dict`` cost a fifth of the bot's time per update); the
        same request through ``botapi.post`` gives the dictionaries, decoded once when handled.
        """
        raw = await post(
            self.rt.application.bot,
            "getUpdates",
            {
                "timeout": self.poll_timeout,
                "offset": await self.next_offset(),
                "allowed_updates": ALL_UPDATE_TYPES,
            },
            read_timeout=self.poll_timeout + POLL_READ_MARGIN,
        )
        return [dict(item) for item in raw]

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; finishes the update in hand before returning."""
        app = self.rt.application
        self._stop = stop
        await app.initialize()
        await app.start()
        await app.bot.delete_webhook(drop_pending_updates=False)
        sender_task = asyncio.create_task(self.rt.sender.run(stop))
        scheduler = start_scheduler(self.rt)  # reminder/overdue sweep; catches up at once
        try:
            await self.process_pending()  # replay what a previous run left
            backoff = 1.0
            while not stop.is_set():
                fetch = asyncio.create_task(self.fetch())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if not fetch.done():
                    # stopping while waiting for Telegram: nothing stored yet, safe to cancel
                    fetch.cancel()
                    await asyncio.gather(fetch, return_exceptions=True)
                    break
                try:
                    raw = fetch.result()
                except InvalidToken:
                    raise
                except RetryAfter as exc:
                    wait = exc.retry_after
                    seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                    log.warning("getUpdates rate limited; waiting %.0fs", seconds)
                    await self._pause(seconds)
                    continue
                except (TimedOut, NetworkError, Conflict) as exc:
                    log.warning(
                        "polling failed (%s); retrying in %.0fs", type(exc).__name__, backoff
                    )
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=backoff)
                    except TimeoutError:
                        pass
                    backoff = min(backoff * 2, 30.0)
                    continue
                backoff = 1.0
                await crash_point("after_fetch")
                # never cancelled: a SIGTERM only sets ``stop``, checked between batches
                await self.take(raw)
        finally:
            scheduler.shutdown(wait=False)
            stop.set()
            await asyncio.gather(sender_task, return_exceptions=True)
            await self.rt.close()
