"""UU 27/2022 through the Application: the consent text and its version, and a data subject's
requests by tracking code (see, correct, delete) as staff tasks with deadlines."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.domain.consent import CONSENT_VERSION
from bot.domain.duration import Duration, Unit
from bot.scheduler.sweep import sweep
from bot.security.retention import purge
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, full_report, press

TNG_GROUP = -1001000000001
KETUA, PETUGAS = 100000001, 100000002
NUMBER = "PPA-TNG-2026-00001"


@pytest.fixture
async def h(tmp_path: Path, db_target: str | Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The harness with the Tangerang staff started."""
    harness = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in harness.rt.services.file_staff("TNG"):
            await harness.send(uid, "/start")
        yield harness
    finally:
        await harness.stop()


async def scalar(h: Harness, sql: str, *params: Any) -> Any:
    """One value from the database."""
    row = await h.rt.db.fetchone(sql, params)
    assert row is not None
    return row[0]


def tx(h: Harness, msgid: str, **params: Any) -> str:
    """A message as the bot renders it in Indonesian."""
    return h.rt.i18n.get("id").gettext(msgid, **params)


async def report_and_status(h: Harness) -> str:
    """A reporter's complaint, then /status with its code; returns the code."""
    out = await full_report(h)
    m = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", out[-1].plain_text or "")
    assert m is not None
    status = await h.send(REPORTER, f"/status {m.group(0)}")
    assert NUMBER in (status[-1].plain_text or "")
    assert {"ds:see", "ds:fix", "ds:del"} <= set(status[-1].callback_data)
    return m.group(0)


def group_text(h: Harness, needle: str) -> str:
    """The newest staff group message carrying a button."""
    m = next(m for m in reversed(h.fake.messages(TNG_GROUP)) if needle in m.callback_data)
    return m.plain_text or ""


# -- 4. consent ----------------------------------------------------------------------------------


async def test_consent_is_truthful_and_its_version_is_stored_with_the_case(h: Harness) -> None:
    await full_report(h, submit=False)
    consent = next(
        m.plain_text or ""
        for m in reversed(h.fake.messages(REPORTER))
        if any(d.startswith("a|consent|") for d in m.callback_data)
    )
    for words in ("Pasal 56", "Pasal 20(2)", "UPTD PPA", "/status", "730", "7"):
        assert words in consent, words
    await press(h, REPORTER, "s|send")
    assert await scalar(h, "SELECT consent_version FROM cases WHERE number = ?", NUMBER) == (
        CONSENT_VERSION
    )


# -- 5. rights by tracking code ------------------------------------------------------------------


