"""The urgent path through the Application: where and how to reach her, the on-call page,
escalation to the next person and the head, acknowledgement and the visit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.scheduler.sweep import sweep
from bot.services.outreach import add_detail
from bot.store.outreach import OutreachStore
from bot.testing.harness import Harness
from tests.stores import stored_bytes
from tests.telegram.flows import REPORTER, choose, full_report, office, press

GROUP = -1001000000001
HEAD = 100000001
# TNG's example rota on a Saturday: the case manager, then the companion, then the head
FIRST, SECOND = 100000003, 100000004
# Saturday 7 March 2026, 23:00 WIB
SATURDAY_23_WIB = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
CONTACT = "Telepon kakaknya Rina 0813-1111-2222 setelah jam 21"
STORY = "Suaminya memukul dengan kayu malam ini, rahasia-cerita-XYZ."


@pytest.fixture
async def night(tmp_path: Path, db_target: str | Path) -> AsyncIterator[tuple[Harness, FakeClock]]:
    """The bot on a Saturday night, every TNG staff member started."""
    clock = FakeClock(SATURDAY_23_WIB)
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in h.rt.services.file_staff("TNG"):
            await h.send(uid, "/start")
        yield h, clock
    finally:
        await h.stop()


def _since(h: Harness, chat: int, before: int) -> str:
    return "\n".join(m.plain_text or "" for m in h.fake.messages(chat) if m.message_id > before)


def _html_since(h: Harness, chat: int, before: int) -> str:
    return "\n".join(m.text or "" for m in h.fake.messages(chat) if m.message_id > before)


async def _urgent_start(h: Harness) -> dict[int, int]:
    """/lapor, danger yes, office TNG; the last message id of each chat before the alert."""
    marks = {c: h.fake.last_message_id(c) for c in (GROUP, HEAD, FIRST, SECOND)}
    await h.send(REPORTER, "/lapor")
    out = await choose(h, REPORTER, "danger", "yes")
    assert any("112" in (m.plain_text or "") for m in out)
    out = await office(h, REPORTER, "TNG")
    # asked at once where she is, with a one-tap location button and words allowed
    assert any("a|urgent_where|s" in m.callback_data for m in out)
    assert any("request_location" in str(m.reply_markup) for m in out)
    return marks


async def _sweep(h: Harness, clock: FakeClock, **advance: float) -> None:
    clock.advance(**advance)
    await sweep(h.rt.services, clock.now())
    await h.rt.sender.drain()


async def test_saturday_night_pages_on_call_with_where_and_contact_only(
    night: tuple[Harness, FakeClock],
) -> None:
    h, clock = night
    marks = await _urgent_start(h)
    h.fake.user_sends_location(REPORTER, -6.178306, 106.631889)
    await h.pump()
    out = await h.send(REPORTER, CONTACT)
    assert any("a|reporter|" in d for m in out for d in m.callback_data)  # the form goes on
    assert clock.now() == SATURDAY_23_WIB  # all of it within the same minute
    # the first person on call has the location and the contact, and a button to acknowledge
    paged = _html_since(h, FIRST, marks[FIRST])
    assert "-6.178306,106.631889" in paged and "maps.google.com" in paged
    assert "0813-1111-2222" in _since(h, FIRST, marks[FIRST])
    assert any(f"oa:{1}" in m.callback_data for m in h.fake.messages(FIRST))
    # the group knows there is an urgent report and that the on-call staff were paged: no more
    group = _since(h, GROUP, marks[GROUP])
    assert "🚨" in group
    for secret in ("6.178", "106.63", "0813", "Rina", "kakaknya"):
        assert secret not in group
    # nobody else was paged yet
    assert _since(h, SECOND, marks[SECOND]) == "" and _since(h, HEAD, marks[HEAD]) == ""
    # the reporter finishes the report later; the story never reaches the group either
    await full_report_rest(h)
    assert "rahasia-cerita-XYZ" not in _since(h, GROUP, marks[GROUP])
    row = await h.rt.db.fetchone("SELECT case_id FROM outreach WHERE id = 1")
    assert row is not None and row[0] == 1  # the outreach joined its case


async def full_report_rest(h: Harness) -> None:
    """The rest of the form after the urgent questions."""
    await choose(h, REPORTER, "reporter", "victim")
    await press(h, REPORTER, "a|reporter_age|s")
    await h.send(REPORTER, "M")
    await h.send(REPORTER, "30")
    await choose(h, REPORTER, "victim_sex", "female")
    await choose(h, REPORTER, "disability", "no")
    await choose(h, REPORTER, "violence", "physical")
    await choose(h, REPORTER, "violence", "done")
    await choose(h, REPORTER, "relation", "spouse")
    await choose(h, REPORTER, "perpetrator_sex", "male")
    await choose(h, REPORTER, "perpetrator", "skip")
    await choose(h, REPORTER, "when", "today")
    await choose(h, REPORTER, "place", "rumah_tangga")
    await choose(h, REPORTER, "where", "skip")
    await h.send(REPORTER, STORY)
    await choose(h, REPORTER, "evidence", "done")
    await choose(h, REPORTER, "phone", "skip")
    await choose(h, REPORTER, "help", "shelter")
    await choose(h, REPORTER, "help", "done")
    await choose(h, REPORTER, "notify", "neutral")
    await choose(h, REPORTER, "consent", "yes")
    out = await press(h, REPORTER, "s|send")
    assert any("PPA-TNG-2026-00001" in (m.plain_text or "") for m in out)


async def test_no_acknowledgement_escalates_to_next_then_head(
    night: tuple[Harness, FakeClock],
) -> None:
    h, clock = night
    marks = await _urgent_start(h)
    await h.send(REPORTER, "Gang Melati 3, dekat masjid")
    await choose(h, REPORTER, "urgent_contact", "skip")
    assert "Gang Melati" in _since(h, FIRST, marks[FIRST])
    await _sweep(h, clock, minutes=9)  # within the ten minutes: nobody else yet
    assert _since(h, SECOND, marks[SECOND]) == ""
    await _sweep(h, clock, minutes=1, seconds=30)
    second = _since(h, SECOND, marks[SECOND])
    assert "Gang Melati" in second and _since(h, HEAD, marks[HEAD]) == ""
    await _sweep(h, clock, minutes=10)
    head = _since(h, HEAD, marks[HEAD])
    assert "Gang Melati" in head
    assert any("oa:1" in m.callback_data for m in h.fake.messages(HEAD))
    # the sweep again at the same time pages nobody twice
    pages = await h.rt.db.fetchone("SELECT COUNT(*) FROM outbox WHERE kind = 'outreach_page'")
    await _sweep(h, clock, seconds=1)
    again = await h.rt.db.fetchone("SELECT COUNT(*) FROM outbox WHERE kind = 'outreach_page'")
    assert pages is not None and again is not None and pages[0] == again[0] == 3
    # nobody at all: the group is told (still without where she is)
    await _sweep(h, clock, minutes=10)
    group = _since(h, GROUP, marks[GROUP])
    assert "⚠" in group and "Gang Melati" not in group


async def test_acknowledged_page_stops_escalation_and_records_the_visit(
    night: tuple[Harness, FakeClock],
) -> None:
    h, clock = night
    marks = await _urgent_start(h)
    await h.send(REPORTER, "Perumahan Cibodas blok C")
    await h.send(REPORTER, CONTACT)
    out = await press(h, FIRST, "oa:1")
    assert "0813-1111-2222" in "\n".join(m.plain_text or "" for m in out)  # details again
    assert "✅" in _since(h, GROUP, marks[GROUP])
    await _sweep(h, clock, minutes=30)
    assert _since(h, SECOND, marks[SECOND]) == "" and _since(h, HEAD, marks[HEAD]) == ""
    await press(h, FIRST, "ov:1:shelter")
    row = await h.rt.db.fetchone("SELECT status, outcome, team, visited_at FROM outreach")
    assert row is not None and row[0] == "visited" and row[1] == "shelter"
    assert str(await h.person(FIRST)) in row[2] and row[3]
    # the head learns the outcome privately; the group only that a visit was recorded
    assert "Cibodas" not in _since(h, GROUP, marks[GROUP])
    assert _since(h, HEAD, marks[HEAD]) != ""


async def test_a_stranger_cannot_acknowledge(night: tuple[Harness, FakeClock]) -> None:
    h, _ = night
    await _urgent_start(h)
    await h.send(REPORTER, "Jl. Rahasia 9")
    page = next(m for m in h.fake.messages(FIRST) if "oa:1" in m.callback_data)
    stranger = 777001
    await h.send(stranger, "/start")
    await h.click_data(stranger, FIRST, page.message_id, "oa:1")
    row = await h.rt.db.fetchone("SELECT acked_by, status FROM outreach")
    assert row is not None and row[0] is None and row[1] == "paging"
    assert "Rahasia" not in "\n".join(h.texts(stranger))


def _raw(h: Harness) -> bytes:
    """The store's bytes on disk (SQLite's file and WAL, or the PostgreSQL server's files)."""
    raw = stored_bytes(h.settings.ppa_database)
    assert raw  # something was really read
    return raw


