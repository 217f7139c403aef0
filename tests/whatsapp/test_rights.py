"""A reporter's data rights over WhatsApp: the same requests, checks and audit as Telegram."""

from __future__ import annotations

import re
from typing import Any

from bot.clock import FakeClock
from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import WA_REPORTER, full_report

TNG_GROUP = -1001000000001
KETUA = 100000001
NUMBER = "PPA-TNG-2026-00001"
OTHER = "6281234567999"  # someone else's WhatsApp


async def scalar(wa: WaHarness, sql: str, *params: Any) -> Any:
    """One value from the database."""
    row = await wa.h.rt.db.fetchone(sql, params)
    assert row is not None
    return row[0]


def tx(wa: WaHarness, msgid: str, **params: Any) -> str:
    """A message as the bot words it in Indonesian (WhatsApp's bold for <b>)."""
    words = wa.h.rt.i18n.get("id").gettext(msgid, **params)
    return words.replace("<b>", "*").replace("</b>", "*")


async def report_and_status(wa: WaHarness, who: str = WA_REPORTER) -> str:
    """Her complaint, then ``status KODE``; returns the code."""
    out = await full_report(wa, who)
    m = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", out[-1].text)
    assert m is not None
    status = await wa.say(who, f"status {m.group(0)}")
    assert NUMBER in status[0].text
    ids = [cid for msg in status for cid, _ in msg.choices]
    assert ids == ["ds|see", "ds|fix", "ds|limit", "ds|withdraw", "ds|del"]
    return m.group(0)


async def test_see_what_we_hold_is_audited_and_warns_it_can_be_forwarded(wa: WaHarness) -> None:
    await report_and_status(wa)
    out = await wa.press(WA_REPORTER, "ds|see")
    shown = "\n".join(m.text for m in out)
    assert NUMBER in shown and "+6281234567890" in shown  # her own phone number
    assert out[0].text.startswith(tx(wa, "A message from the service"))
    for secret in ("Budi", "Melati", "memukul"):  # the reported party, the victim (a family
        assert secret not in shown  # member reported): not shown by code
    assert "WhatsApp" in out[-1].text and ("ds|copy", out[-1].choices[0][1]) in out[-1].choices
    assert await scalar(wa, "SELECT COUNT(*) FROM audit_log WHERE action = 'subject_access'") == 1
    copy = await wa.press(WA_REPORTER, "ds|copy")
    assert "access" == await scalar(wa, "SELECT kind FROM rights_requests")
    assert tx(wa, "a full copy of the data") in copy[-1].text


async def test_a_correction_by_words_is_a_staff_task_answered_back_on_whatsapp(
    wa: WaHarness,
) -> None:
    await report_and_status(wa)
    hint = await wa.press(WA_REPORTER, "ds|fix")
    assert "koreksi" in hint[-1].text
    short = await wa.say(WA_REPORTER, "/koreksi")
    assert "koreksi" in short[-1].text
    assert await scalar(wa, "SELECT COUNT(*) FROM rights_requests") == 0
    out = await wa.say(WA_REPORTER, "Koreksi: korban berumur 14, bukan 15.")
    assert tx(wa, "a correction") in out[-1].text
    rid = int(await scalar(wa, "SELECT id FROM rights_requests WHERE kind = 'correct'"))
    assert await scalar(wa, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
                        "rights_request:correct") == 1  # fmt: skip
    # the staff's task in the Telegram group, without the correction's words
    task = next(m for m in reversed(wa.h.fake.messages(TNG_GROUP))
                if f"rq:{rid}:d" in m.callback_data)  # fmt: skip
    assert NUMBER in (task.plain_text or "") and "14" not in (task.plain_text or "")
    # her number is nowhere in the clear: the answer is addressed to her person
    row = await wa.h.rt.db.fetchone("SELECT detail_enc FROM rights_requests WHERE id = ?", (rid,))
    assert row is not None and WA_REPORTER.encode() not in bytes(row[0])
    # the head answers on Telegram: she is told on WhatsApp, in neutral words
    await wa.h.send(KETUA, "/start")
    before = len(wa.fake.to(WA_REPORTER))
    await wa.h.click_data(KETUA, TNG_GROUP, task.message_id, f"rq:{rid}:d")
    await wa.pump()
    assert await scalar(wa, "SELECT status FROM rights_requests WHERE id = ?", rid) == "done"
    told = wa.fake.to(WA_REPORTER)[before:]
    assert len(told) == 1 and "/status" in told[0].text and NUMBER not in told[0].text
    assert told[0].text.startswith(tx(wa, "A message from the service"))
    recipients = await wa.h.rt.db.fetchall("SELECT recipient FROM outbox")
    assert not any(WA_REPORTER in str(r[0]) for r in recipients)


