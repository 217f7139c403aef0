"""/rekap: counts per month and quarter, on-time share of SOP steps, the PNG, who may ask."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.domain.identity import Handle
from bot.reports.rekap import collect_rekap, render_rekap
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.store.records import VictimRow
from bot.testing.harness import Harness

__all__: list[str] = []

TNG_GROUP = -1001000000001
TNG_KETUA = 100000001
STRANGER = 999999999
PKL_KETUA = 200000001  # staff, but of another office


@pytest.fixture
async def h(
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    db_target: str | Path,
) -> AsyncIterator[Harness]:
    harness = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        yield harness
    finally:
        await harness.stop()


async def _submit(svc: Services, key: str, **over: Any) -> int:
    answers: dict[str, Any] = {
        "danger": "no", "office": "TNG", "reporter": "victim", "victim_name": "A",
        "victim_age": 30, "victim_sex": "female", "disability": "no",
        "violence": ["physical"], "relation": "spouse", "when": "today", "story": "s",
        "help": ["counselling"], "consent": "yes", **over,
    }  # fmt: skip
    res = await submit_complaint(
        svc, answers=answers, evidence=[], idempotency_key=key, mode="reporter",
        reporter=Handle("telegram", str(1)), recorded_by=None, language="id",
    )  # fmt: skip
    return res.case_id


async def _step(svc: Services, case_id: int, due: datetime, done: datetime) -> None:
    async with svc.db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO sop_instances (case_id, sop_key, started_at) VALUES (?, 'x', ?)",
            (case_id, due.isoformat()),
        )
        await conn.execute(
            "INSERT INTO steps (instance_id, case_id, step_key, title, role, status, opened_at,"
            " due_at, completed_at, outcome) VALUES (?, ?, 'k', 't', 'petugas', 'done', ?, ?, ?,"
            " 'done')",
            (cur.lastrowid, case_id, due.isoformat(), due.isoformat(), done.isoformat()),
        )


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


async def _history(h: Harness, clock: FakeClock) -> Services:
    """Cases in January, February (two, one a child) and March 2026; steps on time or late."""
    svc = h.rt.services
    clock.set(datetime(2026, 1, 12, 3, 0, tzinfo=UTC))
    jan = await _submit(svc, "jan", violence=["sexual"], victim_sex="male", channel="phone")
    clock.set(datetime(2026, 2, 9, 3, 0, tzinfo=UTC))
    feb = await _submit(svc, "feb1", victim_age=9, violence=["physical", "neglect"])
    await _submit(svc, "feb2", channel="whatsapp")
    clock.set(datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    await _submit(svc, "mar")
    await _submit(svc, "pkl", office="PKL")  # another office: not counted
    base = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)
    await _step(svc, jan, base, base - timedelta(minutes=5))  # on time
    await _step(svc, feb, base, base + timedelta(hours=3))  # late
    await _step(svc, feb, base + timedelta(days=20), base + timedelta(days=20))  # on the dot
    return svc


async def test_counts_per_month_and_quarter(h: Harness, clock: FakeClock) -> None:
    svc = await _history(h, clock)
    data = await collect_rekap(svc, "TNG", date(2026, 3, 2))
    assert data.months[-1] == (2026, 3) and len(data.months) == 12
    assert data.quarters == [(2025, 2), (2025, 3), (2025, 4), (2026, 1)]
    assert data.cases_month[(2026, 1)] == 1 and data.cases_month[(2026, 2)] == 2
    assert data.cases_month[(2026, 3)] == 1 and data.cases_quarter[(2026, 1)] == 4
    assert data.by_quarter["violence"][(2026, 1)] == {"physical": 3, "sexual": 1, "neglect": 1}
    assert data.by_month["age"][(2026, 2)] == {"child": 1, "adult": 1}
    assert data.by_quarter["sex"][(2026, 1)] == {"female": 3, "male": 1}
    assert data.by_quarter["channel"][(2026, 1)] == {"telegram": 2, "phone": 1, "whatsapp": 1}
    assert data.steps_month[(2026, 2)] == (1, 2) and data.steps_month[(2026, 3)] == (1, 1)
    assert data.steps_quarter[(2026, 1)] == (2, 3)


async def test_counts_are_per_victim(h: Harness, clock: FakeClock) -> None:
    svc = h.rt.services
    clock.set(datetime(2026, 2, 9, 3, 0, tzinfo=UTC))
    case_id = await _submit(svc, "two", victim_age=30)
    async with svc.db.transaction() as tx:  # a second victim, a boy of 7
        await svc.records.add_victim(tx, case_id, VictimRow(2, sex="male", age_group="6-12"))
    data = await collect_rekap(svc, "TNG", date(2026, 3, 2))
    assert data.cases_month[(2026, 2)] == 1 and data.victims_month[(2026, 2)] == 2
    assert data.by_month["age"][(2026, 2)] == {"adult": 1, "child": 1}
    assert data.by_month["sex"][(2026, 2)] == {"female": 1, "male": 1}
    _, summary = await render_rekap(svc, "TNG", date(2026, 3, 2))
    assert "1 cases with 2 victims in Q1 2026 (1 of them children)" in summary


async def test_chart_png_and_summary(h: Harness, clock: FakeClock) -> None:
    svc = await _history(h, clock)
    png, summary = await render_rekap(svc, "TNG", date(2026, 3, 2))
    width, height = _png_size(png)
    assert width >= 600 and height >= 400
    assert "\n" not in summary
    assert "4 cases with 4 victims in Q1 2026 (1 of them children)" in summary
    assert "67% (2 of 3)" in summary
    empty_png, empty = await render_rekap(svc, "PSR", date(2026, 3, 2))
    assert _png_size(empty_png)[0] >= 600 and "0 cases with 0 victims" in empty


async def test_rekap_command_staff_only(h: Harness, clock: FakeClock) -> None:
    await _history(h, clock)
    await h.pump()  # the staff notices of the new cases go out first
    before = len(h.fake.messages(TNG_GROUP))
    assert await h.send(STRANGER, "/rekap", chat_id=TNG_GROUP) == []
    assert await h.send(PKL_KETUA, "/rekap", chat_id=TNG_GROUP) == []
    private = await h.send(TNG_KETUA, "/rekap")  # no chart in a private chat
    assert not [m for m in private if m.kind == "photo"]
    assert len(h.fake.messages(TNG_GROUP)) == before
    sent = await h.send(TNG_KETUA, "/rekap", chat_id=TNG_GROUP)
    assert len(sent) == 1 and sent[0].kind == "photo" and sent[0].photo is not None
    width, height = _png_size(sent[0].photo)
    assert width >= 600 and height >= 400
    caption = sent[0].plain_text or sent[0].text or ""
    assert "UPTD PPA Kota Tangerang" in caption and "\n" not in caption
