"""The 24-hour window (injected clock), and the Graph API's failures and 429s."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.domain.notice import Notice, Recipient
from bot.store.whatsapp import WINDOW_HOLD
from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import WA_REPORTER, full_report

TNG_GROUP = -1001000000001
OFFICER = 100000002  # petugas in TNG


async def _news(wa: WaHarness, key: str) -> None:
    """A notice to the reporter of case 1, as the workflow writes one."""
    svc = wa.h.rt.services
    notice = Notice(kind="reporter_milestone", recipient=Recipient.reporter(1), case_id=1,
                    params={"case_id": 1, "milestone": "x", "mode": "normal"},
                    dedupe_key=f"test:{key}")  # fmt: skip
    async with svc.db.transaction() as conn:
        await svc.outbox.add(conn, notice, at=svc.clock.now())


async def _row(wa: WaHarness, kind: str, first: bool = False) -> tuple[str, str | None, str]:
    order = "ASC" if first else "DESC"
    row = await wa.h.rt.db.fetchone(
        "SELECT status, last_error, channel FROM outbox WHERE kind = ?"
        f" ORDER BY id {order} LIMIT 1",
        (kind,),
    )
    assert row is not None
    return str(row[0]), row[1], str(row[2])


async def test_inside_the_window_the_notice_goes_as_text(wa: WaHarness) -> None:
    await full_report(wa)
    h = wa.h
    await h.send(OFFICER, "/start")
    notice = next(m for m in reversed(h.fake.messages(TNG_GROUP)) if "take:1" in m.callback_data)
    await h.click_data(OFFICER, TNG_GROUP, notice.message_id, "take:1")
    await wa.pump()
    assert await _row(wa, "reporter_taken") == ("sent", None, "whatsapp")
    last = wa.fake.to(WA_REPORTER)[-1].text
    assert "PPA-TNG-2026-00001" in last and last.startswith("Pesan dari layanan")


async def test_outside_the_window_only_the_template_then_the_notice_when_she_writes(
    wa: WaHarness, clock: FakeClock
) -> None:
    await full_report(wa)
    clock.advance(hours=23, minutes=59)
    await _news(wa, "a")
    await wa.pump()
    assert wa.fake.to(WA_REPORTER)[-1].body["type"] == "text"  # still inside: as it is
    clock.advance(hours=1)
    before = len(wa.fake.to(WA_REPORTER))
    await _news(wa, "b")
    await wa.pump()
    sent = wa.fake.to(WA_REPORTER)[before:]
    assert [m.body["type"] for m in sent] == ["template"]
    assert sent[0].body["template"] == {"name": "ppa_ada_kabar", "language": {"code": "id"}}
    assert await _row(wa, "reporter_milestone") == ("pending", WINDOW_HOLD, "whatsapp")
    await _news(wa, "c")
    clock.advance(hours=3)
    await wa.pump()
    assert len(wa.fake.to(WA_REPORTER)) == before + 1  # one template per window, nothing else
    out = await wa.say(WA_REPORTER, "halo")  # she writes: what waited goes now, in order
    news = [m.text.startswith("Pesan dari layanan\nAda kabar") for m in out]
    assert news[:2] == [True, True] and len(news) > 2 and not any(news[2:])  # then the reply
    assert await _row(wa, "reporter_milestone") == ("sent", None, "whatsapp")


async def test_no_template_when_she_chose_no_later_messages(
    wa: WaHarness, clock: FakeClock
) -> None:
    await full_report(wa, notify="3")
    clock.advance(days=2)
    before = len(wa.fake.to(WA_REPORTER))
    await _news(wa, "a")
    await wa.pump()
    assert len(wa.fake.to(WA_REPORTER)) == before
    assert (await _row(wa, "reporter_milestone"))[0] == "cancelled"


async def test_a_late_form_reply_is_dropped_not_sent_outside_the_window(
    wa: WaHarness, clock: FakeClock
) -> None:
    wa.fake.fail_next(500, times=1)
    body, _ = wa.maker.text(WA_REPORTER, "lapor", clock.now())
    assert await wa.post(body) == 200
    await wa.pump()  # the welcome could not go
    assert wa.fake.to(WA_REPORTER) == []
    clock.advance(hours=25)
    await wa.wing.sender.drain()
    assert wa.fake.to(WA_REPORTER) == []
    assert (await _row(wa, "wa_message"))[0] == "cancelled"


async def test_429_waits_retry_after_and_keeps_order(wa: WaHarness, clock: FakeClock) -> None:
    wa.fake.fail_next(429, code=130429, retry_after="30")
    body, _ = wa.maker.text(WA_REPORTER, "halo", clock.now())
    assert await wa.post(body) == 200
    await wa.pump()
    assert wa.fake.refused == 1 and wa.fake.to(WA_REPORTER) == []
    status, error, _ = await _row(wa, "wa_message", first=True)
    assert status == "pending" and error is not None and "130429" in error
    clock.advance(seconds=10)
    await wa.wing.sender.drain()
    assert wa.fake.to(WA_REPORTER) == []  # not before Retry-After
    clock.advance(seconds=25)
    await wa.wing.sender.drain()
    # the welcome (a text, then its buttons) goes in the order it was queued
    assert [m.body["type"] for m in wa.fake.to(WA_REPORTER)] == ["text", "interactive"]
    status, _, _ = await _row(wa, "wa_message")
    assert status == "sent"


async def test_server_errors_are_retried_and_bad_requests_fail(
    wa: WaHarness, clock: FakeClock
) -> None:
    wa.fake.fail_next(503, times=2)
    await wa.say(WA_REPORTER, "lapor")
    assert wa.fake.to(WA_REPORTER) == []
    for _ in range(3):
        clock.advance(seconds=5)
        await wa.wing.sender.drain()
    assert len(wa.fake.to(WA_REPORTER)) == 1
    row = await wa.h.rt.db.fetchone(
        "SELECT attempts, status FROM outbox WHERE kind = 'wa_message' ORDER BY id LIMIT 1"
    )
    assert row is not None and tuple(row) == (3, "sent")
    wa.fake.fail_next(400, code=131026)
    await wa.say(WA_REPORTER, "tidak")
    status, error, _ = await _row(wa, "wa_message")
    assert status == "failed" and error is not None and "131026" in error


async def test_neutral_wording_names_no_case(wa: WaHarness) -> None:
    await full_report(wa, notify="2")  # neutral wording only
    h = wa.h
    await h.send(OFFICER, "/start")
    notice = next(m for m in reversed(h.fake.messages(TNG_GROUP)) if "take:1" in m.callback_data)
    await h.click_data(OFFICER, TNG_GROUP, notice.message_id, "take:1")
    await wa.pump()
    assert await _row(wa, "reporter_taken") == ("sent", None, "whatsapp")
    last = wa.fake.to(WA_REPORTER)[-1].text
    assert "PPA-TNG" not in last and last.startswith("Pesan dari layanan\nAda kabar")
