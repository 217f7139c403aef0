"""The durable inbox: replay after a crash, idempotent handlers, dead letters, order, and
conversation state committed on every update (the real Application, an in-process fake)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot import faultpoints
from bot.channels.telegram.addresses import staff_group_chat
from bot.channels.telegram.runner import MAX_ATTEMPTS
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness
from tests.stores import query_now
from tests.telegram.flows import REPORTER, full_report, press

__all__ = ["Crash", "crash_at", "crash_restart", "hard_stop", "is_notice", "receipts"]

TNG_GROUP = -1001000000001


class Crash(BaseException):
    """The process died at a crash point (raised instead of ``os._exit`` in these tests)."""


def crash_at(monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    """Arm ``PPA_CRASH_AT=spec``: the named point raises Crash instead of killing pytest."""

    def die(code: int) -> None:
        raise Crash(code)

    monkeypatch.setenv("PPA_CRASH_AT", spec)
    monkeypatch.setattr(faultpoints, "_counts", {})
    monkeypatch.setattr(os, "_exit", die)


async def hard_stop(h: Harness) -> None:
    """Drop the running bot as a kill would: nothing it still holds in memory is written."""
    rt = h.rt
    persistence: Any = rt.application.persistence

    async def nothing(*_: object) -> None:
        return None

    for name in ("update_conversation", "update_user_data", "update_chat_data"):
        setattr(persistence, name, nothing)
    await rt.close()
    h.runtime = None


async def crash_restart(h: Harness, monkeypatch: pytest.MonkeyPatch | None = None) -> None:
    """Kill (no flush) and start a fresh runtime on the same database, which replays what is
    stored, then polls once, as ``InboxRunner.run`` does (Telegram gives again what was not
    confirmed: a lone update handled before it was stored)."""
    if monkeypatch is not None:
        monkeypatch.delenv("PPA_CRASH_AT", raising=False)
    await hard_stop(h)
    await h.start()
    await Harness.pump(h)  # the class's: a test may have wrapped the instance's pump


def is_notice(m: SentMessage) -> bool:
    """A staff group's new-case notice (it carries a take button)."""
    return any(d.startswith("take:") for d in m.callback_data)


def receipts(h: Harness, user: int = REPORTER) -> list[str]:
    """Texts of the bot's messages to ``user`` that carry a case number."""
    return [
        m.plain_text or "" for m in h.fake.messages(user) if "PPA-TNG-2026-" in (m.plain_text or "")
    ]


def db_scalar(h: Harness, sql: str, *params: Any) -> Any:
    """One value straight from the database file (as another process would see it)."""
    rows = query_now(h.settings.ppa_database, sql, *params)
    return rows[0][0] if rows else None


