"""Removed staff keep nothing: their open steps go back to the head, their queued messages stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.scheduler.sweep import sweep
from bot.testing.harness import Harness
from tests.telegram.sop_support import (
    IDS,
    dispose_by_button,
    do_step,
    new_case,
    scalar,
)

TNG = IDS["TNG"]
PSY = TNG["serve"]  # a psychologist in the example roster


@pytest.fixture
async def wh(tmp_path: Path, db_target: str | Path, clock: FakeClock) -> AsyncIterator[Harness]:
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in h.rt.services.file_staff("TNG"):
            await h.send(uid, "/start")
        yield h
    finally:
        await h.stop()


async def test_removal_unassigns_open_steps_and_stops_their_messages(
    wh: Harness, clock: FakeClock
) -> None:
    h = wh
    case = await new_case(h, "TNG", age="34")
    await do_step(h, case, "first_response", TNG["petugas"], report="Pelapor sudah dihubungi.")
    serve = await dispose_by_button(h, case, TNG["ketua"], PSY)
    assignee = await scalar(h, "SELECT assignee_user_id FROM steps WHERE id = ?", serve)
    assert assignee == await h.person(PSY)
    # something for the psychologist is still queued when the head removes them
    async with h.rt.db.transaction() as conn:
        await conn.execute(
            "UPDATE outbox SET status = 'pending', not_before = '9999-01-01'"
            " WHERE id = (SELECT MAX(id) FROM outbox WHERE recipient = ?)",
            (f"person:{await h.person(PSY)}",),
        )
    await h.send(TNG["ketua"], f"/keluarkan {PSY} psikolog")
    assert await scalar(h, "SELECT assignee_user_id FROM steps WHERE id = ?", serve) is None
    pending = "SELECT COUNT(*) FROM outbox WHERE recipient = ? AND status = 'pending'"
    assert await scalar(h, pending, f"person:{await h.person(PSY)}") == 0
    returned = "SELECT COUNT(*) FROM outbox WHERE kind = 'steps_returned' AND recipient = ?"
    assert await scalar(h, returned, f"person:{await h.person(TNG['ketua'])}") == 1
    assert str(PSY) in h.last_text(TNG["ketua"])  # the head is told whose steps came back
    audit = "SELECT COUNT(*) FROM audit_log WHERE action = 'steps_released'"
    assert await scalar(h, audit) == 1
    # the overdue reminders of that step never reach the removed psychologist again
    before = h.fake.last_message_id(PSY)
    clock.advance(days=10)
    await sweep(h.rt.services, clock.now())
    await h.rt.sender.flush()
    assert [m for m in h.fake.messages(PSY) if m.message_id > before] == []
