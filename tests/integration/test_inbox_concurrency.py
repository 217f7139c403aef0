"""Per-chat concurrency of the durable inbox: different chats at once, one chat in order, and
each update's state committed with its own "done" even when a neighbour fails mid-batch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.channels.telegram.persistence import SqlitePersistence
from bot.store.conversations import StateStore
from bot.store.inbox import InboxStore
from bot.testing.harness import Harness
from tests.integration.test_inbox import crash_restart, db_scalar

GROUP = -1009999000001  # a group chat no office uses


def _gate(h: Harness, first_chat: int, other_chat: int, wait: float) -> dict[str, bool]:
    """The first chat's update waits (up to ``wait`` s) for the other chat's to start."""
    started = asyncio.Event()
    seen: dict[str, bool] = {}

    async def gate(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat.id if update.effective_chat else None
        if chat == other_chat:
            started.set()
        elif chat == first_chat:
            try:
                await asyncio.wait_for(started.wait(), timeout=wait)
                seen["overlapped"] = True
            except TimeoutError:
                seen["overlapped"] = False

    h.rt.application.add_handler(TypeHandler(Update, gate), group=-100)
    return seen


async def test_updates_of_different_chats_are_handled_at_the_same_time(harness: Harness) -> None:
    h = harness
    seen = _gate(h, 601, 602, wait=10.0)
    h.fake.user_sends_command(601, "/start")
    h.fake.user_sends_command(602, "/start")
    await h.pump()
    # 601's update was still running when 602's started (strictly serial, it would time out)
    assert seen == {"overlapped": True}
    assert h.fake.messages(601) and h.fake.messages(602)
    assert db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status != 'done'") == 0


async def test_with_a_concurrency_of_one_updates_run_strictly_one_at_a_time(
    harness: Harness,
) -> None:
    h = harness
    assert h.runner is not None
    h.runner.concurrency = 1
    seen = _gate(h, 603, 604, wait=0.2)
    h.fake.user_sends_command(603, "/start")
    h.fake.user_sends_command(604, "/start")
    await h.pump()
    assert seen == {"overlapped": False}
    assert h.fake.messages(603) and h.fake.messages(604)


async def test_one_chat_and_one_user_stay_in_order_while_others_interleave(
    harness: Harness,
) -> None:
    h = harness
    events: list[tuple[str, int, frozenset[int]]] = []
    changed = asyncio.Condition()
    running = 0

    async def note(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal running
        keys = frozenset(
            x.id for x in (update.effective_chat, update.effective_user) if x is not None
        )
        events.append(("start", update.update_id, keys))
        async with changed:
            running += 1
            changed.notify_all()
            try:  # give another lane the chance to start meanwhile (the last one waits alone)
                await asyncio.wait_for(changed.wait_for(lambda: running > 1), timeout=0.2)
            except TimeoutError:
                pass
            running -= 1
        events.append(("end", update.update_id, keys))

    h.fake.member_joins(GROUP, 611)
    await h.pump()
    h.rt.application.add_handler(TypeHandler(Update, note), group=-100)
    sent: dict[int, list[int]] = {}  # lane key -> its update ids in the order sent
    for i in range(5):
        for user in (611, 612, 613):
            uid = h.fake.user_sends_text(user, f"pesan {i}")["update_id"]
            sent.setdefault(user, []).append(uid)
        # 611 also writes in a group: the same user, so the same lane as her private chat
        uid = h.fake.user_sends_text(611, f"grup {i}", chat_id=GROUP)["update_id"]
        sent[611].append(uid)
    await h.pump()

    starts = [u for kind, u, _ in events if kind == "start"]
    assert sorted(starts) == sorted(u for ids in sent.values() for u in ids)
    for user, ids in sent.items():
        lane = [(kind, u) for kind, u, keys in events if user in keys]
        # strictly one after another: start, end of the same update, then the next one
        assert lane == [(kind, u) for u in sorted(ids) for kind in ("start", "end")], user
    # and the lanes did run interleaved (not one long line)
    running, most = 0, 0
    for kind, _, _ in events:
        running += 1 if kind == "start" else -1
        most = max(most, running)
    assert most > 1


async def test_a_failure_mid_batch_commits_the_others_and_replays_only_the_failed_one(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    users = (621, 622, 623)
    ids = {u: h.fake.user_sends_command(u, "/lapor")["update_id"] for u in users}
    broken = ids[622]
    real_done = InboxStore.mark_done

    async def mark_done(self: InboxStore, tx: Any, update_id: int, at: Any) -> None:
        if update_id == broken:
            raise RuntimeError("disk I/O error")  # the commit of 622's "done" fails
        await real_done(self, tx, update_id, at)

    monkeypatch.setattr(InboxStore, "mark_done", mark_done)
    with pytest.raises(RuntimeError):
        await h.pump()

    states = StateStore(h.rt.services.cipher)
    persistence = h.rt.application.persistence
    assert isinstance(persistence, SqlitePersistence)

    def stored(user: int) -> int:
        return int(
            db_scalar(
                h,
                "SELECT COUNT(*) FROM state_data WHERE kind = 'user_data' AND key_index = ?",
                states.data_index("user_data", user),
            )
        )

    def status(user: int) -> str:
        return str(db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", ids[user]))

    # the neighbours ran beside it and were committed, state and "done" together
    assert (status(621), status(623)) == ("done", "done")
    assert stored(621) == 1 and stored(623) == 1
    # 622's state went down with its "done": nothing of it is stored
    assert status(622) == "new" and stored(622) == 0
    assert persistence._held == {} and persistence.in_flight.ids == {}
    before = {u: len(h.fake.messages(u)) for u in users}

    monkeypatch.setattr(InboxStore, "mark_done", real_done)
    await crash_restart(h)  # a new process replays what is not done: 622 only

    assert status(622) == "done" and stored(622) == 1
    assert {u: len(h.fake.messages(u)) for u in (621, 623)} == {u: before[u] for u in (621, 623)}
    # 622 is asked the same first question again (a reply at least once), from the same state
    first = [m.plain_text for m in h.fake.messages(622)]
    assert len(first) == 2 * before[622] and first[: before[622]] == first[before[622] :]
