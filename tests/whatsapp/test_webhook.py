"""The WhatsApp webhook: handshake, signatures, duplicates, delivery statuses."""

from __future__ import annotations

import logging

import pytest

from bot.channels.whatsapp.payload import SIGNATURE_HEADER, sign
from bot.channels.whatsapp.webhook import PATH
from bot.testing.whatsapp_harness import APP_SECRET, VERIFY_TOKEN, WaHarness
from tests.whatsapp.flows import WA_REPORTER


async def _stored(wa: WaHarness) -> int:
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM wa_inbox")
    assert row is not None
    return int(row[0])


async def test_verification_handshake(wa: WaHarness) -> None:
    ok = await wa.hook.get(PATH, params={"hub.mode": "subscribe",
                                         "hub.verify_token": VERIFY_TOKEN,
                                         "hub.challenge": "1158201444"})  # fmt: skip
    assert ok.status == 200 and await ok.text() == "1158201444"
    bad = await wa.hook.get(PATH, params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                          "hub.challenge": "1"})  # fmt: skip
    assert bad.status == 403


async def test_forged_signature_is_refused_and_nothing_is_stored(
    wa: WaHarness, caplog: pytest.LogCaptureFixture
) -> None:
    body, _ = wa.maker.text(WA_REPORTER, "lapor rahasia-sekali", wa.h.clock.now())
    raw, headers = wa.maker.signed(body)
    forged = {**headers, SIGNATURE_HEADER: sign("not-the-app-secret", raw)}
    caplog.set_level(logging.DEBUG)
    assert await wa.post(body, headers=forged) == 403
    missing = {"Content-Type": "application/json"}
    assert await wa.post(body, headers=missing) == 403
    # a correct signature of another body does not sign this one
    tampered = raw.replace(b"rahasia", b"RAHASIA")
    assert await wa.post(body, headers=headers, raw=tampered) == 403
    assert await _stored(wa) == 0
    await wa.pump()
    assert wa.fake.to(WA_REPORTER) == []
    assert "rahasia" not in caplog.text.lower()
    assert "bad signature" in caplog.text
    assert await wa.post(body) == 200  # the same body, signed with the app secret
    assert await _stored(wa) == 1
    assert APP_SECRET not in caplog.text


async def test_duplicate_delivery_is_handled_once(wa: WaHarness) -> None:
    body, _ = wa.maker.text(WA_REPORTER, "lapor", wa.h.clock.now())
    assert await wa.post(body) == 200
    assert await wa.post(body) == 200  # Meta retries the same message
    await wa.pump()
    assert await wa.post(body) == 200  # even after it was handled
    await wa.pump()
    assert await _stored(wa) == 1
    questions = [m for m in wa.fake.to(WA_REPORTER) if "a|danger|o0" in dict(m.choices)]
    assert len(questions) == 1


async def test_not_a_whatsapp_body_is_refused(wa: WaHarness) -> None:
    assert await wa.post({"object": "page", "entry": []}) == 400
    raw = b"not json"
    headers = {SIGNATURE_HEADER: sign(APP_SECRET, raw)}
    assert await wa.post({}, headers=headers, raw=raw) == 400
    assert await _stored(wa) == 0


async def test_delivery_statuses_update_the_outbox(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    sent = wa.fake.to(WA_REPORTER)[-1]
    for status in ("delivered", "read", "sent"):  # a late "sent" does not step back
        assert await wa.post(wa.maker.status(sent.wamid, status, WA_REPORTER)) == 200
    row = await wa.h.rt.db.fetchone(
        "SELECT delivery, status FROM outbox WHERE channel = 'whatsapp' ORDER BY id DESC LIMIT 1"
    )
    assert row is not None and tuple(row) == ("read", "sent")
    first = wa.fake.to(WA_REPORTER)[0]
    assert await wa.post(wa.maker.status(first.wamid, "failed", WA_REPORTER)) == 200
    failed = await wa.h.rt.db.fetchone(
        "SELECT delivery, status, last_error FROM outbox WHERE channel = 'whatsapp'"
        " ORDER BY id LIMIT 1"
    )
    assert failed is not None and tuple(failed) == ("failed", "failed", "whatsapp error 131026")
    # the message id is kept only as a blind index (it embeds her number)
    ids = await wa.h.rt.db.fetchall("SELECT provider_message_id FROM outbox")
    assert all(r[0] is None or not str(r[0]).startswith("wamid.") for r in ids)


async def test_a_reaction_is_acknowledged_but_not_an_answer(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    before = len(wa.fake.to(WA_REPORTER))
    body, _ = wa.maker.message(
        WA_REPORTER, wa.h.clock.now(), type="reaction", reaction={"message_id": "x", "emoji": "👍"}
    )
    assert await wa.post(body) == 200
    await wa.pump()
    assert len(wa.fake.to(WA_REPORTER)) == before
    assert await _stored(wa) == 1
