"""A reporter talks to ``python -m bot run`` (its own process) through the fake Bot API over
HTTP: a full report, a restart in the middle of one, and a crash right after submitting."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from bot.config import load_offices
from bot.domain.intake import question
from bot.testing.fake_telegram import FakeTelegram, SentMessage
from tests.e2e.conftest import OFFICES, BotProcess

pytestmark = pytest.mark.e2e

REPORTER = 555001
TNG_GROUP = -1001000000001
TIMEOUT = 15.0
CASE_NUMBER = re.compile(r"PPA-TNG-\d{4}-00001")
TRACKING_CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
STORY = "Ayah tiri memukul dan membentak anak hampir setiap malam."
# what the reporter typed that must never reach the staff group
PERSONAL = (
    *("Melati", "Budi", "Santoso", "Kenanga", "Cibodas"),
    *("memukul", "membentak", "malam", "0812", "3456", "7890", "6281234567890"),
)

Predicate = Callable[[SentMessage], bool]


def opt(key: str, value: str) -> str:
    """Callback data of an option button of a question."""
    if key == "office":
        idx = sorted(o.id for o in load_offices(OFFICES)).index(value)
    else:
        idx = [o.value for o in question(key).options].index(value)
    return f"a|{key}|o{idx}"


def text_of(m: SentMessage) -> str:
    return m.plain_text or m.text or ""


def asks(key: str) -> Predicate:
    """The bot's message asking question ``key`` (its buttons carry a|key|...)."""
    return lambda m: any(d.startswith(f"a|{key}|") for d in m.callback_data)


def summary(m: SentMessage) -> bool:
    return "s|send" in m.callback_data


def receipt(m: SentMessage) -> bool:
    return CASE_NUMBER.search(text_of(m)) is not None


def is_notice(m: SentMessage) -> bool:
    return any(d.startswith("take:") for d in m.callback_data)


# (what the reporter does, with what, the question that must come next); None: a toggle
Step = tuple[str, str, Predicate | None]
STEPS: list[Step] = [
    ("press", opt("danger", "no"), asks("office")),
    ("press", opt("office", "TNG"), asks("reporter")),
    ("press", opt("reporter", "family"), asks("reporter_age")),
    ("press", "a|reporter_age|s", asks("victim_name")),
    ("type", "Melati", asks("victim_age")),
    ("type", "15", asks("victim_sex")),
    ("press", opt("victim_sex", "female"), asks("disability")),
    ("press", opt("disability", "no"), asks("violence")),
    ("press", opt("violence", "physical"), None),
    ("press", opt("violence", "psychological"), None),
    ("press", "a|violence|d", asks("relation")),
    ("press", opt("relation", "step_parent"), asks("perpetrator_sex")),
    ("press", opt("perpetrator_sex", "male"), asks("perpetrator")),
    ("type", "Budi Santoso", asks("when")),
    ("type", "01-02-2026", asks("place")),
    ("press", opt("place", "rumah_tangga"), asks("where")),
    ("type", "Jl. Kenanga No. 7, Cibodas", asks("story")),
    ("type", STORY, asks("evidence")),
    ("press", "a|evidence|d", asks("phone")),
    ("type", "0812-3456-7890", asks("call_time")),
    ("press", opt("call_time", "office_hours"), asks("help")),
    ("press", opt("help", "counselling"), None),
    ("press", "a|help|d", asks("notify")),
    ("press", opt("notify", "normal"), asks("consent")),
    ("press", opt("consent", "yes"), summary),
]


class Reporter:
    """A person in a private chat with the bot: types, presses buttons, reads the answers."""

    def __init__(self, fake: FakeTelegram, user_id: int = REPORTER) -> None:
        self.fake = fake
        self.id = user_id

    async def reply_to(self, before: int, predicate: Predicate) -> SentMessage:
        return await self.fake.wait_for_message(
            self.id, predicate, timeout=TIMEOUT, after_message_id=before
        )

    async def type(self, text: str, then: Predicate) -> SentMessage:
        """Write a message (or a command) and wait for the bot's matching answer."""
        before = self.fake.last_message_id(self.id)
        if text.startswith("/"):
            self.fake.user_sends_command(self.id, text)
        else:
            self.fake.user_sends_text(self.id, text)
        return await self.reply_to(before, then)

    def click(self, data: str) -> SentMessage:
        """Press the newest button carrying ``data``; returns the message it is on."""
        for m in reversed(self.fake.messages(self.id)):
            if data in m.callback_data:
                self.fake.user_clicks(self.id, self.id, m.message_id, data)
                return m
        raise LookupError(f"no button {data!r}; the chat shows {self.transcript()}")

    async def press(self, data: str, then: Predicate | None) -> SentMessage:
        """Press a button and wait for the next question (or, for a toggle, the tick)."""
        before = self.fake.last_message_id(self.id)
        edits = {m.message_id: len(m.edits) for m in self.fake.messages(self.id)}
        on = self.click(data)
        if then is not None:
            return await self.reply_to(before, then)
        # several-choice question: the same message is edited to show the tick
        return await self.reply_to(
            on.message_id - 1,
            lambda m: m.message_id == on.message_id and len(m.edits) > edits[on.message_id],
        )

    async def answer(self, steps: list[Step]) -> SentMessage:
        """Go through steps, each waiting for the bot's next question; returns the last."""
        out: SentMessage | None = None
        for action, value, then in steps:
            if action == "type":
                assert then is not None
                out = await self.type(value, then)
            else:
                out = await self.press(value, then)
        assert out is not None
        return out

    def transcript(self) -> list[str]:
        """The start of each bot message in the chat (for assertion messages)."""
        return [text_of(m)[:80] for m in self.fake.messages(self.id)]


