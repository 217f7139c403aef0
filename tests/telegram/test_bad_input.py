"""Bad input at each kind of question: a clear message and the question again, never silence."""

from __future__ import annotations

import pytest

from bot.domain.intake import prompt_for, question
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, choose, office, press


async def _to_question(h: Harness, key: str) -> None:
    """Answer the form up to (not including) ``key``."""
    steps = [
        ("danger", lambda: choose(h, REPORTER, "danger", "no")),
        ("office", lambda: office(h, REPORTER, "TNG")),
        ("reporter", lambda: choose(h, REPORTER, "reporter", "victim")),
        ("reporter_age", lambda: press(h, REPORTER, "a|reporter_age|s")),
        ("victim_name", lambda: h.send(REPORTER, "Ani")),
        ("victim_age", lambda: h.send(REPORTER, "30")),
        ("victim_sex", lambda: choose(h, REPORTER, "victim_sex", "female")),
        ("disability", lambda: choose(h, REPORTER, "disability", "no")),
        ("violence", lambda: choose(h, REPORTER, "violence", "sexual")),
        ("violence_done", lambda: choose(h, REPORTER, "violence", "done")),
        ("relation", lambda: choose(h, REPORTER, "relation", "partner")),
        ("perpetrator_sex", lambda: choose(h, REPORTER, "perpetrator_sex", "male")),
        ("perpetrator", lambda: h.send(REPORTER, "mantan pacar")),
        ("when", lambda: h.send(REPORTER, "10-10-2025")),
        ("place", lambda: choose(h, REPORTER, "place", "lainnya")),
        ("where", lambda: h.send(REPORTER, "kos")),
        ("story", lambda: h.send(REPORTER, "Saya diancam dan dipaksa oleh mantan pacar.")),
        ("evidence", lambda: choose(h, REPORTER, "evidence", "done")),
    ]
    await h.send(REPORTER, "/bahasa")
    await press(h, REPORTER, "lang:en")  # English, so the tests can read the reasons
    await h.send(REPORTER, "/lapor")
    for name, step in steps:
        if name == key:
            return
        await step()
    raise AssertionError(f"unknown question {key}")


CASES = [
    ("victim_name", "", "empty"),
    ("victim_name", "x" * 10_000, "too long"),
    ("victim_age", "250", "not possible"),
    ("victim_age", "01-01-2099", "future"),
    ("victim_age", "tiga puluh", "number"),
    ("when", "31-12-2099", "future"),
    ("when", "kemarin lusa", "day-month-year"),
    ("story", "x" * 10_000, "too long"),
    ("story", "ok", "at least"),
    ("phone", "12345", "not a valid"),
    ("phone", "+1 650 253 0000", "not a valid"),
    ("phone", "x" * 10_000, "phone number"),
]


@pytest.mark.parametrize(("key", "text", "reason"), CASES)
async def test_bad_text_is_explained_and_asked_again(
    harness: Harness, key: str, text: str, reason: str
) -> None:
    await _to_question(harness, "evidence" if key == "phone" else key)
    if key == "phone":
        await choose(harness, REPORTER, "evidence", "done")
    out = await harness.send(REPORTER, text) if text else await _send_blank(harness)
    assert len(out) == 2, "expected an explanation and then the same question again"
    explanation = out[0].plain_text or ""
    assert explanation.startswith("⚠") and reason in explanation
    # the reporter said she is the victim: the questions are in the first person
    prompt = harness.rt.i18n.get("en").gettext(prompt_for(question(key), {"reporter": "victim"}))
    assert prompt in (out[1].plain_text or "")
    row = await harness.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 0


async def _send_blank(h: Harness) -> list:  # type: ignore[type-arg]
    before = h.fake.last_message_id(REPORTER)
    h.fake.user_sends_text(REPORTER, "   ")
    await h.pump()
    return [m for m in h.fake.messages(REPORTER) if m.message_id > before]


@pytest.mark.parametrize("key", ["victim_name", "victim_age", "story", "when"])
async def test_sticker_where_text_is_wanted(harness: Harness, key: str) -> None:
    await _to_question(harness, key)
    before = harness.fake.last_message_id(REPORTER)
    harness.fake.user_sends_sticker(REPORTER)
    await harness.pump()
    out = [m for m in harness.fake.messages(REPORTER) if m.message_id > before]
    assert len(out) == 2
    assert (out[0].plain_text or "").startswith("⚠")


async def test_typed_text_on_a_button_question_is_matched_or_explained(harness: Harness) -> None:
    await _to_question(harness, "reporter")
    out = await harness.send(REPORTER, "bukan pilihan")
    assert (out[0].plain_text or "").startswith("⚠")
    assert any(d.startswith("a|reporter|") for d in out[-1].callback_data)
    out = await harness.send(REPORTER, "1")  # the first option, typed
    assert any(d.startswith("a|reporter_age|") for d in out[-1].callback_data)


async def test_stale_button_from_an_earlier_question_changes_nothing(harness: Harness) -> None:
    await _to_question(harness, "victim_sex")
    danger_msg = next(
        m for m in harness.fake.messages(REPORTER) if "a|danger|o0" in m.callback_data
    )
    await harness.click_data(REPORTER, REPORTER, danger_msg.message_id, "a|danger|o0")
    assert harness.fake.callback_answers[-1].text
    last = harness.fake.last_message(REPORTER)
    assert any(d.startswith("a|victim_sex|") for d in last.callback_data)


async def test_forged_callback_data_is_refused(harness: Harness) -> None:
    await _to_question(harness, "victim_sex")
    last = harness.fake.last_message(REPORTER)
    for forged in ("a|victim_sex|o99", "a|victim_sex|zz", "take:abc", "det:", "x" * 60):
        await harness.click_data(REPORTER, REPORTER, last.message_id, forged)
    row = await harness.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 0
    assert all(a.text for a in harness.fake.callback_answers[-5:])


async def test_wrong_file_type_and_too_many_files(harness: Harness) -> None:
    await _to_question(harness, "evidence")
    before = harness.fake.last_message_id(REPORTER)
    harness.fake.user_sends_document(REPORTER, b"MZ\x90\x00", "run.exe", "application/x-msdownload")
    await harness.pump()
    out = [m for m in harness.fake.messages(REPORTER) if m.message_id > before]
    assert (out[0].plain_text or "").startswith("⚠")
    harness.fake.user_sends_document(REPORTER, b"%PDF-1.4 test", "visum.pdf", "application/pdf")
    await harness.pump()
    assert "1" in harness.last_text(REPORTER)


async def test_multi_choice_needs_one(harness: Harness) -> None:
    await _to_question(harness, "violence")
    await choose(harness, REPORTER, "violence", "done")
    assert harness.fake.callback_answers[-1].show_alert
    last = harness.fake.last_message(REPORTER)
    assert any(d == "a|violence|d" for d in last.callback_data)
