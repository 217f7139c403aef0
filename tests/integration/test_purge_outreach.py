"""The retention purge takes a closed case's outreach, referrals (with dates) and stays."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.security.retention import purge
from bot.testing.harness import Harness
from tests.telegram.flows import full_report

COMPANION, HEAD = 100000004, 100000001
TABLES = ("outreach", "referrals", "referral_dates", "shelter_stays")


async def test_purge_removes_the_new_rows_of_a_closed_case(
    tmp_path: Path, clock: FakeClock, db_target: str | Path
) -> None:
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in (COMPANION, HEAD):
            await h.send(uid, "/start")
        await full_report(h, danger="yes")
        await h.send(COMPANION, "/rujuk PPA-TNG-2026-00001 court PN Tangerang")
        await h.send(COMPANION, "/jadwal 1 12-03-2026 10:00 Ruang sidang 3")
        await h.send(HEAD, "/rumahaman PPA-TNG-2026-00001")
        for table in TABLES:
            row = await h.rt.db.fetchone(f"SELECT COUNT(*) FROM {table}")
            assert row is not None and row[0] == 1, table
        closed = (clock.now() - timedelta(days=800)).isoformat()
        async with h.rt.db.transaction() as conn:
            await conn.execute(
                "UPDATE cases SET status = 'closed', closed_at = ? WHERE id = 1", (closed,)
            )
        report = await purge(h.rt.db, h.rt.services.offices, now=clock.now())
        assert len(report.cases) == 1
        for table in TABLES:
            row = await h.rt.db.fetchone(f"SELECT COUNT(*) FROM {table}")
            assert row is not None and row[0] == 0, table
    finally:
        await h.stop()
