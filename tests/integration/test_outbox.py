"""Outbox sender: Telegram's limits, retries, permanent failures, digests."""

from __future__ import annotations

import pytest

from bot.channels.telegram.throttle import Throttle, VirtualTime
from bot.clock import FakeClock
from tests.integration.outbox_support import GROUP, REPORTER, World, world

__all__ = ["world"]  # the fixture, re-used


# -- throttle -------------------------------------------------------------------------------


def _throttle(clock: FakeClock) -> tuple[Throttle, VirtualTime]:
    vt = VirtualTime(clock)
    return Throttle(monotonic=vt.monotonic, sleep=vt.sleep, margin=0.0), vt


async def test_throttle_private_chat_one_per_second(clock: FakeClock) -> None:
    th, vt = _throttle(clock)
    assert await th.acquire(REPORTER)
    assert th.delay(REPORTER) == pytest.approx(1.0)
    assert th.delay(REPORTER + 1) == 0  # another chat may go now
    assert await th.acquire(REPORTER)
    assert vt.slept == pytest.approx(1.0)


async def test_throttle_group_twenty_per_minute(clock: FakeClock) -> None:
    th, vt = _throttle(clock)
    for _ in range(20):
        assert await th.acquire(GROUP, max_wait=0)
    assert th.remaining(GROUP) == 0
    assert th.delay(GROUP) == pytest.approx(60.0)
    assert not await th.acquire(GROUP, max_wait=59)  # too long: refused without sleeping
    assert vt.slept == 0
    assert await th.acquire(GROUP)
    assert vt.slept == pytest.approx(60.0)


async def test_throttle_global_thirty_per_second(clock: FakeClock) -> None:
    th, _ = _throttle(clock)
    for chat in range(1, 31):
        assert await th.acquire(chat, max_wait=0)
    assert th.delay(999) == pytest.approx(1.0)
    clock.advance(seconds=1)
    assert th.delay(999) == 0


async def test_throttle_pause_after_retry_after(clock: FakeClock) -> None:
    th, _ = _throttle(clock)
    th.pause(REPORTER, 5)
    assert th.delay(REPORTER) == pytest.approx(5.0)
    assert th.delay(GROUP) == 0
    th.pause_all(2)
    assert th.delay(GROUP) == pytest.approx(2.0)


# -- retries and failures -------------------------------------------------------------------


async def test_429_then_success_is_sent_once(world: World) -> None:
    await world.enqueue(REPORTER, "urgent_alert", {"office_id": "TNG"})
    world.fake.fail_next("sendMessage", 1, "429", retry_after=3)
    assert await world.sender.drain() == 0
    [row] = await world.rows()
    assert (row["status"], row["last_error"], row["sent_at"]) == ("pending", "RetryAfter", None)
    assert await world.sender.drain() == 0  # not yet: Telegram asked for 3 seconds
    world.clock.advance(seconds=3)
    assert await world.sender.drain() == 1
    assert await world.sender.drain() == 0
    assert len(world.fake.messages(REPORTER)) == 1
    [row] = await world.rows()
    assert row["status"] == "sent" and row["provider_message_id"] == "1"


async def test_network_drop_is_retried_and_sent_once(world: World) -> None:
    await world.enqueue(REPORTER, "urgent_alert", {"office_id": "TNG"})
    world.fake.fail_next("sendMessage", 1, "drop")
    assert await world.sender.drain() == 0
    [row] = await world.rows()
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "NetworkError")
    world.clock.advance(seconds=1)  # backoff for the first retry
    assert await world.sender.flush() == 1
    assert len(world.fake.messages(REPORTER)) == 1


async def test_row_not_marked_sent_when_send_failed(world: World) -> None:
    await world.enqueue(REPORTER, "urgent_alert", {"office_id": "TNG"})
    world.fake.fail_next("sendMessage", 1, "500")
    await world.sender.drain()
    [row] = await world.rows()
    assert row["status"] == "pending"
    assert row["sent_at"] is None and row["provider_message_id"] is None
    assert world.fake.messages(REPORTER) == []