async def test_urgent_details_are_encrypted(night: tuple[Harness, FakeClock]) -> None:
    h, _ = night
    await _urgent_start(h)
    await h.send(REPORTER, "Kampung-Unik-Lokasi-QQ")
    await h.send(REPORTER, "Nomor-Unik-Kontak-QQ")
    await h.stop()
    raw = _raw(h)
    assert b"Kampung-Unik-Lokasi-QQ" not in raw and b"Nomor-Unik-Kontak-QQ" not in raw


async def test_not_urgent_asks_no_urgent_questions(harness: Harness) -> None:
    out = await full_report(harness, danger="no")
    assert "PPA-TNG-2026-00001" in (out[-1].plain_text or "")
    row = await harness.rt.db.fetchone("SELECT COUNT(*) FROM outreach")
    assert row is not None and row[0] == 0


async def test_details_of_an_abandoned_urgent_report_are_deleted_after_retention(
    night: tuple[Harness, FakeClock],
) -> None:
    h, clock = night
    await _urgent_start(h)
    await h.send(REPORTER, "Jl. Lupa 1")
    await press(h, FIRST, "oa:1")
    await press(h, FIRST, "ov:1:not_found")
    await _sweep(h, clock, days=6)
    row = await h.rt.db.fetchone("SELECT details_enc IS NOT NULL FROM outreach")
    assert row is not None and row[0] == 1  # kept within the draft retention (7 days)
    await _sweep(h, clock, days=2)
    row = await h.rt.db.fetchone("SELECT details_enc IS NULL, outcome FROM outreach")
    assert row is not None and row[0] == 1 and row[1] == "not_found"  # the visit stays


