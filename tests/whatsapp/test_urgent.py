"""The urgent path on WhatsApp: the unit is alerted as soon as the office is known."""

from __future__ import annotations

from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import STORY, WA_REPORTER, opt

TNG_GROUP = -1001000000001


async def test_danger_alerts_the_unit_at_once_and_the_outreach_joins_the_case(
    wa: WaHarness,
) -> None:
    await wa.say(WA_REPORTER, "lapor")
    warned = await wa.say(WA_REPORTER, "ya")  # in danger now
    assert "112" in warned[0].text
    before = len(wa.h.fake.messages(TNG_GROUP))
    alerted = await wa.press(WA_REPORTER, "a|office|o2")  # TNG
    assert alerted[0].text.startswith("Petugas kami sudah diberi tahu sekarang")
    group = wa.h.fake.messages(TNG_GROUP)[before:]
    assert len(group) == 1 and "Melati" not in (group[0].plain_text or "")
    body, _ = wa.maker.message(WA_REPORTER, wa.h.clock.now(), type="location",
                               location={"latitude": -6.2, "longitude": 106.6})  # fmt: skip
    assert await wa.post(body) == 200
    await wa.pump()
    assert any("✅" in m.text for m in wa.fake.to(WA_REPORTER)[-3:])
    for words in ("lewati", "2", "lewati", "Melati", "15"):
        await wa.say(WA_REPORTER, words)
    await wa.press(WA_REPORTER, opt("victim_sex", "female"))
    await wa.say(WA_REPORTER, "tidak")
    await wa.press(WA_REPORTER, opt("violence", "physical"))
    await wa.say(WA_REPORTER, "selesai")
    await wa.press(WA_REPORTER, opt("relation", "stranger"))
    for words in ("1", "lewati", "lewati"):
        await wa.say(WA_REPORTER, words)
    await wa.press(WA_REPORTER, opt("place", "rumah_tangga"))
    for words in ("lewati", STORY, "selesai", "lewati"):
        await wa.say(WA_REPORTER, words)
    await wa.press(WA_REPORTER, opt("help", "shelter"))
    for words in ("selesai", "1", "ya"):
        await wa.say(WA_REPORTER, words)
    receipt = await wa.say(WA_REPORTER, "kirim")
    assert "PPA-TNG-2026-00001" in receipt[-1].text
    case = await wa.h.rt.db.fetchone("SELECT urgent FROM cases WHERE id = 1")
    assert case is not None and case[0] == 1
    outreach = await wa.h.rt.db.fetchall("SELECT case_id FROM outreach")
    assert [r[0] for r in outreach] == [1]
