"""Meta's status of a sent message may come before the sender has recorded the message's id:
the status is applied once the id is recorded, not lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import WA_REPORTER

RACE = 0.5  # how long the send waits for the early status webhook to be answered


async def test_a_failed_status_before_the_send_is_recorded_fails_the_row(
    wa: WaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = wa.wing.sender.client
    real = client.send
    posts: list[asyncio.Task[int]] = []

    async def status_comes_first(message: dict[str, Any], *, via: str | None = None) -> str:
        wamid = await real(message, via=via)
        # Meta's "failed" webhook arrives before the sender commits "sent" with this id
        posts.append(asyncio.ensure_future(wa.post(wa.maker.status(wamid, "failed", WA_REPORTER))))
        await asyncio.wait({posts[-1]}, timeout=RACE)
        return wamid

    monkeypatch.setattr(client, "send", status_comes_first)
    await wa.say(WA_REPORTER, "lapor")
    assert posts
    assert [await p for p in posts] == [200] * len(posts)
    rows = await wa.h.rt.db.fetchall(
        "SELECT delivery, status FROM outbox WHERE channel = 'whatsapp' ORDER BY id"
    )
    assert rows and all(tuple(r) == ("failed", "failed") for r in rows), rows
