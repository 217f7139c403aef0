"""``python -m bot run`` on a sped-up clock: a complaint nobody answers becomes overdue, the
officer is alerted, then the head and the staff group get the escalation (no staff action)."""

from __future__ import annotations

import pytest

from bot.testing.fake_telegram import FakeTelegram, SentMessage
from tests.e2e.conftest import BotProcess
from tests.e2e.test_e2e_intake import CASE_NUMBER, STEPS, Reporter, asks, receipt, text_of

pytestmark = pytest.mark.e2e

PETUGAS = 100000002
KETUA = 100000001
TNG_GROUP = -1001000000001
# 20000x: a working day passes in about 4 real seconds; long weekends and holidays stay short
TIME_SCALE = "20000"
TIMEOUT = 90.0
PERSONAL = ("Melati", "Budi", "Santoso", "Kenanga", "Cibodas", "memukul", "0812")


async def test_unanswered_complaint_is_alerted_then_escalated(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    bot.env["PPA_TIME_SCALE"] = TIME_SCALE
    await bot.start()
    for staff in (PETUGAS, KETUA):  # staff have talked to the bot once, so it may DM them
        fake.user_sends_command(staff, "/start")
        await fake.wait_for_message(staff, lambda m: bool(text_of(m)), timeout=15.0)

    reporter = Reporter(fake)
    await reporter.type("/lapor", asks("danger"))
    await reporter.answer(STEPS)
    done = await reporter.press("s|send", receipt)
    found = CASE_NUMBER.search(text_of(done))
    assert found is not None, text_of(done)
    case_number = found.group(0)

    def overdue(m: SentMessage) -> bool:
        return case_number in text_of(m) and "⚠" in text_of(m)

    def escalation(m: SentMessage) -> bool:
        data = m.callback_data
        return (
            case_number in text_of(m)
            and "🚨" in text_of(m)
            and any(d.startswith("det:") for d in data)
            and not any(d.startswith("take:") for d in data)
        )

    alert = await fake.wait_for_message(PETUGAS, overdue, timeout=TIMEOUT)
    escalated = await fake.wait_for_message(TNG_GROUP, escalation, timeout=TIMEOUT)
    await fake.wait_for_message(KETUA, lambda m: case_number in text_of(m) and "🚨" in text_of(m),
                                timeout=TIMEOUT)  # fmt: skip
    assert await bot.stop() == 0

    sent = bot.query(
        "SELECT id, kind, recipient FROM outbox WHERE status = 'sent'"
        " AND kind IN ('step_overdue', 'step_escalated') ORDER BY id"
    )
    # the petugas as a person (no Telegram id in the outbox), the group by office (resolved to
    # PETUGAS and TNG_GROUP on sending)
    kinds = [(k, "person" if c.startswith("person:") else c) for _, k, c in sent]
    assert not any(str(PETUGAS) in c for _, _, c in sent)
    to_petugas, to_group = ("step_overdue", "person"), ("step_escalated", "group:TNG")
    assert kinds.count(to_petugas) == 1, kinds
    assert kinds.count(to_group) == 1, kinds
    assert kinds.index(to_petugas) < kinds.index(to_group)
    for m in (alert, escalated, *fake.messages(TNG_GROUP)):
        for secret in PERSONAL:
            assert secret not in text_of(m), (secret, text_of(m))