def record_order(h: Harness) -> list[int]:
    """Record the update_id of every update the Application handles, in order."""
    seen: list[int] = []

    async def note(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    h.rt.application.add_handler(TypeHandler(Update, note), group=-1)
    return seen


async def test_rows_left_new_are_processed_after_a_restart(harness: Harness) -> None:
    h = harness
    h.fake.user_sends_command(501, "/start")
    h.fake.user_sends_command(502, "/start")
    assert h.runner is not None
    await h.runner.store_updates(await h.runner.fetch())  # committed, then the bot dies
    assert db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status = 'new'") == 2
    assert h.fake.messages(501) == [] and h.fake.messages(502) == []

    await crash_restart(h)

    assert h.fake.messages(501) and h.fake.messages(502)
    assert db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status = 'new'") == 0
    # Telegram is not asked for them again: the next offset is past them
    assert h.runner is not None
    assert await h.runner.fetch() == []


async def test_the_same_raw_update_is_stored_once(harness: Harness) -> None:
    h = harness
    assert h.runner is not None
    raw = h.fake.user_sends_command(503, "/start")
    await h.runner.store_updates([raw, raw])
    await h.runner.store_updates([raw])
    assert db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE update_id = ?", raw["update_id"]) == 1


@pytest.mark.parametrize("point", ["in_handler", "after_case_commit", "before_inbox_done"])
async def test_submit_replayed_after_a_crash_makes_one_case_and_one_notice(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    h = harness
    await full_report(h, submit=False)
    crash_at(monkeypatch, f"{point}:1")
    with pytest.raises(Crash):
        await press(h, REPORTER, "s|send")
    await crash_restart(h, monkeypatch)  # replays the press
    await h.rt.sender.drain()

    assert db_scalar(h, "SELECT COUNT(*) FROM cases") == 1
    assert db_scalar(h, "SELECT COUNT(*) FROM outbox WHERE kind = 'staff_notice'") == 1
    assert len([m for m in h.fake.messages(TNG_GROUP) if is_notice(m)]) == 1
    got = receipts(h)
    assert got, [m.plain_text for m in h.fake.messages(REPORTER)]
    assert {t for t in got if "PPA-TNG-2026-00001" in t} == set(got)
    assert db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status != 'done'") == 0


async def test_a_failing_update_becomes_a_dead_letter_and_staff_are_told(
    harness: Harness,
) -> None:
    h = harness
    order = record_order(h)
    failing = h.fake.user_sends_command(511, "/start")["update_id"]
    h.fake.user_blocks_bot(511)  # every reply to 511 now fails (403)
    second = h.fake.user_sends_command(512, "/start")["update_id"]
    third = h.fake.user_sends_command(513, "/start")["update_id"]
    await h.pump()

    # tried MAX_ATTEMPTS times, then set aside; the other chats' updates handled meanwhile (per
    # chat concurrency: a failing chat holds up only its own later updates), in order
    assert [u for u in order if u == failing] == [failing] * MAX_ATTEMPTS
    assert [u for u in order if u != failing] == [second, third]
    assert h.fake.messages(512) and h.fake.messages(513)
    status, attempts = (
        db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", failing),
        db_scalar(h, "SELECT attempts FROM inbox WHERE update_id = ?", failing),
    )
    assert (status, attempts) == ("dead", MAX_ATTEMPTS)
    # the raw update is kept (encrypted) for the administrator
    row = await h.rt.db.fetchone("SELECT payload_enc FROM inbox WHERE update_id = ?", (failing,))
    assert row is not None and row[0] is not None
    kept = h.rt.services.cipher.decrypt_json(row[0], context=b"inbox")
    assert kept["update_id"] == failing and kept["message"]["text"] == "/start"
    # every office's staff group gets one alert naming the update
    groups = {staff_group_chat(o) for o in h.rt.services.offices.values()}
    assert db_scalar(h, "SELECT COUNT(*) FROM outbox WHERE kind = 'dead_letter'") == len(groups)
    for chat in groups:
        alerts = [m for m in h.fake.messages(chat) if str(failing) in (m.plain_text or "")]
        assert len(alerts) == 1, [m.plain_text for m in h.fake.messages(chat)]

    # a restart does not try the dead letter again
    await crash_restart(h)
    assert db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", failing) == "dead"


async def test_a_reply_telegram_refuses_for_a_while_is_deferred_not_lost(
    harness: Harness,
) -> None:
    h = harness
    h.fake.fail_next("sendMessage", 2, "500")  # the reply, and the outbox's first try, fail
    update_id = h.fake.user_sends_command(521, "/start")["update_id"]
    await h.pump()
    # the handler finished: the update is done at once and is never replayed on its own state
    assert db_scalar(h, "SELECT status FROM inbox WHERE update_id = ?", update_id) == "done"
    assert db_scalar(h, "SELECT attempts FROM inbox WHERE update_id = ?", update_id) == 0
    assert not h.fake.messages(521)
    assert db_scalar(h, "SELECT COUNT(*) FROM outbox WHERE kind = 'reply'") == 1
    h.clock.advance(seconds=5)  # type: ignore[attr-defined]
    await h.rt.sender.drain()
    assert len(h.fake.messages(521)) == 1
    assert db_scalar(h, "SELECT status FROM outbox WHERE kind = 'reply'") == "sent"


async def test_a_complaint_survives_a_crash_after_every_single_update(
    harness: Harness,
) -> None:
    h = harness
    pump: Callable[[], Awaitable[None]] = h.pump
    crashes = 0

    async def pump_then_crash() -> None:
        nonlocal crashes
        await pump()
        await crash_restart(h)
        crashes += 1

    h.pump = pump_then_crash  # type: ignore[method-assign]
    out = await full_report(h)
    await h.rt.sender.drain()

    assert crashes >= 20  # one per update of the form
    assert "PPA-TNG-2026-00001" in (out[-1].plain_text or "")
    assert db_scalar(h, "SELECT COUNT(*) FROM cases") == 1
    assert len([m for m in h.fake.messages(TNG_GROUP) if is_notice(m)]) == 1
    # the form was never restarted: the first question was asked exactly once
    asked_danger = [m for m in h.fake.messages(REPORTER) if "a|danger|o0" in m.callback_data]
    assert len(asked_danger) == 1