async def test_blocked_reporter_fails_and_staff_are_told(world: World) -> None:
    case_id = await world.case("PPA-TNG-2026-00042")
    world.fake.user_blocks_bot(REPORTER)
    await world.enqueue(
        REPORTER, "reporter_taken", {"case_id": case_id, "mode": "normal"}, case_id=case_id
    )
    await world.sender.drain()
    rows = await world.rows()
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("reporter_taken", "failed"),
        ("delivery_failed", "pending"),
    ]
    assert rows[0]["last_error"] == "Forbidden" and rows[1]["recipient"] == "group:TNG"
    await world.sender.drain()
    alert = world.fake.last_message(GROUP).plain_text or ""
    assert "PPA-TNG-2026-00042" in alert and "reporter_taken" in alert
    assert str(REPORTER) not in alert
    assert (await world.counts())["pending"] == 0


async def test_failure_into_a_staff_group_raises_no_alert(world: World) -> None:
    gone = -1009999999999  # the bot is not in this group: chat not found
    await world.enqueue(gone, "urgent_alert", {"office_id": "TNG"})
    await world.sender.drain()
    assert [(r["kind"], r["status"]) for r in await world.rows()] == [("urgent_alert", "failed")]


# -- digests and limits ---------------------------------------------------------------------


async def test_few_alerts_go_one_by_one(world: World) -> None:
    await world.overdue(GROUP, 3)
    assert await world.sender.drain() == 3
    texts = [m.plain_text or "" for m in world.fake.messages(GROUP)]
    assert len(texts) == 3 and all("PPA-TNG-2026-0000" in t for t in texts)
    assert not any(t.startswith("📋") for t in texts)


async def test_many_alerts_become_one_digest(world: World) -> None:
    await world.overdue(GROUP, 5)
    assert await world.sender.drain() == 5
    [digest] = world.fake.messages(GROUP)
    text = digest.plain_text or ""
    assert text.startswith("📋") and not digest.buttons
    for i in range(1, 6):
        assert f"PPA-TNG-2026-{i:05d}" in text
    ids = {r["provider_message_id"] for r in await world.rows()}
    assert ids == {str(digest.message_id)}


async def test_exhausted_group_budget_digests_even_two(world: World) -> None:
    for n in range(20):  # one a second: the group's minute fills up
        await world.enqueue(GROUP, "dead_letter", {"update_id": n})
        assert await world.sender.drain() == 1
        world.clock.advance(seconds=1)
    assert world.sender.throttle.remaining(GROUP) == 0
    slept = world.vt.slept
    await world.enqueue(GROUP, "urgent_alert", {"office_id": "TNG"})
    await world.enqueue(GROUP, "dead_letter", {"update_id": 99})
    assert await world.sender.drain() == 0  # the minute's budget is spent: no 429, just wait
    assert world.fake.call_counts["sendMessage"] == 20
    assert await world.sender.flush() == 2
    assert world.fake.call_counts["sendMessage"] == 21  # one digest for both
    digest = world.fake.last_message(GROUP).plain_text or ""
    assert digest.startswith("📋") and digest.splitlines()[1].startswith("🚨")
    assert world.fake.too_many_requests == 0
    assert world.vt.slept - slept == pytest.approx(40.0, abs=0.1)  # until the first one expired


async def test_burst_of_1000_is_delivered_in_digests_without_429(world: World) -> None:
    await world.overdue(GROUP, 1000)
    assert await world.sender.flush() == 1000
    assert (await world.counts())["pending"] == 0
    assert world.fake.too_many_requests == 0
    group = world.fake.messages(GROUP)
    assert 0 < len(group) < 50  # far below 1,000 calls into the group
    assert world.fake.call_counts["sendMessage"] == len(group)
    text = "\n".join(m.plain_text or "" for m in group)
    assert all((m.plain_text or "").startswith("📋") for m in group)
    assert "PPA-TNG-2026-00001" in text and "PPA-TNG-2026-01000" in text
    assert all(len(m.text or "") <= 4096 for m in group)


async def test_private_chat_rows_wait_for_their_second(world: World) -> None:
    for n in range(5):
        await world.enqueue(REPORTER, "dead_letter", {"update_id": n})
    sent = await world.sender.drain()
    assert sent == 2  # t=0 and t≈1.05; the next would exceed the 2 s a drain may wait
    assert world.vt.slept <= 2.0
    assert await world.sender.flush() == 3
    assert world.fake.too_many_requests == 0
    assert len(world.fake.messages(REPORTER)) == 5
