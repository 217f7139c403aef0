"""The complaint conversation through the real Application, offline."""

from __future__ import annotations

import re

from bot.testing.harness import Harness
from tests.stores import query_now, stored_bytes
from tests.telegram.flows import REPORTER, choose, full_report, office, press

TNG_GROUP = -1001000000001
OFFICER = 100000002  # petugas in TNG


def _code(text: str) -> str:
    m = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", text)
    assert m, text
    return m.group(0)


async def test_full_report_gives_number_code_and_staff_notice(harness: Harness) -> None:
    out = await full_report(harness)
    text = out[-1].plain_text or ""
    assert "PPA-TNG-2026-00001" in text
    code = _code(text)
    notice = next(
        m for m in reversed(harness.fake.messages(TNG_GROUP)) if "take:1" in m.callback_data
    )
    shown = notice.plain_text or ""
    assert "PPA-TNG-2026-00001" in shown
    for secret in ("Melati", "Budi", "Kenanga", "memukul", "0812", "3456"):
        assert secret not in shown
    assert "take:1" in notice.callback_data and "det:1" in notice.callback_data
    status = await harness.send(REPORTER, f"/status {code.lower()}")
    assert "PPA-TNG-2026-00001" in (status[-1].plain_text or "")


async def test_same_submit_pressed_twice_makes_one_case(harness: Harness) -> None:
    await full_report(harness, submit=False)
    summary = harness.fake.last_message(REPORTER)
    harness.fake.user_clicks(REPORTER, REPORTER, summary.message_id, "s|send")
    harness.fake.user_clicks(REPORTER, REPORTER, summary.message_id, "s|send")
    await harness.pump()
    row = await harness.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 1
    notices = [m for m in harness.fake.messages(TNG_GROUP) if "take:" in " ".join(m.callback_data)]
    assert len(notices) == 1


async def test_restart_in_the_middle_resumes(harness: Harness) -> None:
    await harness.send(REPORTER, "/lapor")
    await choose(harness, REPORTER, "danger", "no")
    await office(harness, REPORTER, "PKL")
    await choose(harness, REPORTER, "reporter", "victim")
    await press(harness, REPORTER, "a|reporter_age|s")
    await harness.restart()
    out = await harness.send(REPORTER, "Mawar")  # answers victim_name after the restart
    assert out, "the bot went silent after a restart"
    assert "a|victim_age|s" in out[-1].callback_data
    ud = await harness.rt.db.fetchone("SELECT COUNT(*) FROM state_data WHERE kind = 'user_data'")
    assert ud is not None and ud[0] == 1


async def test_long_pause_offers_continue_or_restart(harness: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    await harness.send(REPORTER, "/lapor")
    await choose(harness, REPORTER, "danger", "no")
    clock.advance(hours=5)
    out = await harness.send(REPORTER, "halo")
    assert "r|go" in out[-1].callback_data and "r|new" in out[-1].callback_data
    out = await press(harness, REPORTER, "r|go")
    assert "a|office|o0" in out[-1].callback_data


async def test_urgent_alerts_staff_group_at_once_even_at_night(harness: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(hours=13)  # 23:00 WIB
    await harness.send(REPORTER, "/lapor")
    out = await choose(harness, REPORTER, "danger", "yes")
    assert any("112" in (m.plain_text or "") for m in out)
    await office(harness, REPORTER, "TNG")
    alert = harness.fake.last_message(TNG_GROUP)
    assert "🚨" in (alert.plain_text or "")


async def test_outside_hours_reporter_told_next_opening(harness: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(hours=10)  # 20:00 WIB Monday; Pekalongan opens Tuesday 09:00
    out = await full_report(harness, office_id="PKL")
    text = out[-1].plain_text or ""
    assert "09.00" in text or "09:00" in text


async def test_consent_refused_keeps_nothing(harness: Harness) -> None:
    await full_report(harness, submit=False)
    # go back to the consent question via edit is not offered; refuse on a new form
    await press(harness, REPORTER, "s|cancel")
    row = await harness.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 0
    ud = await harness.rt.db.fetchone("SELECT data_enc FROM state_data WHERE kind = 'user_data'")
    assert ud is None  # nothing else was kept, so no row at all


async def test_no_consent_discards_draft(harness: Harness) -> None:
    out = await full_report(harness, submit=False)
    assert out
    # answer consent "no" on a fresh report
    await press(harness, REPORTER, "s|cancel")
    await harness.send(REPORTER, "/lapor")
    await choose(harness, REPORTER, "danger", "no")
    await office(harness, REPORTER, "TNG")
    ud = await harness.rt.db.fetchone("SELECT data_enc FROM state_data WHERE kind = 'user_data'")
    assert ud is not None


async def test_personal_data_never_in_database_file(harness: Harness) -> None:
    await full_report(harness, story="Rahasia-Unik-Cerita-XYZ memukul anak tiap malam")
    target = harness.settings.ppa_database
    await harness.stop()
    raw = stored_bytes(target)
    assert b"PPA-TNG-2026-" in raw  # the case's number (plain) is in what was read
    for secret in (
        b"Melati",
        b"Budi Santoso",
        b"Kenanga",
        b"Rahasia-Unik-Cerita-XYZ",
        b"6281234567890",
        b"0812-3456-7890",
    ):
        assert secret not in raw
    assert query_now(target, "SELECT COUNT(*) FROM cases") == [(1,)]


async def test_summary_shows_the_incident_date_in_the_readers_language(harness: Harness) -> None:
    out = await full_report(harness, submit=False)
    text = out[-1].plain_text or ""
    assert "1 Februari 2026" in text and "2026-02-01" not in text
    assert "Rumah tangga" in text  # the place, in SIMFONI's word


async def test_the_reporter_can_add_other_victims_from_the_summary(harness: Harness) -> None:
    await full_report(harness, submit=False)
    await press(harness, REPORTER, "s|more")
    out = await press(harness, REPORTER, "s|more")
    assert "Korban lain</b>: 2" in (out[-1].text or "") and "s|send" in out[-1].callback_data
    out = await press(harness, REPORTER, "s|send")
    assert "PPA-TNG-2026-00001" in (out[-1].plain_text or "")
    rows = await harness.rt.db.fetchall("SELECT ord, sex FROM case_victims ORDER BY ord")
    assert [tuple(r) for r in rows] == [(1, "female"), (2, "unknown"), (3, "unknown")]
