"""Staff buttons and /catat: only rostered staff of the case's office; every attempt audited."""

from __future__ import annotations

import pytest

from bot.testing.harness import Harness
from tests.telegram.flows import choose, full_report, office, press

TNG_GROUP = -1001000000001
OFFICER = 100000002  # petugas, TNG
COMPANION = 100000004  # pendamping, TNG: staff, but may not take a new case
PKL_HEAD = 200000001  # ketua of Pekalongan: staff of another office
STRANGER = 999999


async def _case(h: Harness) -> int:
    await full_report(h)
    return 1


async def _audit(h: Harness, action: str) -> int:
    row = await h.rt.db.fetchone("SELECT COUNT(*) FROM audit_log WHERE action = ?", (action,))
    assert row is not None
    return int(row[0])


async def _taken_by(h: Harness) -> object:
    row = await h.rt.db.fetchone("SELECT taken_by FROM cases WHERE id = 1")
    assert row is not None
    return row[0]


async def test_officer_takes_case_and_reads_details_privately(harness: Harness) -> None:
    await _case(harness)
    await harness.send(OFFICER, "/start")  # the officer has a private chat with the bot
    await press(harness, OFFICER, "take:1", chat=TNG_GROUP)
    assert await _taken_by(harness) == await harness.person(OFFICER)
    notice = harness.fake.last_message(TNG_GROUP)
    assert "take:1" not in notice.callback_data  # edited: no second taker
    await press(harness, OFFICER, "det:1", chat=TNG_GROUP)
    dm = harness.fake.last_message(OFFICER).plain_text or ""
    assert "Melati" in dm and "Budi Santoso" in dm and "memukul" in dm
    assert "Melati" not in " ".join(harness.texts(TNG_GROUP))
    assert await _audit(harness, "read_details") == 1
    # the reporter hears that the case is being handled
    assert "PPA-TNG-2026-00001" in (harness.fake.last_message(555001).plain_text or "")


@pytest.mark.parametrize("user", [STRANGER, PKL_HEAD, COMPANION])
async def test_take_refused_for_wrong_people(harness: Harness, user: int) -> None:
    await _case(harness)
    notice = harness.fake.last_message(TNG_GROUP)
    await harness.click_data(user, TNG_GROUP, notice.message_id, "take:1")
    assert await _taken_by(harness) is None
    assert harness.fake.callback_answers[-1].show_alert
    assert await _audit(harness, "denied:take") == 1


@pytest.mark.parametrize("user", [STRANGER, PKL_HEAD])
async def test_details_refused_for_outsiders(harness: Harness, user: int) -> None:
    await _case(harness)
    await harness.send(user, "/start")
    before = len(harness.fake.messages(user))
    notice = harness.fake.last_message(TNG_GROUP)
    await harness.click_data(user, TNG_GROUP, notice.message_id, "det:1")
    assert len(harness.fake.messages(user)) == before  # nothing sent to them
    assert await _audit(harness, "denied:read") == 1
    assert await _audit(harness, "read_details") == 0


async def test_second_taker_is_told_it_is_taken(harness: Harness) -> None:
    await _case(harness)
    notice = harness.fake.last_message(TNG_GROUP)
    await harness.click_data(OFFICER, TNG_GROUP, notice.message_id, "take:1")
    await harness.click_data(100000001, TNG_GROUP, notice.message_id, "take:1")  # the head, late
    assert await _taken_by(harness) == await harness.person(OFFICER)
    assert harness.fake.callback_answers[-1].show_alert


async def test_catat_only_for_officers(harness: Harness) -> None:
    out = await harness.send(STRANGER, "/catat")
    assert len(out) == 1 and not out[0].callback_data
    out = await harness.send(COMPANION, "/catat")
    assert len(out) == 1 and not out[0].callback_data


async def test_catat_records_a_phone_complaint(harness: Harness) -> None:
    u = OFFICER
    await harness.send(u, "/catat")
    await choose(harness, u, "danger", "no")
    await press(harness, u, "a|channel|o0")  # phone
    # TNG officer belongs to one office only: no office question
    await choose(harness, u, "reporter", "other")
    await press(harness, u, "a|victim_name|s")
    await press(harness, u, "a|victim_age|s")
    await choose(harness, u, "victim_sex", "male")
    await choose(harness, u, "disability", "unknown")
    await choose(harness, u, "violence", "neglect")
    await choose(harness, u, "violence", "done")
    await choose(harness, u, "relation", "unknown")
    await press(harness, u, "a|perpetrator_sex|s")
    await press(harness, u, "a|perpetrator|s")
    await press(harness, u, "a|when|o2")  # it keeps happening
    await press(harness, u, "a|place|s")
    await press(harness, u, "a|where|s")
    await harness.send(u, "Tetangga melaporkan anak sering ditinggal sendiri tanpa makan.")
    await choose(harness, u, "evidence", "done")
    await press(harness, u, "a|phone|s")
    await choose(harness, u, "help", "unsure")
    await choose(harness, u, "help", "done")
    await choose(harness, u, "consent", "yes")
    out = await press(harness, u, "s|send")
    assert "PPA-TNG-2026-00001" in (out[-1].plain_text or "")
    row = await harness.rt.db.fetchone("SELECT channel, recorded_by, reporter_chat_enc FROM cases")
    assert row is not None
    assert (row[0], row[1], row[2]) == ("phone", await harness.person(OFFICER), None)


async def test_office_question_lists_every_office_for_reporters(harness: Harness) -> None:
    await harness.send(555002, "/lapor")
    out = await choose(harness, 555002, "danger", "no")
    assert [d for d in out[-1].callback_data if d.startswith("a|office|o")] == [
        "a|office|o0",
        "a|office|o1",
        "a|office|o2",
    ]
    await office(harness, 555002, "PSR")