async def settled(bot: BotProcess) -> None:
    """Wait until every stored update is handled and every queued message sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        busy = bot.scalar("SELECT COUNT(*) FROM inbox WHERE status = 'new'") + bot.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
        )
        if busy == 0:
            return
        assert loop.time() < deadline, f"the bot did not settle:\n{bot.output()}"
        await asyncio.sleep(0.05)


async def notice_recorded(bot: BotProcess) -> None:
    """Wait until the bot has marked the staff notice as sent in its outbox."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    sql = "SELECT COUNT(*) FROM outbox WHERE kind = 'staff_notice' AND status = 'sent'"
    while bot.scalar(sql) == 0:
        assert loop.time() < deadline, f"the notice was never marked sent:\n{bot.output()}"
        await asyncio.sleep(0.005)


def exactly_one_notice(fake: FakeTelegram) -> None:
    """One "new case" notice with take/details buttons in the staff group, not two."""
    notices = [m for m in fake.messages(TNG_GROUP) if is_notice(m)]
    assert notices, fake.messages(TNG_GROUP)
    assert len(notices) == 1, [text_of(m) for m in notices]


def tracking_code(m: SentMessage) -> str:
    found = TRACKING_CODE.search(text_of(m))
    assert found, text_of(m)
    return found.group(0)


async def test_reporter_completes_a_report(fake: FakeTelegram, bot: BotProcess) -> None:
    await bot.start()
    reporter = Reporter(fake)
    await reporter.type("/start", lambda m: bool(text_of(m)))
    await reporter.type("/lapor", asks("danger"))
    await reporter.answer(STEPS)
    done = await reporter.press("s|send", receipt)
    number = CASE_NUMBER.search(text_of(done))
    assert number is not None
    code = tracking_code(done)

    notice = await fake.wait_for_message(TNG_GROUP, is_notice, timeout=TIMEOUT)
    assert number.group(0) in text_of(notice)

    # later the reporter asks how the report is going, with the tracking code
    await reporter.type(f"/status {code}", lambda m: number.group(0) in text_of(m))

    await settled(bot)
    assert await bot.stop() == 0
    assert bot.scalar("SELECT COUNT(*) FROM cases") == 1
    for m in fake.messages(TNG_GROUP, include_deleted=True):
        for secret in PERSONAL:
            assert secret not in (m.text or "") and secret not in text_of(m), (secret, m)
    exactly_one_notice(fake)


async def test_restart_in_the_middle_continues_the_report(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    await bot.start()
    reporter = Reporter(fake)
    await reporter.type("/lapor", asks("danger"))
    await reporter.answer(STEPS[:4])  # danger, office, reporter, own age: the victim's name

    assert await bot.stop() == 0
    before = fake.last_message_id(REPORTER)
    fake.user_sends_text(REPORTER, "Melati")  # written while the bot is down
    await bot.start()
    await reporter.reply_to(before, asks("victim_age"))
    after = [m for m in fake.messages(REPORTER) if m.message_id > before]
    assert not any(asks("danger")(m) for m in after), reporter.transcript()

    await reporter.answer(STEPS[5:])
    done = await reporter.press("s|send", receipt)
    tracking_code(done)
    await fake.wait_for_message(TNG_GROUP, is_notice, timeout=TIMEOUT)
    await settled(bot)
    assert await bot.stop() == 0
    assert bot.scalar("SELECT COUNT(*) FROM cases") == 1
    exactly_one_notice(fake)


@pytest.mark.parametrize("moment", ["before_delivery", "after_notice"])
async def test_crash_right_after_submit_makes_one_case(
    fake: FakeTelegram, bot: BotProcess, moment: str
) -> None:
    await bot.start()
    reporter = Reporter(fake)
    await reporter.type("/lapor", asks("danger"))
    await reporter.answer(STEPS)

    reporter.click("s|send")
    if moment == "after_notice":
        # the notice is in the group and the bot has recorded it as sent; the submit update
        # itself may or may not be marked done yet (then it is replayed after the restart)
        await fake.wait_for_message(TNG_GROUP, is_notice, timeout=TIMEOUT)
        await notice_recorded(bot)
    # else: killed before the bot could even fetch the press
    await bot.crash()
    assert bot.scalar("SELECT COUNT(*) FROM cases") == (1 if moment == "after_notice" else 0)

    await bot.start()
    await fake.wait_for_message(REPORTER, receipt, timeout=TIMEOUT)
    await fake.wait_for_message(TNG_GROUP, is_notice, timeout=TIMEOUT)
    await settled(bot)
    assert await bot.stop() == 0

    assert bot.scalar("SELECT COUNT(*) FROM cases") == 1
    # the reporter may be told twice (the press is replayed) but always the same case and code
    receipts = {tracking_code(m) for m in fake.messages(REPORTER) if receipt(m)}
    assert len(receipts) == 1, receipts
    exactly_one_notice(fake)