async def test_an_erasure_request_is_a_staff_task_with_its_deadline_then_erased(
    h: Harness, clock: FakeClock
) -> None:
    await report_and_status(h)
    await press(h, REPORTER, "ds:del")
    out = await press(h, REPORTER, "ds:del!")
    office = h.rt.services.offices["TNG"]
    due = h.rt.services.calendars["TNG"].add(clock.now(), Duration(3, Unit.WORKING_DAYS))
    due_text = h.rt.i18n.get("id").datetime(due, office.timezone)
    assert tx(h, "The unit's staff will answer by {due}.", due=due_text) in out[-1].plain_text
    # Monday 10:00 WIB + 3 working days: Thursday 10:00 WIB
    assert due == clock.now() + timedelta(days=3)
    rid = int(await scalar(h, "SELECT id FROM rights_requests WHERE kind = 'erase'"))
    stored = await scalar(h, "SELECT due_at FROM rights_requests WHERE id = ?", rid)
    assert datetime.fromisoformat(stored) == due
    task = group_text(h, f"rq:{rid}:d")
    assert NUMBER in task and due_text in task
    for secret in ("Melati", "Budi", "Kenanga", "0812"):
        assert secret not in task
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'rights_request:erase'")

    # asked again: the open request, not a second one
    await press(h, REPORTER, "ds:del")
    await press(h, REPORTER, "ds:del!")
    assert await scalar(h, "SELECT COUNT(*) FROM rights_requests") == 1

    # overdue: the sweep alerts the group and the head, once
    clock.advance(days=3, minutes=1)
    report = await sweep(h.rt.services, clock.now())
    assert report.reminders["rights_overdue"] == 1
    await h.rt.sender.flush()
    overdue = tx(h, "⏰ <b>Overdue</b>: a data subject's request is not answered")
    assert any(
        f"rq:{rid}:d" in m.callback_data and NUMBER in (m.plain_text or "")
        for m in h.fake.messages(KETUA)
    )
    assert overdue.replace("<b>", "").replace("</b>", "") in group_text(h, f"rq:{rid}:d")
    assert (await sweep(h.rt.services, clock.now())).reminders["rights_overdue"] == 0

    # a complaint officer may not answer; the head erases after a confirmation
    await press(h, PETUGAS, f"rq:{rid}:d", chat=TNG_GROUP)
    assert await scalar(h, "SELECT COUNT(*) FROM cases") == 1
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action='denied:rights_answer'")
    await press(h, KETUA, f"rq:{rid}:d", chat=TNG_GROUP)
    assert await scalar(h, "SELECT COUNT(*) FROM cases") == 1  # not before the confirmation
    before = h.fake.last_message_id(REPORTER)
    await press(h, KETUA, f"rq:{rid}:D", chat=TNG_GROUP)
    assert await scalar(h, "SELECT COUNT(*) FROM cases") == 0
    assert await scalar(h, "SELECT COUNT(*) FROM evidence") == 0
    assert await scalar(h, "SELECT status FROM rights_requests WHERE id = ?", rid) == "done"
    assert await scalar(h, "SELECT detail FROM audit_log WHERE action = 'erase'") == (
        f"{NUMBER} request {rid}"
    )
    # nothing left ties her chat to the erased case: no answer is queued (she was told so)
    assert "/status" in (out[-1].plain_text or "")
    await h.rt.sender.flush()
    assert h.fake.last_message_id(REPORTER) == before
    assert await scalar(h, "SELECT COUNT(*) FROM outbox WHERE kind = 'rights_answered'") == 0


async def test_an_erasure_waits_for_a_legal_hold_and_says_so(h: Harness) -> None:
    await report_and_status(h)
    await h.send(KETUA, f"/tahan {NUMBER} pengadilan")
    assert await scalar(h, "SELECT legal_hold FROM cases") == "pengadilan"
    await press(h, REPORTER, "ds:del")
    out = await press(h, REPORTER, "ds:del!")
    assert "Pasal 15" in (out[-1].plain_text or "")
    assert tx(h, "a court case") in (out[-1].plain_text or "")
    rid = int(await scalar(h, "SELECT id FROM rights_requests"))
    assert await scalar(h, "SELECT hold FROM rights_requests") == "pengadilan"
    assert f"rq:{rid}:h" in h.fake.last_message(TNG_GROUP).callback_data
    await press(h, KETUA, f"rq:{rid}:d", chat=TNG_GROUP)
    await press(h, KETUA, f"rq:{rid}:D", chat=TNG_GROUP)
    assert await scalar(h, "SELECT COUNT(*) FROM cases") == 1  # kept: the hold
    assert await scalar(h, "SELECT status FROM rights_requests") == "open"
    before = h.fake.last_message_id(REPORTER)
    await press(h, KETUA, f"rq:{rid}:h", chat=TNG_GROUP)
    assert await scalar(h, "SELECT answer FROM rights_requests") == "refused_hold"
    assert await scalar(h, "SELECT COUNT(*) FROM cases") == 1
    await h.rt.sender.flush()  # she is told, in neutral words, to look with /status
    told = [m.plain_text or "" for m in h.fake.messages(REPORTER) if m.message_id > before]
    assert len(told) == 1 and "/status" in told[0] and NUMBER not in told[0]
    assert told[0].startswith(tx(h, "A message from the service"))


