"""A complaint over WhatsApp: the form, the case, the staff notice, status."""

from __future__ import annotations

import re

from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import STORY, WA_REPORTER, full_report, opt

TNG_GROUP = -1001000000001


def _code(text: str) -> str:
    m = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", text)
    assert m, text
    return m.group(0)


async def test_complete_complaint_gives_number_code_and_staff_notice(wa: WaHarness) -> None:
    out = await full_report(wa)
    receipt = out[-1].text
    assert "PPA-TNG-2026-00001" in receipt
    code = _code(receipt)
    row = await wa.h.rt.db.fetchone("SELECT channel, reporter_chat_enc FROM cases WHERE id = 1")
    assert row is not None and row[0] == "whatsapp" and row[1] is not None
    case_handle = await _reporter(wa)
    assert case_handle == ("whatsapp", WA_REPORTER)
    notice = next(m for m in reversed(wa.h.fake.messages(TNG_GROUP)) if "take:1" in m.callback_data)
    shown = notice.plain_text or ""
    assert "PPA-TNG-2026-00001" in shown
    for secret in ("Melati", "Budi", "Kenanga", "memukul", "0812", "3456", WA_REPORTER):
        assert secret not in shown
    for words in (f"status {code.lower()}", f"/status {code}"):
        answer = await wa.say(WA_REPORTER, words)
        assert "PPA-TNG-2026-00001" in answer[-1].text


async def _reporter(wa: WaHarness) -> tuple[str, str] | None:
    svc = wa.h.rt.services
    async with svc.db.reading() as conn:
        handle = await svc.cases.reporter(conn, 1)
    return None if handle is None else (handle.channel, handle.address)


