"""The temporary shelter through the Application: admission within capacity, a full shelter
refers to the partner shelter, the end of the stay is reminded, discharge frees a place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.scheduler.sweep import sweep
from bot.testing.harness import Harness
from tests.conftest import MONDAY_10_WIB
from tests.telegram.flows import full_report

HEAD = 100000001
CASE_MANAGER = 100000003
COMPANION = 100000004
GROUP = -1001000000001
REPORTERS = (555011, 555012, 555013)


def number(n: int) -> str:
    """The n-th case of TNG in 2026."""
    return f"PPA-TNG-2026-{n:05d}"


@pytest.fixture
async def env(tmp_path: Path, db_target: str | Path) -> AsyncIterator[tuple[Harness, FakeClock]]:
    """Three TNG cases; TNG's shelter has two places (config/offices.example.toml)."""
    clock = FakeClock(MONDAY_10_WIB)
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in h.rt.services.file_staff("TNG"):
            await h.send(uid, "/start")
        for reporter in REPORTERS:
            await full_report(h, reporter)
        yield h, clock
    finally:
        await h.stop()


def _since(h: Harness, chat: int, before: int) -> str:
    return "\n".join(m.plain_text or "" for m in h.fake.messages(chat) if m.message_id > before)


def _stay(h: Harness, chat: int, before: int) -> str:
    """The shelter reminders (🏠) a chat got after a message id."""
    texts = (m.plain_text or "" for m in h.fake.messages(chat) if m.message_id > before)
    return "\n".join(t for t in texts if t.startswith("🏠"))


async def _sweep(h: Harness, clock: FakeClock, **advance: float) -> None:
    clock.advance(**advance)
    await sweep(h.rt.services, clock.now())
    await h.rt.sender.drain()


async def test_admission_within_capacity_and_a_full_shelter_refers_to_the_partner(
    env: tuple[Harness, FakeClock],
) -> None:
    h, _ = env
    group = h.fake.last_message_id(GROUP)
    out = await h.send(HEAD, f"/rumahaman {number(1)} kamar 2, kontak darurat kakak")
    assert "⚠" not in (out[-1].plain_text or "")
    out = await h.send(HEAD, f"/rumahaman {number(2)}")
    assert "⚠" not in (out[-1].plain_text or "")
    out = await h.send(HEAD, f"/rumahaman {number(3)}")
    refused = out[-1].plain_text or ""
    assert "⚠" in refused and "Rumah Aman Dinas Sosial Provinsi Banten" in refused
    stays = await h.rt.db.fetchone("SELECT COUNT(*) FROM shelter_stays WHERE status = 'in'")
    assert stays is not None and stays[0] == 2
    ref = await h.rt.db.fetchone("SELECT case_id, kind FROM referrals")
    assert ref is not None and tuple(ref) == (3, "partner_shelter")
    listed = await h.send(HEAD, f"/rujukan {number(3)}")
    assert "Rumah Aman Dinas Sosial Provinsi Banten" in (listed[-1].plain_text or "")
    # who is in the shelter never reaches the staff group
    assert _since(h, GROUP, group) == ""
    # a discharge frees the place
    out = await h.send(CASE_MANAGER, "/keluar 1 pulang ke rumah orang tua, konseling lanjutan")
    assert "⚠" not in (out[-1].plain_text or "")
    out = await h.send(HEAD, f"/rumahaman {number(3)}")
    assert "⚠" not in (out[-1].plain_text or "")


async def test_only_the_head_admits(env: tuple[Harness, FakeClock]) -> None:
    h, _ = env
    out = await h.send(COMPANION, f"/rumahaman {number(1)}")
    assert "⚠" in (out[-1].plain_text or "")
    stays = await h.rt.db.fetchone("SELECT COUNT(*) FROM shelter_stays")
    assert stays is not None and stays[0] == 0


async def test_the_end_of_the_stay_is_reminded(env: tuple[Harness, FakeClock]) -> None:
    h, clock = env
    await h.send(HEAD, f"/rumahaman {number(1)}")  # 14 days, reminded 2 days before
    head, cm = h.fake.last_message_id(HEAD), h.fake.last_message_id(CASE_MANAGER)
    group = h.fake.last_message_id(GROUP)
    await _sweep(h, clock, days=11, hours=23, minutes=59)
    assert _stay(h, HEAD, head) == ""
    await _sweep(h, clock, minutes=1)
    assert number(1) in _stay(h, HEAD, head) and number(1) in _stay(h, CASE_MANAGER, cm)
    head = h.fake.last_message_id(HEAD)
    await _sweep(h, clock, hours=1)
    assert _stay(h, HEAD, head) == ""  # once
    await _sweep(h, clock, days=2)
    over = _stay(h, HEAD, head)
    assert number(1) in over and "/keluar 1" in over
    assert "🏠" not in _since(h, GROUP, group)
