"""Fresh updates go straight to processing (no read back; a lone one on SQLite before it is
even stored) only when they are all that is pending: duplicates, stores nobody processed, and a
pass that failed all fall back to the inbox (or to Telegram giving the update again), so nothing
is handled twice, skipped, or out of order."""

from __future__ import annotations

from typing import Any

import pytest

from bot.testing.harness import Harness
from tests.integration.test_inbox import db_scalar, record_order


def _reads(h: Harness, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the runner's reads of pending updates from now on."""
    assert h.runner is not None
    inbox = h.runner.inbox
    reads: list[int] = []
    real = inbox.pending

    async def pending(*a: Any, **kw: Any) -> Any:
        found = await real(*a, **kw)
        reads.append(len(found))
        return found

    monkeypatch.setattr(inbox, "pending", pending)
    return reads


async def test_a_fresh_update_is_handled_without_reading_it_back(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, store_kind: str
) -> None:
    h = harness
    reads = _reads(h, monkeypatch)
    order = record_order(h)
    update_id = h.fake.user_sends_command(601, "/start")["update_id"]
    await h.pump()
    assert order == [update_id]
    assert h.fake.messages(601)
    assert db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", update_id) == "done"
    # SQLite: this process is the inbox's only writer; PostgreSQL: other instances may store
    assert reads == ([] if store_kind == "sqlite" else [1])


async def test_a_stored_duplicate_of_a_done_update_is_not_handled_again(
    harness: Harness,
) -> None:
    h = harness
    assert h.runner is not None
    order = record_order(h)
    raw = h.fake.user_sends_command(602, "/start")
    await h.pump()
    await h.runner.store_updates([raw])  # Telegram sent it again
    await h.runner.process_pending()
    assert order == [raw["update_id"]]
    assert len(h.fake.messages(602)) == 1


async def test_two_stores_before_one_pass_are_both_handled_in_order(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    assert h.runner is not None
    reads = _reads(h, monkeypatch)
    order = record_order(h)
    first = h.fake.user_sends_command(603, "/start")
    second = h.fake.user_sends_text(603, "halo")
    await h.runner.store_updates([first])  # e.g. two webhook requests, one processing pass
    await h.runner.store_updates([second])
    await h.runner.process_pending()
    assert order == [first["update_id"], second["update_id"]]
    assert reads[0] == 2  # the inbox was read: the last store is not all there is to do
    assert db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status = 'new'") == 0


def _break_first_commit(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's next commit of an update's state and status fails (once)."""
    runner = h.runner
    assert runner is not None
    real = runner._finish
    broken = [True]

    async def finish(*a: Any, **kw: Any) -> None:
        if broken[0]:
            broken[0] = False
            raise OSError("disk full")
        await real(*a, **kw)

    monkeypatch.setattr(runner, "_finish", finish)


async def test_after_a_failed_pass_the_inbox_is_read_and_order_kept(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    order = record_order(h)
    _break_first_commit(h, monkeypatch)
    first = h.fake.user_sends_command(604, "/start")["update_id"]
    second = h.fake.user_sends_text(604, "halo")["update_id"]  # one getUpdates: stored first
    with pytest.raises(OSError):
        await h.pump()  # the first handled, but its state and "done" were not committed
    assert db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", first) == "new"
    await h.pump()
    # the first update is handled again, before the second (not skipped for a fresh one)
    assert order == [first, first, second]
    assert db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status = 'new'") == 0


async def test_a_lone_update_whose_commit_failed_comes_again_from_telegram(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, store_kind: str
) -> None:
    h = harness
    order = record_order(h)
    _break_first_commit(h, monkeypatch)
    first = h.fake.user_sends_command(605, "/start")["update_id"]
    with pytest.raises(OSError):
        await h.pump()
    # SQLite: handled before it was stored, so not stored; its getUpdates was not confirmed
    stored = db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", first)
    assert stored == (None if store_kind == "sqlite" else "new")
    second = h.fake.user_sends_text(605, "halo")["update_id"]
    await h.pump()
    assert order == [first, first, second]  # again, and before the newer one
    assert db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", first) == "done"
    assert db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status = 'new'") == 0


async def test_a_lone_update_telegram_could_not_take_waits_and_is_tried_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    runner = h.runner
    assert runner is not None
    rt, app = h.rt, h.rt.application
    real = app.process_update
    first_try = [True]

    async def unreachable_once(update: Any) -> None:
        if first_try[0]:  # as the error handler marks a NetworkError (bot/app.py)
            first_try[0] = False
            rt.failed_updates.add(update.update_id)
            rt.transient_updates[update.update_id] = 0.0
            return
        await real(update)

    monkeypatch.setattr(app, "process_update", unreachable_once)
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(runner, "_pause", pause)
    update_id = h.fake.user_sends_command(606, "/start")["update_id"]
    await h.pump()
    assert pauses == [2.0]  # the first back-off, as for a stored update
    assert h.fake.messages(606)  # tried again after the pause, from the inbox
    assert db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", update_id) == "done"
    assert db_scalar(h, "SELECT attempts FROM inbox WHERE update_id = ?", update_id) == 0
