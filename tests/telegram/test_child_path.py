"""A child reporting about herself: short, informal, first-person questions, SAPA 129 first,
her report always taken, and the record says whose consent the staff seek."""

from __future__ import annotations

from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, choose, office, press

__all__: list[str] = []

TNG_GROUP = -1001000000001
OFFICER = 100000002  # petugas, TNG


def _texts(out: list[SentMessage]) -> str:
    return "\n".join(m.plain_text or "" for m in out)


def _buttons(out: list[SentMessage]) -> str:
    return " ".join(
        str(b.get("text", ""))
        for m in out
        for row in (m.reply_markup or {}).get("inline_keyboard", [])
        for b in row
    )


async def test_a_13_year_old_reporting_about_herself_gets_the_child_path(harness: Harness) -> None:
    h = harness
    await h.send(REPORTER, "/lapor")
    await choose(h, REPORTER, "danger", "no")
    await office(h, REPORTER, "TNG")
    out = await choose(h, REPORTER, "reporter", "victim")
    assert "a|reporter_age|s" in out[-1].callback_data  # her own age, early and skippable
    out = await h.send(REPORTER, "13")
    text = _texts(out)
    assert "129" in text and "bukan salahmu" in text  # SAPA 129 up front, kindly
    asked: list[str] = [out[-1].plain_text or ""]  # the questions, as she reads them
    assert "namamu" in asked[0]  # "Siapa namamu?": informal, first person
    out = await h.send(REPORTER, "Mawar")
    asked.append(out[-1].plain_text or "")  # her age was not asked twice
    assert "a|victim_sex|o0" in out[-1].callback_data and "Kamu" in asked[-1]
    out = await choose(h, REPORTER, "victim_sex", "female")
    asked.append(out[-1].plain_text or "")
    out = await choose(h, REPORTER, "disability", "no")
    asked.append(out[-1].plain_text or "")
    assert "Dipukul" in _buttons(out)  # plain examples next to the legal words
    assert "(eksploitasi)" in _buttons(out).lower()
    await choose(h, REPORTER, "violence", "physical")
    out = await choose(h, REPORTER, "violence", "done")
    asked.append(out[-1].plain_text or "")
    assert "menyakitimu" in asked[-1]  # "Siapa yang menyakitimu?"
    out = await choose(h, REPORTER, "relation", "teacher")
    asked.append(out[-1].plain_text or "")
    await choose(h, REPORTER, "perpetrator_sex", "male")
    await press(h, REPORTER, "a|perpetrator|s")
    await h.send(REPORTER, "01-02-2026")
    await choose(h, REPORTER, "place", "sekolah")
    await press(h, REPORTER, "a|where|s")
    out = await h.send(REPORTER, "Guru les memukul saya waktu pelajaran tambahan.")
    await choose(h, REPORTER, "evidence", "done")
    await press(h, REPORTER, "a|phone|s")
    await choose(h, REPORTER, "help", "counselling")
    await choose(h, REPORTER, "help", "done")
    out = await choose(h, REPORTER, "notify", "normal")
    # no adult consent question: her report is always taken
    assert "a|child_ok|o0" in out[-1].callback_data
    assert "a|consent|" not in " ".join(out[-1].callback_data)
    assert "SAPA 129" in (out[-1].plain_text or "")
    for prompt in asked:
        assert "Anda" not in prompt, prompt
    summary = await choose(h, REPORTER, "child_ok", "yes")
    assert "1 Februari 2026" in _texts(summary)  # the date as she reads it
    assert "Periksa lagi laporanmu" in _texts(summary)
    out = await press(h, REPORTER, "s|send")
    assert "PPA-TNG-2026-00001" in _texts(out) and "Laporanmu sudah kami terima" in _texts(out)

    row = await h.rt.db.fetchone(
        "SELECT child_victim, reporter_child, consent_route, place FROM cases"
    )
    assert row is not None and tuple(row) == (1, 1, "guardian", "sekolah")
    details = await h.rt.services.cases.details(h.rt.db.conn, 1)
    assert details["reporter_age"] == 13 and details["victim_age"] == 13
    assert details["consent_path"] == "guardian"
    # the staff see whose consent to seek
    await h.send(OFFICER, "/start")
    await press(h, OFFICER, "take:1", chat=TNG_GROUP)
    await press(h, OFFICER, "det:1", chat=TNG_GROUP)
    dm = h.fake.last_message(OFFICER).plain_text or ""
    assert "orang tua atau wali yang tidak menyakiti anak" in dm
    assert "Pelapor adalah anak (13 tahun)" in dm
    assert "1 Februari 2026" in dm


async def test_an_adult_reporter_keeps_the_usual_form(harness: Harness) -> None:
    h = harness
    await h.send(REPORTER, "/lapor")
    await choose(h, REPORTER, "danger", "no")
    await office(h, REPORTER, "TNG")
    await choose(h, REPORTER, "reporter", "family")
    out = await h.send(REPORTER, "34")
    assert "129" not in _texts(out[:-1])  # no child welcome
    assert "Siapa nama korban" in (out[-1].plain_text or "")


async def test_a_child_reporting_about_someone_else_is_spoken_to_simply(harness: Harness) -> None:
    h = harness
    await h.send(REPORTER, "/lapor")
    await choose(h, REPORTER, "danger", "no")
    await office(h, REPORTER, "TNG")
    await choose(h, REPORTER, "reporter", "other")
    out = await h.send(REPORTER, "12")
    assert "129" in _texts(out[:-1])
    assert "orang yang disakiti" in (out[-1].plain_text or "")  # not "the victim", not "you"
    await press(h, REPORTER, "a|victim_name|s")
    out = await h.send(REPORTER, "40")  # her mother: an adult victim
    assert "Orang yang disakiti adalah" in (out[-1].plain_text or "")


async def test_staff_recording_a_childs_call_keep_the_usual_words(harness: Harness) -> None:
    h = harness
    await h.send(OFFICER, "/catat")
    await choose(h, OFFICER, "danger", "no")
    await press(h, OFFICER, "a|channel|o0")  # phone
    await choose(h, OFFICER, "reporter", "victim")
    out = await h.send(OFFICER, "Mawar")  # no age question of her own in staff mode
    assert "a|victim_age|s" in out[-1].callback_data
    out = await h.send(OFFICER, "13")
    assert "129" not in _texts(out[:-1])
    assert "Jenis kelamin korban" in (out[-1].plain_text or "")  # not "Kamu adalah"
