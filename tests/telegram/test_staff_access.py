"""Workflow buttons and commands: strangers, other offices and wrong roles change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.testing.harness import Harness
from tests.telegram.flows import full_report, press
from tests.telegram.sop_support import scalar, tx

TNG_GROUP = -1001000000001
OFFICER = 100000002  # petugas (and admin), TNG: the first response is theirs
HEAD = 100000001  # ketua, TNG
COUNSELLOR = 100000006  # konselor_hukum, TNG: staff without the role for these steps
PKL_HEAD = 200000001  # ketua of Pekalongan: staff of another office
STRANGER = 999999
NUMBER = "PPA-TNG-2026-00001"
TABLES = ("cases", "sop_instances", "steps", "step_events", "mediation_parties", "mediations")

# every workflow button, forged for step 1 (the first response) of case 1
FORGED = [
    "wd:1", "wo:1:done", "wo:1:not_a_case", "wn:1", "wx:1", "wc:1", "wp:1:1:100000002",
    "wg:1:100000002", "we:1:y", "we:1:n", "ms:1", "mq:1:0:", "mq:1:0:kynn", "mt:1",
    "md:1:20260303", "mh:1:202603031000",
    # malformed or unknown
    "wd:abc", "wz:1", "mq:1:0:xyz", "wp:1:1", "we:1:maybe", "mh:1:2026",
]  # fmt: skip


@pytest.fixture
async def wh(tmp_path: Path, db_target: str | Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The harness with one TNG case whose first response is open."""
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in (OFFICER, HEAD, COUNSELLOR, PKL_HEAD, STRANGER):
            await h.send(uid, "/start")
        await full_report(h)
        yield h
    finally:
        await h.stop()


async def snapshot(h: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the workflow and case tables."""
    out = {}
    for table in TABLES:
        rows = await h.rt.db.fetchall(f"SELECT * FROM {table} ORDER BY rowid")
        out[table] = [tuple(r) for r in rows]
    return out


async def denials(h: Harness) -> int:
    """Audited refusals so far."""
    return int(await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'denied:%'"))


@pytest.mark.parametrize("user", [STRANGER, PKL_HEAD, COUNSELLOR])
async def test_forged_buttons_change_nothing_and_are_told_and_audited(
    wh: Harness, user: int
) -> None:
    h = wh
    before = await snapshot(h)
    chat_msg = h.fake.last_message(user).message_id
    for data in FORGED:
        audited = await denials(h)
        answers = len(h.fake.callback_answers)
        await h.click_data(user, user, chat_msg, data)
        assert len(h.fake.callback_answers) == answers + 1, data
        assert h.fake.callback_answers[-1].show_alert, data
        assert await denials(h) == audited + 1, data
    # pressed in the staff group as well (the group notice)
    notice = h.fake.last_message(TNG_GROUP).message_id
    for data in ("wc:1", "wp:1:1:100000002", "wd:1"):
        audited = await denials(h)
        await h.click_data(user, TNG_GROUP, notice, data)
        assert h.fake.callback_answers[-1].show_alert, data
        assert await denials(h) == audited + 1, data
    # a text afterwards completes nothing
    await h.send(user, "Selesai, laporan terlampir.")
    assert await snapshot(h) == before


@pytest.mark.parametrize("user", [STRANGER, PKL_HEAD])
async def test_kasus_refused_outside_the_office(wh: Harness, user: int) -> None:
    h = wh
    before = await snapshot(h)
    out = await h.send(user, f"/kasus {NUMBER}")
    assert len(out) == 1 and not out[0].callback_data
    assert "Melati" not in (out[0].plain_text or "")
    assert "Merespons pengaduan baru" not in (out[0].plain_text or "")
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'denied:read_progress'"
    assert await scalar(h, sql) == 1
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'read_progress'") == 0
    assert await snapshot(h) == before


async def test_kasus_for_staff_of_the_office_is_audited_and_shows_no_identity(wh: Harness) -> None:
    h = wh
    before = await snapshot(h)
    out = await h.send(COUNSELLOR, f"/kasus {NUMBER.lower()}")
    text = out[-1].plain_text or ""
    assert "Merespons pengaduan baru" in text and "Melati" not in text
    assert not out[-1].callback_data  # only the head gets the assign buttons
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'read_progress'") == 1
    out = await h.send(HEAD, f"/kasus {NUMBER}")
    assert "wc:1" in out[-1].callback_data
    assert await snapshot(h) == before


async def test_tugas_only_for_staff_and_only_their_own(wh: Harness) -> None:
    h = wh
    out = await h.send(STRANGER, "/tugas")
    assert len(out) == 1 and not out[0].callback_data
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'denied:tasks'") == 1
    for user in (PKL_HEAD, COUNSELLOR):
        out = await h.send(user, "/tugas")
        assert out[-1].plain_text == tx(h, "You have no open tasks.")
    out = await h.send(OFFICER, "/tugas")
    assert "wd:1" in [d for m in out for d in m.callback_data]
    assert "wc:1" not in [d for m in out for d in m.callback_data]  # not the head


async def test_stale_and_mismatched_buttons_change_nothing(wh: Harness) -> None:
    h = wh
    await press(h, OFFICER, "wd:1")
    await press(h, OFFICER, "wo:1:done")
    chat_msg = h.fake.last_message(OFFICER).message_id
    await h.click_data(OFFICER, OFFICER, chat_msg, "wn:2")  # another step than the one asked
    assert h.fake.callback_answers[-1].show_alert
    await h.click_data(OFFICER, OFFICER, chat_msg, "wo:1:accepted")  # no such outcome
    assert h.fake.callback_answers[-1].show_alert
    await h.send(STRANGER, "Pelapor sudah dihubungi.")  # someone else's text answers nothing
    assert await scalar(h, "SELECT status FROM steps WHERE id = 1") == "open"
    await h.send(OFFICER, "Pelapor sudah dihubungi.")
    assert await scalar(h, "SELECT status FROM steps WHERE id = 1") == "done"
    before = await snapshot(h)
    await h.click_data(OFFICER, OFFICER, chat_msg, "wd:1")  # the old button, now stale
    assert h.fake.callback_answers[-1].show_alert
    assert h.fake.callback_answers[-1].text == tx(h, "This step is not open any more.")
    await h.click_data(OFFICER, OFFICER, chat_msg, "wn:1")
    assert h.fake.callback_answers[-1].show_alert
    assert await snapshot(h) == before


async def test_head_only_buttons_refused_for_the_officer(wh: Harness) -> None:
    h = wh
    before = await snapshot(h)
    notice = h.fake.last_message(TNG_GROUP).message_id
    for data in ("wc:1", "wp:1:1:100000002", "wg:1:100000002", "we:1:y"):
        audited = await denials(h)
        await h.click_data(OFFICER, TNG_GROUP, notice, data)
        assert h.fake.callback_answers[-1].show_alert, data
        assert await denials(h) == audited + 1, data
    assert await snapshot(h) == before
    # the head may: the chooser lists the complaint officers, and disposing assigns the step
    await press(h, HEAD, "wc:1", chat=TNG_GROUP)
    officer = await h.person(OFFICER)
    await press(h, HEAD, f"wp:1:1:{officer}", chat=TNG_GROUP)
    assert await scalar(h, "SELECT assignee_user_id FROM steps WHERE id = 1") == officer
