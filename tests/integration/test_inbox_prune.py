"""Tests for pruning the inbox (bot/scheduler/jobs.py ``prune_inbox``, InboxStore.forget_done):
handled updates go after a week, failed and dead ones stay, the newest row stays for the next
offset, and the bot goes on as before."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.scheduler.jobs import INBOX_KEEP, INBOX_PRUNE_BATCH, prune_inbox, run_sweep
from bot.store.db import Tx
from bot.store.inbox import InboxStore
from bot.testing.harness import Harness
from tests.integration.test_inbox import db_scalar

__all__: list[str] = []


def statuses(h: Harness) -> dict[str, int]:
    """How many inbox rows there are of each status."""
    rows = db_scalar(h, "SELECT COUNT(*) FROM inbox")
    done = db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status = 'done'")
    dead = db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status = 'dead'")
    return {"rows": int(rows), "done": int(done), "dead": int(dead)}


async def test_handled_updates_go_after_a_week_and_the_rest_stays(
    harness: Harness, clock: FakeClock
) -> None:
    h = harness
    for user in (701, 702, 703):
        await h.send(user, "/start")
    store = InboxStore()
    async with h.rt.db.transaction() as conn:  # an update that failed for good, long ago
        await store.add(conn, 1, clock.now(), b"x")
        await store.mark_dead(conn, 1, 3)
    before = statuses(h)
    assert before["done"] >= 3 and before["dead"] == 1
    newest = db_scalar(h, "SELECT MAX(update_id) FROM inbox")

    clock.advance(days=INBOX_KEEP.days - 1)  # not yet a week: nothing goes
    assert await prune_inbox(h.rt, clock.now()) == 0
    assert statuses(h) == before

    clock.advance(days=2)
    h.rt.inbox_pruned_at = None  # the hour since the last pass is up (as it would be)
    gone = await prune_inbox(h.rt, clock.now())
    assert gone == before["done"] - 1  # the newest row stays: the next offset is read from it
    after = statuses(h)
    assert after == {"rows": 2, "done": 1, "dead": 1}
    assert db_scalar(h, "SELECT MAX(update_id) FROM inbox") == newest

    # within the hour it does not run again, and the bot goes on as before
    assert await prune_inbox(h.rt, clock.now() + timedelta(minutes=30)) == 0
    replies = await h.send(704, "/start")
    assert replies and statuses(h)["done"] == 2


async def test_a_large_backlog_goes_a_batch_at_a_time(
    harness: Harness, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    batches: list[int] = []
    real = InboxStore.forget_done

    async def counted(self: InboxStore, tx: Tx, before: datetime, limit: int) -> int:
        n = await real(self, tx, before, limit)
        batches.append(n)
        return n

    monkeypatch.setattr(InboxStore, "forget_done", counted)
    store = InboxStore()
    async with h.rt.db.transaction() as conn:
        for update_id in range(10, 10 + 12_000):
            await store.add_done(conn, update_id, clock.now())
    done = statuses(h)["done"]
    assert done >= 12_000
    clock.advance(days=INBOX_KEEP.days + 1)
    assert await prune_inbox(h.rt, clock.now()) == done - 1
    assert statuses(h)["rows"] == 1
    assert len(batches) == 3 and max(batches) == INBOX_PRUNE_BATCH  # one transaction each


async def test_the_sweep_prunes(harness: Harness, clock: FakeClock) -> None:
    """The scheduler's sweep is what prunes, in a running bot."""
    h = harness
    for user in (711, 712):
        await h.send(user, "/start")
    clock.advance(days=INBOX_KEEP.days + 1)
    await run_sweep(h.rt)
    assert statuses(h)["done"] == 1