async def test_choices_are_buttons_or_lists_never_truncated(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    first = wa.fake.to(WA_REPORTER)[-1]
    assert first.body["interactive"]["type"] in ("button", "list")
    assert len(first.choices) == 2
    await wa.say(WA_REPORTER, "tidak")
    await wa.press(WA_REPORTER, "a|office|o0")
    for words in ("1", "lewati", "Melati", "30", "1", "1"):
        await wa.say(WA_REPORTER, words)
    await wa.press(WA_REPORTER, opt("violence", "physical"))
    out = await wa.say(WA_REPORTER, "selesai")
    lists = [m for m in out if m.choices]
    # the relation question has 14 answers: two lists (10 + 4 rows), every answer present
    assert [len(m.choices) for m in lists] == [10, 4]
    ids = [cid for m in lists for cid, _ in m.choices]
    assert ids == [f"a|relation|o{i}" for i in range(14)]
    for m in lists:
        assert m.body["interactive"]["type"] == "list"
        for row in m.body["interactive"]["action"]["sections"][0]["rows"]:
            assert len(row["title"]) <= 24 and len(row.get("description", "")) <= 72
    assert "14." in out[0].text or any("14." in m.text for m in out)  # numbered in the text


async def test_back_and_cancel_words(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "tidak")
    await wa.press(WA_REPORTER, "a|office|o0")
    back = await wa.say(WA_REPORTER, "kembali")
    assert back[-1].choices[0][0].startswith("a|office|")  # the office question again
    cancelled = await wa.say(WA_REPORTER, "batal")
    assert any("hapus" in m.text.lower() or "delete" in m.text.lower() for m in cancelled)
    again = await wa.say(WA_REPORTER, "2")  # no form any more: the welcome, not an answer
    assert again[-1].choices == [("start", again[-1].choices[0][1])]
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 0


async def test_wrong_typed_answer_is_explained_and_asked_again(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    out = await wa.say(WA_REPORTER, "mungkin")
    assert out[0].text.startswith("⚠")
    assert out[-1].choices and out[-1].choices[0][0] == "a|danger|o0"


async def test_edit_an_answer_from_the_summary(wa: WaHarness) -> None:
    await full_report(wa, send=False)
    await wa.say(WA_REPORTER, "ubah")
    await wa.press(WA_REPORTER, "e|victim_name")
    summary = await wa.say(WA_REPORTER, "Mawar")
    assert "Mawar" in summary[-1].text and "Melati" not in summary[-1].text
    await wa.say(WA_REPORTER, "kirim")
    async with wa.h.rt.services.db.reading() as conn:
        case = await wa.h.rt.services.cases.details(conn, 1)
    assert case["victim_name"] == "Mawar" and case["story"] == STORY


async def test_same_submission_twice_makes_one_case(wa: WaHarness) -> None:
    await full_report(wa, send=False)
    body, _ = wa.maker.text(WA_REPORTER, "kirim", wa.h.clock.now())
    again, _ = wa.maker.text(WA_REPORTER, "kirim", wa.h.clock.now())
    assert await wa.post(body) == 200 and await wa.post(again) == 200
    await wa.pump()
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 1


async def test_evidence_is_downloaded_from_the_graph_api(wa: WaHarness) -> None:
    wa.fake.media_files["media-1"] = (b"\xff\xd8fake-jpeg", "image/jpeg")
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "tidak")
    await wa.press(WA_REPORTER, "a|office|o0")
    for words in ("1", "lewati", "Melati", "30", "1", "1"):
        await wa.say(WA_REPORTER, words)
    await wa.press(WA_REPORTER, opt("violence", "physical"))
    await wa.say(WA_REPORTER, "selesai")
    await wa.press(WA_REPORTER, opt("relation", "spouse"))
    for words in ("1", "lewati", "lewati"):
        await wa.say(WA_REPORTER, words)
    await wa.press(WA_REPORTER, opt("place", "rumah_tangga"))
    await wa.say(WA_REPORTER, "lewati")
    await wa.say(WA_REPORTER, STORY)
    body, _ = wa.maker.message(
        WA_REPORTER,
        wa.h.clock.now(),
        type="image",
        image={"id": "media-1", "mime_type": "image/jpeg"},
    )
    assert await wa.post(body) == 200
    await wa.pump()
    assert "1" in wa.fake.to(WA_REPORTER)[-1].text
    for words in ("selesai", "lewati"):
        await wa.say(WA_REPORTER, words)
    await wa.press(WA_REPORTER, opt("help", "legal"))
    for words in ("selesai", "1", "ya", "kirim"):
        await wa.say(WA_REPORTER, words)
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM evidence WHERE case_id = 1")
    assert row is not None and row[0] == 1


async def test_typed_number_in_the_edit_list_picks_that_answer_not_the_summary_choice(
    wa: WaHarness,
) -> None:
    await full_report(wa, send=False)
    listing = await wa.say(WA_REPORTER, "2")  # change an answer
    assert "3." in listing[0].text
    asked = await wa.say(WA_REPORTER, "3")  # the third answer listed, never "cancel"
    assert asked[-1].choices  # a question, with its choices
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM wa_sessions WHERE state_enc IS NULL")
    assert row is not None and row[0] == 0  # the draft is still there
    summary = await wa.say(WA_REPORTER, "1")
    assert any(cid == "s|send" for cid, _ in summary[-1].choices)
    receipt = await wa.say(WA_REPORTER, "kirim")
    assert "PPA-TNG-2026-00001" in receipt[-1].text


async def test_typed_cancel_number_in_the_summary_cancels(wa: WaHarness) -> None:
    await full_report(wa, send=False)
    await wa.say(WA_REPORTER, "3")
    after = await wa.say(WA_REPORTER, "kirim")  # nothing to send any more: the welcome
    assert [cid for cid, _ in after[-1].choices] == ["start"]
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 0


async def test_status_without_code_explains_and_tries_are_limited(wa: WaHarness) -> None:
    out = await wa.say(WA_REPORTER, "status")
    assert "status KMXA-4PRT-9WYA" in out[-1].text
    for _ in range(10):
        out = await wa.say(WA_REPORTER, "status AAAA-BBBB-CCCC")
        assert "KMXA-4PRT-9WYA" in out[-1].text  # not found: the format is explained
    out = await wa.say(WA_REPORTER, "/status AAAA-BBBB-CCCC")
    assert "satu jam" in out[-1].text  # too many tries: wait an hour


async def test_english_on_request(wa: WaHarness) -> None:
    out = await wa.say(WA_REPORTER, "english")
    assert any("To report, reply *lapor*" in m.text for m in out)  # the welcome may be split
    asked = await wa.say(WA_REPORTER, "lapor")
    assert "immediate danger" in asked[-1].text


async def test_someone_else_was_hurt_too_is_counted(wa: WaHarness) -> None:
    await full_report(wa, send=False)
    await wa.say(WA_REPORTER, "4")
    summary = await wa.press(WA_REPORTER, "s|more")
    assert "*Korban lain*: 2" in summary[-1].text
    await wa.say(WA_REPORTER, "kirim")
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM case_victims WHERE case_id = 1")
    assert row is not None and row[0] == 3
