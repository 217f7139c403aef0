"""A unit's own WhatsApp number routes reporters to its office, and answers come from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import ConfigError, load_offices
from bot.testing.harness import EXAMPLE_OFFICES, Harness
from bot.testing.whatsapp_harness import PHONE_ID, WaHarness
from tests.whatsapp.flows import WA_REPORTER

TNG_NUMBER = "2220001000"


def _offices(tmp_path: Path, number: str) -> Path:
    text = EXAMPLE_OFFICES.read_text(encoding="utf-8")
    text = text.replace('id = "TNG"\n', f'id = "TNG"\nwhatsapp_phone_number_id = "{number}"\n', 1)
    path = tmp_path / "offices.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def routed(tmp_path: Path, clock: FakeClock) -> AsyncIterator[WaHarness]:
    h = await Harness.create(tmp_path, clock=clock, offices=_offices(tmp_path, TNG_NUMBER))
    wa = await WaHarness.create(h)
    wa.fake.other_numbers.add(TNG_NUMBER)
    try:
        yield wa
    finally:
        await wa.close()
        await h.stop()


async def _say(wa: WaHarness, words: str, to_number: str | None) -> None:
    body, _ = wa.maker.message(WA_REPORTER, wa.h.clock.now(), to_number, type="text",
                               text={"body": words})  # fmt: skip
    assert await wa.post(body) == 200
    await wa.pump()


async def test_the_units_number_skips_the_office_question_and_answers_from_it(
    routed: WaHarness,
) -> None:
    await _say(routed, "lapor", TNG_NUMBER)
    await _say(routed, "tidak", TNG_NUMBER)
    last = routed.fake.to(WA_REPORTER)[-1]
    assert last.choices[0][0].startswith("a|reporter|")  # no office question
    assert {m.via for m in routed.fake.to(WA_REPORTER)} == {TNG_NUMBER}


async def test_the_shared_number_still_asks_for_the_office(routed: WaHarness) -> None:
    await _say(routed, "lapor", None)
    await _say(routed, "tidak", None)
    last = routed.fake.to(WA_REPORTER)[-1]
    assert last.choices[0][0].startswith("a|office|")
    assert {m.via for m in routed.fake.to(WA_REPORTER)} == {PHONE_ID}


async def test_an_unknown_number_is_answered_from_the_configured_one(routed: WaHarness) -> None:
    await _say(routed, "lapor", "9990009990")
    assert {m.via for m in routed.fake.to(WA_REPORTER)} == {PHONE_ID}


def test_the_number_id_must_be_digits(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="whatsapp_phone_number_id"):
        load_offices(_offices(tmp_path, "+62 811"))
