"""Referrals through the Application: a police referral with a hearing, its reminders for the
companion (previous working day, two hours before), moving it, /tugas, and PKDRT 1x24 h."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.domain.referrals import is_kdrt
from bot.scheduler.sweep import sweep
from bot.testing.harness import Harness
from tests.conftest import MONDAY_10_WIB
from tests.telegram.flows import full_report

COMPANION = 100000004  # pendamping, TNG
HEAD = 100000001
OTHER = 100000005  # the mediator: not the companion
NUMBER = "PPA-TNG-2026-00001"
WIB = ZoneInfo("Asia/Jakarta")


def wib(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A time of 2026 in WIB."""
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


@pytest.fixture
async def env(tmp_path: Path, db_target: str | Path) -> AsyncIterator[tuple[Harness, FakeClock]]:
    """A TNG case (a step-father's violence: KDRT) and its staff started."""
    clock = FakeClock(MONDAY_10_WIB)
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in h.rt.services.file_staff("TNG"):
            await h.send(uid, "/start")
        await full_report(h)
        yield h, clock
    finally:
        await h.stop()


def _since(h: Harness, chat: int, before: int) -> str:
    return "\n".join(m.plain_text or "" for m in h.fake.messages(chat) if m.message_id > before)


async def _at(h: Harness, clock: FakeClock, when: datetime) -> None:
    clock.set(when)
    await sweep(h.rt.services, clock.now())
    await h.rt.sender.drain()


async def _refer_with_hearing(h: Harness) -> None:
    out = await h.send(COMPANION, f"/rujuk {NUMBER} police Polres Metro Tangerang Kota")
    assert "1" in (out[-1].plain_text or "") and "⚠" not in (out[-1].plain_text or "")
    out = await h.send(COMPANION, "/jadwal 1 12-03-2026 10:00 PN Tangerang ruang 2")
    assert "⚠" not in (out[-1].plain_text or "")


async def test_hearing_reminds_companion_day_before_and_two_hours_before(
    env: tuple[Harness, FakeClock],
) -> None:
    h, clock = env
    await _refer_with_hearing(h)  # Thursday 12 March, 10:00
    mark = h.fake.last_message_id(COMPANION)
    other = h.fake.last_message_id(OTHER)
    await _at(h, clock, wib(3, 11, 7, 59))
    assert _since(h, COMPANION, mark) == ""
    await _at(h, clock, wib(3, 11, 8, 0))  # the previous working day, at opening
    day_before = _since(h, COMPANION, mark)
    assert "PN Tangerang ruang 2" in day_before and NUMBER in day_before
    mark = h.fake.last_message_id(COMPANION)
    await _at(h, clock, wib(3, 12, 7, 59))
    assert _since(h, COMPANION, mark) == ""
    await _at(h, clock, wib(3, 12, 8, 0))  # two hours before
    two_hours = _since(h, COMPANION, mark)
    assert "PN Tangerang ruang 2" in two_hours and two_hours != day_before
    # each once, and only to the companion
    await _at(h, clock, wib(3, 12, 9, 0))
    rows = await h.rt.db.fetchone(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'referral_reminder' AND status = 'sent'"
    )
    assert rows is not None and rows[0] == 2
    assert "PN Tangerang" not in _since(h, OTHER, other)


async def test_moving_the_hearing_moves_its_reminders(env: tuple[Harness, FakeClock]) -> None:
    h, clock = env
    await _refer_with_hearing(h)
    await _at(h, clock, wib(3, 11, 8, 0))  # day-before reminder for Thursday sent
    # Thursday's two-hour reminder is queued but the hearing moves before it goes out
    clock.set(wib(3, 12, 8, 0))
    await sweep(h.rt.services, clock.now())
    out = await h.send(COMPANION, "/pindah 1 16-03-2026 10:00")
    assert "⚠" not in (out[-1].plain_text or "")
    mark = h.fake.last_message_id(COMPANION)
    await h.rt.sender.drain()
    assert "PN Tangerang" not in _since(h, COMPANION, mark)  # the stale reminder was dropped
    cancelled = await h.rt.db.fetchone(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'referral_reminder' AND status = 'cancelled'"
    )
    assert cancelled is not None and cancelled[0] == 1
    await _at(h, clock, wib(3, 13, 7, 59))
    assert _since(h, COMPANION, mark) == ""
    await _at(h, clock, wib(3, 13, 8, 0))  # Friday: the working day before Monday 16
    assert "PN Tangerang" in _since(h, COMPANION, mark)
    mark = h.fake.last_message_id(COMPANION)
    await _at(h, clock, wib(3, 16, 8, 0))
    assert "PN Tangerang" in _since(h, COMPANION, mark)


async def test_tugas_lists_the_hearing(env: tuple[Harness, FakeClock]) -> None:
    h, _ = env
    await _refer_with_hearing(h)
    out = await h.send(COMPANION, "/tugas")
    text = "\n".join(m.plain_text or "" for m in out)
    assert "PN Tangerang ruang 2" in text and NUMBER in text
    out = await h.send(OTHER, "/tugas")
    assert "PN Tangerang" not in "\n".join(m.plain_text or "" for m in out)