async def test_an_officer_recording_a_phone_call_pages_the_rota_too(
    night: tuple[Harness, FakeClock],
) -> None:
    h, _ = night
    officer = 100000002  # petugas of TNG only: the office is known from the start
    mark = h.fake.last_message_id(FIRST)
    await h.send(officer, "/catat")
    await choose(h, officer, "danger", "yes")
    await choose(h, officer, "channel", "phone")
    await h.send(officer, "Pos ronda RT 03, Kel. Sukasari")
    await h.send(officer, "Lewat penelepon, nomor 0857-0000-1111")
    paged = _since(h, FIRST, mark)
    assert "Pos ronda RT 03" in paged and "0857-0000-1111" in paged
    out = await choose(h, officer, "reporter", "other")
    assert out  # the form goes on


async def test_tugas_shows_the_urgent_report_until_the_visit_is_recorded(
    night: tuple[Harness, FakeClock],
) -> None:
    h, _ = night
    await _urgent_start(h)
    await h.send(REPORTER, "Jl. Anggrek 12")
    await press(h, FIRST, "oa:1")
    out = await h.send(FIRST, "/tugas")
    assert any("Jl. Anggrek 12" in (m.plain_text or "") for m in out)
    assert any("ov:1:safe" in m.callback_data for m in out)
    await press(h, FIRST, "ov:1:safe")
    out = await h.send(FIRST, "/tugas")
    assert not any("Anggrek" in (m.plain_text or "") for m in out)


async def test_details_given_after_nobody_answered_still_reach_those_paged(
    night: tuple[Harness, FakeClock],
) -> None:
    h, clock = night
    marks = await _urgent_start(h)
    await h.send(REPORTER, "Blok F")
    for _ in range(3):
        await _sweep(h, clock, minutes=10, seconds=30)
    row = await h.rt.db.fetchone("SELECT status FROM outreach")
    assert row is not None and row[0] == "unanswered"
    await h.send(REPORTER, "Nomor adiknya 0812-9999-0000")
    assert "0812-9999-0000" in _since(h, HEAD, marks[HEAD])
    assert "0812-9999-0000" not in _since(h, GROUP, marks[GROUP])


async def test_a_page_that_cannot_be_delivered_pages_the_next_person_at_once(
    tmp_path: Path,
) -> None:
    clock = FakeClock(SATURDAY_23_WIB)
    h = await Harness.create(tmp_path, clock=clock)
    try:
        for uid in (SECOND, HEAD):  # the first on call never started the bot
            await h.send(uid, "/start")
        group, second = h.fake.last_message_id(GROUP), h.fake.last_message_id(SECOND)
        await _urgent_start(h)
        await h.send(REPORTER, "Jl. Mawar 5")
        assert "⚠" in _since(h, GROUP, group)  # the group learns the page did not arrive
        await _sweep(h, clock, seconds=5)  # the next sweep, long before the ten minutes
        assert "Jl. Mawar 5" in _since(h, SECOND, second)
    finally:
        await h.stop()


async def test_a_replayed_detail_pages_nobody_twice(night: tuple[Harness, FakeClock]) -> None:
    h, clock = night
    await _urgent_start(h)
    await h.send(REPORTER, CONTACT)  # where she is
    row = await h.rt.db.fetchone("SELECT draft_key FROM outreach WHERE id = 1")
    assert row is not None
    svc, draft = h.rt.services, str(row[0])
    async with svc.db.transaction() as tx:
        stored = await OutreachStore(svc.cipher).details(tx, 1)
    assert set(stored) == {"where"}
    sql = "SELECT COUNT(*) FROM outbox WHERE kind = 'outreach_details'"
    before = await h.rt.db.fetchone(sql)
    assert before is not None and before[0] >= 1
    # the same message processed again after a crash pages nobody again; a new detail does
    clock.advance(seconds=40)
    assert await add_detail(svc, draft_key=draft, key="where", value=stored["where"]) is True
    same = await h.rt.db.fetchone(sql)
    assert same is not None and same[0] == before[0]
    assert await add_detail(svc, draft_key=draft, key="contact", value="0812-0000-1111") is True
    after = await h.rt.db.fetchone(sql)
    assert after is not None and after[0] > before[0]
