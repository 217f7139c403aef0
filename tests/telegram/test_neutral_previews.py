"""A shared phone's lock screen previews a message's first line: to a reporter it says nothing.

Security review #12: every message the bot sends a reporter after the report (the receipt,
the case taken, the milestones, the status replies) starts with a neutral line; the case
number, the violence and the report come on the next lines only.
"""

from __future__ import annotations

import re

from bot.clock import FakeClock
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, full_report, press

TNG_GROUP = -1001000000001
OFFICER = 100000002  # petugas, TNG

FORBIDDEN = ("ppa-", "korban", "kekerasan", "laporan", "report", "violence", "victim", "kasus")


def _first_line(m: SentMessage) -> str:
    return (m.plain_text or m.text or "").split("\n", 1)[0]


def _assert_neutral(h: Harness, messages: list[SentMessage]) -> None:
    neutral = {h.rt.i18n.get(lang).gettext("A message from the service") for lang in ("id", "en")}
    assert messages
    for m in messages:
        first = _first_line(m)
        assert first in neutral, first
        assert not any(word in first.lower() for word in FORBIDDEN), first
        assert "\n" in (m.plain_text or m.text or "")  # the content follows on the next lines


async def test_every_message_to_a_reporter_starts_with_a_neutral_line(harness: Harness) -> None:
    h = harness
    receipt = await full_report(h)  # notify "normal": the mode that names the case
    _assert_neutral(h, receipt)
    text = "\n".join(m.plain_text or "" for m in receipt)
    assert "PPA-TNG-2026-00001" in text  # the content is still there, below
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", text)
    assert code is not None
    before = h.fake.last_message_id(REPORTER)
    await h.send(OFFICER, "/start")
    await press(h, OFFICER, "take:1", chat=TNG_GROUP)  # reporter_taken and a milestone
    await h.rt.sender.flush()
    later = [m for m in h.fake.messages(REPORTER) if m.message_id > before]
    assert later, "the reporter was told the case is taken"
    _assert_neutral(h, later)
    assert any("PPA-TNG-2026-00001" in (m.plain_text or "") for m in later)
    status = await h.send(REPORTER, f"/status {code.group(0)}")
    _assert_neutral(h, status)
    assert "PPA-TNG-2026-00001" in (status[-1].plain_text or "")
    for command in ("/status", "/status AAAA-BBBB-CCCC", "/start", "/help", "halo"):
        _assert_neutral(h, await h.send(REPORTER, command))


async def test_the_hapus_confirmation_deletes_itself_even_after_a_restart(
    harness: Harness, clock: FakeClock
) -> None:
    h = harness
    await h.send(REPORTER, "/start")
    out = await h.send(REPORTER, "/hapus")
    visible = h.fake.messages(REPORTER)
    assert len(visible) == 1 and visible[0] in out  # "N pesan ... sudah dihapus"
    confirmation = visible[0]
    _assert_neutral(h, [confirmation])  # the lock screen does not tell that she cleared it
    clock.advance(seconds=30)
    await h.rt.sender.drain()
    assert h.fake.messages(REPORTER) == [confirmation]  # time to read it
    await h.restart()  # the deletion is durable: a row in the store, not a timer in memory
    clock.advance(seconds=31)
    await h.rt.sender.drain()
    assert h.fake.messages(REPORTER) == []
    assert h.fake._sent[(REPORTER, confirmation.message_id)].deleted
    # once done, nothing in the store says that this chat used /hapus
    row = await h.rt.db.fetchone("SELECT COUNT(*) FROM outbox WHERE kind = 'delete_message'")
    assert row is not None and row[0] == 0