async def test_pkdrt_protection_goes_overdue_on_the_wall_clock(
    env: tuple[Harness, FakeClock],
) -> None:
    h, clock = env
    await _refer_with_hearing(h)
    clock.set(wib(3, 6, 20, 0))  # Friday 20:00, the office is closed
    out = await h.send(COMPANION, "/fakta 1 report_number LP/B/123/III/2026")
    assert "⚠" not in (out[-1].plain_text or "")
    assert "1×24" in h.last_text(COMPANION) or "1×24" in _since(h, COMPANION, 0)
    mark, head = h.fake.last_message_id(COMPANION), h.fake.last_message_id(HEAD)
    await _at(h, clock, wib(3, 7, 19, 59))  # Saturday, 23 h 59 later: not yet
    assert _since(h, COMPANION, mark) == ""
    await _at(h, clock, wib(3, 7, 20, 0))  # 24 hours of wall clock, on a Saturday
    assert "Pasal 16" in _since(h, COMPANION, mark) and "Pasal 16" in _since(h, HEAD, head)
    row = await h.rt.db.fetchone("SELECT COUNT(*) FROM reminder_log WHERE kind = ?",
                                 ("protection_overdue",))  # fmt: skip
    assert row is not None and row[0] == 1


async def test_protection_requested_in_time_raises_nothing(
    env: tuple[Harness, FakeClock],
) -> None:
    h, clock = env
    await _refer_with_hearing(h)
    await h.send(COMPANION, "/fakta 1 report_number LP/B/124/III/2026")
    out = await h.send(COMPANION, "/perlindungan 1")
    assert "⚠" not in (out[-1].plain_text or "")
    mark = h.fake.last_message_id(COMPANION)
    await _at(h, clock, wib(3, 4, 12, 0))
    assert "Pasal 16" not in _since(h, COMPANION, mark)


async def test_facts_come_back_and_strangers_are_refused(env: tuple[Harness, FakeClock]) -> None:
    h, _ = env
    await _refer_with_hearing(h)
    await h.send(COMPANION, "/fakta 1 case_file_number 12/Pid.Sus/2026/PN Tng")
    out = await h.send(COMPANION, f"/rujukan {NUMBER}")
    text = "\n".join(m.plain_text or "" for m in out)
    assert "Polres Metro Tangerang Kota" in text and "12/Pid.Sus/2026/PN Tng" in text
    stranger = 777002
    out = await h.send(stranger, f"/rujuk {NUMBER} court PN Tangerang")
    out += await h.send(stranger, f"/rujukan {NUMBER}")
    text = "\n".join(m.plain_text or "" for m in out)
    assert "Polres" not in text
    row = await h.rt.db.fetchone("SELECT COUNT(*) FROM referrals")
    assert row is not None and row[0] == 1


def test_kdrt_is_domestic_or_within_the_household() -> None:
    assert is_kdrt(("physical",), "spouse")
    assert is_kdrt(("domestic",), "stranger")
    assert not is_kdrt(("physical",), "neighbour")


CASE_MANAGER = 100000003


def _news(h: Harness, chat: int, before: int) -> str:
    texts = (m.plain_text or "" for m in h.fake.messages(chat) if m.message_id > before)
    return "\n".join(t for t in texts if t.startswith("🔎"))


async def test_a_referral_without_news_reminds_the_case_manager(
    env: tuple[Harness, FakeClock],
) -> None:
    h, clock = env
    out = await h.send(COMPANION, f"/rujuk {NUMBER} psychologist Biro Psikologi Harapan")
    assert "⚠" not in (out[-1].plain_text or "")
    start = clock.now()
    mark = h.fake.last_message_id(CASE_MANAGER)
    await _at(h, clock, start.replace(day=start.day + 13))
    assert _news(h, CASE_MANAGER, mark) == ""
    await _at(h, clock, start.replace(day=start.day + 14))  # TNG: 14 days without news
    assert "Biro Psikologi Harapan" in _news(h, CASE_MANAGER, mark)
    mark = h.fake.last_message_id(CASE_MANAGER)
    await _at(h, clock, start.replace(day=start.day + 15))
    assert _news(h, CASE_MANAGER, mark) == ""  # once for the same silence
    await h.send(COMPANION, "/fakta 1 note Jadwal asesmen psikologis menunggu konfirmasi")
    await _at(h, clock, start.replace(day=start.day + 28))
    assert _news(h, CASE_MANAGER, mark) == ""  # the news started the clock again
    await _at(h, clock, start.replace(day=start.day + 29))
    assert "Biro Psikologi Harapan" in _news(h, CASE_MANAGER, mark)


async def test_return_home_travel_date_is_reminded(env: tuple[Harness, FakeClock]) -> None:
    h, clock = env
    await h.send(COMPANION, f"/rujuk {NUMBER} uptd_ppa UPTD PPA Provinsi NTB")
    out = await h.send(COMPANION, "/jadwal 1 travel 10-03-2026 07:00 Bandara Soekarno-Hatta T2")
    assert "⚠" not in (out[-1].plain_text or "")
    row = await h.rt.db.fetchone("SELECT kind FROM referral_dates")
    assert row is not None and row[0] == "travel"
    mark = h.fake.last_message_id(COMPANION)
    await _at(h, clock, wib(3, 9, 8, 0))  # Monday 9 March: the working day before
    assert "Bandara Soekarno-Hatta T2" in _since(h, COMPANION, mark)
