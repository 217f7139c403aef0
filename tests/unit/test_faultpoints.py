"""Named crash points wait for a delivery in flight to be recorded, and stop new ones."""

from __future__ import annotations

import asyncio
import os

import pytest

from bot import faultpoints


class Died(BaseException):
    """What os._exit does in these tests."""


@pytest.fixture
def armed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    events: list[str] = []

    def die(code: int) -> None:
        events.append(f"exit {code}")
        raise Died

    monkeypatch.setenv("PPA_CRASH_AT", "after_case_commit:1")
    monkeypatch.setattr(faultpoints, "_counts", {})
    monkeypatch.setattr(os, "_exit", die)
    return events


async def test_the_crash_waits_for_the_delivery_in_flight(armed: list[str]) -> None:
    accepted = asyncio.Event()

    async def deliver() -> None:
        async with faultpoints.delivering():
            await accepted.wait()  # Telegram accepted; the row is being marked sent
            armed.append("marked sent")

    sending = asyncio.create_task(deliver())
    await asyncio.sleep(0)
    crash = asyncio.create_task(faultpoints.crash_point("after_case_commit"))
    await asyncio.sleep(0)
    assert armed == []  # not dead while the delivery is in flight
    accepted.set()
    await sending
    with pytest.raises(Died):
        await crash
    assert armed == ["marked sent", "exit 137"]


async def test_no_delivery_starts_while_a_crash_is_on_its_way(armed: list[str]) -> None:
    hold = asyncio.Event()

    async def first() -> None:
        async with faultpoints.delivering():
            await hold.wait()

    async def second() -> None:
        async with faultpoints.delivering():
            armed.append("second sent")

    one = asyncio.create_task(first())
    await asyncio.sleep(0)
    crash = asyncio.create_task(faultpoints.crash_point("after_case_commit"))
    await asyncio.sleep(0)
    two = asyncio.create_task(second())
    await asyncio.sleep(0)
    hold.set()
    await one
    with pytest.raises(Died):
        await crash
    assert armed == ["exit 137"]  # the second delivery had not started when the process died
    await two  # (only because os._exit was replaced does it go on afterwards)


async def test_unarmed_points_cost_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PPA_CRASH_AT", raising=False)
    await faultpoints.crash_point("after_case_commit")
    async with faultpoints.delivering():
        pass


async def test_a_point_inside_a_delivery_waits_only_for_the_others(armed: list[str]) -> None:
    other = asyncio.Event()

    async def deliver() -> None:
        async with faultpoints.delivering():
            await other.wait()
            armed.append("other marked sent")

    async def sending() -> None:
        async with faultpoints.delivering():  # Meta accepted it; the crash repeats it
            await faultpoints.crash_point("after_case_commit", sending=True)
            armed.append("own marked sent")

    first = asyncio.create_task(deliver())
    await asyncio.sleep(0)
    crash = asyncio.create_task(sending())
    await asyncio.sleep(0)
    assert armed == []  # the other delivery is still in flight
    other.set()
    await first
    with pytest.raises(Died):
        await crash
    assert armed == ["other marked sent", "exit 137"]  # its own row was never marked
