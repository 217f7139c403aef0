"""A staff group that Telegram moved (became a supergroup) or that the bot was removed from.

Security review #14: the bot used to fail silently. Now it follows a ChatMigrated answer to the
new chat id (recorded for the office, read before the office file), sends the message again
there, tells the head privately to update staff_chat_id, and logs it without content. A group it
cannot reach at all alerts the head privately, once per office per day.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.testing.fake_telegram.protocol import ApiError
from bot.testing.harness import Harness
from tests.telegram.flows import full_report

TNG_GROUP = -1001000000001
NEW_GROUP = -1009000000001
HEAD = 100000001  # ketua, TNG
STORY = "Ayah tiri memukul dan membentak anak hampir setiap malam."


class _Migrated(ApiError):
    """Telegram's answer to a message for a group that became a supergroup."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(400, "Bad Request: group chat was upgraded to a supergroup chat")
        self.new_chat_id = new_chat_id

    def payload(self) -> dict[str, Any]:
        body = super().payload()
        body["parameters"] = {"migrate_to_chat_id": self.new_chat_id}
        return body


def _refuse(h: Harness, monkeypatch: pytest.MonkeyPatch, error: ApiError) -> list[int]:
    """Every call to the old group fails with ``error``; returns a list counting the calls."""
    calls: list[int] = []
    real = h.fake._chat_for

    def chat_for(p: Any) -> int:
        if p.opt_str("chat_id") == str(TNG_GROUP):
            calls.append(1)
            raise error
        return real(p)

    monkeypatch.setattr(h.fake, "_chat_for", chat_for)
    return calls


def _texts(h: Harness, chat: int) -> str:
    return "\n".join(h.texts(chat))


async def test_a_group_that_became_a_supergroup_is_followed_and_the_head_told(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.DEBUG)
    h.fake.member_joins(NEW_GROUP, h.fake.bot_id)  # the supergroup, with the bot in it
    await h.send(HEAD, "/start")
    old_calls = _refuse(h, monkeypatch, _Migrated(NEW_GROUP))
    await full_report(h)
    await h.rt.sender.flush()
    # the new case notice that failed with ChatMigrated was sent again to the new group
    assert "PPA-TNG-2026-00001" in _texts(h, NEW_GROUP)
    row = await h.rt.db.fetchone(
        "SELECT address, old_address FROM group_addresses WHERE office_id = 'TNG'"
    )
    assert row is not None and (row[0], row[1]) == (str(NEW_GROUP), str(TNG_GROUP))
    told = [t for t in h.texts(HEAD) if "staff_chat_id" in t]
    assert len(told) == 1 and str(NEW_GROUP) in told[0]
    failed = await h.rt.db.fetchone(
        "SELECT COUNT(*) FROM outbox WHERE status = 'failed' AND recipient = 'group:TNG'"
    )
    assert failed is not None and failed[0] == 0
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert f"moved from {TNG_GROUP} to {NEW_GROUP}" in logs
    assert STORY not in logs and "Melati" not in logs
    # after a restart the office's group is still the new one: no more tries at the old id
    await h.restart()
    calls = len(old_calls)
    await full_report(h)
    await h.rt.sender.flush()
    assert "PPA-TNG-2026-00002" in _texts(h, NEW_GROUP)
    assert len(old_calls) == calls
    assert len([t for t in h.texts(HEAD) if "staff_chat_id" in t]) == 1  # told once


async def test_a_group_the_bot_was_removed_from_alerts_the_head_once_a_day(
    harness: Harness,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = harness
    caplog.set_level(logging.INFO)
    await h.send(HEAD, "/start")
    _refuse(h, monkeypatch, ApiError(403, "Forbidden: bot was kicked from the supergroup chat"))
    await full_report(h)
    await full_report(h, danger="yes")  # an urgent alert and a second case notice fail too
    await h.rt.sender.flush()
    alerts = [t for t in h.texts(HEAD) if "cannot write to the staff group" in t
              or "tidak dapat menulis" in t]  # fmt: skip
    assert len(alerts) == 1, h.texts(HEAD)
    assert str(TNG_GROUP) in alerts[0]
    logged = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(logged) == 1
    assert all(STORY not in r.getMessage() for r in caplog.records)
    clock.advance(days=1)
    await full_report(h)
    await h.rt.sender.flush()
    alerts = [t for t in h.texts(HEAD) if str(TNG_GROUP) in t]
    assert len(alerts) == 2  # the next day, once more


async def test_the_migrate_update_itself_moves_the_staff_group_before_any_send_fails(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Security review #14: Telegram's migrate_to_chat_id / migrate_from_chat_id service
    messages are followed at once, so no message is first sent to the dead id."""
    h = harness
    await h.send(HEAD, "/start")
    h.fake.member_joins(NEW_GROUP, h.fake.bot_id)
    h.fake.group_migrates(TNG_GROUP, NEW_GROUP, HEAD)
    await h.pump()
    await h.rt.sender.flush()
    row = await h.rt.db.fetchone(
        "SELECT address, old_address, row_mac FROM group_addresses WHERE office_id = 'TNG'"
    )
    assert row is not None and (row[0], row[1]) == (str(NEW_GROUP), str(TNG_GROUP))
    assert row[2] is not None  # signed: the sender trusts it
    told = [t for t in h.texts(HEAD) if "staff_chat_id" in t]
    assert len(told) == 1 and str(NEW_GROUP) in told[0]  # both service messages: told once
    old_calls = _refuse(h, monkeypatch, _Migrated(NEW_GROUP))
    await full_report(h)
    await h.rt.sender.flush()
    assert "PPA-TNG-2026-00001" in _texts(h, NEW_GROUP)
    assert old_calls == []  # nothing went to the old id first


async def test_a_group_that_is_no_staff_group_migrating_changes_nothing(harness: Harness) -> None:
    h = harness
    h.fake.group_migrates(-4242, -1004242000000, HEAD)
    await h.pump()
    row = await h.rt.db.fetchone("SELECT COUNT(*) FROM group_addresses")
    assert row is not None and row[0] == 0
