"""Issue 16 leftovers: the welcome tells the truth the consent tells, and a data subject can ask
to restrict the processing (UU 27/2022 Pasal 11) or withdraw her consent (Pasal 9), each a
staff task with its deadline, answered and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.domain.consent import consent_text
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, press
from tests.telegram.test_rights import (
    KETUA,
    NUMBER,
    PETUGAS,
    TNG_GROUP,
    group_text,
    h,
    report_and_status,
    scalar,
    tx,
)

__all__ = ["h"]


@pytest.mark.parametrize("language", ["id", "en"])
async def test_the_welcome_says_what_the_consent_says(h: Harness, language: str) -> None:
    if language == "en":
        await h.send(555777, "/bahasa")
        await press(h, 555777, "lang:en")
    out = await h.send(555777, "/start")
    welcome = " ".join((m.plain_text or "") for m in out)
    t = h.rt.i18n.get(language)
    consent = t.gettext(consent_text())
    # the old promise is gone: staff of the whole unit may be involved, and the app's servers
    for old in ("only by the unit's staff", "hanya dibaca oleh petugas kami", "confidential"):
        assert old not in welcome
    for shared in (
        ("outside Indonesia", "di luar Indonesia"),
        ("encrypted", "terenkripsi"),
        ("/status", "/status"),
        ("withdraw your consent", "menarik persetujuan"),
        ("restrict its use", "membatasi penggunaannya"),
    ):
        words = shared[0] if language == "en" else shared[1]
        assert words in welcome, words
        assert words in consent, words


@pytest.mark.parametrize(
    ("button", "kind", "label", "note", "event"),
    [
        ("limit", "restrict", "restricting the use of the data", "PROCESSING RESTRICTED",
         "processing_restricted"),
        ("withdraw", "withdraw", "withdrawing the consent", "CONSENT WITHDRAWN",
         "consent_withdrawn"),
    ],
)  # fmt: skip
async def test_restriction_and_withdrawal_are_separate_staff_tasks(
    h: Harness, clock: FakeClock, button: str, kind: str, label: str, note: str, event: str
) -> None:
    await report_and_status(h)
    status = h.fake.last_message(REPORTER)
    assert {"ds:limit", "ds:withdraw", "ds:del"} <= set(status.callback_data)
    confirm = await press(h, REPORTER, f"ds:{button}")
    assert f"ds:{button}!" in confirm[-1].callback_data
    assert await scalar(h, "SELECT COUNT(*) FROM rights_requests") == 0  # not before confirming
    out = await press(h, REPORTER, f"ds:{button}!")
    assert tx(h, "Your request for {kind} is recorded.", kind=tx(h, label)) in (
        out[-1].plain_text or ""
    )
    rid = int(await scalar(h, "SELECT id FROM rights_requests WHERE kind = ?", kind))
    due = await scalar(h, "SELECT due_at FROM rights_requests WHERE id = ?", rid)
    assert due == (clock.now() + timedelta(days=3)).isoformat()  # 3 working days, Mon -> Thu
    assert NUMBER in group_text(h, f"rq:{rid}:d")
    assert await scalar(
        h, "SELECT COUNT(*) FROM audit_log WHERE action = ?", f"rights_request:{kind}"
    )
    # a complaint officer may not answer; the head does, audited, and the staff see it
    await press(h, PETUGAS, f"rq:{rid}:d", chat=TNG_GROUP)
    assert await scalar(h, "SELECT status FROM rights_requests WHERE id = ?", rid) == "open"
    await press(h, KETUA, f"rq:{rid}:d", chat=TNG_GROUP)
    assert await scalar(h, "SELECT status FROM rights_requests WHERE id = ?", rid) == "done"
    assert await scalar(
        h, "SELECT COUNT(*) FROM audit_log WHERE action = ?", f"rights_answer:{kind}"
    )
    assert await scalar(h, "SELECT COUNT(*) FROM case_events WHERE kind = ?", event) == 1
    case_id = int(await scalar(h, "SELECT id FROM cases"))
    async with h.rt.db.reading() as conn:
        details = await h.rt.services.cases.details(conn, case_id)
    assert any(note in n for n in details["notes"])
    assert await scalar(h, "SELECT COUNT(*) FROM cases") == 1  # kept: neither one erases
