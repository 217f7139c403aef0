"""A failure after the case is stored but before the message is marked handled: the message
is handled again, and nothing is lost or doubled (one case, one receipt, one staff notice)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.store import Tx
from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import WA_REPORTER, full_report

TNG_GROUP = -1001000000001


async def test_replayed_submission_makes_one_case_and_one_receipt(
    wa: WaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await full_report(wa, send=False)
    store = wa.wing.runner.store
    real = store.inbound_done
    calls = 0

    async def dies_once(tx: Tx, row_id: int, at: datetime) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the process died here")
        await real(tx, row_id, at)

    monkeypatch.setattr(store, "inbound_done", dies_once)
    before = len(wa.fake.to(WA_REPORTER))
    body, _ = wa.maker.text(WA_REPORTER, "kirim", wa.h.clock.now())
    assert await wa.post(body) == 200
    await wa.pump()  # the case is stored, then the handling fails: nothing else was written
    cases = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert cases is not None and cases[0] == 1
    row = await wa.h.rt.db.fetchone("SELECT status, attempts FROM wa_inbox ORDER BY id DESC")
    assert row is not None and tuple(row) == ("new", 1)
    assert len(wa.fake.to(WA_REPORTER)) == before  # no receipt yet
    await wa.pump()  # handled again
    cases = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert cases is not None and cases[0] == 1
    sent = wa.fake.to(WA_REPORTER)[before:]
    assert len(sent) == 1 and "PPA-TNG-2026-00001" in sent[0].text
    notices = [m for m in wa.h.fake.messages(TNG_GROUP) if "take:1" in m.callback_data]
    assert len(notices) == 1
    await wa.pump()
    assert len(wa.fake.to(WA_REPORTER)) == before + 1


async def test_a_message_that_always_fails_is_given_up_after_three_tries(
    wa: WaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(state: dict[str, object], turn: object) -> list[dict[str, object]]:
        raise RuntimeError("bug")

    monkeypatch.setattr(wa.wing.runner.conversation, "handle", broken)
    body, _ = wa.maker.text(WA_REPORTER, "lapor", wa.h.clock.now())
    assert await wa.post(body) == 200
    for _ in range(3):
        await wa.pump()
    row = await wa.h.rt.db.fetchone("SELECT status, attempts FROM wa_inbox")
    assert row is not None and tuple(row) == ("dead", 3)
    told = [m for m in wa.h.fake.messages(TNG_GROUP) if "⚠" in (m.plain_text or "")]
    assert len(told) == 1 and "lapor" not in (told[0].plain_text or "")
    later, _ = wa.maker.text(WA_REPORTER, "halo", wa.h.clock.now())
    monkeypatch.undo()
    assert await wa.post(later) == 200
    await wa.pump()  # the next message is not stuck behind the dead one
    assert wa.fake.to(WA_REPORTER)