async def test_deleting_asks_first_then_records_the_erasure_request(wa: WaHarness) -> None:
    await report_and_status(wa)
    ask = await wa.say(WA_REPORTER, "HAPUS DATA!")
    assert [cid for cid, _ in ask[-1].choices] == ["ds|del!"]
    assert await scalar(wa, "SELECT COUNT(*) FROM rights_requests") == 0
    await wa.say(WA_REPORTER, "hmm")  # anything else forgets the question
    await wa.say(WA_REPORTER, "ya")
    assert await scalar(wa, "SELECT COUNT(*) FROM rights_requests") == 0
    await wa.say(WA_REPORTER, "hapus data")
    await wa.press(WA_REPORTER, "start")  # a press forgets the question too
    await wa.say(WA_REPORTER, "ya")
    assert await scalar(wa, "SELECT COUNT(*) FROM rights_requests") == 0
    await wa.say(WA_REPORTER, "batal")
    await wa.say(WA_REPORTER, "delete my data")
    out = await wa.say(WA_REPORTER, "ya")
    assert await scalar(wa, "SELECT kind FROM rights_requests") == "erase"
    assert "/status" in out[-1].text
    assert await scalar(wa, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
                        "rights_request:erase") == 1  # fmt: skip
    # the same asked again: the open request, not a second one
    await wa.press(WA_REPORTER, "ds|del")
    again = await wa.press(WA_REPORTER, "ds|del!")
    assert await scalar(wa, "SELECT COUNT(*) FROM rights_requests") == 1
    assert tx(wa, "deletion of the data") in again[-1].text


async def test_restrict_and_withdraw_by_button_and_by_words(wa: WaHarness) -> None:
    await report_and_status(wa)
    await wa.press(WA_REPORTER, "ds|limit")
    await wa.press(WA_REPORTER, "ds|limit!")
    await wa.say(WA_REPORTER, "tarik persetujuan")
    await wa.say(WA_REPORTER, "yes")
    kinds = await wa.h.rt.db.fetchall("SELECT kind FROM rights_requests ORDER BY id")
    assert [r[0] for r in kinds] == ["restrict", "withdraw"]


async def test_no_right_without_the_code_nor_after_30_minutes(
    wa: WaHarness, clock: FakeClock
) -> None:
    code = await report_and_status(wa)
    # someone else's WhatsApp: the buttons and words need her own code first
    for act in (wa.press(OTHER, "ds|del!"), wa.say(OTHER, "koreksi umur korban 14 tahun")):
        out = await act
        assert "status" in out[-1].text
    assert await scalar(wa, "SELECT COUNT(*) FROM rights_requests") == 0
    assert await scalar(wa, "SELECT COUNT(*) FROM audit_log WHERE action = 'subject_access'") == 0
    clock.advance(minutes=31)
    out = await wa.press(WA_REPORTER, "ds|see")
    assert "30" in out[-1].text
    assert await scalar(wa, "SELECT COUNT(*) FROM audit_log WHERE action = 'subject_access'") == 0
    await wa.say(WA_REPORTER, f"status {code}")  # the code again: the choices work again
    await wa.press(WA_REPORTER, "ds|see")
    assert await scalar(wa, "SELECT COUNT(*) FROM audit_log WHERE action = 'subject_access'") == 1


async def test_rights_words_inside_a_report_are_answers_without_a_code(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "tidak")
    await wa.press(WA_REPORTER, "a|office|o0")
    await wa.say(WA_REPORTER, "1")  # she is the victim
    await wa.say(WA_REPORTER, "30")
    out = await wa.say(WA_REPORTER, "Koreksi")  # her name, not a request
    assert await scalar(wa, "SELECT COUNT(*) FROM rights_requests") == 0
    assert not any("30" in m.text and "status" in m.text for m in out)
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM wa_sessions")
    assert row is not None and row[0] == 1
