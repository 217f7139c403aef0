"""The sender's lazy drain: no outbox read while nothing was queued and nothing fell due, yet
every row is sent (queued by any path in the process, due later, or written by another one)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.notice import Recipient
from bot.store.outbox import OutboxStore
from tests.integration.outbox_support import REPORTER, World, world

__all__ = ["world"]  # the fixture, re-used


def _no_read(monkeypatch: pytest.MonkeyPatch, world: World) -> list[str]:
    """Record every outbox read of the sender from now on."""
    reads: list[str] = []
    real = world.svc.outbox.due

    async def due(*a: Any, **kw: Any) -> Any:
        reads.append("due")
        return await real(*a, **kw)

    monkeypatch.setattr(world.svc.outbox, "due", due)
    return reads


async def _queue_elsewhere(world: World, store: OutboxStore, **kw: Any) -> None:
    """A row queued through ``store`` (the process's own, or another process's stand-in)."""
    async with world.svc.db.transaction() as conn:
        await store.enqueue(
            conn,
            recipient=Recipient.address("telegram", REPORTER),
            kind="urgent_alert",
            payload={"office_id": "TNG"},
            at=world.clock.now(),
            **kw,
        )


async def test_lazy_drain_reads_nothing_while_nothing_was_queued(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await world.sender.drain(lazy=True) == 0  # the first drain always reads
    reads = _no_read(monkeypatch, world)
    for _ in range(3):
        assert await world.sender.drain(lazy=True) == 0
    assert reads == []
    assert await world.sender.drain() == 0  # a drain that is not lazy reads all the same
    assert reads == ["due"]


async def test_lazy_drain_sends_a_row_queued_by_another_path(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await world.sender.drain() == 0
    reads = _no_read(monkeypatch, world)
    # a service's own transaction (no update, no kick): the store's counter moves
    await _queue_elsewhere(world, world.svc.outbox)
    assert await world.sender.drain(lazy=True) == 1
    assert reads == ["due"]
    assert len(world.fake.messages(REPORTER)) == 1
    assert await world.sender.drain(lazy=True) == 0  # reads once more: finds nothing, idles
    assert await world.sender.drain(lazy=True) == 0
    assert reads == ["due", "due"]


async def test_a_rolled_back_row_only_costs_one_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await world.sender.drain() == 0
    reads = _no_read(monkeypatch, world)
    with pytest.raises(RuntimeError):
        async with world.svc.db.transaction() as conn:
            await world.svc.outbox.enqueue(
                conn,
                recipient=Recipient.address("telegram", REPORTER),
                kind="urgent_alert",
                payload={"office_id": "TNG"},
                at=world.clock.now(),
            )
            raise RuntimeError("the handler failed")
    assert await world.sender.drain(lazy=True) == 0
    assert await world.sender.drain(lazy=True) == 0
    assert reads == ["due"]
    assert world.fake.messages(REPORTER) == []


async def test_lazy_drain_sends_a_row_when_its_time_comes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = world.clock.now() + timedelta(minutes=10)
    await _queue_elsewhere(world, world.svc.outbox, not_before=later)
    assert await world.sender.drain(lazy=True) == 0  # not yet due: the sender notes when
    reads = _no_read(monkeypatch, world)
    world.clock.advance(minutes=9)
    assert await world.sender.drain(lazy=True) == 0
    assert reads == []
    world.clock.advance(minutes=1)
    assert await world.sender.drain(lazy=True) == 1
    assert len(world.fake.messages(REPORTER)) == 1


async def test_another_process_row_waits_for_a_full_drain(world: World) -> None:
    assert await world.sender.drain() == 0
    other = OutboxStore(world.svc.cipher)  # as another process writes: this one cannot know
    await _queue_elsewhere(world, other)
    assert await world.sender.drain(lazy=True) == 0
    assert world.fake.messages(REPORTER) == []
    assert await world.sender.drain() == 1
    assert len(world.fake.messages(REPORTER)) == 1


async def test_the_sender_task_reads_the_outbox_every_interval_even_when_kicked(
    world: World,
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(world.sender.run(stop, interval=0.05))
    try:
        await asyncio.sleep(0.01)  # the task's first (full) drain found nothing
        await _queue_elsewhere(world, OutboxStore(world.svc.cipher))
        for _ in range(500):  # kicked all the time, as by a busy runner: lazy drains only
            world.sender.kick()
            await asyncio.sleep(0.01)
            if world.fake.messages(REPORTER):
                break
        assert len(world.fake.messages(REPORTER)) == 1
    finally:
        stop.set()
        await task
