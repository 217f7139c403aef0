"""An unfinished report on WhatsApp is deleted after the office's draft retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import FakeClock
from bot.domain.identity import Handle
from bot.security.retention import purge, retention_days
from bot.services.persons import person_for
from bot.store.whatsapp import WhatsAppStore
from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import WA_REPORTER, full_report


async def _state(wa: WaHarness) -> dict[str, Any]:
    svc = wa.h.rt.services
    person = await person_for(svc, Handle("whatsapp", WA_REPORTER))
    async with svc.db.reading() as conn:
        return (await WhatsAppStore(svc.cipher).session(conn, person)).state


async def _started(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "tidak")
    await wa.say(WA_REPORTER, "3")  # Tangerang: 7 days of draft retention
    assert isinstance((await _state(wa)).get("draft"), dict)


async def test_the_sweep_deletes_an_old_draft_and_she_is_told_once(
    wa: WaHarness, clock: FakeClock
) -> None:
    await _started(wa)
    days = wa.h.rt.services.offices["TNG"].draft_retention_days
    clock.advance(days=days - 1)
    assert await wa.wing.runner.expire_drafts() == 0
    clock.advance(days=1, minutes=1)
    assert await wa.wing.runner.expire_drafts() == 1
    assert await _state(wa) == {"lang": "id", "expired": True}
    out = await wa.say(WA_REPORTER, "halo")
    assert out[0].text.startswith("Selamat datang kembali")
    again = await wa.say(WA_REPORTER, "halo")
    assert not again[0].text.startswith("Selamat datang kembali")


async def test_an_old_draft_is_not_continued_when_she_writes(
    wa: WaHarness, clock: FakeClock
) -> None:
    await _started(wa)
    clock.advance(days=30)
    out = await wa.say(WA_REPORTER, "2")  # no longer an answer to the old form
    assert out[0].text.startswith("Selamat datang kembali")
    assert "draft" not in await _state(wa)


async def test_the_purge_forgets_a_whatsapp_reporter(wa: WaHarness, clock: FakeClock) -> None:
    await full_report(wa)
    svc = wa.h.rt.services
    person = await person_for(svc, Handle("whatsapp", WA_REPORTER))
    keep = retention_days(svc.offices["TNG"])
    closed = (clock.now() - timedelta(days=keep + 1)).isoformat()
    async with svc.db.transaction() as conn:
        await conn.execute("UPDATE cases SET status = 'closed', closed_at = ?", (closed,))
    report = await purge(svc.db, svc.offices, now=clock.now())
    assert len(report.cases) == 1
    async with svc.db.reading() as conn:
        assert await svc.persons.handle(conn, person, "whatsapp") is None
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM wa_sessions WHERE person_id = ?",
                                    (person,))  # fmt: skip
    assert row is not None and row[0] == 0
