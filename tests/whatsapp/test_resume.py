"""After a pause, she is asked whether to continue her report or start again."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import WA_REPORTER, full_report


async def _begin(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "tidak")
    await wa.say(WA_REPORTER, "3")  # Tangerang
    await wa.say(WA_REPORTER, "2")  # family: her own age is asked next


async def test_continue_after_a_pause(wa: WaHarness, clock: FakeClock) -> None:
    await _begin(wa)
    clock.advance(hours=3)
    offer = await wa.say(WA_REPORTER, "20")
    assert [cid for cid, _ in offer[-1].choices] == ["r|go", "r|new"]
    again = await wa.say(WA_REPORTER, "1")  # continue: the same question again
    assert again[-1].choices[0][0] == "a|reporter_age|s"
    nxt = await wa.say(WA_REPORTER, "lewati")
    assert nxt[-1].choices[0][0] == "a|victim_name|s"


async def test_start_again_after_a_pause(wa: WaHarness, clock: FakeClock) -> None:
    await _begin(wa)
    clock.advance(hours=3)
    await wa.say(WA_REPORTER, "halo")
    fresh = await wa.press(WA_REPORTER, "r|new")
    assert fresh[-1].choices[0][0] == "a|danger|o0"


async def test_no_offer_within_two_hours(wa: WaHarness, clock: FakeClock) -> None:
    await _begin(wa)
    clock.advance(hours=1, minutes=59)
    out = await wa.say(WA_REPORTER, "lewati")
    assert out[-1].choices[0][0] == "a|victim_name|s"


async def test_continue_at_the_summary(wa: WaHarness, clock: FakeClock) -> None:
    await full_report(wa, send=False)
    clock.advance(hours=5)
    await wa.say(WA_REPORTER, "kirim")  # not sent yet: she is asked first
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 0
    summary = await wa.press(WA_REPORTER, "r|go")
    assert any(cid == "s|send" for cid, _ in summary[-1].choices)
    receipt = await wa.say(WA_REPORTER, "kirim")
    assert "PPA-TNG-2026-00001" in receipt[-1].text