async def test_see_what_we_hold_shows_own_data_never_the_reported_party(h: Harness) -> None:
    await report_and_status(h)
    out = await press(h, REPORTER, "ds:see")
    shown = out[-1].plain_text or ""
    calls = [
        p for m, p in h.fake.calls if m == "sendMessage" and str(p["chat_id"]) == str(REPORTER)
    ]
    assert str(calls[-1].get("protect_content")).lower() == "true"
    assert "+6281234567890" in shown  # the reporter's own phone
    # a family member reported: the victim's data and the reported party are not shown
    for secret in ("Budi Santoso", "Melati", "Kenanga", "memukul"):
        assert secret not in shown, secret
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'subject_access'") == 1
    # a full copy is a request for staff, answered in person
    await press(h, REPORTER, "ds:copy")
    rid = int(await scalar(h, "SELECT id FROM rights_requests WHERE kind = 'access'"))
    assert tx(h, "a full copy of the data") in group_text(h, f"rq:{rid}:d")


async def test_a_correction_is_read_privately_by_staff_and_added_to_the_notes(
    h: Harness,
) -> None:
    await report_and_status(h)
    out = await h.send(REPORTER, "/koreksi Umur korban 14 tahun, bukan 15.")
    assert tx(h, "Your request for {kind} is recorded.", kind=tx(h, "a correction")) in (
        out[-1].plain_text or ""
    )
    rid = int(await scalar(h, "SELECT id FROM rights_requests WHERE kind = 'correct'"))
    assert "Umur korban" not in group_text(h, f"rq:{rid}:r")
    await press(h, KETUA, f"rq:{rid}:r", chat=TNG_GROUP)
    assert "Umur korban 14 tahun" in (h.fake.last_message(KETUA).plain_text or "")
    await press(h, KETUA, f"rq:{rid}:d", chat=TNG_GROUP)
    case_id = int(await scalar(h, "SELECT id FROM cases"))
    async with h.rt.db.reading() as conn:
        details = await h.rt.services.cases.details(conn, case_id)
    assert any("Umur korban 14 tahun" in n for n in details["notes"])
    assert await scalar(h, "SELECT detail_enc IS NULL FROM rights_requests") == 1


async def test_the_buttons_expire_and_koreksi_needs_a_code_first(
    h: Harness, clock: FakeClock
) -> None:
    out = await h.send(REPORTER, "/koreksi Umur korban salah.")
    assert "/status" in (out[-1].plain_text or "")
    await report_and_status(h)
    clock.advance(minutes=31)
    await press(h, REPORTER, "ds:del")
    assert await scalar(h, "SELECT COUNT(*) FROM rights_requests") == 0


async def test_the_retention_purge_closes_requests_and_drops_their_text(
    h: Harness, clock: FakeClock
) -> None:
    await report_and_status(h)
    await h.send(REPORTER, "/koreksi Umur korban 14 tahun, bukan 15.")
    async with h.rt.db.transaction() as conn:
        await conn.execute(
            "UPDATE cases SET status = 'closed', closed_at = ?", (clock.now().isoformat(),)
        )
    later = clock.now() + timedelta(days=731)
    report = await purge(h.rt.db, h.rt.services.offices, now=later)
    assert [c.number for c in report.cases] == [NUMBER]
    row = await h.rt.db.fetchone("SELECT status, answer, detail_enc FROM rights_requests")
    assert row is not None and tuple(row) == ("done", "purged", None)
    assert (await sweep(h.rt.services, later)).reminders["rights_overdue"] == 0


async def test_an_office_sets_its_own_response_time(h: Harness, clock: FakeClock) -> None:
    svc = h.rt.services
    svc.offices["TNG"] = dataclasses.replace(svc.offices["TNG"], rights_response_days=5)
    await report_and_status(h)
    await h.send(REPORTER, "/koreksi Umur korban 14 tahun, bukan 15.")
    stored = await scalar(h, "SELECT due_at FROM rights_requests")
    # Monday 10:00 + 5 working days: the next Monday 10:00
    assert datetime.fromisoformat(stored) == clock.now() + timedelta(days=7)
