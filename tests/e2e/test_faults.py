"""Telegram misbehaves (timeouts, 5xx, 429 with retry_after, dropped connections) while
``python -m bot run`` talks to the fake Bot API over HTTP: nothing is lost, all is sent later."""

from __future__ import annotations

import asyncio

import pytest

from bot.testing.fake_telegram import FakeTelegram, FaultKind, SentMessage
from tests.e2e.conftest import BotProcess
from tests.e2e.test_crash import Reporter, steps

pytestmark = pytest.mark.e2e

REPORTER = 555201
TNG_GROUP = -1001000000001
TIMEOUT = 30.0
KINDS: tuple[FaultKind, ...] = ("timeout", "500", "429", "drop")


def asks_danger(m: SentMessage) -> bool:
    """The form's first question."""
    return any(d.startswith("a|danger|") for d in m.callback_data)


async def release_hung_soon(fake: FakeTelegram, kind: FaultKind) -> None:
    """A 'timeout' fault hangs until released; Telegram would answer again after a while."""
    if kind == "timeout":
        await asyncio.sleep(1.0)
        fake.release_hung()


async def inbox_settled(bot: BotProcess) -> None:
    """Wait until no update is waiting and no message is queued."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    sql = (
        "SELECT (SELECT COUNT(*) FROM inbox WHERE status = 'new')"
        " + (SELECT COUNT(*) FROM outbox WHERE status = 'pending')"
    )
    while bot.scalar(sql):
        assert loop.time() < deadline, bot.output()
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("kind", KINDS)
async def test_get_updates_failing_loses_nothing(
    fake: FakeTelegram, bot: BotProcess, kind: FaultKind
) -> None:
    await bot.start()
    fake.fail_next("getUpdates", 2, kind, retry_after=1)
    fake.user_sends_command(REPORTER, "/start")
    fake.release_hung()  # the poll in flight returns; the next two polls fail
    await release_hung_soon(fake, kind)
    await release_hung_soon(fake, kind)
    await fake.wait_for_message(REPORTER, timeout=TIMEOUT)
    assert bot.running, f"the bot died on a {kind} from getUpdates:\n{bot.output()}"
    await inbox_settled(bot)
    assert len(fake.messages(REPORTER)) == 1
    assert await bot.stop() == 0


@pytest.mark.parametrize("kind", KINDS)
async def test_a_reply_failing_once_is_sent_on_the_retry(
    fake: FakeTelegram, bot: BotProcess, kind: FaultKind
) -> None:
    await bot.start()
    fake.fail_next("sendMessage", 1, kind, retry_after=1)
    fake.user_sends_command(REPORTER, "/lapor")
    await release_hung_soon(fake, kind)
    # the handler raised, the error handler apologised, the runner ran the update again; the
    # draft was already made, so the retry asks "continue your unfinished report?"
    first = await fake.wait_for_message(
        REPORTER, lambda m: bool({"r|go"} & set(m.callback_data)) or asks_danger(m), TIMEOUT
    )
    if not asks_danger(first):
        before = fake.last_message_id(REPORTER)
        fake.user_clicks(REPORTER, REPORTER, first.message_id, "r|go")
        await fake.wait_for_message(REPORTER, asks_danger, TIMEOUT, after_message_id=before)
    await inbox_settled(bot)
    assert bot.scalar("SELECT status, attempts FROM inbox WHERE status = 'dead'") is None
    assert await bot.stop() == 0


@pytest.mark.parametrize("kind", KINDS)
async def test_answer_callback_query_failing_does_not_stop_the_form(
    fake: FakeTelegram, bot: BotProcess, kind: FaultKind
) -> None:
    await bot.start()
    reporter = Reporter(fake, REPORTER)
    form = steps("TNG")
    await reporter.step(*form[0])
    fake.fail_next("answerCallbackQuery", 1, kind, retry_after=1)
    release = asyncio.create_task(release_hung_soon(fake, kind))
    await reporter.step(*form[1])  # the spinner may stay; the next question still comes
    await release
    await reporter.step(*form[2])
    assert await bot.stop() == 0


async def test_a_reply_rate_limited_for_a_while_is_still_sent(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    await bot.start()
    # Telegram answers 429 'retry after 1' to the next six sends into this chat
    fake.fail_next("sendMessage", 6, "429", retry_after=1)
    fake.user_sends_command(REPORTER, "/lapor")
    await fake.wait_for_message(
        REPORTER, lambda m: any(d.startswith("a|danger|") for d in m.callback_data), 10.0
    )
    assert bot.scalar("SELECT COUNT(*) FROM inbox WHERE status = 'dead'") == 0
