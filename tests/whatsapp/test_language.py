"""Her language on WhatsApp: the choice, the words that choose, and that it lasts."""

from __future__ import annotations

from typing import Any

import pytest

from bot.clock import FakeClock
from bot.domain.identity import Handle
from bot.domain.notice import Notice, Recipient
from bot.services.persons import person_for
from bot.store.whatsapp import WhatsAppStore
from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import WA_REPORTER, full_report

DANGER_EN = "immediate danger"


async def _state(wa: WaHarness) -> dict[str, Any]:
    svc = wa.h.rt.services
    person = await person_for(svc, Handle("whatsapp", WA_REPORTER))
    async with svc.db.reading() as conn:
        return (await WhatsAppStore(svc.cipher).session(conn, person)).state


async def test_the_language_command_offers_both_as_buttons(wa: WaHarness) -> None:
    for words in ("bahasa", "/Language", "BAHASA!"):
        out = await wa.say(WA_REPORTER, words)
        assert out[-1].body["interactive"]["type"] == "button"
        assert out[-1].choices == [("lang|id", "Bahasa Indonesia"), ("lang|en", "English")]
    chosen = await wa.press(WA_REPORTER, "lang|en")
    assert "Language set to English." in chosen[0].text
    assert (await _state(wa))["lang"] == "en"
    asked = await wa.say(WA_REPORTER, "lapor")
    assert DANGER_EN in asked[-1].text


@pytest.mark.parametrize(
    ("words", "lang"),
    [("English", "en"), ("inggris", "en"), ("Bahasa Inggris.", "en"), ("bahasa indonesia", "id"),
     ("INDONESIA!", "id")],
)  # fmt: skip
async def test_words_choose_at_once(wa: WaHarness, words: str, lang: str) -> None:
    await wa.say(WA_REPORTER, "english" if lang == "id" else "indonesia")
    await wa.say(WA_REPORTER, words)
    assert (await _state(wa))["lang"] == lang


async def test_short_codes_choose_only_as_the_answer_to_the_choice(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "en")  # not after the choice: not a language
    assert (await _state(wa)).get("lang") in (None, "id")
    await wa.say(WA_REPORTER, "language")
    await wa.say(WA_REPORTER, "EN")
    assert (await _state(wa))["lang"] == "en"
    await wa.say(WA_REPORTER, "bahasa")
    await wa.say(WA_REPORTER, "id.")
    assert (await _state(wa))["lang"] == "id"


async def test_changing_language_mid_report_keeps_it_and_asks_again(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "tidak")
    out = await wa.say(WA_REPORTER, "bahasa")
    out = await wa.press(WA_REPORTER, "lang|en")
    assert "report in progress is kept" in out[0].text
    assert any(cid.startswith("a|office|") for m in out for cid, _ in m.choices)  # same question
    assert "office" in (await _state(wa))["draft"]["current"]


async def test_the_choice_lasts_past_a_deleted_report_and_sets_the_template(
    wa: WaHarness, clock: FakeClock
) -> None:
    await full_report(wa)  # filed in Indonesian: the case's language is "id"
    await wa.say(WA_REPORTER, "english")
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "hapus")
    assert (await _state(wa))["lang"] == "en"
    clock.advance(hours=25)  # outside the 24-hour window: only the template may go
    svc = wa.h.rt.services
    notice = Notice(kind="reporter_milestone", recipient=Recipient.reporter(1), case_id=1,
                    params={"case_id": 1, "milestone": "x", "mode": "normal"},
                    dedupe_key="test:lang", language="id")  # fmt: skip
    async with svc.db.transaction() as conn:
        await svc.outbox.add(conn, notice, at=svc.clock.now())
    await wa.pump()
    sent = wa.fake.to(WA_REPORTER)[-1]
    assert sent.body["template"]["language"] == {"code": "en"}
    out = await wa.say(WA_REPORTER, "hello")  # she writes: the notice goes, in English
    assert out[0].text.startswith("A message from the service")
